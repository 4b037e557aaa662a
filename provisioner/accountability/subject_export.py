"""The bundle of everything the product holds about one person (GDPR Art. 15(1) and (3); seed
002 §5: parents see all processed data of their child, also what was given to suppliers).

:func:`collect` reads the state store and returns one JSON-ready mapping:

- ``directory``: the person as the last full read of HR or the SIS described them;
- ``accounts``: per target the link (remote id, disabled since) and the account's values as
  the product last wrote them (the journal's applied create and update operations, enable,
  disable, licences, deletion), with ``live`` values when the caller read the targets;
- ``groups``: per target the access groups the product made the person a member of (applied
  add and remove operations) and the access each gives (the document hierarchy of
  :mod:`provisioner.policy.desired`), never the other members;
- ``consents`` (pupils): every answer of the consent history; ``offboardings``; ``tasks``;
  ``requests`` (this register); ``breaches``: id, dates, status and data categories of the
  breaches recorded as including the person (``subject_breaches``), nothing else of them;
- ``audit_events``: the events whose object is the person; ``outcomes``: the runs' results;
- ``other_records``: rows of any further table with a ``person_key`` column (retention);
- ``chat`` (only for a given chat user id): the person's conversations (flow and dates, not
  the state, which names the people asked about) and the actions they took in chat.

Every string passes :class:`~.subject_redact.OthersFilter`, so no other person's key, name,
address, user name or account id is in it; actors other than runs are shown by kind only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.subject_redact import OthersFilter, actor_shown
from provisioner.accountability.subject_requests import SubjectError, record_of
from provisioner.i18n import N_
from provisioner.store.tables import (
    AccountName,
    AuditEvent,
    Base,
    Breach,
    ChatConversation,
    Consent,
    DirectoryGroup,
    DirectoryPerson,
    JournalEntry,
    Link,
    ManualTaskRow,
    Override,
    SyncOutcome,
    SyncRun,
)
from provisioner.store.tables_subjects import SubjectBreach, SubjectRequest

#: Tables read by a section of their own; any other table with ``person_key`` is generic.
_OWN_SECTIONS = frozenset({"manual_tasks", "overrides", "subject_requests", "subject_breaches"})
#: Account values the journal's create and update operations carry.
_ACCOUNT_FIELDS = ("username", "display_name", "given_name", "family_name", "attributes")

#: What the bundle does not hold, in so many words (shown with the document).
NOT_INCLUDED: tuple[str, ...] = (
    N_("Data kept only in the source systems (HR, the pupil administration) or in the target"
       " systems' own logs: ask those systems' exports."),
    N_("Values changed by hand in a target and not read back: the account values are those the"
       " product last wrote, unless the targets were read for this bundle."),
    N_("Chat conversations, unless the person's chat user id was given."),
    N_("Who among the staff handled the data: shown by kind (chat, admin), not by name."),
)  # fmt: skip


@dataclass(frozen=True)
class ExportRequest:
    person_key: str
    today: date
    chat_user: str | None = None
    #: target name -> the account(s) as the target reports them now, or {"error": ...}
    live: Mapping[str, Any] | None = None


def collect(sessions: sessionmaker[Session], request: ExportRequest) -> dict[str, Any]:
    """The bundle of ``request.person_key``; :class:`SubjectError` if the store has nothing."""
    key = request.person_key
    with sessions() as session:
        person = session.get(DirectoryPerson, key)
        username = session.get(AccountName, key)
        if person is None and username is None and not _linked(session, key):
            raise SubjectError(N_("{person}: the store holds nothing about this person"),
                               person=key)  # fmt: skip
        bundle: dict[str, Any] = {
            "person": key,
            "generated_on": request.today.isoformat(),
            "directory": _directory(session, person),
            "username": username.username if username else None,
            "accounts": _accounts(session, key, request.live or {}),
            "groups": _groups(session, key),
            "consents": _consents(session, key),
            "offboardings": _offboardings(session, key),
            "tasks": _tasks(session, key),
            "requests": [record_of(r).to_dict() for r in _rows(session, SubjectRequest, key)],
            "breaches": _breaches(session, key),
            "audit_events": _audit(session, key, request.chat_user),
            "outcomes": _outcomes(session, key),
            "other_records": _other_records(session, key),
            "chat": _chat(session, request.chat_user) if request.chat_user else None,
            "not_included": list(NOT_INCLUDED),
        }
        return dict(OthersFilter.from_store(session, key).clean(bundle))


def _linked(session: Session, key: str) -> bool:
    return session.scalar(select(Link.key).where(Link.key == key).limit(1)) is not None


def _rows(session: Session, table: type[Any], key: str) -> list[Any]:
    return list(session.scalars(select(table).where(table.person_key == key)))


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _directory(session: Session, person: DirectoryPerson | None) -> dict[str, Any] | None:
    if person is None:
        return None
    record: dict[str, Any] = {
        "kind": person.kind,
        "given": person.given,
        "prefix": person.prefix,
        "family": person.family,
        "email": person.email,
        "active": person.active,
        "as_read_at": _iso(person.updated_at),
    }
    if person.kind == "staff":
        record["posts"] = [dict(post) for post in person.posts]
        return record
    group = session.get(DirectoryGroup, person.group_id) if person.group_id else None
    record.update(
        birth_date=_iso(person.birth_date),
        location=person.location,
        group=person.group_id,
        group_name=group.name if group else None,
        eck_id=person.eck_id,
    )
    return record


def _applied(session: Session, key: str) -> list[JournalEntry]:
    return list(
        session.scalars(
            select(JournalEntry)
            .where(JournalEntry.object_key == key, JournalEntry.status == "applied")
            .order_by(JournalEntry.id)
        )
    )


def _accounts(session: Session, key: str, live: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per target: the link and the values last written (replaying the applied journal)."""
    accounts: dict[str, dict[str, Any]] = {}
    for entry in _applied(session, key):
        account = accounts.setdefault(entry.target, _empty_account(entry.target))
        data = entry.data or {}
        if entry.op_type in ("create_account", "update_account"):
            account["values"].update({f: data[f] for f in _ACCOUNT_FIELDS if f in data})
            if "enabled" in data:
                account["values"]["enabled"] = bool(data["enabled"])
        elif entry.op_type in ("enable_account", "disable_account"):
            account["values"]["enabled"] = entry.op_type == "enable_account"
        elif entry.op_type == "assign_licence" and "licence" in data:
            account["licences"] = sorted({*account["licences"], str(data["licence"])})
        elif entry.op_type == "remove_licence":
            account["licences"] = [x for x in account["licences"] if x != data.get("licence")]
        elif entry.op_type == "delete_account":
            account["deleted"] = True
        else:
            continue
        account["last_change"] = {"run": entry.run_id, "operation": entry.op_type,
                                  "at": _iso(entry.updated_at)}  # fmt: skip
    for link in session.scalars(select(Link).where(Link.kind == "account", Link.key == key)):
        account = accounts.setdefault(link.target, _empty_account(link.target))
        account.update(remote_id=link.remote_id, disabled_on=_iso(link.disabled_on))
    for target, current in live.items():
        accounts.setdefault(target, _empty_account(target))["live"] = current
    return [accounts[target] for target in sorted(accounts)]


def _empty_account(target: str) -> dict[str, Any]:
    return {"target": target, "remote_id": None, "disabled_on": None, "values": {},
            "licences": [], "deleted": False, "last_change": None, "live": None}  # fmt: skip


def _groups(session: Session, key: str) -> list[dict[str, Any]]:
    """The access groups the person is a member of, per target, with what each gives."""
    members: dict[tuple[str, str], str] = {}
    for entry in _applied(session, key):
        if entry.op_type == "add_member" and entry.group_key:
            members[entry.target, entry.group_key] = _iso(entry.updated_at) or ""
        elif entry.op_type == "remove_member" and entry.group_key:
            members.pop((entry.target, entry.group_key), None)
        elif entry.op_type == "delete_account":
            members = {tk: at for tk, at in members.items() if tk[0] != entry.target}
    return [
        {"target": target, "group": group, "since": since, **access_of(session, group)}
        for (target, group), since in sorted(members.items())
    ]


def access_of(session: Session, group: str) -> dict[str, Any]:
    """What membership of an access group gives (002 §11.2: a level reaches its own documents
    and those of every level below it at the location; a class group its own documents)."""
    kind, _, rest = group.partition(":")
    if kind == "loc":
        location, _, level = rest.partition(":")
        return {"access": "location_level", "location": location, "level": level}
    if kind == "class":
        row = session.get(DirectoryGroup, rest)
        return {"access": "class", "class": rest, "class_name": row.name if row else None,
                "location": row.location if row else None}  # fmt: skip
    return {"access": "other"}


def _consents(session: Session, key: str) -> list[dict[str, Any]]:
    if not key.startswith("pupil:"):
        return []
    rows = session.scalars(
        select(Consent)
        .where(Consent.pupil_id == key.removeprefix("pupil:"))
        .order_by(Consent.recorded_on, Consent.id)
    )
    return [
        {"medium": c.medium, "status": c.status, "school_year": c.school_year,
         "recorded_on": _iso(c.recorded_on), "given_by": c.given_by,
         "mechanism": c.mechanism, "source": c.source}
        for c in rows
    ]  # fmt: skip


def _offboardings(session: Session, key: str) -> list[dict[str, Any]]:
    return [
        {"last_day": _iso(o.last_day), "requested_by": actor_shown(o.requested_by),
         "requested_at": _iso(o.created_at), "cancelled": o.cancelled,
         "locations": o.locations.split() if o.locations else None, "reason": o.reason}
        for o in _rows(session, Override, key)
    ]  # fmt: skip


def _tasks(session: Session, key: str) -> list[dict[str, Any]]:
    return [
        {"id": t.id, "kind": t.kind, "system": t.system, "title": t.title,
         "instructions": t.instructions, "location": t.location, "due_on": _iso(t.due_on),
         "status": t.status, "created_at": _iso(t.created_at), "done_at": _iso(t.done_at),
         "assigned_to": actor_shown(t.assignee)}
        for t in _rows(session, ManualTaskRow, key)
    ]  # fmt: skip


def _breaches(session: Session, key: str) -> list[dict[str, Any]]:
    """Only the id, dates, status, data categories and since when the person is listed."""
    rows = session.execute(
        select(Breach, SubjectBreach.recorded_at)
        .join(SubjectBreach, SubjectBreach.breach_id == Breach.id)
        .where(SubjectBreach.person_key == key)
        .order_by(Breach.id)
    )
    return [
        {"id": breach.id, "reported_at": _iso(breach.reported_at),
         "discovered_at": _iso(breach.discovered_at), "status": breach.status,
         "categories": list((breach.facts or {}).get("data_categories") or []),
         "included_since": _iso(included)}
        for breach, included in rows
    ]  # fmt: skip


def _audit(session: Session, key: str, chat_user: str | None) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.object_key == key).order_by(AuditEvent.seq)
    )
    return [
        {"seq": e.seq, "at": _iso(e.at), "actor": actor_shown(e.actor, chat_user),
         "action": e.action, "target": e.target, "run": e.run_id, "reason": e.reason,
         "change": e.change}
        for e in rows
    ]  # fmt: skip


def _outcomes(session: Session, key: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SyncOutcome, SyncRun.started_at)
        .join(SyncRun, SyncRun.id == SyncOutcome.run_id)
        .where(SyncOutcome.object_key == key)
        .order_by(SyncOutcome.id)
    )
    return [
        {"run": o.run_id, "run_started_at": _iso(started), "target": o.target,
         "outcome": o.outcome, "reason": o.reason}
        for o, started in rows
    ]  # fmt: skip


def _other_records(session: Session, key: str) -> dict[str, list[dict[str, Any]]]:
    """Rows about the person in any other table with a ``person_key`` column."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in _OWN_SECTIONS or "person_key" not in table.c:
            continue
        rows = session.execute(select(table).where(table.c.person_key == key)).mappings()
        items = [_plain(dict(row)) for row in rows]
        if items:
            found[table.name] = items
    return found


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name.endswith("_by") and isinstance(value, str):
            value = actor_shown(value)
        out[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def _chat(session: Session, chat_user: str) -> dict[str, Any]:
    conversations = session.scalars(
        select(ChatConversation).where(ChatConversation.user_id == chat_user)
    )
    actions = session.scalars(
        select(AuditEvent).where(AuditEvent.actor == f"chat:{chat_user}").order_by(AuditEvent.seq)
    )
    return {
        "user": chat_user,
        "conversations": [
            {"flow": c.flow, "language": c.language, "updated_at": _iso(c.updated_at),
             "expires_at": _iso(c.expires_at)}
            for c in conversations
        ],
        "actions": [{"seq": e.seq, "at": _iso(e.at), "action": e.action} for e in actions],
    }  # fmt: skip
