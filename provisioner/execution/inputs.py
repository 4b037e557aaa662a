"""The run's inputs: what the sources say, the desired state it gives, and the usernames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.interns import known_interns
from provisioner.accountability.interns_model import Internship
from provisioner.config import Config
from provisioner.domain.models import ClassGroup, ConsentRecord, Pupil, StaffMember
from provisioner.planning.models import AccountState, DesiredState
from provisioner.policy.desired import Offboarding, PolicySettings, build_desired_state
from provisioner.policy.interns import (
    InternSettings,
    policy_roles,
    restrict_interns,
    staff_with_internships,
)
from provisioner.policy.naming import assign_usernames, naming_requests
from provisioner.sources.clean import CleanRules, clean_batch
from provisioner.sources.models import Source, SourceBatch, SourceKind
from provisioner.store.tables import AccountName, Override
from provisioner.targets import TargetSnapshot


@dataclass
class SourcesRead:
    staff: list[StaffMember] = field(default_factory=list)
    pupils: list[Pupil] = field(default_factory=list)
    groups: list[ClassGroup] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    internships: list[Internship] = field(default_factory=list)  # the intern list's
    problems: list[str] = field(default_factory=list)
    frozen: set[str] = field(default_factory=set)
    unkeyed: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def read_sources(sources: Sequence[Source], rules: CleanRules | None = None) -> SourcesRead:
    read = SourcesRead()
    for source in sources:
        batch: SourceBatch = clean_batch(source, source.read(), rules or CleanRules())
        read.staff += batch.staff
        read.pupils += batch.pupils
        read.groups += batch.groups
        read.consents += batch.consents
        read.internships += batch.internships
        read.problems += [p.describe() for p in batch.problems]
        read.frozen |= batch.quarantined_keys
        if batch.kind is not SourceKind.CONSENT:
            read.unkeyed += batch.unkeyed_rejects
        read.counts.update({f"{batch.source}.{kind}": n for kind, n in batch.counts.items()})
    return read


def desired_state(
    sessions: sessionmaker[Session], config: Config, read: SourcesRead, today: date
) -> DesiredState:
    """The desired state on ``today``, with the overrides from chat and the interns' rules
    (:mod:`provisioner.policy.interns`)."""
    with sessions() as session:
        offboardings = [
            Offboarding(
                o.person_key,
                o.last_day,
                o.requested_by,
                frozenset(o.locations.split()) if o.locations else None,
            )
            for o in session.execute(
                select(Override).where(Override.cancelled.is_(False)).order_by(Override.id)
            ).scalars()
        ]
        known = known_interns(session)
    interns = InternSettings(
        today, config.roles, config.interns.days_before_start, config.lifecycle.days_before_start
    )
    staff = staff_with_internships(read.staff, read.internships, interns)
    settings = PolicySettings(
        today=today,
        locations={loc.brin6: loc.name for loc in config.locations},
        roles=policy_roles(config.roles),
        director_scope=config.board.director_scope,
        days_before_start=config.lifecycle.days_before_start,
    )
    desired = build_desired_state(
        staff,
        read.pupils,
        read.groups,
        settings,
        offboardings=offboardings,
        frozen=read.frozen,
        orphans_may_leave=read.unkeyed == 0,
    )
    return restrict_interns(desired, staff, read.groups, interns, known=known)


def assign_names(
    sessions: sessionmaker[Session],
    config: Config,
    desired: DesiredState,
    snapshots: dict[str, TargetSnapshot],
) -> DesiredState:
    """Every desired account with its username: stored names kept, existing accounts'
    names adopted, new ones unique across every target's names."""
    with sessions() as session:
        existing = {row.key: row.username for row in session.execute(select(AccountName)).scalars()}
    taken: set[str] = set()
    for snapshot in snapshots.values():
        taken |= snapshot.taken_names
        for account in snapshot.accounts:  # adopt the names of accounts that exist already
            if (
                account.key
                and account.username  # a SIS staff record may have no user name
                and account.key in desired.accounts
                and account.key not in existing
            ):
                existing[account.key] = account.username.lower()
    naming = config.naming
    requests = naming_requests(
        desired.accounts.values(),
        staff_template=naming.staff_template,
        pupil_template=naming.pupil_template,
    )
    names = assign_usernames(
        requests, existing, taken, rename_on_name_change=naming.rename_on_name_change
    )
    return desired.with_usernames(names)


def save_names(session: Session, desired: DesiredState) -> None:
    """Store the usernames of active accounts (the caller commits)."""
    existing = {row.key: row for row in session.execute(select(AccountName)).scalars()}
    now = datetime.now(UTC)
    for key, account in desired.accounts.items():
        if account.state is not AccountState.ACTIVE:
            continue
        row = existing.get(key)
        if row is None:
            session.add(AccountName(key=key, username=account.username, assigned_at=now))
        elif row.username != account.username:
            row.username, row.assigned_at = account.username, now
    session.flush()
