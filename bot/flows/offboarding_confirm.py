"""Confirming or cancelling an offboarding in chat: exactly the plan shown, once.

A confirmation carries ``person|day|fingerprint|nonce``; it applies only while the plan
computed afresh has the same fingerprint, the conversation has not moved on, and it is within
``bot.confirm_minutes``; otherwise the plan is shown afresh and nothing is recorded. Recording
is the core's (:mod:`provisioner.offboarding.record`, once per nonce); this module converses.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.conversation import Audience, FlowContext, Language, Notice, Reply, Turn
from bot.dates import format_day
from bot.flows.offboarding_notices import outcome_notices
from bot.flows.offboarding_text import already_confirmed_reply, run_text, stale_reply, task_reply
from provisioner.domain.models import Role
from provisioner.i18n import tr
from provisioner.offboarding.policy import Plan, make_plan
from provisioner.offboarding.record import (
    confirmed_before,
    open_offboarding_tasks,
    record_offboarding,
    record_once,
)
from provisioner.offboarding.runs import run_offboarding
from provisioner.tasks import ManualTasks

if TYPE_CHECKING:
    from bot.flows.offboarding import OffboardingFlow


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def confirm(flow: OffboardingFlow, ctx: FlowContext, state: dict[str, Any], token: str) -> Turn:
    """Apply exactly the plan that was shown, once; anything stale is shown afresh."""
    lang, today = ctx.language, ctx.now.date()
    key, day_text, fp, nonce = [*token.split("|"), "", "", "", ""][:4]
    done = confirmed_before(ctx.sessions, nonce) if nonce else None
    if done is not None:
        return _already_confirmed(lang, done)
    day = _day(day_text) if _is_iso(day_text) else None
    if not key or day is None:
        return expired(lang)
    reason = None
    if state.get("step") != "confirm" or state.get("nonce") != nonce:
        reason = "moved_on"
    elif ctx.now - _moment(state.get("shown_at"), ctx.now) > timedelta(
        minutes=ctx.config.bot.confirm_minutes
    ):
        reason = "too_late"
    checked = flow.checked(ctx, key, day)
    if isinstance(checked, Turn):
        return checked
    person, scope = checked
    plan = make_plan(ctx.config, person, scope, day, today)
    _fresh, fresh_fp = flow.summary(ctx, plan, uuid.uuid4().hex[:12])
    if reason is None and fresh_fp != fp:
        reason = "changed"
    if reason is not None:
        return _stale(flow, ctx, plan, reason)
    requester = ctx.asker.staff.key
    actor = ctx.asker.actor

    def work(session: Any) -> dict[str, Any]:
        override_id = record_offboarding(session, plan, actor, requester, lang)
        tasks = open_offboarding_tasks(
            session, ctx.config, plan, override_id, actor, sis_assignee(ctx, plan)
        )
        return {
            "override_id": override_id,
            "tasks": [task.id for task in tasks],
            "person_key": key,
            "last_day": plan.effective_day.isoformat(),
        }

    result, first = record_once(ctx.sessions, nonce, actor, work)
    if not first:
        return _already_confirmed(lang, result)
    return _after_confirm(flow, ctx, plan, result)


def _after_confirm(
    flow: OffboardingFlow, ctx: FlowContext, plan: Plan, result: dict[str, Any]
) -> Turn:
    """The reply to a first confirmation: the run at once (in the background) or when it
    is scheduled, the manual tasks for the requester and the central office."""
    lang, today, person = ctx.language, ctx.now.date(), plan.person
    tasks = [
        task
        for task in (ManualTasks(ctx.sessions).get(i) for i in result["tasks"])
        if task is not None
    ]
    notices: list[Notice] = [
        Notice(Audience.CENTRAL_OFFICE, task_reply(task, lang))
        for task in tasks
        if task.assignee == "central_office"
    ]
    data: dict[str, Any] = {"confirmed": True, **result, "scope": plan.scope.stored() or "all"}
    override_id = int(result["override_id"])
    replies: list[Reply] = []
    if plan.due_now:
        background = ctx.services.get("background") if ctx.services else None
        args = (
            ctx.config,
            ctx.sessions,
            ctx.services,
            override_id,
            person.key,
            ctx.asker.actor,
            today,
            ctx.now,
        )
        if background is not None:  # the listener pool is not held up by the run
            background(
                lambda: outcome_notices(
                    ctx.config, ctx.sessions, ctx.directory, override_id, run_offboarding(*args)
                ),
                flow.name,
            )
            data["run"] = {"status": "running"}
            replies.append(Reply(run_text(lang, person.name.display, data["run"]), data=data))
        else:
            outcome = run_offboarding(*args)
            data["run"] = outcome
            replies.append(Reply(run_text(lang, person.name.display, outcome), data=data))
            # the requester reads the outcome in the reply above, not again as a notice
            notices += outcome_notices(
                ctx.config,
                ctx.sessions,
                ctx.directory,
                override_id,
                outcome,
                tell_requester=False,
            )
    else:
        data["scheduled_for"] = plan.access_ends.isoformat()
        replies.append(
            Reply(
                tr(
                    lang,
                    "Recorded. {display}'s access ends on {format_day} at 00:00; I'll "
                    "tell you when everything is done.",
                    display=person.name.display,
                    format_day=format_day(plan.access_ends, lang),
                ),
                data=data,
            )
        )
    replies += [task_reply(task, lang) for task in tasks if task.assignee == ctx.asker.staff.key]
    return Turn(tuple(replies), state=None, notices=tuple(notices))


def _stale(flow: OffboardingFlow, ctx: FlowContext, plan: Plan, reason: str) -> Turn:
    lang = ctx.language
    shown = flow.person_and_day(ctx, plan.person.key, plan.last_day)
    notice = stale_reply(lang, reason, ctx.config.bot.confirm_minutes, plan.person.key)
    return Turn((notice, *shown.replies), state=shown.state)


def cancel(ctx: FlowContext, state: dict[str, Any], token: str) -> Turn:
    """Cancel the plan shown, unless it was confirmed already or the button is stale."""
    nonce = [*token.split("|"), "", "", "", ""][3]
    done = confirmed_before(ctx.sessions, nonce) if nonce else None
    if done is not None:
        return Turn(
            (
                Reply(
                    tr(
                        ctx.language,
                        "This was already confirmed, so it can no longer be cancelled here. "
                        "Ask the central office to undo it.",
                    ),
                    data={"refused": "already_confirmed", **done},
                ),
            )
        )
    if state.get("nonce") and state.get("nonce") != nonce:
        return Turn(
            (
                Reply(
                    tr(
                        ctx.language,
                        "That button belongs to an earlier plan; nothing was changed.",
                    ),
                    data={"refused": "stale"},
                ),
            ),
            state=state,
        )
    return cancelled(ctx.language)


def cancelled(language: Language) -> Turn:
    return Turn((Reply(tr(language, "Cancelled: nothing was changed."), data={"cancelled": True}),))


def expired(language: Language) -> Turn:
    return Turn(
        (
            Reply(
                tr(
                    language,
                    "This button belongs to a finished conversation. Start again with /offboard.",
                ),
                data={"refused": "expired"},
            ),
        )
    )


# -- helpers ---------------------------------------------------------------------------------


def _already_confirmed(language: Language, result: dict[str, Any]) -> Turn:
    return Turn((already_confirmed_reply(language, result),))


def sis_assignee(ctx: FlowContext, plan: Plan) -> str:
    """The SIS step is the location leader's (002 §12): the requester when she leads a
    location whose post ends, else the central office."""
    today = ctx.now.date()
    mine = ctx.asker.staff
    if any(
        Role.LOCATION_LEADER in mine.roles_at(post.location, today) for post in plan.scope.ending
    ):
        return mine.key
    return "central_office"


def _is_iso(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def _moment(value: Any, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return default - timedelta(days=365)  # unreadable: treat as long ago (stale)
