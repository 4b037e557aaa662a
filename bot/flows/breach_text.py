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
from provisioner.privacy.breach import RECIPIENTS, Assessment, BreachFacts, category_names
from provisioner.privacy.breaches import BreachRecord


def _t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


def officer_reply(breach: BreachRecord, language: Language) -> Reply:
    """What the FG sees of a breach: the facts, the assessment with its reasons, the
    deadlines and the buttons to confirm or correct the decision."""
    result: Assessment = breach.assess(language)
    f = breach.facts
    unknown = _t(language, "onbekend", "unknown")

    def yn(value: bool | None) -> str:
        return (
            unknown
            if value is None
            else _t(language, "ja", "yes")
            if value
            else _t(language, "nee", "no")
        )

    rows: list[tuple[str, str]] = [
        (_t(language, "Kenmerk", "Reference"), breach.id),
        (_t(language, "Gemeld door", "Reported by"), breach.reported_by),
        (_t(language, "Wat", "What"), f.narrative or unknown),
        (
            _t(language, "Ontdekt", "Discovered"),
            short_moment_text(f.discovered_at, language) if f.discovered_at else unknown,
        ),
        (
            _t(language, "Gegevens", "Data"),
            category_names(frozenset(f.data_categories), language) or unknown,
        ),
        (
            _t(language, "Aantal betrokkenen", "People concerned"),
            unknown if f.subjects_count is None else str(f.subjects_count),
        ),
        (_t(language, "Kinderen", "Children"), yn(f.subjects_are_children)),
        (_t(language, "Versleuteld", "Encrypted"), yn(f.encrypted)),
        (_t(language, "Opzet", "Deliberate"), yn(f.malicious)),
        *_recipient_rows(f, language, yn),
        (_t(language, "Melden bij de AP", "Notify the AP"), yn(breach.decision.notify_authority)),
        (
            _t(language, "Betrokkenen inlichten", "Tell the people"),
            yn(breach.decision.notify_subjects),
        ),
    ]
    for deadline in breach.deadlines:
        label = (
            _t(language, "Termijn FG", "FG deadline")
            if deadline.kind == "privacy_officer"
            else _t(language, "Termijn AP", "AP deadline")
        )
        state = _t(language, "gehaald", "met") if deadline.done else _t(language, "open", "open")
        rows.append((label, f"{short_moment_text(deadline.due_at, language)} ({state})"))
    proposal = (
        _t(language, "voorstel", "proposal")
        if not breach.decision.confirmed
        else _t(language, "besluit", "decision")
    )
    text = _t(
        language,
        f"*Datalek {breach.id}* ({proposal}: {risk_words(result.risk.value, language)}).\n",
        f"*Breach {breach.id}* ({proposal}: {risk_words(result.risk.value, language)}).\n",
    ) + "\n".join(f"• {reason}" for reason in result.reasons)
    if result.assumptions:
        text += (
            "\n" + _t(language, "_Aannames:_ ", "_Assumptions:_ ") + " ".join(result.assumptions)
        )
    buttons = (
        Button(
            _t(language, "Bevestig besluit", "Confirm decision"),
            "confirm",
            breach.id,
            style="primary",
        ),
        Button(_t(language, "Corrigeer", "Correct"), "correct", breach.id),
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
        name = RECIPIENTS[recipient][0 if language == "en" else 1]
        rows.append((_t(language, "Ontvanger", "Recipient"), name))
    if facts.recalled is not None:
        rows.append((_t(language, "Teruggehaald", "Recalled"), yn(facts.recalled)))
    return rows


def decided_reply(breach: BreachRecord, language: Language) -> Reply:
    d = breach.decision
    parts = [
        _t(language, "melden bij de AP", "notify the AP")
        if d.notify_authority
        else _t(language, "niet melden bij de AP", "do not notify the AP"),
        _t(language, "betrokkenen inlichten", "tell the people concerned")
        if d.notify_subjects
        else _t(language, "betrokkenen niet inlichten", "do not tell the people concerned"),
    ]
    text = (
        _t(language, f"Besluit voor {breach.id}: ", f"Decision for {breach.id}: ")
        + ", ".join(parts)
        + "."
    )
    buttons: list[Button] = []
    if d.notify_authority and "authority" not in breach.notified:
        text += _t(
            language,
            f" Concept voor het AP-meldformulier: `provisioner breach export {breach.id}`.",
            f" Draft of the AP form: `provisioner breach export {breach.id}`.",
        )
        buttons.append(
            Button(_t(language, "AP is ingelicht", "AP notified"), "notified_authority", breach.id)
        )
    if d.notify_subjects and "subjects" not in breach.notified:
        buttons.append(
            Button(
                _t(language, "Betrokkenen ingelicht", "People told"), "notified_subjects", breach.id
            )
        )
    if breach.status == "closed":
        text += _t(
            language,
            " Alles is gemeld; het datalek is afgesloten.",
            " Everyone has been told; the breach is closed.",
        )
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
        tips.append(
            _t(
                language,
                "Vraag de ontvanger de gegevens te verwijderen en dat te bevestigen.",
                "Ask the recipient to delete the data and confirm it.",
            )
        )
    if facts.kind in ("stolen_device",):
        tips.append(_t(language, "Doe aangifte bij de politie.", "Report the theft to the police."))
    if facts.kind in ("lost_device", "stolen_device", "hacking") or "credentials" in (
        facts.data_categories
    ):
        tips.append(
            _t(
                language,
                "Laat ICT de wachtwoorden wijzigen en het apparaat of account blokkeren.",
                "Ask ICT to change passwords and block the device or account.",
            )
        )
    tips.append(
        _t(
            language,
            "Verwijder niets en stuur de gegevens niet verder.",
            "Do not delete anything and do not forward the data.",
        )
    )
    return "\n" + "\n".join(f"• {tip}" for tip in tips)


# -- the reporter ----------------------------------------------------------------------------

#: How the FG heard of a new report: ``told`` (delivered to at least one FG), ``sending`` (the
#: notice goes out with the reply; this front end cannot confirm it), ``not_configured`` (no
#: FG in the configuration), ``unreachable`` (configured, but nobody could be reached).
OfficerOutcome = Literal["told", "sending", "not_configured", "unreachable"]


def intro(language: Language, officer_configured: bool) -> str:
    """The first words of the intake; "Report now" is described as what it will do."""
    if officer_configured:
        return _t(
            language,
            'Goed dat je het meldt. Ik stel een paar korte vragen; "weet ik niet" mag altijd, '
            'en met "Meld nu" stuur ik je melding meteen naar de FG.',
            "Thank you for reporting this. I'll ask a few short questions; \"don't know\" is "
            'always fine, and "Report now" sends your report to the privacy officer at once.',
        )
    return _t(
        language,
        'Goed dat je het meldt. Ik stel een paar korte vragen; "weet ik niet" mag altijd, '
        'en met "Meld nu" leg ik je melding meteen vast.',
        "Thank you for reporting this. I'll ask a few short questions; \"don't know\" is "
        'always fine, and "Report now" records your report at once.',
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
        return _t(
            language,
            "De FG (functionaris gegevensbescherming) is direct ingelicht, beoordeelt de "
            "melding en neemt contact met je op als er iets nodig is.",
            "The privacy officer (FG) has been told, will assess the report and will contact "
            "you if anything is needed.",
        )
    if outcome == "sending":
        return _t(
            language,
            "De FG (functionaris gegevensbescherming) wordt nu ingelicht, beoordeelt de "
            "melding en neemt contact met je op als er iets nodig is.",
            "The privacy officer (FG) is being told now, will assess the report and will "
            "contact you if anything is needed.",
        )
    late = officer_due <= now
    when = _t(language, "meteen" if late else "vandaag nog", "now" if late else "today")
    if central_office:
        others = _t(language, f"het Stafbureau ({_or(central_office, language)})",
                    f"the central office ({_or(central_office, language)})")  # fmt: skip
    else:
        others = _t(language, f"het bestuur ({board_name})", f"the board ({board_name})")
    if outcome == "not_configured":
        first = _t(
            language,
            "Er is geen FG (functionaris gegevensbescherming) ingesteld, dus er is nog "
            f"niemand ingelicht. Meld het datalek zelf {when} bij {others}",
            "No privacy officer (FG) is configured, so nobody has been told yet. Report the "
            f"breach yourself {when} to {others}",
        )
    else:
        first = _t(
            language,
            "Ik kon de FG (functionaris gegevensbescherming) niet bereiken, dus er is nog "
            f"niemand ingelicht. Meld het datalek zelf {when} bij de FG "
            f"({_or(officers, language)}) of bij {others}",
            "I could not reach the privacy officer (FG), so nobody has been told yet. Report "
            f"the breach yourself {when} to the privacy officer ({_or(officers, language)}) "
            f"or to {others}",
        )
    first += _t(language, "; je melding staat wel in het register. ",
                "; your report is in the register. ")  # fmt: skip
    if late:
        return first + _t(
            language,
            "De termijn van 24 uur na de ontdekking is al verstreken.",
            "The 24 hours after discovery have already passed.",
        )
    return first + _t(
        language,
        "Een datalek moet binnen 24 uur na de ontdekking gemeld zijn: uiterlijk "
        f"{moment_text(officer_due, language)}.",
        "A breach must be reported within 24 hours of discovery: by "
        f"{moment_text(officer_due, language)}.",
    )


def reporter_reply(
    breach: BreachRecord,
    result: Assessment,
    about_officer: str,
    language: Language,
    data: dict[str, object],
) -> Reply:
    """The reply that closes the intake: the reference, the FG, what to do now."""
    facts_shown: list[tuple[str, str]] = [(_t(language, "Kenmerk", "Reference"), breach.id)]
    authority = result.deadline("authority")
    if authority is not None and result.notify_authority:
        facts_shown.append(
            (
                _t(language, "Melden bij de AP uiterlijk", "Notify the supervisor (AP) by"),
                moment_text(authority.due_at, language),
            )
        )
    text = (
        _t(
            language,
            f"Je melding is vastgelegd als *{breach.id}*. ",
            f"Your report is recorded as *{breach.id}*. ",
        )
        + about_officer
        + advice(breach.facts, language)
    )
    return Reply(text, facts=tuple(facts_shown), data=data)


def _or(items: Sequence[str], language: Language) -> str:
    """ "a", "a of b", "a, b of c" / "a or b"."""
    if len(items) <= 1:
        return "".join(items)
    word = _t(language, "of", "or")
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
