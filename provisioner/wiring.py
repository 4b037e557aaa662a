"""From configuration to the concrete sources and targets of one board."""

from __future__ import annotations

import dataclasses
import os
from contextlib import ExitStack
from datetime import date
from typing import TYPE_CHECKING, Any

from connectors.hr.csv_source import HrCsvSource
from connectors.reference.target import ReferenceTarget
from connectors.sis.consent_csv import ConsentCsvSource
from connectors.sis.oneroster_csv import OneRosterCsvSource
from provisioner.config import (
    ADTargetConfig,
    AfasSourceConfig,
    Config,
    ConsentCsvSourceConfig,
    HrCsvSourceConfig,
    M365TargetConfig,
    MagisterSourceConfig,
    OneRosterSourceConfig,
    ParnasSysSourceConfig,
    ReferenceTargetConfig,
    SisStaffTargetConfig,
    SomtodaySourceConfig,
    YouforceSourceConfig,
)
from provisioner.errors import ConfigError
from provisioner.sources.models import Source
from provisioner.targets import Target

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from provisioner.execution.engine import Progress, RunReport, SyncRequest


def build_sources(config: Config, *, today: date | None = None) -> list[Source]:
    """The configured sources. ``today`` is the run's day (``SyncRequest.today``, ``sync
    --as-of``): every source that reads by date (the school year of ParnasSys, current
    groups in Somtoday and OneRoster, the valid version of a Youforce person) reads that day;
    ``None`` leaves each source to the clock's day at its read."""
    locations = {loc.brin6 for loc in config.locations}
    sources: list[Source] = []
    for slot in ("hr", "sis", "consent"):
        source = getattr(config.sources, slot)
        if isinstance(source, HrCsvSourceConfig):
            sources.append(HrCsvSource(slot, source, config.org_units))
        elif isinstance(source, AfasSourceConfig):
            from connectors.hr.afas.source import AfasSource

            sources.append(AfasSource(slot, source, config.org_units))
        elif isinstance(source, YouforceSourceConfig):
            from connectors.hr.youforce.source import YouforceSource

            sources.append(YouforceSource(slot, source, config.org_units, today=today))
        elif isinstance(source, SomtodaySourceConfig):
            from connectors.sis.somtoday.source import SomtodaySource

            sources.append(SomtodaySource(slot, source, locations, today=today))
        elif isinstance(source, ParnasSysSourceConfig):
            from connectors.sis.parnassys.source import ParnasSysSource

            sources.append(ParnasSysSource(slot, source, locations, today=today))
        elif isinstance(source, MagisterSourceConfig):
            from connectors.sis.magister.source import MagisterSource

            sources.append(MagisterSource(slot, source, locations))
        elif isinstance(source, OneRosterSourceConfig):
            sources.append(OneRosterCsvSource(slot, source, locations, today=today))
        elif isinstance(source, ConsentCsvSourceConfig):
            sources.append(ConsentCsvSource(slot, source))
    return sources


def build_targets(
    config: Config,
    *,
    dry_run: bool,
    stack: ExitStack,
    sessions: sessionmaker[Session] | None = None,
    today: date | None = None,
) -> list[Target]:
    """The configured targets; everything they open is closed when ``stack`` closes.
    ``sessions`` (the store) is needed by targets that open manual tasks (ParnasSys staff);
    ``today`` is the run's day, for the SIS staff targets' end-of-service dates."""
    targets: list[Target] = []
    for target in config.targets:
        if isinstance(target, ReferenceTargetConfig):
            reference = ReferenceTarget(
                target.name,
                target.path,
                dry_run=dry_run,
                write_delay_ms=target.write_delay_ms,
                parallel=target.parallel,
            )
            stack.callback(reference.close)
            targets.append(reference)
        elif isinstance(target, M365TargetConfig):
            targets.append(_m365(config, target, dry_run=dry_run, stack=stack))
        elif isinstance(target, SisStaffTargetConfig):
            targets.append(_sis_staff(config, target, dry_run, stack, sessions, today))
        elif isinstance(target, ADTargetConfig):
            from connectors.ad.build import build_ad_target

            ad = build_ad_target(config, target, dry_run=dry_run)
            stack.callback(ad.close)
            targets.append(ad)
    return targets


def _m365(config: Config, target: M365TargetConfig, *, dry_run: bool, stack: ExitStack) -> Target:
    from connectors.m365.client import GraphClient, GraphSettings
    from connectors.m365.target import M365Target

    settings = GraphSettings(
        tenant=target.tenant,
        client_id=target.client_id,
        client_secret=os.environ.get(target.client_secret_env),
        certificate_path=target.certificate_path,
        authority_host=target.authority_host,
        graph_url=target.graph_url,
        ca_file=target.ca_file,
    )
    if target.emulator is not None:
        from connectors.m365.emulator import EmulatorSettings, GraphEmulator

        emulator = GraphEmulator(
            EmulatorSettings(latency_ms=target.emulator.latency_ms),
            state_file=target.emulator.state_file,
        ).start()
        stack.callback(emulator.stop)
        settings = emulator.client_settings(settings)
    elif settings.client_secret is None and settings.certificate_path is None:
        raise ConfigError(
            f"target {target.name}: set the environment variable {target.client_secret_env} "
            "to the app's client secret, or configure certificate_path"
        )
    m365 = M365Target(
        target.name,
        GraphClient(settings, dry_run=dry_run),
        domain=config.board.domain,
        pupil_domain=config.board.pupil_domain,
        usage_location=target.usage_location,
        delta_cache=target.delta_cache,
        sharepoint=target.sharepoint,
    )
    stack.callback(m365.close)
    return m365


def _sis_staff(
    config: Config,
    target: SisStaffTargetConfig,
    dry_run: bool,
    stack: ExitStack,
    sessions: sessionmaker[Session] | None,
    today: date | None = None,
) -> Target:
    """Staff accounts in the SIS; it reads through the board's SIS source of that system."""
    source = config.sources.sis
    locations = {loc.brin6 for loc in config.locations}
    domain = config.board.domain
    if target.system == "somtoday" and isinstance(source, SomtodaySourceConfig):
        from connectors.sis.somtoday.staff import SomtodayStaffTarget

        somtoday = SomtodayStaffTarget(
            target.name, target, source, locations, domain, dry_run=dry_run, today=today
        )
        stack.callback(somtoday.close)
        return somtoday
    if target.system == "magister" and isinstance(source, MagisterSourceConfig):
        from connectors.sis.magister.staff import MagisterStaffTarget

        magister = MagisterStaffTarget(
            target.name, target, source, locations, domain, dry_run=dry_run, today=today
        )
        stack.callback(magister.close)
        return magister
    if target.system == "parnassys" and isinstance(source, ParnasSysSourceConfig):
        from connectors.sis.parnassys.staff import ParnasSysStaffTarget

        if sessions is None:
            raise ConfigError(f"target {target.name}: ParnasSys staff tasks need the store")
        return ParnasSysStaffTarget(
            target.name,
            target,
            source,
            locations,
            domain,
            sessions,
            dry_run=dry_run,
            today=today,
        )
    raise ConfigError(
        f"target {target.name}: system {target.system} needs sources.sis of type {target.system}"
    )


def target_settings(config: Config) -> dict[str, dict[str, Any]]:
    return {
        t.name: {
            "include_pupils": t.include_pupils,
            "licences": t.licences,
            "sis_roles": t.sis_roles,
        }
        for t in config.targets
    }


def run_sync(
    config: Config,
    sessions: sessionmaker[Session],
    request: SyncRequest,
    progress: Progress | None = None,
) -> RunReport:
    """One run of the core engine with the board's configured sources and targets.

    The nightly job, ``provisioner sync``, ``serve`` and the chat bot's offboarding all come
    here, so a person offboarded from chat goes through exactly the nightly code path.
    """
    from provisioner.execution.engine import Engine, today_in_amsterdam

    # One day for the whole run: the engine's policy, every source and every target.
    today = request.today or today_in_amsterdam()
    request = dataclasses.replace(request, today=today)
    with ExitStack() as stack:
        engine = Engine(
            config,
            sessions,
            build_sources(config, today=today),
            build_targets(
                config, dry_run=request.dry_run, stack=stack, sessions=sessions, today=today
            ),
            target_settings=target_settings(config),
        )
        report = engine.sync(request, progress=progress)
    # Counted here, so a run the bot starts inside serve shows in /metrics like a nightly one
    # (the nightly job counts its run too; a run is counted once).
    from provisioner import metrics

    metrics.observe_run(report)
    return report
