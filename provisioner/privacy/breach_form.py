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
from provisioner.i18n import tr
from provisioner.privacy.breach import AMSTERDAM, CATEGORIES, SPECIAL, BreachFacts
from provisioner.privacy.breaches import BreachRecord

UNKNOWN = "ONBEKEND — aanvullen"

_KINDS = {
    "lost_device": "verloren gegevensdrager (usb-stick, laptop, telefoon)",
    "stolen_device": "gestolen gegevensdrager (laptop, telefoon, usb-stick)",
    "misdirected": "persoonsgegevens verstuurd aan of gedeeld met de verkeerde ontvanger",
    "hacking": "hacking, malware of phishing",
    "ransomware": "ransomware",
    "paper": "verloren of gestolen papieren documenten",
    "published": "persoonsgegevens onbedoeld gepubliceerd",
    "other": "anders",
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
        "1. Contactgegevens en algemene informatie",
        (
            Field("Organisatie", config.board.name if config else None),
            Field(
                "Contactpersoon (functionaris gegevensbescherming)",
                ", ".join(config.bot.privacy_officers)
                if config and config.bot.privacy_officers
                else None,
            ),
            Field("Kenmerk in het eigen datalekkenregister", breach.id),
            Field("Vestiging (BRIN)", breach.location),
        ),
    )


def _timeline_section(breach: BreachRecord) -> Section:
    return Section(
        "2. Tijdlijn",
        (
            Field("Wanneer is het datalek ontdekt?", _when(breach.discovered_at)),
            Field(
                "Wanneer werd de organisatie zich bewust van het datalek?",
                _when(breach.aware_at or breach.discovered_at),
            ),
            Field("Wanneer is het gemeld bij de FG?", _when(breach.notified_at("privacy_officer"))),
            Field("Uiterste meldtermijn AP (72 uur)", _when(_authority_due(breach))),
            Field(
                "Reden voor vertraging (alleen bij melding na 72 uur)",
                _late_reason(breach),
            ),
        ),
    )


def _incident_section(facts: BreachFacts) -> Section:
    return Section(
        "3. Gegevens over het datalek",
        (
            Field("Samenvatting van het incident", facts.narrative or None),
            Field("Soort incident", _KINDS.get(facts.kind or "", facts.kind)),
            Field("Aard van de inbreuk", _nature(facts)),
            Field("Oorzaak", facts.cause),
            Field("Was er kwade opzet?", _yes_no(facts.malicious)),
        ),
    )


def _personal_data_section(facts: BreachFacts) -> Section:
    return Section(
        "4. Persoonsgegevens die betrokken zijn",
        (
            Field("Soort persoonsgegevens", _categories(facts)),
            Field("Bijzondere persoonsgegevens", _special(facts)),
            Field("Burgerservicenummers (BSN)", _yes_no(facts.national_id_number)),
        ),
    )


def _subjects_section(facts: BreachFacts) -> Section:
    return Section(
        "5. De groep mensen van wie gegevens betrokken zijn",
        (
            Field(
                "Aantal betrokkenen (eventueel bij benadering)",
                None if facts.subjects_count is None else str(facts.subjects_count),
            ),
            Field("Gaat het om kinderen (leerlingen)?", _yes_no(facts.subjects_are_children)),
        ),
    )


def _prior_measures_section(facts: BreachFacts) -> Section:
    return Section(
        "6. Maatregelen die waren getroffen vóór het datalek",
        (
            Field(
                "Waren de gegevens versleuteld of anderszins onbegrijpelijk voor onbevoegden?",
                _encryption(facts),
            ),
            Field("Is er een back-up?", _yes_no(facts.backup_available)),
        ),
    )


def _consequences_section(breach: BreachRecord) -> Section:
    result = breach.assess("nl")
    return Section(
        "7. Gevolgen van het datalek",
        (
            Field("Inschatting van het risico", _risk(result.risk.value)),
            Field("Onderbouwing", " ".join(result.reasons)),
            Field("Aannames (nog te bevestigen)", " ".join(result.assumptions) or "geen"),
        ),
    )


def _follow_up_section(breach: BreachRecord) -> Section:
    facts = breach.facts
    return Section(
        "8. Vervolgacties",
        (
            Field(
                "Worden de betrokkenen ingelicht?",
                _inform(breach),
            ),
            Field(
                "Maatregelen om de inbreuk aan te pakken en de gevolgen te beperken",
                facts.measures,
            ),
            Field(
                "Is de ontvanger gevraagd de gegevens te verwijderen, en is dat bevestigd?",
                _yes_no(facts.deletion_confirmed),
            ),
        ),
    )


def _international_section() -> Section:
    return Section(
        "9. Internationale aspecten",
        (
            Field("Zijn betrokkenen in andere EU-landen geraakt?", None),
            Field("Is het datalek ook bij een andere toezichthouder gemeld?", None),
        ),
    )


def to_json(breach: BreachRecord, config: Config | None = None) -> dict[str, Any]:
    sections = draft(breach, config)
    return {
        "breach_id": breach.id,
        "form": "Meldformulier datalekken (Autoriteit Persoonsgegevens)",
        "sections": [
            {"title": s.title, "fields": [f.to_dict() for f in s.fields]} for s in sections
        ],
        "unknown": [f.question for s in sections for f in s.fields if f.answer is None],
    }


def to_markdown(breach: BreachRecord, config: Config | None = None) -> str:
    sections = draft(breach, config)
    lines = [
        f"# Concept melding datalek {breach.id} — Autoriteit Persoonsgegevens",
        "",
        "Concept voor het meldformulier datalekken van de AP. Controleer en vul aan wat "
        f"*{UNKNOWN}* is; een melding mag in fasen worden aangevuld (AVG art. 33 lid 4).",
        "",
    ]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for f in section.fields:
            answer = f.answer if f.answer is not None else f"**{UNKNOWN}**"
            lines.append(f"- **{f.question}**: {answer}")
        lines.append("")
    return "\n".join(lines)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else f"{moment.astimezone(AMSTERDAM):%d-%m-%Y %H:%M}"


def _authority_due(breach: BreachRecord) -> datetime | None:
    return next((d.due_at for d in breach.deadlines if d.kind == "authority"), None)


def _late_reason(breach: BreachRecord) -> str | None:
    deadline = next((d for d in breach.deadlines if d.kind == "authority"), None)
    if deadline is None or deadline.met is not False:
        return "n.v.t."
    return None


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("ja" if value else "nee")


def _nature(facts: BreachFacts) -> str | None:
    parts = []
    if facts.confidentiality_breach:
        parts.append("lezen of kopiëren (vertrouwelijkheid)")
    if facts.integrity_breach:
        parts.append("wijzigen (integriteit)")
    if facts.availability_breach:
        parts.append("verlies of vernietiging (beschikbaarheid)")
    if facts.kind == "stolen_device":
        parts.append("diefstal")
    known = (facts.confidentiality_breach, facts.integrity_breach, facts.availability_breach)
    if not parts and any(v is None for v in known):
        return None
    return ", ".join(parts) or "geen"


def _categories(facts: BreachFacts) -> str | None:
    if not facts.data_categories:
        return None
    named = (tr("nl", CATEGORIES[c]) if c in CATEGORIES else c for c in facts.data_categories)
    return ", ".join(named)


def _special(facts: BreachFacts) -> str | None:
    named = [tr("nl", CATEGORIES[c]) for c in facts.data_categories if c in SPECIAL]
    if named:
        return "ja: " + ", ".join(named)
    return _yes_no(facts.special_categories)


def _encryption(facts: BreachFacts) -> str | None:
    if facts.encrypted is None:
        return None
    if not facts.encrypted:
        return "nee"
    if facts.key_compromised is None:
        return "ja; of de sleutel veilig is: " + UNKNOWN
    return (
        "ja, de sleutel is veilig gebleven"
        if not facts.key_compromised
        else "ja, maar de sleutel is gelekt"
    )


def _risk(value: str) -> str:
    return {"none": "waarschijnlijk geen risico", "risk": "risico", "high risk": "hoog risico"}[
        value
    ]


def _inform(breach: BreachRecord) -> str:
    decision = breach.decision
    state = "besluit FG" if decision.confirmed else "voorstel, nog niet bevestigd door de FG"
    if decision.notify_subjects:
        done = breach.notified_at("subjects")
        when = f", ingelicht op {_when(done)}" if done else ""
        return f"ja ({state}{when})"
    return f"nee: geen hoog risico voor de betrokkenen ({state})"
