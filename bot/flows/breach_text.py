"""What the breach flow says (pure): the FG's notice, the decision, the reporter's reply
with its advice, and who must be told when the bot could not tell the FG.

Dutch sentences get Dutch dates and English ones English dates (:mod:`bot.flows.wording`).
Free text the reporter typed appears as plain text, never inside markup other than *bold*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from bot.conversation import Button, Language, Reply
from bot.flows.wording import moment_text, short_moment_text
from provisioner.i18n import tr
from provisioner.privacy.breach import RECIPIENTS, Assessment, BreachFacts, category_names
from provisioner.privacy.breaches import BreachRecord


def officer_reply(breach: BreachRecord, language: Language) -> Reply:
    """What the FG sees of a breach: the facts, the assessment with its reasons, the
    deadlines and the buttons to confirm or correct the decision."""
    result: Assessment = breach.assess(language)
    f = breach.facts
    unknown = tr(language, "unknown")

    def yn(value: bool | None) -> str:
        return unknown if value is None else tr(language, "yes") if value else tr(language, "no")

    rows: list[tuple[str, str]] = [
        (tr(language, "Reference"), breach.id),
        (tr(language, "Reported by"), breach.reported_by),
        (tr(language, "What"), f.narrative or unknown),
        (
            tr(language, "Discovered"),
            short_moment_text(f.discovered_at, language) if f.discovered_at else unknown,
        ),
        (
            tr(language, "Data"),
            category_names(frozenset(f.data_categories), language) or unknown,
        ),
        (
            tr(language, "People concerned"),
            unknown if f.subjects_count is None else str(f.subjects_count),
        ),
        (tr(language, "Children"), yn(f.subjects_are_children)),
        (tr(language, "Encrypted"), yn(f.encrypted)),
        (tr(language, "Deliberate"), yn(f.malicious)),
        *_recipient_rows(f, language, yn),
        (tr(language, "Notify the AP"), yn(breach.decision.notify_authority)),
        (
            tr(language, "Tell the people"),
            yn(breach.decision.notify_subjects),
        ),
    ]
    for deadline in breach.deadlines:
        label = (
            tr(language, "FG deadline")
            if deadline.kind == "privacy_officer"
            else tr(language, "AP deadline")
        )
        state = tr(language, "met") if deadline.done else tr(language, "open")
        rows.append((label, f"{short_moment_text(deadline.due_at, language)} ({state})"))
    proposal = (
        tr(language, "proposal") if not breach.decision.confirmed else tr(language, "decision")
    )
    text = tr(
        language,
        "*Breach {id}* ({proposal}: {risk_words}).\n",
        id=breach.id,
        proposal=proposal,
        risk_words=risk_words(result.risk.value, language),
    ) + "\n".join(f"• {reason}" for reason in result.reasons)
    if result.assumptions:
        text += "\n" + tr(language, "_Assumptions:_ ") + " ".join(result.assumptions)
    buttons = (
        Button(
            tr(language, "Confirm decision"),
            "confirm",
            breach.id,
            style="primary",
        ),
        Button(tr(language, "Correct"), "correct", breach.id),
    )
    return Reply(
        text,
        facts=tuple(rows),
        buttons=buttons,
        data={"breach_id": breach.id, **result.to_dict(), "decision": breach.decision.to_dict()},
    )


def _recipient_rows(
    facts: BreachFacts, language: Language, yn: Callable[[bool | None], str]
) -> list[tuple[str, str]]:
    """Who received the data and whether they were recalled, when the report says so."""
    rows: list[tuple[str, str]] = []
    recipient = facts.recipient_kind()
    if recipient is not None:
        name = tr(language, RECIPIENTS[recipient])
        rows.append((tr(language, "Recipient"), name))
    if facts.recalled is not None:
        rows.append((tr(language, "Recalled"), yn(facts.recalled)))
    return rows


def decided_reply(breach: BreachRecord, language: Language) -> Reply:
    d = breach.decision
    parts = [
        tr(language, "notify the AP")
        if d.notify_authority
        else tr(language, "do not notify the AP"),
        tr(language, "tell the people concerned")
        if d.notify_subjects
        else tr(language, "do not tell the people concerned"),
    ]
    text = tr(language, "Decision for {id}: ", id=breach.id) + ", ".join(parts) + "."
    buttons: list[Button] = []
    if d.notify_authority and "authority" not in breach.notified:
        text += tr(
            language, " Draft of the AP form: `provisioner breach export {id}`.", id=breach.id
        )
        buttons.append(Button(tr(language, "AP notified"), "notified_authority", breach.id))
    if d.notify_subjects and "subjects" not in breach.notified:
        buttons.append(Button(tr(language, "People told"), "notified_subjects", breach.id))
    if breach.status == "closed":
        text += tr(language, " Everyone has been told; the breach is closed.")
    return Reply(
        text,
        buttons=tuple(buttons),
        data={"breach_id": breach.id, "status": breach.status, "decision": d.to_dict()},
    )


def risk_words(risk: str, language: Language) -> str:
    if language == "nl":
        return {"none": "waarschijnlijk geen risico", "risk": "risico", "high risk": "hoog risico"}[
            risk
        ]
    return {"none": "unlikely to result in a risk", "risk": "a risk", "high risk": "a high risk"}[
        risk
    ]


def advice(facts: BreachFacts, language: Language) -> str:
    tips: list[str] = []
    if facts.kind == "misdirected" and not facts.deletion_confirmed:
        tips.append(tr(language, "Ask the recipient to delete the data and confirm it."))
    if facts.kind in ("stolen_device",):
        tips.append(tr(language, "Report the theft to the police."))
    if facts.kind in ("lost_device", "stolen_device", "hacking") or "credentials" in (
        facts.data_categories
    ):
        tips.append(tr(language, "Ask ICT to change passwords and block the device or account."))
    tips.append(tr(language, "Do not delete anything and do not forward the data."))
    return "\n" + "\n".join(f"• {tip}" for tip in tips)


# -- the reporter ----------------------------------------------------------------------------

#: How the FG heard of a new report: ``told`` (delivered to at least one FG), ``sending`` (the
#: notice goes out with the reply; this front end cannot confirm it), ``not_configured`` (no
#: FG in the configuration), ``unreachable`` (configured, but nobody could be reached).
OfficerOutcome = Literal["told", "sending", "not_configured", "unreachable"]


def intro(language: Language, officer_configured: bool) -> str:
    """The first words of the intake; "Report now" is described as what it will do."""
    if officer_configured:
        return tr(
            language,
            "Thank you for reporting this. I'll ask a few short questions; "
            '"don\'t know" is always fine, and "Report now" sends your report to '
            "the privacy officer at once.",
        )
    return tr(
        language,
        "Thank you for reporting this. I'll ask a few short questions; "
        '"don\'t know" is always fine, and "Report now" records your report '
        "at once.",
    )


def officer_sentence(
    outcome: OfficerOutcome,
    language: Language,
    *,
    officer_due: datetime,
    now: datetime,
    officers: Sequence[str],
    central_office: Sequence[str],
    board_name: str,
) -> str:
    """What the reporter is told about the FG: only "has been told" when a notice reached
    someone; otherwise who they must tell themselves, and by when."""
    if outcome == "told":
        return tr(
            language,
            "The privacy officer (FG) has been told, will assess the report and "
            "will contact you if anything is needed.",
        )
    if outcome == "sending":
        return tr(
            language,
            "The privacy officer (FG) is being told now, will assess the report "
            "and will contact you if anything is needed.",
        )
    late = officer_due <= now
    when = tr(language, "now") if late else tr(language, "today")
    if central_office:
        others = tr(language, "the central office ({_or})", _or=_or(central_office, language))
    else:
        others = tr(language, "the board ({board_name})", board_name=board_name)
    if outcome == "not_configured":
        first = tr(
            language,
            "No privacy officer (FG) is configured, so nobody has been told yet. "
            "Report the breach yourself {when} to {others}",
            when=when,
            others=others,
        )
    else:
        first = tr(
            language,
            "I could not reach the privacy officer (FG), so nobody has been told "
            "yet. Report the breach yourself {when} to the privacy officer "
            "({_or}) or to {others}",
            when=when,
            _or=_or(officers, language),
            others=others,
        )
    first += tr(language, "; your report is in the register. ")
    if late:
        return first + tr(language, "The 24 hours after discovery have already passed.")
    return first + tr(
        language,
        "A breach must be reported within 24 hours of discovery: by {moment_text}.",
        moment_text=moment_text(officer_due, language),
    )


def reporter_reply(
    breach: BreachRecord,
    result: Assessment,
    about_officer: str,
    language: Language,
    data: dict[str, object],
) -> Reply:
    """The reply that closes the intake: the reference, the FG, what to do now."""
    facts_shown: list[tuple[str, str]] = [(tr(language, "Reference"), breach.id)]
    authority = result.deadline("authority")
    if authority is not None and result.notify_authority:
        facts_shown.append(
            (
                tr(language, "Notify the supervisor (AP) by"),
                moment_text(authority.due_at, language),
            )
        )
    text = (
        tr(language, "Your report is recorded as *{id}*. ", id=breach.id)
        + about_officer
        + advice(breach.facts, language)
    )
    return Reply(text, facts=tuple(facts_shown), data=data)


def _or(items: Sequence[str], language: Language) -> str:
    """ "a", "a of b", "a, b of c" / "a or b"."""
    if len(items) <= 1:
        return "".join(items)
    word = tr(language, "or")
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
