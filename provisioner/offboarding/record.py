"""A confirmed offboarding, recorded once: the override with its scope, its audit events, and
the steps without an API as manual tasks (*handmatige taken*).

Once, whatever arrives twice: the confirmation is an INSERT into ``chat_actions`` under the
plan's nonce in the same transaction as the override and the tasks, so a double press, a
Slack retry or two replicas make one override, one task set and one set of notices.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.directory import fold
from provisioner.i18n import Language, format_day, tr
from provisioner.offboarding.policy import (
    ORIGIN,
    Plan,
    location_names,
    sis_name,
    sis_staff_target,
)
from provisioner.store.tables import ChatAction, Override
from provisioner.tasks import ManualTask, open_task


def confirmed_before(sessions: sessionmaker[Session], nonce: str) -> dict[str, Any] | None:
    """What an earlier arrival of this confirmation recorded, if it was applied already."""
    with sessions() as session:
        row = session.get(ChatAction, f"offboarding-confirm:{nonce}")
        return dict(row.result) if row is not None else None


def record_once(
    sessions: sessionmaker[Session],
    nonce: str,
    actor: str,
    work: Callable[[Session], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Do ``work`` (record the override, open the tasks) once for the confirmation
    ``nonce``: ``(result, True)`` for the arrival that did it, ``(the first arrival's
    result, False)`` for every other one. The database decides: the key is inserted in the
    same transaction as the work."""
    key = f"offboarding-confirm:{nonce}"
    with sessions() as session:
        try:
            row = ChatAction(key=key, actor=actor, result={}, created_at=datetime.now(UTC))
            session.add(row)
            session.flush()
            result = work(session)
            row.result = result
            session.commit()
            return result, True
        except IntegrityError:
            session.rollback()
    return confirmed_before(sessions, nonce) or {}, False


def record_offboarding(
    session: Session, plan: Plan, actor: str, requester: str, language: Language
) -> int:
    """Cancel earlier requests that the new one covers whole, add the override with its
    scope, audit; returns its id."""
    key, scope = plan.person.key, plan.scope
    for earlier in session.execute(
        select(Override).where(Override.person_key == key, Override.cancelled.is_(False))
    ).scalars():
        theirs = frozenset(earlier.locations.split()) if earlier.locations else None
        if scope.locations is None or (theirs is not None and theirs <= scope.locations):
            earlier.cancelled = True
            record(
                session,
                actor=actor,
                action="offboarding.replaced",
                target="bot",
                object_key=key,
                reason=f"override {earlier.id} replaced by a new request",
                change={"override_id": earlier.id},
            )
    override = Override(
        person_key=key,
        last_day=plan.effective_day,
        requested_by=actor,
        reason="offboarding confirmed in chat",
        created_at=datetime.now(UTC),
        cancelled=False,
        locations=scope.stored(),
    )
    session.add(override)
    session.flush()
    record(
        session,
        actor=actor,
        action="offboarding.requested",
        target="bot",
        object_key=key,
        reason=f"last working day {plan.effective_day.isoformat()}",
        change={
            "override_id": override.id,
            "last_day": plan.effective_day.isoformat(),
            "access_ends": plan.access_ends.isoformat(),
            "delete_on": plan.delete_on.isoformat() if plan.delete_on else None,
            "scope": scope.stored() or "all",
            "keeps_posts": sorted(p.location for p in scope.staying),
            "requester": requester,
            "language": language,
        },
    )
    return override.id


@dataclass(frozen=True)
class _TaskWords:
    """What every task of one offboarding says, in the board's language."""

    lang: Language
    name: str
    number: str
    place: str
    sis: str
    ends: str


def open_offboarding_tasks(
    session: Session,
    config: Config,
    plan: Plan,
    override_id: int,
    actor: str,
    sis_assignee: str,
) -> list[ManualTask]:
    """The steps without an API, in the board's language (``board.language``): the SIS
    step, one per portal, and approving the deletion (only when the account goes)."""
    person, scope = plan.person, plan.scope
    names = location_names(config)
    lang = config.board.language
    words = _TaskWords(
        lang=lang,
        name=person.name.display,
        number=person.employee_number,
        place=" & ".join(sorted({names.get(p.location, p.location) for p in scope.ending})),
        sis=sis_name(config),
        ends=format_day(plan.access_ends, lang),
    )
    common: dict[str, Any] = {
        "origin": f"{ORIGIN}{override_id}",
        "actor": actor,
        "person_key": person.key,
        "location": sorted(p.location for p in scope.ending)[0] if scope.ending else None,
    }
    tasks: list[ManualTask] = []
    if sis_staff_target(config) is None:  # else the sync does it
        tasks.append(_sis_task(session, plan, words, sis_assignee, common))
    for portal in config.bot.manual_portals:
        tasks.append(_portal_task(session, plan, words, portal, common))
    if plan.delete_on is not None:
        tasks.append(_deletion_task(session, plan, words, common))
    return tasks


def _sis_task(
    session: Session, plan: Plan, w: _TaskWords, assignee: str, common: dict[str, Any]
) -> ManualTask:
    """Ending the post (she keeps another) or the whole account in the SIS (002 §12)."""
    if plan.scope.partial:
        return open_task(
            session,
            kind="sis_post",
            system=_slug(w.sis),
            title=tr(w.lang, "{name}: end the post at {place} in {sis}",
                     name=w.name, place=w.place, sis=w.sis),
            instructions=tr(
                w.lang,
                "Remove the rights of {name} ({number}) for {place} in {sis} as of "
                "{ends}. The account stays: the other post goes on.",
                name=w.name, number=w.number, place=w.place, sis=w.sis, ends=w.ends,
            ),
            assignee=assignee,
            due_on=plan.access_ends,
            **common,
        )  # fmt: skip
    return open_task(
        session,
        kind="sis_account",
        system=_slug(w.sis),
        title=tr(w.lang, "{name}: inactive in {sis}", name=w.name, sis=w.sis),
        instructions=tr(
            w.lang,
            "Set {name} ({number}) to inactive in {sis} as of {ends}. Basispoort "
            "follows after the nightly link.",
            name=w.name, number=w.number, sis=w.sis, ends=w.ends,
        ),
        assignee=assignee,
        due_on=plan.access_ends,
        **common,
    )  # fmt: skip


def _portal_task(
    session: Session, plan: Plan, w: _TaskWords, portal: str, common: dict[str, Any]
) -> ManualTask:
    suffix = tr(w.lang, " for {place}", place=w.place) if plan.scope.partial else ""
    return open_task(
        session,
        kind="portal_access",
        system=_slug(portal),
        title=tr(w.lang, "{name}: revoke access to {portal}", name=w.name, portal=portal),
        instructions=tr(
            w.lang,
            "Revoke the access of {name} ({number}) to {portal}{suffix} as of {ends}.",
            name=w.name, number=w.number, portal=portal, suffix=suffix, ends=w.ends,
        ),
        assignee="central_office",
        due_on=plan.access_ends,
        **common,
    )  # fmt: skip


def _deletion_task(
    session: Session, plan: Plan, w: _TaskWords, common: dict[str, Any]
) -> ManualTask:
    assert plan.delete_on is not None
    return open_task(
        session,
        kind="approve_deletion",
        system="accounts",
        title=tr(w.lang, "{name}: approve deletion", name=w.name),
        instructions=tr(
            w.lang,
            "The accounts of {name} ({number}) will be deleted on {day}. Approve "
            "when nothing more needs to be kept.",
            name=w.name, number=w.number, day=format_day(plan.delete_on, w.lang),
        ),
        assignee="central_office",
        due_on=plan.delete_on,
        **common,
    )  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
