"""The demo board served by emulated HR and student information systems.

``provisioner demo --hr afas --sis somtoday`` generates the board's files as always, then
starts the chosen systems' emulators in this process, seeded from those files, and points
the board's sources at them for the run. The emulators' demo credentials are written to
files only their owner can read (``secrets/`` in the demo folder, mode 0600) and named in the
sources' ``*_file`` settings, the way a real board hands secrets over; the environment is left
alone. With ``--sis-staff`` and
Somtoday, Magister or ParnasSys the board also gets a ``sis-staff`` target: staff accounts in
the SIS follow HR (ParnasSys: as manual tasks for the location leaders).
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import date
from functools import partial
from pathlib import Path

from connectors.connector import DemoRequest, DemoSystem, SourceConnector
from connectors.registry import SOURCES
from connectors.sis.config import SisStaffTargetConfig
from provisioner.config import Config, SourceConfig

#: The demo's HR systems: the CSV export, and every HR connector with a demo hook.
HR_SYSTEMS = ("csv", *(c.type_name for c in SOURCES if c.role == "hr" and c.demo))
#: The demo's SIS: the OneRoster export, and every SIS connector with a demo hook.
SIS_SYSTEMS = ("oneroster", *(c.type_name for c in SOURCES if c.role == "sis" and c.demo))
#: The SIS function (functie) of each role's level in the demo schools.
SIS_ROLES = {
    "director": "Directeur",
    "location_leader": "Locatieleider",
    "care_coordinator": "Intern begeleider",
    "teacher": "Leerkracht",
    "support_staff": "Onderwijsassistent",
    "intern": "Stagiair",
}


def serve_systems(
    config: Config,
    folder: Path,
    *,
    hr: str,
    sis: str,
    today: date,
    stack: ExitStack,
    sis_staff: bool = False,
) -> Config:
    """Start the emulators for ``hr`` and ``sis`` (closed with ``stack``); the configuration
    that reads from them. ``csv``/``oneroster`` keep the files. ``sis_staff``: also a
    ``sis-staff`` target for that SIS, when it can keep staff accounts."""
    request = DemoRequest(folder, today, config, stack, partial(_secret_file, folder))
    update: dict[str, SourceConfig | None] = {}
    if hr != "csv":
        update["hr"] = _serve("hr", hr, HR_SYSTEMS, request).source
    targets = list(config.targets)
    if sis != "oneroster":
        served = _serve("sis", sis, SIS_SYSTEMS, request)
        update["sis"] = served.source
        if served.holds_consents:
            update["consent"] = None
        if sis_staff and served.staff_target is not None:
            targets.append(
                SisStaffTargetConfig.model_validate(
                    {
                        "type": "sis-staff",
                        "name": f"{sis}-staff",
                        "system": sis,
                        "sis_roles": SIS_ROLES,
                        **served.staff_target,
                    }
                )
            )
    return config.model_copy(
        update={"sources": config.sources.model_copy(update=update), "targets": targets}
    )


def _serve(role: str, system: str, offered: tuple[str, ...], request: DemoRequest) -> DemoSystem:
    """The demo system ``system`` of ``role`` served by its connector's demo hook."""
    hooks = {c.type_name: c for c in SOURCES if c.role == role and c.demo is not None}
    connector: SourceConnector[SourceConfig] | None = hooks.get(system)
    if connector is None or connector.demo is None:
        what = "HR system" if role == "hr" else "SIS"
        raise ValueError(f"unknown {what} {system}; choose from {', '.join(offered)}")
    return connector.demo(request)
def _secret_file(folder: Path, name: str, value: str) -> Path:
    """An emulator's demo credential in ``folder/secrets/name``, readable by its owner only
    (0600 in a 0700 folder), as a mounted secret would be."""
    secrets = folder / "secrets"
    secrets.mkdir(mode=0o700, exist_ok=True)
    secrets.chmod(0o700)
    path = secrets / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value)
    path.chmod(0o600)  # a file left by an earlier run keeps its own mode otherwise
    return path.resolve()
