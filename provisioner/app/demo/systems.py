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
from pathlib import Path

from provisioner.config import (
    AfasSourceConfig,
    Config,
    MagisterSourceConfig,
    ParnasSysSourceConfig,
    SisStaffTargetConfig,
    SomtodaySourceConfig,
    SourceConfig,
    YouforceSourceConfig,
)

HR_SYSTEMS = ("csv", "afas", "youforce")
SIS_SYSTEMS = ("oneroster", "somtoday", "parnassys", "magister")
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
    ``sis-staff`` target for that SIS."""
    sources = config.sources
    update: dict[str, SourceConfig | None] = {}
    if hr != "csv":
        update["hr"] = _hr(hr, folder, stack)
    targets = list(config.targets)
    staff: dict[str, str] = {}  # the sis-staff target's settings for the emulator
    if sis != "oneroster":
        update["sis"] = _sis(sis, folder, today, config, stack, staff)
        if sis == "somtoday":
            update["consent"] = None  # Somtoday holds the consents itself
    if sis != "oneroster" and sis_staff:
        # ParnasSys: the changes waiting for the location leader's tasks are kept in a file
        pending = folder / "parnassys-staff-pending.json" if sis == "parnassys" else None
        targets.append(
            SisStaffTargetConfig(
                type="sis-staff",
                name=f"{sis}-staff",
                system=sis,  # type: ignore[arg-type]  # one of SIS_SYSTEMS but oneroster
                state_file=pending,
                sis_roles=SIS_ROLES,
                **staff,  # type: ignore[arg-type]
            )
        )
    return config.model_copy(
        update={"sources": sources.model_copy(update=update), "targets": targets}
    )


def _hr(system: str, folder: Path, stack: ExitStack) -> SourceConfig:
    import csv

    with (folder / "hr.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if system == "afas":
        from connectors.emulators.afas import AfasEmulator

        afas = stack.enter_context(AfasEmulator())
        afas.load_hr_rows(rows)
        token = _secret_file(folder, "afas-token", afas.settings.token)
        return AfasSourceConfig.model_validate(
            {**afas.source_config().model_dump(), "token_file": token}
        )
    if system == "youforce":
        from connectors.emulators.youforce import YouforceEmulator

        youforce = stack.enter_context(YouforceEmulator())
        youforce.load_staff(rows)
        return YouforceSourceConfig(
            type="youforce",
            base_url=youforce.url,
            token_url=youforce.token_url,
            client_id=youforce.client_id,
            client_secret_file=_secret_file(folder, "youforce", youforce.client_secret),
        )
    raise ValueError(f"unknown HR system {system}; choose from {', '.join(HR_SYSTEMS)}")


def _sis(
    system: str,
    folder: Path,
    today: date,
    config: Config,
    stack: ExitStack,
    staff: dict[str, str],
) -> SourceConfig:
    """The SIS source of ``system`` served by its emulator; ``staff`` gets the settings of the
    ``sis-staff`` target that writes to it."""
    if system == "somtoday":
        from connectors.emulators.somtoday import SomtodayEmulator

        somtoday = stack.enter_context(SomtodayEmulator(today=today))
        somtoday.load_oneroster(folder / "sis", consents=folder / "consents.csv", today=today)
        somtoday.keep_writes(folder / "somtoday-writes.jsonl")  # its staff survive the run
        staff.update(
            hrm_url=somtoday.hrm_url,
            hrm_username=somtoday.hrm_username,
            hrm_brin=config.locations[0].brin6[:4],
            hrm_password_file=str(_secret_file(folder, "somtoday-hrm", somtoday.hrm_password)),
        )
        return SomtodaySourceConfig(
            type="somtoday",
            api_url=somtoday.api_url,
            token_url=somtoday.token_url,
            organisation=somtoday.organisation,
            client_id=somtoday.client_id,
            client_secret_file=_secret_file(folder, "somtoday", somtoday.client_secret),
        )
    if system == "parnassys":
        from connectors.emulators.parnassys import ParnasSysEmulator

        parnassys = stack.enter_context(ParnasSysEmulator(today=today))
        parnassys.load_oneroster(folder / "sis")
        return ParnasSysSourceConfig(
            type="parnassys",
            url=parnassys.url,
            supplier=parnassys.supplier,
            key_file=_secret_file(folder, "parnassys", parnassys.key),
            brins=sorted({location.brin6[:4] for location in config.locations}),
        )
    if system == "magister":
        from connectors.emulators.magister import MagisterEmulator

        units = {location.brin6: location.name for location in config.locations}
        magister = stack.enter_context(MagisterEmulator(today=today))
        magister.load_oneroster(folder / "sis", units)
        magister.keep_writes(folder / "magister-writes.jsonl")
        return MagisterSourceConfig(
            type="magister",
            base_url=magister.url,
            username=magister.username,
            password_file=_secret_file(folder, "magister", magister.password),
            locations={name: brin6 for brin6, name in units.items()},
        )
    raise ValueError(f"unknown SIS {system}; choose from {', '.join(SIS_SYSTEMS)}")


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
