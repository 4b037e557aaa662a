"""From configuration to the concrete sources and targets of one board."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
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

    from connectors.m365.client import GraphSettings, MsalTokens, TokenProvider
    from provisioner.execution.engine import Progress, RunReport, SyncRequest


class KeptTokens:
    """What a long-running process (the bot in ``serve``) keeps from one run to the next:
    the app-only Graph token of each Microsoft 365 target, in msal's in-memory cache. A
    token lives about an hour, so a run the bot starts minutes after the last one does not
    ask the identity platform again (its discovery document and the token: two round trips
    before the first Graph call). Nothing else is kept: sources and targets are built per
    run, every source is read afresh and every target's state is read by the run itself.

    A token is kept per app registration and credential: another tenant, app, authority or
    secret, or a certificate file that changed, gets its own. Thread-safe."""

    def __init__(self) -> None:
        self._graph: dict[tuple[str, ...], MsalTokens] = {}
        self._lock = threading.Lock()

    def graph(self, settings: GraphSettings) -> TokenProvider:
        from connectors.m365.client import MsalTokens

        key = (settings.tenant, settings.client_id, settings.authority_host,
               str(settings.ca_file), _credential_mark(settings))
        with self._lock:
            tokens = self._graph.get(key)
            if tokens is None:
                tokens = self._graph[key] = MsalTokens(settings)
            return tokens

    def close(self) -> None:
        with self._lock:
            kept, self._graph = list(self._graph.values()), {}
        for tokens in kept:
            tokens.close()


def _credential_mark(settings: GraphSettings) -> str:
    """Tells credentials apart without keeping them: a digest of the secret, or the
    certificate file's path and modification time (a renewed certificate is read again)."""
    if settings.certificate_path is not None:
        try:
            changed = settings.certificate_path.stat().st_mtime_ns
        except OSError:
            changed = 0
        return f"certificate:{settings.certificate_path}:{changed}"
    return "secret:" + hashlib.sha256((settings.client_secret or "").encode()).hexdigest()


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
    kept: KeptTokens | None = None,
) -> list[Target]:
    """The configured targets; everything they open is closed when ``stack`` closes.
    ``sessions`` (the store) is needed by targets that open manual tasks (ParnasSys staff);
    ``today`` is the run's day, for the SIS staff targets' end-of-service dates; ``kept``:
    Graph tokens kept from earlier runs of this process (see :class:`KeptTokens`)."""
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
            targets.append(_m365(config, target, dry_run=dry_run, stack=stack, kept=kept))
        elif isinstance(target, SisStaffTargetConfig):
            targets.append(_sis_staff(config, target, dry_run, stack, sessions, today))
        elif isinstance(target, ADTargetConfig):
            from connectors.ad.build import build_ad_target

            ad = build_ad_target(config, target, dry_run=dry_run)
            stack.callback(ad.close)
            targets.append(ad)
    return targets


def _m365(
    config: Config,
    target: M365TargetConfig,
    *,
    dry_run: bool,
    stack: ExitStack,
    kept: KeptTokens | None = None,
) -> Target:
    from connectors.m365.client import GraphClient, GraphSettings
    from connectors.m365.libraries import M365LibraryTarget
    from connectors.m365.target import M365Target

    settings = GraphSettings(
        tenant=target.tenant,
        client_id=target.client_id,
        client_secret=target.secret_value("client_secret"),
        certificate_path=target.certificate_path,
        authority_host=target.authority_host,
        graph_url=target.graph_url,
        ca_file=target.ca_file,
    )
    tokens = None
    if target.emulator is not None:
        from provisioner.app.demo.emulated import start_graph_emulator

        settings = start_graph_emulator(target.emulator, settings, stack)
    elif settings.client_secret is None and settings.certificate_path is None:
        target.require_secret(
            "client_secret", f"[targets] {target.name}:", "the app's client secret, or "
            "configure certificate_path",
        )  # fmt: skip
    elif kept is not None:
        tokens = kept.graph(settings)
    kind = M365LibraryTarget if target.sharepoint else M365Target
    m365 = kind(
        target.name,
        GraphClient(settings, dry_run=dry_run, token_provider=tokens),
        domain=config.board.domain,
        pupil_domain=config.board.pupil_domain,
        usage_location=target.usage_location,
        delta_cache=target.delta_cache,
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
    *,
    kept: KeptTokens | None = None,
) -> RunReport:
    """One run of the core engine with the board's configured sources and targets.

    The nightly job, ``provisioner sync``, ``serve`` and the chat bot's offboarding all come
    here, so a person offboarded from chat goes through exactly the nightly code path.
    ``kept``: Graph tokens a long-running process keeps between its runs (the bot).
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
                config,
                dry_run=request.dry_run,
                stack=stack,
                sessions=sessions,
                today=today,
                kept=kept,
            ),
            target_settings=target_settings(config),
        )
        report = engine.sync(request, progress=progress)
    # Counted here, so a run the bot starts inside serve shows in /metrics like a nightly one
    # (the nightly job counts its run too; a run is counted once).
    from provisioner import metrics

    metrics.observe_run(report)
    return report
