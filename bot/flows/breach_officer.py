"""The privacy officer's (FG's) side of a breach report in chat: confirm or correct the
decision, mark the supervisor (AP) or the people as told, correct facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.conversation import Button, FlowContext, Language, Reply, Turn
from bot.flows.breach_reading import NO, UNKNOWN, YES
from bot.flows.breach_text import decided_reply, officer_reply
from provisioner.i18n import tr
from provisioner.privacy.breach import FactsError
from provisioner.privacy.breaches import BreachNotFound, BreachRecord, BreachRegister, Party

#: Starts the conversation afresh with a text (someone else typed in the FG's step).
Restart = Callable[[FlowContext, str], Turn]


def _reply(text: str, **data: Any) -> Reply:
    return Reply(text, data=data)


def officer_press(ctx: FlowContext, action: str, value: str) -> Turn:
    """A button of the FG's notice: confirm, mark notified, or correct the decision."""
    lang = ctx.language
    if not ctx.asker.is_privacy_officer:
        return Turn(
            (
                _reply(
                    tr(
                        lang,
                        "Only the privacy officer can confirm or correct a breach decision.",
                    ),
                    refused="not_privacy_officer",
                ),
            )
        )
    register = BreachRegister(ctx.sessions)
    breach_id, _, choice = value.partition("|")
    try:
        breach = register.get(breach_id)
    except BreachNotFound:
        return Turn(
            (
                _reply(
                    tr(lang, "Breach {breach_id} is not in the register.", breach_id=breach_id),
                    refused="not_found",
                ),
            )
        )
    if "privacy_officer" not in breach.notified:
        # The FG acts on the notice, so they have it now at the latest (it may have gone
        # out without a confirmed delivery, see _tell_officer).
        breach = register.mark_notified(
            breach.id, party="privacy_officer", at=ctx.now, actor=ctx.asker.actor
        )
    if action == "confirm":
        breach = register.confirm(breach.id, actor=ctx.asker.actor, now=ctx.now)
        return Turn((decided_reply(breach, lang),))
    if action in ("notified_authority", "notified_subjects"):
        party: Party = "authority" if action == "notified_authority" else "subjects"
        breach = register.mark_notified(breach.id, party=party, at=ctx.now, actor=ctx.asker.actor)
        return Turn((decided_reply(breach, lang),))
    if action == "correct":
        return _correction_menu(breach, lang)
    if action == "set_decision":
        return _set_decision(breach, choice, lang)
    return Turn((_reply(tr(lang, "Unknown button.")),))


def officer_reason(ctx: FlowContext, text: str, state: dict[str, Any], restart: Restart) -> Turn:
    """The FG's reason for a corrected decision; anyone else starts afresh."""
    if not ctx.asker.is_privacy_officer:
        return restart(ctx, text)
    reason = text.strip()
    if not reason:
        return Turn((_reply(tr(ctx.language, "Please give a reason.")),), state=state)
    breach = BreachRegister(ctx.sessions).correct(
        str(state["breach"]),
        actor=ctx.asker.actor,
        decision=dict(state["decision"]),
        reason=reason,
        now=ctx.now,
    )
    return Turn((decided_reply(breach, ctx.language),))


def officer_facts(ctx: FlowContext, text: str, state: dict[str, Any], restart: Restart) -> Turn:
    """The FG's corrected facts (``field=value, ...``); anyone else starts afresh."""
    lang = ctx.language
    if not ctx.asker.is_privacy_officer:
        return restart(ctx, text)
    changes: dict[str, Any] = {}
    for part in text.split(","):
        name, sep, raw = part.partition("=")
        if not sep:
            continue
        value: Any = raw.strip()
        folded = str(value).casefold()
        if folded in YES:
            value = True
        elif folded in NO:
            value = False
        elif folded in UNKNOWN or folded in {"null", "none"}:
            value = None
        elif folded.isdigit():
            value = int(folded)
        changes[name.strip()] = value
    if not changes:
        return Turn((_reply(tr(lang, "No field=value found."), step="fg_facts"),), state=state)
    try:
        breach = BreachRegister(ctx.sessions).correct(
            str(state["breach"]),
            actor=ctx.asker.actor,
            facts=changes,
            reason="facts corrected by the FG",
            now=ctx.now,
        )
    except (FactsError, ValueError) as exc:
        return Turn(
            (_reply(tr(lang, "I cannot use that: {exc}", exc=exc), step="fg_facts"),),
            state=state,
        )
    return Turn((officer_reply(breach, lang),))


def _correction_menu(breach: BreachRecord, lang: Language) -> Turn:
    """What the FG may change: the AP, the people, or the facts."""
    buttons = tuple(
        Button(label, "set_decision", f"{breach.id}|{code}")
        for code, label in (
            ("ap_yes", tr(lang, "Yes, notify the AP")),
            ("ap_no", tr(lang, "Do not notify the AP")),
            ("subjects_yes", tr(lang, "Tell the people")),
            ("subjects_no", tr(lang, "Do not tell them")),
            ("facts", tr(lang, "Correct facts")),
        )
    )
    ask = Reply(
        tr(lang, "What should change in {id}?", id=breach.id),
        buttons=buttons,
        data={"step": "fg_correct", "breach_id": breach.id},
    )
    return Turn((ask,), state={"step": "fg_correct", "breach": breach.id})


def _set_decision(breach: BreachRecord, choice: str, lang: Language) -> Turn:
    """A decision chosen from the menu: asks why (or for the facts)."""
    if choice == "facts":
        return Turn(
            (
                _reply(
                    tr(
                        lang,
                        "Write the facts as field=value separated by commas, e.g. "
                        "encrypted=yes, subjects_count=30, key_compromised=no.",
                    ),
                    step="fg_facts",
                    breach_id=breach.id,
                ),
            ),
            state={"step": "fg_facts", "breach": breach.id},
        )
    decision = {
        "ap_yes": {"notify_authority": True},
        "ap_no": {"notify_authority": False, "notify_subjects": False},
        "subjects_yes": {"notify_authority": True, "notify_subjects": True},
        "subjects_no": {"notify_subjects": False},
    }.get(choice)
    if decision is None:
        return Turn((_reply(tr(lang, "Unknown choice.")),))
    return Turn(
        (
            _reply(
                tr(lang, "Why? The reason goes into the register and the audit trail."),
                step="fg_reason",
                breach_id=breach.id,
            ),
        ),
        state={"step": "fg_reason", "breach": breach.id, "decision": decision},
    )
