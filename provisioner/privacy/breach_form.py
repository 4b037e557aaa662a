"""A draft of the supervisor's notification form (*Meldformulier datalekken*, Autoriteit
Persoonsgegevens) from a register entry, in Dutch, as Markdown or JSON.

The sections follow the AP's form: contact details, the timeline, the breach, the personal
data, the people concerned, measures in place before the breach, the consequences, follow-up
(informing the people concerned, measures taken) and international aspects. What the register
does not know yet is marked ``ONBEKEND — aanvullen`` (Art. 33(4) allows supplying it in
phases). The FG reviews the draft and submits it in the AP's portal; nothing is sent from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provisioner.config import Config
from provisioner.i18n import N_, Language, tr
from provisioner.privacy.breach import AMSTERDAM, CATEGORIES, SPECIAL, BreachFacts
from provisioner.privacy.breaches import BreachRecord

#: The form's language: the AP's form is Dutch (an English rendering would change only this).
FORM: Language = "nl"
UNKNOWN = N_("UNKNOWN — to be completed")
RISKS = {"none": N_("probably no risk"), "risk": N_("risk"), "high risk": N_("high risk")}

_KINDS = {
    "lost_device": N_("lost data carrier (USB stick, laptop, phone)"),
    "stolen_device": N_("stolen data carrier (laptop, phone, USB stick)"),
    "misdirected": N_("personal data sent to or shared with the wrong recipient"),
    "hacking": N_("hacking, malware or phishing"),
    "ransomware": N_("ransomware"),
    "paper": N_("lost or stolen paper documents"),
    "published": N_("personal data published by mistake"),
    "other": N_("something else"),
}


@dataclass(frozen=True)
class Field:
    question: str
    answer: str | None  # None: still unknown

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "unknown": self.answer is None}


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]


def draft(breach: BreachRecord, config: Config | None = None) -> list[Section]:
    """The form's sections for ``breach``. ``config`` supplies the board and the FG."""
    facts = breach.facts
    return [
        _contact_section(breach, config),
        _timeline_section(breach),
        _incident_section(facts),
        _personal_data_section(facts),
        _subjects_section(facts),
        _prior_measures_section(facts),
        _consequences_section(breach),
        _follow_up_section(breach),
        _international_section(),
    ]


def _contact_section(breach: BreachRecord, config: Config | None) -> Section:
    return Section(
        tr(FORM, "1. Contact details and general information"),
        (
            Field(tr(FORM, "Organisation"), config.board.name if config else None),
            Field(
                tr(FORM, "Contact person (data protection officer)"),
                ", ".join(config.bot.privacy_officers)
                if config and config.bot.privacy_officers
                else None,
            ),
            Field(tr(FORM, "Reference in the board's own breach register"), breach.id),
            Field(tr(FORM, "Location (BRIN)"), breach.location),
        ),
    )


def _timeline_section(breach: BreachRecord) -> Section:
    return Section(
        tr(FORM, "2. Timeline"),
        (
            Field(tr(FORM, "When was the breach discovered?"), _when(breach.discovered_at)),
            Field(
                tr(FORM, "When did the organisation become aware of the breach?"),
                _when(breach.aware_at or breach.discovered_at),
            ),
            Field(
                tr(FORM, "When was it reported to the privacy officer?"),
                _when(breach.notified_at("privacy_officer")),
            ),
            Field(
                tr(FORM, "Deadline for notifying the AP (72 hours)"), _when(_authority_due(breach))
            ),
            Field(
                tr(FORM, "Reason for the delay (only when notified after 72 hours)"),
                _late_reason(breach),
            ),
        ),
    )


def _incident_section(facts: BreachFacts) -> Section:
    return Section(
        tr(FORM, "3. About the breach"),
        (
            Field(tr(FORM, "Summary of the incident"), facts.narrative or None),
            Field(tr(FORM, "Kind of incident"), _kind(facts.kind)),
            Field(tr(FORM, "Nature of the breach"), _nature(facts)),
            Field(tr(FORM, "Cause"), facts.cause),
            Field(tr(FORM, "Was it done with malicious intent?"), _yes_no(facts.malicious)),
        ),
    )


def _personal_data_section(facts: BreachFacts) -> Section:
    return Section(
        tr(FORM, "4. The personal data involved"),
        (
            Field(tr(FORM, "Kinds of personal data"), _categories(facts)),
            Field(tr(FORM, "Special categories of personal data"), _special(facts)),
            Field(tr(FORM, "Citizen service numbers (BSN)"), _yes_no(facts.national_id_number)),
        ),
    )


def _subjects_section(facts: BreachFacts) -> Section:
    return Section(
        tr(FORM, "5. The people whose data is involved"),
        (
            Field(
                tr(FORM, "Number of people concerned (an estimate if need be)"),
                None if facts.subjects_count is None else str(facts.subjects_count),
            ),
            Field(tr(FORM, "Are they children (pupils)?"), _yes_no(facts.subjects_are_children)),
        ),
    )


def _prior_measures_section(facts: BreachFacts) -> Section:
    return Section(
        tr(FORM, "6. Measures in place before the breach"),
        (
            Field(
                tr(
                    FORM,
                    "Was the data encrypted or otherwise unintelligible to unauthorised people?",
                ),
                _encryption(facts),
            ),
            Field(tr(FORM, "Is there a backup?"), _yes_no(facts.backup_available)),
        ),
    )


def _consequences_section(breach: BreachRecord) -> Section:
    result = breach.assess(FORM)
    return Section(
        tr(FORM, "7. Consequences of the breach"),
        (
            Field(tr(FORM, "Assessment of the risk"), _risk(result.risk.value)),
            Field(tr(FORM, "Grounds"), " ".join(result.reasons)),
            Field(
                tr(FORM, "Assumptions (to be confirmed)"),
                " ".join(result.assumptions) or tr(FORM, "none"),
            ),
        ),
    )


def _follow_up_section(breach: BreachRecord) -> Section:
    facts = breach.facts
    return Section(
        tr(FORM, "8. Follow-up"),
        (
            Field(
                tr(FORM, "Are the people concerned informed?"),
                _inform(breach),
            ),
            Field(
                tr(FORM, "Measures to address the breach and limit its consequences"),
                facts.measures,
            ),
            Field(
                tr(FORM, "Was the recipient asked to delete the data, and was that confirmed?"),
                _yes_no(facts.deletion_confirmed),
            ),
        ),
    )


def _international_section() -> Section:
    return Section(
        tr(FORM, "9. International aspects"),
        (
            Field(tr(FORM, "Are people in other EU countries affected?"), None),
            Field(tr(FORM, "Was the breach also reported to another supervisory authority?"), None),
        ),
    )


def to_json(breach: BreachRecord, config: Config | None = None) -> dict[str, Any]:
    sections = draft(breach, config)
    return {
        "breach_id": breach.id,
        "form": tr(FORM, "Data breach notification form (Autoriteit Persoonsgegevens)"),
        "sections": [
            {"title": s.title, "fields": [f.to_dict() for f in s.fields]} for s in sections
        ],
        "unknown": [f.question for s in sections for f in s.fields if f.answer is None],
    }


def to_markdown(breach: BreachRecord, config: Config | None = None) -> str:
    sections = draft(breach, config)
    intro = tr(
        FORM,
        "Draft for the AP's data breach notification form. Check it and complete what is "
        "*{unknown}*; a notification may be completed in phases (GDPR Art. 33(4)).",
        unknown=_unknown(),
    )
    lines = [
        tr(FORM, "# Draft breach notification {id} — Autoriteit Persoonsgegevens", id=breach.id),
        "",
        intro,
        "",
    ]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for f in section.fields:
            answer = f.answer if f.answer is not None else f"**{_unknown()}**"
            lines.append(f"- **{f.question}**: {answer}")
        lines.append("")
    return "\n".join(lines)


def _unknown() -> str:
    return tr(FORM, UNKNOWN)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else f"{moment.astimezone(AMSTERDAM):%d-%m-%Y %H:%M}"


def _kind(kind: str | None) -> str | None:
    return tr(FORM, _KINDS[kind]) if kind in _KINDS else kind


def _authority_due(breach: BreachRecord) -> datetime | None:
    return next((d.due_at for d in breach.deadlines if d.kind == "authority"), None)


def _late_reason(breach: BreachRecord) -> str | None:
    deadline = next((d for d in breach.deadlines if d.kind == "authority"), None)
    if deadline is None or deadline.met is not False:
        return tr(FORM, "n/a")
    return None


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else (tr(FORM, "yes") if value else tr(FORM, "no"))


def _nature(facts: BreachFacts) -> str | None:
    parts = []
    if facts.confidentiality_breach:
        parts.append(tr(FORM, "reading or copying (confidentiality)"))
    if facts.integrity_breach:
        parts.append(tr(FORM, "changing (integrity)"))
    if facts.availability_breach:
        parts.append(tr(FORM, "loss or destruction (availability)"))
    if facts.kind == "stolen_device":
        parts.append(tr(FORM, "theft"))
    known = (facts.confidentiality_breach, facts.integrity_breach, facts.availability_breach)
    if not parts and any(v is None for v in known):
        return None
    return ", ".join(parts) or tr(FORM, "none")


def _categories(facts: BreachFacts) -> str | None:
    if not facts.data_categories:
        return None
    named = (tr(FORM, CATEGORIES[c]) if c in CATEGORIES else c for c in facts.data_categories)
    return ", ".join(named)


def _special(facts: BreachFacts) -> str | None:
    named = [tr(FORM, CATEGORIES[c]) for c in facts.data_categories if c in SPECIAL]
    if named:
        return tr(FORM, "yes: {categories}", categories=", ".join(named))
    return _yes_no(facts.special_categories)


def _encryption(facts: BreachFacts) -> str | None:
    if facts.encrypted is None:
        return None
    if not facts.encrypted:
        return tr(FORM, "no")
    if facts.key_compromised is None:
        return tr(FORM, "yes; whether the key is safe: {unknown}", unknown=_unknown())
    return (
        tr(FORM, "yes, the key stayed safe")
        if not facts.key_compromised
        else tr(FORM, "yes, but the key leaked")
    )


def _risk(value: str) -> str:
    return tr(FORM, RISKS[value])


def _inform(breach: BreachRecord) -> str:
    decision = breach.decision
    state = (
        tr(FORM, "the privacy officer's decision")
        if decision.confirmed
        else tr(FORM, "proposal, not yet confirmed by the privacy officer")
    )
    if decision.notify_subjects:
        done = breach.notified_at("subjects")
        if done:
            state = tr(FORM, "{state}, informed on {when}", state=state, when=_when(done))
        return tr(FORM, "yes ({state})", state=state)
    return tr(FORM, "no: no high risk for the people concerned ({state})", state=state)
