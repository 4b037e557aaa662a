"""The demo board served by emulated HR and student information systems.

``provisioner demo --hr afas --sis somtoday`` generates the board's files as always, then
starts the chosen systems' emulators in this process, seeded from those files, and points
the board's sources at them for the run. The emulators' demo credentials are put in this
process's environment, where a real board keeps its secrets.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from provisioner.config import (
    Config,
    ParnasSysSourceConfig,
    SomtodaySourceConfig,
    SourceConfig,
    YouforceSourceConfig,
)

HR_SYSTEMS = ("csv", "afas", "youforce")
SIS_SYSTEMS = ("oneroster", "somtoday", "parnassys")


def serve_systems(
    config: Config, folder: Path, *, hr: str, sis: str, today: date, stack: ExitStack
) -> Config:
    """Start the emulators for ``hr`` and ``sis`` (closed with ``stack``); the configuration
    that reads from them. ``csv``/``oneroster`` keep the files."""
    sources = config.sources
    update: dict[str, SourceConfig | None] = {}
    if hr != "csv":
        update["hr"] = _hr(hr, folder, stack)
    if sis != "oneroster":
        update["sis"] = _sis(sis, folder, today, config, stack)
        if sis == "somtoday":
            update["consent"] = None  # Somtoday holds the consents itself
    return config.model_copy(update={"sources": sources.model_copy(update=update)})


def _hr(system: str, folder: Path, stack: ExitStack) -> SourceConfig:
    import csv

    with (folder / "hr.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if system == "afas":
        from connectors.hr.afas.emulator import AfasEmulator

        afas = stack.enter_context(AfasEmulator())
        afas.load_hr_rows(rows)
        os.environ["PROVISIONER_AFAS_TOKEN"] = afas.settings.token
        return afas.source_config()
    if system == "youforce":
        from connectors.hr.youforce.emulator import YouforceEmulator

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


def _sis(system: str, folder: Path, today: date, config: Config, stack: ExitStack) -> SourceConfig:
    if system == "somtoday":
        from connectors.sis.somtoday.emulator import SomtodayEmulator

        somtoday = stack.enter_context(SomtodayEmulator())
        somtoday.load_oneroster(folder / "sis", consents=folder / "consents.csv", today=today)
        os.environ["PROVISIONER_SOMTODAY_CLIENT_SECRET"] = somtoday.client_secret
        return SomtodaySourceConfig(
            type="somtoday",
            api_url=somtoday.api_url,
            token_url=somtoday.token_url,
            organisation=somtoday.organisation,
            client_id=somtoday.client_id,
        )
    if system == "parnassys":
        from connectors.sis.parnassys.emulator import ParnasSysEmulator

        parnassys = stack.enter_context(ParnasSysEmulator(today=today))
        parnassys.load_oneroster(folder / "sis")
        os.environ["PROVISIONER_PARNASSYS_KEY"] = parnassys.key
        return ParnasSysSourceConfig(
            type="parnassys",
            url=parnassys.url,
            supplier=parnassys.supplier,
            brins=sorted({location.brin6[:4] for location in config.locations}),
        )
    raise ValueError(f"unknown SIS {system}; choose from {', '.join(SIS_SYSTEMS)}")
