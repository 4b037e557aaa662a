"""Recording, verifying and showing the hash-chained audit trail.

Every event stores the hash of the event before it, so removing, inserting or editing a row
breaks the chain. ``audit_head`` holds the last sequence number and hash: appending updates it
first, which serialises writers on SQLite (the write lock) and PostgreSQL (the row lock).

The hash of an event is the SHA-256 hex digest of the UTF-8 canonical JSON array
``[seq, at, actor, action, target, object_key, run_id, reason, change, prev_hash]``, where
``at`` is the naive-UTC ISO string with microseconds (``2026-01-31T22:15:00.000000``),
``change`` is the stored canonical JSON text (a string), and canonical JSON means
``sort_keys=True, separators=(",", ":"), ensure_ascii=False``. The first event's
``prev_hash`` is the genesis hash, 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, String, Table, or_, select, text, update
from sqlalchemy.orm import Session

from provisioner import secrets
from provisioner.redaction import redact as redact_text
from provisioner.store.tables import AuditEvent, AuditHead, SyncRun

GENESIS = "0" * 64
REDACTED = "[redacted]"

#: Key names holding one of these (case-insensitive) are secrets; "wachtwoord" is Dutch.
_SECRET_PARTS = ("password", "secret", "token", "pass", "credential", "wachtwoord")
#: Key names ending in one of these are secrets (api_key, private_key, apikey, ...).
_SECRET_ENDINGS = ("_key", "apikey")
#: This project's identifier fields: they end in ``_key`` but hold no secret.
_NOT_SECRET = frozenset({"object_key", "group_key", "person_key"})

_MAX_PROBLEMS = 100
_BATCH = 1000


@dataclass(frozen=True)
class AuditInput:
    """One event to append with :func:`record_many`; the fields are those of :func:`record`."""

    actor: str
    action: str
    target: str | None = None
    object_key: str | None = None
    run_id: str | None = None
    reason: str = ""
    change: Mapping[str, Any] | None = None
    at: datetime | None = None


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    object_key: str | None = None,
    run_id: str | None = None,
    reason: str = "",
    change: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; the caller commits.

    ``actor`` is who acted (``sync:<run id>``, ``chat:U123``). ``change`` must be
    JSON-serialisable; secret-looking keys are stored as ``"[redacted]"``. ``at`` defaults
    to now; a naive ``at`` is taken to be UTC. Under PostgreSQL this needs READ COMMITTED
    (the default): a stricter isolation level makes concurrent writers fail to serialise.
    """
    item = AuditInput(actor, action, target, object_key, run_id, reason, change, at)
    return record_many(session, [item])[0]


def record_many(session: Session, items: Sequence[AuditInput]) -> list[AuditEvent]:
    """Append several events, in order, like :func:`record` (one head update for all)."""
    if not items:
        return []
    now = datetime.now(UTC)
    prepared = [
        (item, _canonical(redact(item.change or {})), _utc(item.at or now)) for item in items
    ]
    for item, _, _ in prepared:
        _check(item)

    # The first statement: takes the write lock (SQLite) or row lock (PostgreSQL).
    head_table = cast(Table, AuditHead.__table__)
    bumped = session.execute(
        update(head_table)
        .where(head_table.c.id == 1)
        .values(last_seq=head_table.c.last_seq + len(items))
        .returning(head_table.c.last_seq, head_table.c.last_hash)
    ).one_or_none()
    if bumped is None:
        raise RuntimeError("the audit_head row is missing: the store was not migrated properly")
    seq, prev_hash = int(bumped[0]) - len(items), str(bumped[1])

    events = []
    for item, change_text, when in prepared:
        seq += 1
        event = AuditEvent(
            seq=seq,
            at=when,
            actor=item.actor,
            action=item.action,
            target=item.target,
            object_key=item.object_key,
            run_id=item.run_id,
            reason=item.reason,
            change=change_text,
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = _event_hash(
            seq,
            when,
            item.actor,
            item.action,
            item.target,
            item.object_key,
            item.run_id,
            item.reason,
            change_text,
            prev_hash,
        )
        events.append(event)
    session.add_all(events)
    session.flush()
    session.execute(update(head_table).where(head_table.c.id == 1).values(last_hash=prev_hash))
    return events


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret-looking key's value, at any depth, redacted, and
    every secret this process read (in any encoding, :mod:`provisioner.redaction`) blanked
    from every string."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_secret_key(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value, secrets.known_values(), REDACTED)
    return value


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify`: ``problems`` are plain-English findings; ``notes`` are
    worth a look but no sign of tampering; ``anchors`` is how many published heads were used."""

    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    anchors: int = 0


def verify(session: Session) -> VerifyResult:
    """Walk the whole trail and report every edit, gap, insertion or cut-off end.

    Also checks that each chain head recorded by a sync run still occurs in the trail.
    Rows are streamed, so memory does not grow with the length of the trail. Safe to run
    while others append: events committed during the walk are picked up at the end.
    """
    walk = _Walk()
    # Runs first: the trail only grows, so every head a run saw must be found below.
    anchors: dict[str, list[str]] = {}
    for run_id, head_hash in session.execute(
        select(SyncRun.id, SyncRun.audit_head)
        .where(SyncRun.audit_head.is_not(None))
        .order_by(SyncRun.id)
    ):
        anchors.setdefault(str(head_hash), []).append(str(run_id))
    walk.anchors = anchors
    walk.found.add(GENESIS)

    walk.feed(_stream(session, after=None, upto=None))
    head = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one_or_none()
    if head is None:
        walk.problem("the audit_head row is missing, so the end of the trail cannot be checked")
    else:
        head_seq, head_hash = int(head[0]), str(head[1])
        if head_seq > walk.last_seq:
            # Appended while we walked: those rows were committed with this head.
            walk.feed(_stream(session, after=walk.last_seq, upto=head_seq))
        walk.check_end(head_seq, head_hash)
    walk.check_anchors()
    return walk.result()


#: The triggers the first migration creates: (name, the statement it refuses).
_SQLITE_TRIGGERS = (("audit_events_no_update", "UPDATE"), ("audit_events_no_delete", "DELETE"))
_PG_TRIGGER = "audit_events_append_only"
#: pg_trigger.tgtype bits: FOR EACH ROW, BEFORE, and the statements it fires on.
_ROW, _BEFORE, _PG_VERBS = 1, 2, {"DELETE": 8, "UPDATE": 16}


def missing_triggers(session: Session) -> list[str]:
    """Problems with the append-only triggers, read from the database's catalogue
    (``sqlite_master``, ``pg_trigger``): dropped, disabled, or replaced by a trigger that
    lets UPDATE or DELETE through. Empty when both statements are refused."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = session.execute(
            text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_events'"
            )
        ).all()
        found = {str(name): " ".join(str(sql or "").upper().split()) for name, sql in rows}
        problems = []
        for name, verb in _SQLITE_TRIGGERS:
            if any(_sqlite_refuses(sql, verb) for sql in found.values()):
                continue
            how = "was replaced by one that lets it through" if name in found else "is missing"
            problems.append(
                f"the append-only trigger {name} {how}: {verb} of audit events is no longer "
                "refused (someone with database rights changed the schema)"
            )
        return problems
    if dialect == "postgresql":
        rows = session.execute(
            text(
                "SELECT t.tgname, t.tgenabled, t.tgtype, p.prosrc, t.tgqual IS NULL "
                "FROM pg_trigger t "
                "JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgrelid = to_regclass('audit_events') AND NOT t.tgisinternal"
            )
        ).all()
        problems = []
        for verb, bit in _PG_VERBS.items():
            refusing = [
                row
                for row in rows
                if int(row[2]) & (_ROW | _BEFORE | bit) == _ROW | _BEFORE | bit
                and "RAISE EXCEPTION" in " ".join(str(row[3]).upper().split())
                and row[4]  # no WHEN condition
            ]
            if any(str(row[1]) in ("O", "A") for row in refusing):
                continue
            named = [row for row in rows if row[0] == _PG_TRIGGER]
            if refusing:
                how = "is disabled"
            elif named:
                how = "was replaced by one that lets it through"
            else:
                how = "is missing"
            problems.append(
                f"the append-only trigger {_PG_TRIGGER} {how}: {verb} of audit events is no "
                "longer refused (someone with database rights changed the schema)"
            )
        return problems
    return [f"the append-only triggers cannot be checked on {dialect}"]


def _sqlite_refuses(sql: str, verb: str) -> bool:
    """A trigger's SQL (upper case, one space) refuses every ``verb`` on audit_events."""
    fires = re.search(rf"\bBEFORE {verb} ON [\"`\[]?AUDIT_EVENTS\b", sql) is not None
    refuses = re.search(r"RAISE ?\( ?(ABORT|FAIL|ROLLBACK)", sql) is not None
    return fires and refuses and " WHEN " not in sql


def show(
    session: Session,
    *,
    person: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    """Events newest first: about or by ``person`` (object key or actor), with ``since``
    inclusive and ``until`` exclusive (naive datetimes are UTC), of one ``action``."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    query = select(AuditEvent)
    if person is not None:
        query = query.where(or_(AuditEvent.object_key == person, AuditEvent.actor == person))
    if since is not None:
        query = query.where(AuditEvent.at >= _utc(since))
    if until is not None:
        query = query.where(AuditEvent.at < _utc(until))
    if action is not None:
        query = query.where(AuditEvent.action == action)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.seq.desc()).limit(limit)
    return list(session.scalars(query))


class _Walk:
    """The state of one walk along the chain."""

    def __init__(self) -> None:
        self.last_seq = 0
        self.last_hash = GENESIS
        self.checked = 0
        self.anchors: dict[str, list[str]] = {}
        self.found: set[str] = set()
        self.problems: list[str] = []
        self.more = 0

    def problem(self, text: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more += 1

    def feed(self, rows: Iterable[Row[Any]]) -> None:
        for row in rows:
            self.step(row)

    def step(self, row: Row[Any]) -> None:
        seq, prev_hash, stored = int(row.seq), str(row.prev_hash), str(row.hash)
        self.checked += 1
        computed = _event_hash(
            seq,
            row.at,
            row.actor,
            row.action,
            row.target,
            row.object_key,
            row.run_id,
            row.reason,
            row.change,
            prev_hash,
        )
        if computed != stored:
            self.problem(f"event {seq} was changed after it was written (hash mismatch)")
        expected = self.last_seq + 1
        if seq < expected:
            self.problem(f"event {seq} appears more than once (an event was inserted)")
        elif seq > expected:
            missing = (
                f"event {expected} is"
                if seq == expected + 1
                else (f"events {expected} to {seq - 1} are")
            )
            self.problem(f"{missing} missing: deleted from the trail")
        elif prev_hash != self.last_hash:
            before = f"event {self.last_seq}" if self.last_seq else "the start of the trail"
            self.problem(
                f"event {seq} does not follow {before} (prev_hash mismatch): an event "
                "was inserted, removed or rewritten there"
            )
        if stored in self.anchors:
            self.found.add(stored)
        self.last_seq, self.last_hash = max(seq, self.last_seq), stored

    def check_end(self, head_seq: int, head_hash: str) -> None:
        if head_seq > self.last_seq:
            last = f"at event {self.last_seq}" if self.last_seq else "before any event"
            self.problem(
                f"the trail ends {last}, but audit_head says event {head_seq} was written "
                "last: events at the end were deleted"
            )
        elif head_seq < self.last_seq:
            self.problem(
                f"the trail goes on to event {self.last_seq}, but audit_head says event "
                f"{head_seq} was written last: events were added at the end without "
                "going through the audit service"
            )
        elif head_hash != self.last_hash:
            self.problem(
                f"audit_head's hash does not match event {head_seq}: the last event or "
                "audit_head was changed"
            )

    def check_anchors(self) -> None:
        for head_hash, runs in self.anchors.items():
            if head_hash not in self.found:
                names = ", ".join(runs)
                self.problem(
                    f"run {names} recorded audit head {head_hash[:12]}…, which is no longer "
                    "in the trail: events up to that run were rewritten or removed"
                )

    def result(self) -> VerifyResult:
        problems = list(self.problems)
        if self.more:
            problems.append(f"… and {self.more} more problems not listed")
        return VerifyResult(ok=not problems, checked=self.checked, problems=problems)


def _stream(session: Session, *, after: int | None, upto: int | None) -> Iterable[Row[Any]]:
    """Events in seq order as plain rows, fetched in batches (server-side on PostgreSQL)."""
    query = select(
        AuditEvent.seq,
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.action,
        AuditEvent.target,
        AuditEvent.object_key,
        AuditEvent.run_id,
        AuditEvent.reason,
        AuditEvent.change,
        AuditEvent.prev_hash,
        AuditEvent.hash,
    ).order_by(AuditEvent.seq)
    if after is not None:
        query = query.where(AuditEvent.seq > after)
    if upto is not None:
        query = query.where(AuditEvent.seq <= upto)
    return session.execute(query.execution_options(yield_per=_BATCH))


def _event_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    object_key: str | None,
    run_id: str | None,
    reason: str,
    change: str,
    prev_hash: str,
) -> str:
    """The documented hash of one event (see the module docstring)."""
    when = _utc(at).replace(tzinfo=None).isoformat(timespec="microseconds")
    payload: Sequence[Any] = [
        seq,
        when,
        actor,
        action,
        target,
        object_key,
        run_id,
        reason,
        change,
        prev_hash,
    ]
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _is_secret_key(name: str) -> bool:
    # camelCase, SSHKey, dashes and spaces count as underscores: privateKey is private_key.
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    snake = re.sub(r"[-\s]", "_", snake).lower()
    if snake in _NOT_SECRET:
        return False
    return snake.endswith(_SECRET_ENDINGS) or any(part in snake for part in _SECRET_PARTS)


def _check(item: AuditInput) -> None:
    """Refuse an event without actor or action, or with a value too long for its column.

    PostgreSQL refuses over-long values and SQLite keeps them: refuse them on both.
    """
    if not item.actor or not item.action:
        raise ValueError("an audit event needs an actor and an action")
    columns = AuditEvent.__table__.c
    for name in ("actor", "action", "target", "object_key", "run_id"):
        value: str | None = getattr(item, name)
        column_type = columns[name].type
        limit = column_type.length if isinstance(column_type, String) else None
        if value is not None and limit is not None and len(value) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
