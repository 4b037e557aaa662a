"""The demo's AFAS: its emulator, seeded with the generated board's HR export."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.hr.afas.config import AfasSourceConfig


def serve(request: DemoRequest) -> DemoSystem:
    from connectors.emulators.afas import AfasEmulator

    afas = request.stack.enter_context(AfasEmulator())
    afas.load_hr_rows(request.hr_rows())
    token = request.secret_file("afas-token", afas.settings.token)
    source = AfasSourceConfig.model_validate(
        {**afas.source_config().model_dump(), "token_file": token}
    )
    return DemoSystem(source)
