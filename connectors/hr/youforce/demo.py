"""The demo's Youforce: its emulator, seeded with the generated board's HR export."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.hr.youforce.config import YouforceSourceConfig


def serve(request: DemoRequest) -> DemoSystem:
    from connectors.emulators.youforce import YouforceEmulator

    youforce = request.stack.enter_context(YouforceEmulator())
    youforce.load_staff(request.hr_rows())
    source = YouforceSourceConfig(
        type="youforce",
        base_url=youforce.url,
        token_url=youforce.token_url,
        client_id=youforce.client_id,
        client_secret_file=request.secret_file("youforce", youforce.client_secret),
    )
    return DemoSystem(source)
