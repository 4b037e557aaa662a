"""The register of requests of the people concerned (GDPR Art. 15-21): store side.

A request is numbered per calendar year of registration (``SR-2026-0001``), keeps the day it
was received, who made it and its deadline (:mod:`.subject_deadlines`), and is extended once
or closed with an outcome. Every change is audited in the same transaction, with the
person's key as the object; the note, the extension's reason and the outcome are free text
that may name people, so the audit trail records that they were given, never their text.
Which people a breach includes (``subject_breaches``) is kept here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.subject_deadlines import (
    KINDS,
    MAKERS,
    Kind,
    Maker,
    Refusal,
    check_maker,
    due_on,
    extension,
)
from provisioner.audit.service import record
from provisioner.errors import ConfigError
from provisioner.i18n import N_, tr
from provisioner.store.tables import AccountName, Breach, DirectoryPerson
from provisioner.store.tables_subjects import SubjectBreach, SubjectRequest

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_ATTEMPTS = 5


class SubjectError(ConfigError):
    """A request that cannot be registered or changed; its message is a catalogue sentence
    (English in JSON and the log, the user's language at the terminal)."""

    def __init__(self, message: str, /, **values: Any) -> None:
        super().__init__(tr("en", message, **values))
        self.message = message
        self.values = values

    def text(self, language: str) -> str:
        return tr(language, self.message, **self.values)


@dataclass(frozen=True)
class RequestRecord:
    id: str
    person_key: str
    kind: str
    received_on: date
    made_by: str
    due_on: date
    extended_to: date | None
    extension_reason: str | None
    flags: tuple[str, ...]
    note: str
    status: str
    outcome: str | None
    closed_on: date | None

    @property
    def deadline(self) -> date:
        return self.extended_to or self.due_on

    def overdue(self, today: date) -> bool:
        return self.status == "open" and today > self.deadline

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "person": self.person_key,
            "kind": self.kind,
            "received_on": self.received_on.isoformat(),
            "by": self.made_by,
            "due_on": self.due_on.isoformat(),
            "extended_to": self.extended_to.isoformat() if self.extended_to else None,
            "extension_reason": self.extension_reason,
            "deadline": self.deadline.isoformat(),
            "flags": list(self.flags),
            "note": self.note,
            "status": self.status,
            "outcome": self.outcome,
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
        }


@dataclass(frozen=True)
class OpenRequest:
    """An open request as the morning report shows it: an id, a kind, a deadline."""

    id: str
    kind: str
    deadline: date
    overdue: bool
    flags: tuple[str, ...] = field(default_factory=tuple)


def record_of(row: SubjectRequest) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        person_key=row.person_key,
        kind=row.kind,
        received_on=row.received_on,
        made_by=row.made_by,
        due_on=row.due_on,
        extended_to=row.extended_to,
        extension_reason=row.extension_reason,
        flags=tuple(row.flags or ()),
        note=row.note or "",
        status=row.status,
        outcome=row.outcome,
        closed_on=row.closed_on,
    )


def _refuse(refusal: Refusal) -> SubjectError:
    return SubjectError(refusal.message, **refusal.values)


class SubjectRequests:
    """The register over ``subject_requests``; each method is its own transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def register(
        self,
        person_key: str,
        *,
        kind: str,
        received: date,
        made_by: str,
        note: str = "",
        actor: str,
        today: date | None = None,
        now: datetime | None = None,
    ) -> RequestRecord:
        """Register a request received on ``received``; refused (:class:`SubjectError`) for an
        unknown person, kind or maker, a pupil under 16 asking in person, or a day of receipt
        after ``today`` (a mistyped year would hide a deadline)."""
        if today is not None and received > today:
            raise SubjectError(
                N_("--received {day} is after today ({today})"),
                day=received.isoformat(),
                today=today.isoformat(),
            )
        if kind not in KINDS:
            raise SubjectError(
                N_("--kind '{kind}' is not one of {kinds}"), kind=kind, kinds=", ".join(KINDS)
            )
        if made_by not in MAKERS:
            raise SubjectError(
                N_("--by '{by}' is not one of {makers}"), by=made_by, makers=", ".join(MAKERS)
            )
        moment = _aware(now)
        for attempt in range(_ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    flags = self._check(session, person_key, made_by, received)
                    row = SubjectRequest(
                        id=_next_id(session, moment),
                        person_key=person_key,
                        kind=kind,
                        received_on=received,
                        made_by=made_by,
                        due_on=due_on(kind, received),
                        flags=flags,
                        note=note,
                        status="open",
                        created_at=moment,
                        created_by=actor,
                    )
                    session.add(row)
                    session.flush()
                    record(
                        session,
                        actor=actor,
                        action="subject.request",
                        target="subject_requests",
                        object_key=person_key,
                        reason=f"{kind} request {row.id} registered",
                        change={
                            "id": row.id,
                            "kind": kind,
                            "received_on": received.isoformat(),
                            "by": made_by,
                            "due_on": row.due_on.isoformat(),
                            "flags": flags,
                            "note_given": bool(note.strip()),
                        },
                        at=moment,
                    )
                    return record_of(row)
            except IntegrityError:
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _check(session: Session, person_key: str, made_by: Maker, received: date) -> list[str]:
        person = session.get(DirectoryPerson, person_key)
        if person is None:
            if session.get(AccountName, person_key) is None:
                raise SubjectError(
                    N_("{person}: not in the directory snapshot nor in the store"),
                    person=person_key,
                )
            kind = person_key.partition(":")[0]
            birth = None
        else:
            kind, birth = person.kind, person.birth_date
        result = check_maker(kind, made_by, birth, received)
        if isinstance(result, Refusal):
            raise _refuse(result)
        return result

    def find(
        self, *, open_only: bool = False, person_key: str | None = None
    ) -> list[RequestRecord]:
        query = select(SubjectRequest).order_by(SubjectRequest.received_on, SubjectRequest.id)
        if open_only:
            query = query.where(SubjectRequest.status == "open")
        if person_key is not None:
            query = query.where(SubjectRequest.person_key == person_key)
        with self._sessions() as session:
            return [record_of(row) for row in session.scalars(query)]

    def open_requests(self, today: date) -> list[OpenRequest]:
        """Every open request, soonest deadline first: ids, kinds and deadlines only."""
        items = [
            OpenRequest(r.id, r.kind, r.deadline, r.overdue(today), r.flags)
            for r in self.find(open_only=True)
        ]
        return sorted(items, key=lambda item: (item.deadline, item.id))

    def extend(
        self, request_id: str, *, reason: str, on: date, actor: str, now: datetime | None = None
    ) -> RequestRecord:
        """Extend by two further months (Art. 12(3)), once, with a reason, decided on ``on``."""
        if not reason.strip():
            raise SubjectError(N_("an extension needs a reason (--reason)"))
        with self._sessions.begin() as session:
            row = _row(session, request_id)
            if row.status != "open":
                raise SubjectError(N_("{id} is closed"), id=request_id)
            if row.extended_to is not None:
                raise SubjectError(
                    N_("{id} was extended already, to {due}: Art. 12(3) allows it once"),
                    id=request_id,
                    due=row.extended_to.isoformat(),
                )
            result = extension(cast(Kind, row.kind), row.due_on, on)
            if isinstance(result, Refusal):
                raise _refuse(result)
            row.extended_to, row.extension_reason = result, reason
            record(
                session,
                actor=actor,
                action="subject.extend",
                target="subject_requests",
                object_key=row.person_key,
                reason=f"request {row.id} extended",
                change={"id": row.id, "due_on": row.due_on.isoformat(),
                        "extended_to": result.isoformat(), "decided_on": on.isoformat()},
                at=_aware(now),
            )  # fmt: skip
            return record_of(row)

    def close(
        self, request_id: str, *, outcome: str, on: date, actor: str, now: datetime | None = None
    ) -> RequestRecord:
        """Close a request with what was done (the text stays in the register)."""
        if not outcome.strip():
            raise SubjectError(N_("closing needs an outcome (--outcome)"))
        moment = _aware(now)
        with self._sessions.begin() as session:
            row = _row(session, request_id)
            if row.status != "open":
                raise SubjectError(N_("{id} is closed"), id=request_id)
            row.status, row.outcome, row.closed_on = "closed", outcome, on
            row.closed_at, row.closed_by = moment, actor
            deadline = row.extended_to or row.due_on
            record(
                session,
                actor=actor,
                action="subject.close",
                target="subject_requests",
                object_key=row.person_key,
                reason=f"request {row.id} closed",
                change={"id": row.id, "closed_on": on.isoformat(),
                        "deadline": deadline.isoformat(), "in_time": on <= deadline},
                at=moment,
            )  # fmt: skip
            return record_of(row)

    def include_in_breach(
        self, breach_id: str, person_keys: Sequence[str], *, actor: str, now: datetime | None = None
    ) -> list[str]:
        """Record that a breach of the register includes these people; returns the keys that
        were not recorded before."""
        moment = _aware(now)
        added: list[str] = []
        with self._sessions.begin() as session:
            if session.get(Breach, breach_id) is None:
                raise SubjectError(N_("no breach {id} in the register"), id=breach_id)
            for key in dict.fromkeys(person_keys):
                if session.get(SubjectBreach, (breach_id, key)) is not None:
                    continue
                session.add(
                    SubjectBreach(
                        breach_id=breach_id, person_key=key, recorded_at=moment, recorded_by=actor
                    )
                )
                record(
                    session,
                    actor=actor,
                    action="subject.breach_included",
                    target="breach_register",
                    object_key=key,
                    reason=f"included in breach {breach_id}",
                    change={"breach": breach_id},
                    at=moment,
                )
                added.append(key)
        return added


def _aware(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _next_id(session: Session, now: datetime) -> str:
    prefix = f"SR-{now.astimezone(AMSTERDAM).year}-"
    last = session.scalar(
        select(SubjectRequest.id)
        .where(SubjectRequest.id.like(f"{prefix}%"))
        .order_by(SubjectRequest.id.desc())
        .limit(1)
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _row(session: Session, request_id: str) -> SubjectRequest:
    row = session.scalar(
        select(SubjectRequest).where(SubjectRequest.id == request_id).with_for_update()
    )
    if row is None:
        raise SubjectError(N_("no request {id} in the register"), id=request_id)
    return row
