"""The safety gate: stop a run before it does damage, and say why in words.

Two checks, both pure:
- the source guard, before planning: a source that came back empty, or with far fewer
  records than the largest good export of a window of days, stops the whole run (a truncated
  HR export must never disable half the board, and neither may a few smaller losses in a row);
- thresholds per operation type, after planning, counted per population (staff, pupils) in
  each target: absolute and as a share of that population's accounts (or memberships) in the
  target, so a third of the staff disabled is never diluted by the pupils.
A stopped run can be approved explicitly; see :mod:`provisioner.execution.engine`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from provisioner.config import Threshold
from provisioner.planning.models import OpType, Plan
from provisioner.targets import TargetSnapshot

ACCOUNT_OPS = {
    OpType.CREATE_ACCOUNT,
    OpType.UPDATE_ACCOUNT,
    OpType.ENABLE_ACCOUNT,
    OpType.DISABLE_ACCOUNT,
    OpType.REVOKE_SESSIONS,
    OpType.DELETE_ACCOUNT,
    OpType.ASSIGN_LICENCE,
    OpType.REMOVE_LICENCE,
}
MEMBERSHIP_OPS = {OpType.ADD_MEMBER, OpType.REMOVE_MEMBER}

#: (singular, plural, what would happen)
WORDS: dict[str, tuple[str, str, str]] = {
    OpType.CREATE_ACCOUNT: ("account", "accounts", "created"),
    OpType.UPDATE_ACCOUNT: ("account", "accounts", "changed"),
    OpType.ENABLE_ACCOUNT: ("account", "accounts", "enabled"),
    OpType.DISABLE_ACCOUNT: ("account", "accounts", "disabled"),
    OpType.REVOKE_SESSIONS: ("account", "accounts", "signed out"),
    OpType.DELETE_ACCOUNT: ("account", "accounts", "deleted"),
    OpType.ADD_MEMBER: ("group membership", "group memberships", "added"),
    OpType.REMOVE_MEMBER: ("group membership", "group memberships", "removed"),
    OpType.ASSIGN_LICENCE: ("licence", "licences", "assigned"),
    OpType.REMOVE_LICENCE: ("licence", "licences", "removed"),
    OpType.CREATE_GROUP: ("group", "groups", "created"),
    OpType.LINK_ACCOUNT: ("account", "accounts", "adopted"),
    OpType.LINK_GROUP: ("group", "groups", "adopted"),
}

#: The populations thresholds are counted in, by the prefix of a person's key.
STAFF, PUPILS, OTHER = "staff", "pupils", "other"
POPULATION_OF_PREFIX = {"staff": STAFF, "pupil": PUPILS}
#: How a population is named in a stop reason: (who, whose accounts)
POPULATION_WORDS = {
    STAFF: ("staff", "staff"),
    PUPILS: ("pupils", "pupil"),
    OTHER: ("others (members the provisioner does not manage, groups)", "managed"),
}


# -- the source guard ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a source is compared with: its largest count in the good runs of the window."""

    count: int
    run_id: str
    on: date  # the day of that run


def check_sources(
    counts: Mapping[str, int],
    baselines: Mapping[str, Baseline],
    max_shrink_percent: float,
    systems: Mapping[str, str] | None = None,
    window_days: int = 14,
) -> list[str]:
    """Reasons to stop because a source looks truncated. Keys are ``<source>.<kind>``;
    ``baselines`` holds each one's largest count over the good runs of the last
    ``window_days`` days; ``systems`` names the system each configured source reads
    (``hr`` -> "AFAS Profit")."""
    reasons = []
    for name, count in sorted(counts.items()):
        baseline = baselines.get(name)
        before = baseline.count if baseline else None
        system = (systems or {}).get(name.split(".", 1)[0])
        label = f"source {name} ({system})" if system else f"source {name}"
        if count == 0 and (before is None or before > 0):
            reasons.append(f"{label} is empty: is the export complete?")
            continue
        if baseline and before:
            shrink = 100.0 * (before - count) / before
            if shrink > max_shrink_percent:
                reasons.append(
                    f"{label} has {count} records, {before - count} fewer than the {before} "
                    f"in run {baseline.run_id} of {baseline.on.isoformat()} (the largest of "
                    f"the last {window_days} days): {shrink:.1f}% fewer; the limit is "
                    f"{max_shrink_percent:g}%. Is the export complete?"
                )
    return reasons


def largest_in_window(runs: Iterable[tuple[str, date, Mapping[str, int]]]) -> dict[str, Baseline]:
    """Per source, the largest count among the given runs (id, day, counts); on a tie the
    most recent of them, when the runs come newest first."""
    baselines: dict[str, Baseline] = {}
    for run_id, on, counts in runs:
        for name, count in counts.items():
            current = baselines.get(name)
            if current is None or count > current.count:
                baselines[name] = Baseline(int(count), run_id, on)
    return baselines


# -- thresholds per population ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Base:
    """What one population holds in one target: the base of the percentage thresholds."""

    accounts: int = 0
    memberships: int = 0


def population(key: str) -> str:
    """``staff:100006`` -> staff, ``pupil:L000001`` -> pupils; anything else (a member the
    provisioner does not manage, a group) -> other."""
    return POPULATION_OF_PREFIX.get(key.split(":", 1)[0], OTHER)


def population_bases(snapshot: TargetSnapshot, account_links: Mapping[str, str]) -> dict[str, Base]:
    """Managed accounts and their memberships of managed groups, per population, as the
    target holds them before the run. ``account_links`` maps a person's key to the remote
    id it is linked to; an account without a link counts by the key stored on it."""
    key_of_remote = {remote_id: key for key, remote_id in account_links.items()}
    keys: dict[str, str] = {}
    for account in snapshot.accounts:
        key = key_of_remote.get(account.remote_id) or account.key
        if key:
            keys[account.remote_id] = key
    accounts = Counter(population(key) for key in keys.values())
    memberships = Counter(
        population(keys[member])
        for group in snapshot.groups
        if group.key
        for member in group.members
        if member in keys
    )
    return {
        name: Base(accounts[name], memberships[name])
        for name in sorted(set(accounts) | set(memberships))
    }


def check_thresholds(
    plan: Plan, thresholds: Mapping[str, Threshold], bases: Mapping[str, Base] | None = None
) -> list[str]:
    """Reasons to stop because the plan changes more than the board allows in one run.

    Each threshold is applied to each population of the target on its own: the count of its
    operations, and their share of that population's accounts (or group memberships) in the
    target, ``bases`` (see :func:`population_bases`). Without ``bases`` the target's totals are
    the base of every population. Operations on objects outside the populations (members the
    provisioner does not manage, groups) are held against the target's totals."""
    by_population: Counter[tuple[str, str]] = Counter(
        (op.type.value, population(op.key)) for op in plan.operations
    )
    reasons = []
    for op_name, threshold in sorted(thresholds.items()):
        op_type = OpType(op_name)
        for who in (STAFF, PUPILS, OTHER):
            count = by_population[op_name, who]
            if count:
                base = _base(plan, op_type, who, bases)
                reasons += _over(plan.target, op_type, who, count, base, threshold)
    return reasons


def _base(plan: Plan, op_type: OpType, who: str, bases: Mapping[str, Base] | None) -> int:
    memberships = op_type in MEMBERSHIP_OPS
    if bases is None or who == OTHER:
        return plan.managed_memberships if memberships else plan.managed_accounts
    base = bases.get(who, Base())
    return base.memberships if memberships else base.accounts


def _over(
    target: str, op_type: OpType, who: str, count: int, base: int, threshold: Threshold
) -> list[str]:
    one, many, done = WORDS[op_type]
    people, whose = POPULATION_WORDS[who]
    what = f"For {people}, {count} {one if count == 1 else many} would be {done} in {target}"
    if threshold.max_count is not None and count > threshold.max_count:
        return [f"{what}; the limit is {threshold.max_count}"]
    if threshold.max_percent is not None and base > 0 and count >= threshold.percent_from:
        share = 100.0 * count / base
        if share > threshold.max_percent:
            held = many if op_type in MEMBERSHIP_OPS else WORDS[OpType.CREATE_ACCOUNT][1]
            return [
                f"{what}, {share:.1f}% of the {base} {whose} {held} there; "
                f"the limit is {threshold.max_percent:g}%"
            ]
    return []
