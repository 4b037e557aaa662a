"""The demo's ParnasSys: its emulator, seeded with the generated OneRoster export. Its staff
accounts are changed by hand: a ``sis-staff`` target keeps the changes waiting for the
location leader's tasks in a file."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.parnassys.config import ParnasSysSourceConfig


def serve(request: DemoRequest) -> DemoSystem:
    from connectors.emulators.parnassys import ParnasSysEmulator

    parnassys = request.stack.enter_context(ParnasSysEmulator(today=request.today))
    parnassys.load_oneroster(request.folder / "sis")
    source = ParnasSysSourceConfig(
        type="parnassys",
        url=parnassys.url,
        supplier=parnassys.supplier,
        key_file=request.secret_file("parnassys", parnassys.key),
        brins=sorted({location.brin6[:4] for location in request.config.locations}),
    )
    staff = {"state_file": request.folder / "parnassys-staff-pending.json"}
    return DemoSystem(source, staff_target=staff)
