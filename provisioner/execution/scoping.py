"""What a plan keeps: one person's operations (a scoped run), and no deletion whose
approval is still open."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.planning.models import IssueKind, Operation, OpType, Plan, PlanIssue
from provisioner.store.tables import ManualTaskRow


def scoped(plan: Plan, key: str) -> Plan:
    """Only the operations about one person, plus the groups they are added to."""
    ops = [op for op in plan.operations if op.key == key]
    needed = {op.group for op in ops if op.type is OpType.ADD_MEMBER}
    ops += [
        op
        for op in plan.operations
        if op.type in (OpType.CREATE_GROUP, OpType.LINK_GROUP) and op.key in needed
    ]
    return dataclasses.replace(
        plan,
        operations=tuple(sorted(ops, key=Operation.sort_key)),
        issues=tuple(i for i in plan.issues if i.key == key),
    )


def hold_unapproved_deletions(sessions: sessionmaker[Session], plan: Plan) -> Plan:
    """A deletion waits while its approval (a manual task of the central office, opened
    by an offboarding from chat) is open: the account stays disabled until approved."""
    deletions = {op.key for op in plan.operations if op.type is OpType.DELETE_ACCOUNT}
    if not deletions:
        return plan
    with sessions() as session:
        waiting: set[str] = set(
            key
            for key in session.execute(
                select(ManualTaskRow.person_key).where(
                    ManualTaskRow.kind == "approve_deletion",
                    ManualTaskRow.status == "open",
                    ManualTaskRow.person_key.in_(sorted(deletions)),
                )
            ).scalars()
            if key is not None
        )
    if not waiting:
        return plan
    return dataclasses.replace(
        plan,
        operations=tuple(
            op
            for op in plan.operations
            if not (op.type is OpType.DELETE_ACCOUNT and op.key in waiting)
        ),
        issues=(
            *plan.issues,
            *(
                PlanIssue(IssueKind.AWAITING_APPROVAL, key, "deletion waits for its approval")
                for key in sorted(waiting)
            ),
        ),
    )
