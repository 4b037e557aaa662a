"""The demo board served by emulated HR and student information systems.

``provisioner demo --hr afas --sis somtoday`` generates the board's files as always, then
starts the chosen systems' emulators in this process, seeded from those files, and points
the board's sources at them for the run. The emulators' demo credentials are put in this
process's environment, where a real board keeps its secrets. With ``--sis-staff`` and
Somtoday, Magister or ParnasSys the board also gets a ``sis-staff`` target: staff accounts in
the SIS follow HR (ParnasSys: as manual tasks for the location leaders).
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from provisioner.config import (
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
        os.environ["PROVISIONER_AFAS_TOKEN"] = afas.settings.token
        return afas.source_config()
    if system == "youforce":
        from connectors.emulators.youforce import YouforceEmulator

        youforce = stack.enter_context(YouforceEmulator())
        youforce.load_staff(rows)
        os.environ["PROVISIONER_YOUFORCE_CLIENT_SECRET"] = youforce.client_secret
        return YouforceSourceConfig(
            type="youforce",
            base_url=youforce.url,
            token_url=youforce.token_url,
            client_id=youforce.client_id,
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
        os.environ["PROVISIONER_SOMTODAY_CLIENT_SECRET"] = somtoday.client_secret
        os.environ["PROVISIONER_SOMTODAY_HRM_PASSWORD"] = somtoday.hrm_password
        staff.update(
            hrm_url=somtoday.hrm_url,
            hrm_username=somtoday.hrm_username,
            hrm_brin=config.locations[0].brin6[:4],
        )
        return SomtodaySourceConfig(
            type="somtoday",
            api_url=somtoday.api_url,
            token_url=somtoday.token_url,
            organisation=somtoday.organisation,
            client_id=somtoday.client_id,
        )
    if system == "parnassys":
        from connectors.emulators.parnassys import ParnasSysEmulator

        parnassys = stack.enter_context(ParnasSysEmulator(today=today))
        parnassys.load_oneroster(folder / "sis")
        os.environ["PROVISIONER_PARNASSYS_KEY"] = parnassys.key
        return ParnasSysSourceConfig(
            type="parnassys",
            url=parnassys.url,
            supplier=parnassys.supplier,
            brins=sorted({location.brin6[:4] for location in config.locations}),
        )
    if system == "magister":
        from connectors.emulators.magister import MagisterEmulator

        units = {location.brin6: location.name for location in config.locations}
        magister = stack.enter_context(MagisterEmulator(today=today))
        magister.load_oneroster(folder / "sis", units)
        magister.keep_writes(folder / "magister-writes.jsonl")
        os.environ["PROVISIONER_MAGISTER_PASSWORD"] = magister.password
        return MagisterSourceConfig(
            type="magister",
            base_url=magister.url,
            username=magister.username,
            locations={name: brin6 for brin6, name in units.items()},
        )
    raise ValueError(f"unknown SIS {system}; choose from {', '.join(SIS_SYSTEMS)}")
