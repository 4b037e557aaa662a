"""The demo's Somtoday: its emulator, seeded with the generated OneRoster export and consents;
its HRM web service takes the staff accounts of a ``sis-staff`` target."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.somtoday.config import SomtodaySourceConfig


def serve(request: DemoRequest) -> DemoSystem:
    from connectors.emulators.somtoday import SomtodayEmulator

    folder, today = request.folder, request.today
    somtoday = request.stack.enter_context(SomtodayEmulator(today=today))
    somtoday.load_oneroster(folder / "sis", consents=folder / "consents.csv", today=today)
    somtoday.keep_writes(folder / "somtoday-writes.jsonl")  # its staff survive the run
    staff = {
        "hrm_url": somtoday.hrm_url,
        "hrm_username": somtoday.hrm_username,
        "hrm_brin": request.config.locations[0].brin6[:4],
        "hrm_password_file": request.secret_file("somtoday-hrm", somtoday.hrm_password),
    }
    source = SomtodaySourceConfig(
        type="somtoday",
        api_url=somtoday.api_url,
        token_url=somtoday.token_url,
        organisation=somtoday.organisation,
        client_id=somtoday.client_id,
        client_secret_file=request.secret_file("somtoday", somtoday.client_secret),
    )
    return DemoSystem(source, staff_target=staff, holds_consents=True)
