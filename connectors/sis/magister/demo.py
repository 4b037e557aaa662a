"""The demo's Magister: its emulator, seeded with the generated OneRoster export; its
``UpdateMedewerker`` takes the staff accounts of a ``sis-staff`` target."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.magister.config import MagisterSourceConfig


def serve(request: DemoRequest) -> DemoSystem:
    from connectors.emulators.magister import MagisterEmulator

    units = {location.brin6: location.name for location in request.config.locations}
    magister = request.stack.enter_context(MagisterEmulator(today=request.today))
    magister.load_oneroster(request.folder / "sis", units)
    magister.keep_writes(request.folder / "magister-writes.jsonl")
    source = MagisterSourceConfig(
        type="magister",
        base_url=magister.url,
        username=magister.username,
        password_file=request.secret_file("magister", magister.password),
        locations={name: brin6 for brin6, name in units.items()},
    )
    return DemoSystem(source, staff_target={})
