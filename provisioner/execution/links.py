"""The journal and the links of one target: the plan written before anything is sent, and
the remote ids the provisioner knows its objects by (kept in step with the store)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from provisioner.planning.models import Operation
from provisioner.planning.planner import AccountLink
from provisioner.store.tables import JournalEntry, Link


@dataclass
class Links:
    """The links of one target, loaded once and kept in step with the store."""

    accounts: dict[str, AccountLink] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    others: dict[tuple[str, str], str] = field(default_factory=dict)  # (site|library, key)
    changed: dict[tuple[str, str], AccountLink | str | None] = field(default_factory=dict)

    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_account(self, key: str, link: AccountLink | None) -> None:
        with self.lock:
            if link is None:
                self.accounts.pop(key, None)
            else:
                self.accounts[key] = link
            self.changed[("account", key)] = link

    def set_group(self, key: str, remote_id: str) -> None:
        with self.lock:
            self.groups[key] = remote_id
            self.changed[("group", key)] = remote_id

    def set_other(self, kind: str, key: str, remote_id: str) -> None:
        with self.lock:
            self.others[kind, key] = remote_id
            self.changed[(kind, key)] = remote_id


def load_links(session: Session, target: str) -> Links:
    links = Links()
    for row in session.execute(select(Link).where(Link.target == target)).scalars():
        if row.kind == "account":
            links.accounts[row.key] = AccountLink(row.remote_id, row.disabled_on)
        elif row.kind == "group":
            links.groups[row.key] = row.remote_id
        else:
            links.others[row.kind, row.key] = row.remote_id
    return links


def journal_plan(
    session: Session, run_id: str, target: str, operations: Sequence[Operation]
) -> None:
    """Write the plan to the journal as pending operations (the caller commits)."""
    session.add_all(
        JournalEntry(
            run_id=run_id,
            target=target,
            seq=seq,
            op_type=op.type.value,
            object_key=op.key,
            group_key=op.group,
            data=dict(op.data),
            reason=op.reason,
            status="pending",
        )
        for seq, op in enumerate(operations, start=1)
    )


def store_link(
    session: Session, target: str, kind: str, key: str, link: AccountLink | str | None
) -> None:
    if link is None:
        session.execute(
            delete(Link).where(Link.target == target, Link.kind == kind, Link.key == key)
        )
        return
    remote_id, disabled_on = (
        (link, None) if isinstance(link, str) else (link.remote_id, link.disabled_on)
    )
    row = session.get(Link, (target, kind, key))
    now = datetime.now(UTC)
    if row is None:
        session.add(
            Link(
                target=target,
                kind=kind,
                key=key,
                remote_id=remote_id,
                disabled_on=disabled_on,
                updated_at=now,
            )
        )
    else:
        row.remote_id, row.disabled_on, row.updated_at = remote_id, disabled_on, now
