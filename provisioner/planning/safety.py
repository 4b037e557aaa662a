"""The safety gate: stop a run before it does damage, and say why in words.

Two checks, both pure:
- the source guard, before planning: a source that came back empty, or with far fewer
  records than at the last good run, stops the whole run (a truncated HR export must never
  disable half the board);
- thresholds per operation type, after planning: absolute and as a share of what the target
  holds (e.g. at most 5% of accounts disabled in one run).
A stopped run can be approved explicitly; see :mod:`provisioner.execution.engine`.
"""

from __future__ import annotations

from collections.abc import Mapping

from provisioner.config import Threshold
from provisioner.planning.models import OpType, Plan

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


def check_sources(
    counts: Mapping[str, int],
    last_good: Mapping[str, int],
    max_shrink_percent: float,
    systems: Mapping[str, str] | None = None,
) -> list[str]:
    """Reasons to stop because a source looks truncated. Keys are ``<source>.<kind>``;
    ``systems`` names the system each configured source reads (``hr`` -> "AFAS Profit")."""
    reasons = []
    for name, count in sorted(counts.items()):
        before = last_good.get(name)
        system = (systems or {}).get(name.split(".", 1)[0])
        label = f"source {name} ({system})" if system else f"source {name}"
        if count == 0 and (before is None or before > 0):
            reasons.append(f"{label} is empty: is the export complete?")
            continue
        if before:
            shrink = 100.0 * (before - count) / before
            if shrink > max_shrink_percent:
                reasons.append(
                    f"{label} has {count} records, {before - count} fewer than the "
                    f"{before} of the last good run ({shrink:.1f}% fewer; the limit is "
                    f"{max_shrink_percent:g}%): is the export complete?"
                )
    return reasons


def check_thresholds(plan: Plan, thresholds: Mapping[str, Threshold]) -> list[str]:
    """Reasons to stop because the plan changes more than the board allows in one run."""
    reasons = []
    counts = plan.counts()
    for op_name, threshold in sorted(thresholds.items()):
        count = counts.get(op_name, 0)
        if count == 0:
            continue
        op_type = OpType(op_name)
        base = plan.managed_memberships if op_type in MEMBERSHIP_OPS else plan.managed_accounts
        one, many, done = WORDS[op_type]
        what = f"{count} {one if count == 1 else many} would be {done} in {plan.target}"
        if threshold.max_count is not None and count > threshold.max_count:
            reasons.append(f"{what}; the limit is {threshold.max_count}")
            continue
        if threshold.max_percent is not None and base > 0 and count >= threshold.percent_from:
            share = 100.0 * count / base
            if share > threshold.max_percent:
                reasons.append(
                    f"{what}, {share:.1f}% of {base}; the limit is {threshold.max_percent:g}%"
                )
    return reasons
