"""Assessing a personal data breach (*datalek*): notify the supervisor, the people, or neither.

Pure: facts in, an :class:`Assessment` out. The rules follow GDPR Art. 33 and 34 and the
EDPB's Guidelines 01/2021 on examples regarding personal data breach notification (version
2.0, 14 December 2021); every reason names its rule and, where one fits, the EDPB case number.

- Art. 33(1): notify the supervisor (Autoriteit Persoonsgegevens, AP) without undue delay and
  where feasible within 72 hours of becoming aware, *unless the breach is unlikely to result in
  a risk* to the rights and freedoms of natural persons.
- Art. 34(1): tell the people concerned (*betrokkenen*) when the breach is *likely to result in
  a high risk*; Art. 34(3)(a): not needed when the data were unintelligible to others
  (encryption with a key that stayed safe); Art. 34(3)(b): not needed when later measures
  ensure the high risk is no longer likely; Art. 34(3)(c): a public communication instead when
  telling everyone would take disproportionate effort.
- Art. 33(5): every breach is documented, notified or not (the register does that).
- The board's own rule (the seeds' protocols): tell the privacy officer (*functionaris
  gegevensbescherming*, FG) within 24 hours of discovery.

Unknown facts are treated cautiously, and each assumption is said out loud: an unknown
mitigating fact (encryption, a backup, a trusted recipient) counts as absent, and an unknown
aggravating fact (special categories, a national id number, malice) keeps the breach at
"risk" (so the supervisor is notified) without making it "high risk" on its own; Art. 34
needs a high risk to be *likely*. The FG corrects the facts and the decision as they become
known (:mod:`provisioner.privacy.breaches`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Language = Literal["nl", "en"]

#: The privacy officer (FG) hears of a breach within this time of its discovery (seed 000).
PRIVACY_OFFICER_WITHIN = timedelta(hours=24)
#: The supervisor is notified within this time of awareness (GDPR Art. 33(1)).
AUTHORITY_WITHIN = timedelta(hours=72)
#: A mistake reaching at most this many people, with ordinary contact data only, is
#: "unlikely to result in a risk": the size of EDPB case 15 (a list of 15 people).
FEW_PEOPLE = 15
#: From this many children the scale alone makes the risk high. A board's choice (a school's
#: worth of pupils), not a number from the GDPR: children merit specific protection
#: (Recital 38) and are vulnerable persons (Recital 75).
MANY_CHILDREN = 100

#: Data categories the assessment knows (the intake and facts files use these names).
CATEGORIES: dict[str, tuple[str, str]] = {
    "contact": ("names and contact details", "namen en contactgegevens"),
    "identity": ("identity data (date of birth, ID copies)", "identiteitsgegevens"),
    "learning_results": ("learning results (grades, reports)", "leerresultaten (cijfers)"),
    "care": ("care data (pupil care file)", "zorggegevens (zorgdossier)"),
    "medical": ("medical data", "medische gegevens"),
    "special": ("other special categories", "andere bijzondere persoonsgegevens"),
    "national_id": ("citizen service numbers (BSN)", "burgerservicenummers (BSN)"),
    "credentials": ("passwords or login data", "wachtwoorden of inloggegevens"),
    "financial": ("financial data", "financiële gegevens"),
    "photos": ("photos or video", "foto's of video"),
    "other": ("other personal data", "andere persoonsgegevens"),
}
#: Special categories of personal data (GDPR Art. 9): care and medical data are health data.
SPECIAL = frozenset({"care", "medical", "special"})
#: Data whose misuse harms directly: identity fraud, account take-over, money (EDPB 7, 14).
HARMFUL = frozenset({"national_id", "credentials", "financial"})
#: Kinds of breach without a known recipient to ask to delete the data.
NO_RECIPIENT = frozenset({"lost_device", "stolen_device", "paper", "hacking", "ransomware"})
#: Ordinary data only: no category beyond names and contact details.
ORDINARY = frozenset({"contact"})


class Risk(StrEnum):
    """The outcome of the risk assessment (GDPR Art. 33(1) and 34(1))."""

    NONE = "none"  # unlikely to result in a risk: document only
    RISK = "risk"  # notify the supervisor
    HIGH = "high risk"  # notify the supervisor and the people concerned


class FactsError(ValueError):
    """A facts file or message that cannot be read (a wrong type, an unknown field)."""


_BOOLEANS = (
    "special_categories",
    "national_id_number",
    "subjects_are_children",
    "confidentiality_breach",
    "integrity_breach",
    "availability_breach",
    "encrypted",
    "key_compromised",
    "backup_available",
    "recovered_quickly",
    "recipient_trusted",
    "deletion_confirmed",
    "malicious",
    "exfiltration_confirmed",
    "published_online",
)
_TEXTS = ("narrative", "kind", "cause", "measures")
_MOMENTS = ("discovered_at", "aware_at")


@dataclass(frozen=True)
class BreachFacts:
    """What is known about a breach; ``None`` means unknown.

    ``kind`` is what happened in a word ("lost_device", "stolen_device", "misdirected",
    "hacking", "ransomware", "paper", "other"); ``cause`` and ``measures`` are free text for
    the register and the supervisor's form. Naive moments are Europe/Amsterdam local time.
    """

    narrative: str = ""
    data_categories: tuple[str, ...] = ()
    special_categories: bool | None = None
    national_id_number: bool | None = None
    subjects_count: int | None = None
    subjects_are_children: bool | None = None
    confidentiality_breach: bool | None = None
    integrity_breach: bool | None = None
    availability_breach: bool | None = None
    encrypted: bool | None = None
    key_compromised: bool | None = None
    backup_available: bool | None = None
    recovered_quickly: bool | None = None
    recipient_trusted: bool | None = None
    deletion_confirmed: bool | None = None
    malicious: bool | None = None
    exfiltration_confirmed: bool | None = None
    published_online: bool | None = None
    discovered_at: datetime | None = None
    aware_at: datetime | None = None
    kind: str | None = None
    cause: str | None = None
    measures: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreachFacts:
        """Read facts from JSON-like data; absent and null fields are unknown.

        Raises :class:`FactsError` for an unknown field or a value of the wrong type, so a
        typo in a facts file is not silently read as "unknown".
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FactsError(f"unknown field(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name in _BOOLEANS:
            value = data.get(name)
            if value is not None and not isinstance(value, bool):
                raise FactsError(f"{name} must be true, false or null, not {value!r}")
            values[name] = value
        for name in _TEXTS:
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise FactsError(f"{name} must be text or null")
            values[name] = value
        values["narrative"] = values["narrative"] or ""
        categories = data.get("data_categories") or []
        if not isinstance(categories, list | tuple) or not all(
            isinstance(c, str) for c in categories
        ):
            raise FactsError("data_categories must be a list of names")
        values["data_categories"] = tuple(dict.fromkeys(c.strip().lower() for c in categories))
        count = data.get("subjects_count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise FactsError("subjects_count must be a whole number or null")
        if count is not None and count < 0:
            raise FactsError("subjects_count cannot be negative")
        values["subjects_count"] = count
        for name in _MOMENTS:
            values[name] = parse_moment(data.get(name), name)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; moments as ISO 8601 with offset."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def merged(self, changes: Mapping[str, Any]) -> BreachFacts:
        """These facts with ``changes`` (same field names as :meth:`from_dict`) applied."""
        data = self.to_dict()
        data.update(changes)
        return BreachFacts.from_dict(data)

    def unknown(self) -> list[str]:
        """The names of the facts that are still unknown (for the intake and the form)."""
        names = [n for n in _BOOLEANS if getattr(self, n) is None]
        if self.subjects_count is None:
            names.append("subjects_count")
        if not self.data_categories:
            names.append("data_categories")
        return names


def parse_moment(value: Any, name: str = "moment") -> datetime | None:
    """An aware datetime from ISO text or a datetime; naive means Europe/Amsterdam."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise FactsError(f"{name} must be an ISO date and time, not {value!r}") from exc
    else:
        raise FactsError(f"{name} must be an ISO date and time")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)


@dataclass(frozen=True)
class Deadline:
    """One deadline: who must hear of the breach, by when, and whether it applies."""

    kind: Literal["privacy_officer", "authority"]
    due_at: datetime  # aware, Europe/Amsterdam
    applies: bool
    rule: str


@dataclass(frozen=True)
class Assessment:
    """The outcome. ``reasons`` and ``assumptions`` are sentences in the asked language,
    each naming its rule; ``rules`` and ``examples`` are the same in machine form."""

    risk: Risk
    notify_authority: bool
    notify_subjects: bool
    reasons: tuple[str, ...]
    assumptions: tuple[str, ...]
    rules: tuple[str, ...]
    examples: tuple[int, ...]  # EDPB Guidelines 01/2021 case numbers cited
    deadlines: tuple[Deadline, ...]
    language: Language = "en"

    def deadline(self, kind: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk": self.risk.value,
            "notify_authority": self.notify_authority,
            "notify_subjects": self.notify_subjects,
            "reasons": list(self.reasons),
            "assumptions": list(self.assumptions),
            "rules": list(self.rules),
            "edpb_examples": list(self.examples),
            "deadlines": {
                d.kind: {"due_at": d.due_at.isoformat(), "applies": d.applies, "rule": d.rule}
                for d in self.deadlines
            },
            "language": self.language,
        }


# -- the sentences --------------------------------------------------------------------------

_EN: dict[str, str] = {
    "not_a_breach": (
        "No confidentiality, integrity or availability of personal data was affected, so this "
        "is not a personal data breach; it is documented anyway (GDPR Art. 4(12), Art. 33(5))."
    ),
    "encrypted": (
        "The data were encrypted and the key stayed safe, so nobody else can read them: the "
        "breach is unlikely to result in a risk (GDPR Art. 33(1), Art. 34(3)(a); EDPB 01/2021 "
        "cases 1, 6 and 10)."
    ),
    "trusted_recipient": (
        "The data reached a trusted recipient who confirmed deleting them, without malice or "
        "publication: unlikely to result in a risk (GDPR Art. 33(1), Art. 34(3)(b); EDPB "
        "01/2021 case 9)."
    ),
    "trusted_recipient_sensitive": (
        "The recipient was trusted and deleted the data, which takes away a high risk (GDPR "
        "Art. 34(3)(b)), but the data were {what}: that is still a risk to report (GDPR "
        "Art. 33(1))."
    ),
    "minor_mistake": (
        "A mistake without malice that showed only names and contact details of {count} "
        "people (at most {few}): unlikely to result in a risk (GDPR Art. 33(1); EDPB 01/2021 "
        "cases 13 and 15)."
    ),
    "exposed": (
        "People who should not have them may have seen or taken the data, and they were not "
        "unreadable to them: this is a risk, so the supervisor is notified (GDPR Art. 33(1); "
        "EDPB 01/2021 cases 11 and 16)."
    ),
    "special": (
        "The data include special categories of personal data ({what}): a high risk for the "
        "people concerned (GDPR Art. 9, Art. 34(1); EDPB 01/2021 cases 12 and 14)."
    ),
    "bsn": (
        "Citizen service numbers (BSN) were involved: they enable identity fraud, a high risk "
        "(GDPR Art. 87, Art. 34(1); EDPB 01/2021 case 14)."
    ),
    "harmful": (
        "The data include {what}, which can be misused directly (account take-over, fraud): a "
        "high risk (GDPR Art. 34(1); EDPB 01/2021 cases 7 and 18)."
    ),
    "published": (
        "The data were published online, where anyone can read and copy them and they cannot "
        "be taken back: a high risk (GDPR Art. 34(1))."
    ),
    "malicious": (
        "Someone took or reached the data on purpose (theft, hacking) and may use them: a high "
        "risk (GDPR Art. 34(1); EDPB 01/2021 cases 4, 5, 11, 17 and 18)."
    ),
    "malicious_ordinary": (
        "Someone took the data on purpose, but they are only names and contact details of a "
        "limited group: a risk, not a high risk (GDPR Art. 33(1); EDPB 01/2021 case 8)."
    ),
    "children_scale": (
        "The data are of {count} children (at least {many}); children merit specific "
        "protection, and at this scale the risk is high (GDPR Recitals 38 and 75, Art. 34(1))."
    ),
    "children": (
        "The people concerned are children, who merit specific protection: this weighs towards "
        "risk (GDPR Recitals 38 and 75)."
    ),
    "no_backup": (
        "The data are unavailable and there is no backup they were restored from: they may be "
        "lost for good, a risk (GDPR Art. 33(1); EDPB 01/2021 case 2)."
    ),
    "restored": (
        "The data were restored quickly from a backup, so their loss has no lasting effect "
        "(GDPR Art. 33(1); EDPB 01/2021 case 1)."
    ),
    "unavailable_sensitive": (
        "{what} were unavailable and not restored quickly, which can hold up the care or "
        "support people need: a high risk (GDPR Art. 34(1); EDPB 01/2021 case 3)."
    ),
    "integrity": (
        "Personal data may have been changed and were not restored: a risk (GDPR Art. 33(1))."
    ),
    "public_communication": (
        "With {count} people concerned, a public communication may replace telling each one "
        "if that would take disproportionate effort (GDPR Art. 34(3)(c))."
    ),
    "outcome_none": (
        "Outcome: document the breach in the register only; no notification (GDPR Art. 33(5))."
    ),
    "outcome_risk": (
        "Outcome: notify the Autoriteit Persoonsgegevens within 72 hours of awareness; the "
        "people concerned need not be told (GDPR Art. 33(1), Art. 34(1))."
    ),
    "outcome_high": (
        "Outcome: notify the Autoriteit Persoonsgegevens within 72 hours of awareness and tell "
        "the people concerned without undue delay (GDPR Art. 33(1), Art. 34(1))."
    ),
}

_NL: dict[str, str] = {
    "not_a_breach": (
        "De vertrouwelijkheid, juistheid en beschikbaarheid van persoonsgegevens zijn niet "
        "geraakt, dus dit is geen datalek; het wordt toch vastgelegd (AVG art. 4 lid 12, "
        "art. 33 lid 5)."
    ),
    "encrypted": (
        "De gegevens waren versleuteld en de sleutel is veilig gebleven, dus niemand anders kan "
        "ze lezen: het datalek levert waarschijnlijk geen risico op (AVG art. 33 lid 1, art. 34 "
        "lid 3 onder a; EDPB 01/2021 voorbeelden 1, 6 en 10)."
    ),
    "trusted_recipient": (
        "De gegevens kwamen bij een betrouwbare ontvanger die heeft bevestigd ze te hebben "
        "verwijderd, zonder kwade opzet of publicatie: waarschijnlijk geen risico (AVG art. 33 "
        "lid 1, art. 34 lid 3 onder b; EDPB 01/2021 voorbeeld 9)."
    ),
    "trusted_recipient_sensitive": (
        "De ontvanger was betrouwbaar en heeft de gegevens verwijderd, dat neemt een hoog risico "
        "weg (AVG art. 34 lid 3 onder b), maar het ging om {what}: dat blijft een risico om te "
        "melden (AVG art. 33 lid 1)."
    ),
    "minor_mistake": (
        "Een vergissing zonder kwade opzet waarbij alleen namen en contactgegevens van {count} "
        "personen (hooguit {few}) zichtbaar werden: waarschijnlijk geen risico (AVG art. 33 "
        "lid 1; EDPB 01/2021 voorbeelden 13 en 15)."
    ),
    "exposed": (
        "Mensen die de gegevens niet mogen hebben, hebben ze mogelijk gezien of meegenomen, en "
        "ze waren voor hen niet onleesbaar: dat is een risico, dus de AP wordt ingelicht (AVG "
        "art. 33 lid 1; EDPB 01/2021 voorbeelden 11 en 16)."
    ),
    "special": (
        "Het gaat om bijzondere persoonsgegevens ({what}): een hoog risico voor de betrokkenen "
        "(AVG art. 9, art. 34 lid 1; EDPB 01/2021 voorbeelden 12 en 14)."
    ),
    "bsn": (
        "Er zijn burgerservicenummers (BSN) bij betrokken: die maken identiteitsfraude mogelijk, "
        "een hoog risico (AVG art. 87, art. 34 lid 1; EDPB 01/2021 voorbeeld 14)."
    ),
    "harmful": (
        "Het gaat om {what}, die direct misbruikt kunnen worden (accounts overnemen, fraude): "
        "een hoog risico (AVG art. 34 lid 1; EDPB 01/2021 voorbeelden 7 en 18)."
    ),
    "published": (
        "De gegevens staan online, waar iedereen ze kan lezen en kopiëren en ze niet meer terug "
        "te halen zijn: een hoog risico (AVG art. 34 lid 1)."
    ),
    "malicious": (
        "Iemand heeft de gegevens met opzet genomen of bereikt (diefstal, hacken) en kan ze "
        "gebruiken: een hoog risico (AVG art. 34 lid 1; EDPB 01/2021 voorbeelden 4, 5, 11, 17 "
        "en 18)."
    ),
    "malicious_ordinary": (
        "Iemand heeft de gegevens met opzet meegenomen, maar het zijn alleen namen en "
        "contactgegevens van een beperkte groep: een risico, geen hoog risico (AVG art. 33 "
        "lid 1; EDPB 01/2021 voorbeeld 8)."
    ),
    "children_scale": (
        "Het gaat om gegevens van {count} kinderen (minstens {many}); kinderen verdienen "
        "specifieke bescherming, en op deze schaal is het risico hoog (AVG overwegingen 38 en "
        "75, art. 34 lid 1)."
    ),
    "children": (
        "De betrokkenen zijn kinderen, die specifieke bescherming verdienen: dat weegt mee naar "
        "een risico (AVG overwegingen 38 en 75)."
    ),
    "no_backup": (
        "De gegevens zijn niet beschikbaar en zijn niet uit een back-up teruggezet: ze kunnen "
        "voorgoed verloren zijn, een risico (AVG art. 33 lid 1; EDPB 01/2021 voorbeeld 2)."
    ),
    "restored": (
        "De gegevens zijn snel uit een back-up teruggezet, dus het verlies heeft geen blijvend "
        "gevolg (AVG art. 33 lid 1; EDPB 01/2021 voorbeeld 1)."
    ),
    "unavailable_sensitive": (
        "{what} waren niet beschikbaar en niet snel hersteld, wat de zorg of begeleiding die "
        "mensen nodig hebben kan ophouden: een hoog risico (AVG art. 34 lid 1; EDPB 01/2021 "
        "voorbeeld 3)."
    ),
    "integrity": (
        "Persoonsgegevens zijn mogelijk gewijzigd en niet hersteld: een risico (AVG art. 33 lid 1)."
    ),
    "public_communication": (
        "Met {count} betrokkenen mag een openbare mededeling het informeren van ieder "
        "afzonderlijk vervangen als dat een onevenredige inspanning vergt (AVG art. 34 lid 3 "
        "onder c)."
    ),
    "outcome_none": (
        "Uitkomst: alleen vastleggen in het datalekkenregister; niet melden (AVG art. 33 lid 5)."
    ),
    "outcome_risk": (
        "Uitkomst: melden bij de Autoriteit Persoonsgegevens binnen 72 uur na kennisname; de "
        "betrokkenen hoeven niet ingelicht te worden (AVG art. 33 lid 1, art. 34 lid 1)."
    ),
    "outcome_high": (
        "Uitkomst: melden bij de Autoriteit Persoonsgegevens binnen 72 uur na kennisname en de "
        "betrokkenen zonder onnodige vertraging inlichten (AVG art. 33 lid 1, art. 34 lid 1)."
    ),
}

_ASSUME_EN: dict[str, str] = {
    "confidentiality_breach": (
        "Unknown whether others could see the data: assumed they could (counts towards risk)."
    ),
    "availability_breach": "Unknown whether the data are still available: assumed they are not.",
    "integrity_breach": "Unknown whether data were changed: assumed they were not.",
    "encrypted": "Unknown whether the data were encrypted: assumed they were not.",
    "key_compromised": "Unknown whether the key stayed safe: assumed it did not.",
    "backup_available": "Unknown whether there is a backup: assumed there is none.",
    "recovered_quickly": "Unknown whether the data were restored quickly: assumed they were not.",
    "recipient_trusted": "Unknown whether the recipient can be trusted: assumed not.",
    "deletion_confirmed": "Unknown whether the recipient deleted the data: assumed not.",
    "special_categories": (
        "Unknown whether special categories (health, care) were involved: this keeps the breach "
        "at risk, but does not by itself make it a high risk."
    ),
    "national_id_number": (
        "Unknown whether citizen service numbers (BSN) were involved: this keeps the breach at "
        "risk, but does not by itself make it a high risk."
    ),
    "malicious": (
        "Unknown whether this was malicious: this keeps the breach at risk, but does not by "
        "itself make it a high risk."
    ),
    "exfiltration_confirmed": ("Unknown whether data were taken: with malice, assumed they were."),
    "published_online": "Unknown whether the data were published online: assumed not (yet).",
    "subjects_count": (
        "The number of people is unknown: assumed more than a few, so the minor-mistake rule "
        "does not apply."
    ),
    "subjects_are_children": "Unknown whether the people are children: counted as possible.",
    "data_categories": "The kinds of data are unknown: assumed more than names and addresses.",
    "discovered_at": (
        "The time of discovery is unknown: the deadlines count from the report; the real ones "
        "may be earlier."
    ),
    "aware_at": (
        "The time of awareness is unknown: taken to be the time of discovery (the school is "
        "aware once a staff member is)."
    ),
}

_ASSUME_NL: dict[str, str] = {
    "confidentiality_breach": (
        "Onbekend of anderen de gegevens konden zien: aangenomen van wel (telt mee als risico)."
    ),
    "availability_breach": "Onbekend of de gegevens nog beschikbaar zijn: aangenomen van niet.",
    "integrity_breach": "Onbekend of gegevens zijn gewijzigd: aangenomen van niet.",
    "encrypted": "Onbekend of de gegevens versleuteld waren: aangenomen van niet.",
    "key_compromised": "Onbekend of de sleutel veilig is gebleven: aangenomen van niet.",
    "backup_available": "Onbekend of er een back-up is: aangenomen van niet.",
    "recovered_quickly": "Onbekend of de gegevens snel zijn hersteld: aangenomen van niet.",
    "recipient_trusted": "Onbekend of de ontvanger betrouwbaar is: aangenomen van niet.",
    "deletion_confirmed": (
        "Onbekend of de ontvanger de gegevens heeft verwijderd: aangenomen van niet."
    ),
    "special_categories": (
        "Onbekend of er bijzondere persoonsgegevens (gezondheid, zorg) bij zijn: dat houdt het "
        "op een risico, maar maakt het niet vanzelf een hoog risico."
    ),
    "national_id_number": (
        "Onbekend of er burgerservicenummers (BSN) bij zijn: dat houdt het op een risico, maar "
        "maakt het niet vanzelf een hoog risico."
    ),
    "malicious": (
        "Onbekend of er kwade opzet was: dat houdt het op een risico, maar maakt het niet "
        "vanzelf een hoog risico."
    ),
    "exfiltration_confirmed": (
        "Onbekend of er gegevens zijn meegenomen: bij kwade opzet aangenomen van wel."
    ),
    "published_online": "Onbekend of de gegevens online staan: aangenomen van niet (nog niet).",
    "subjects_count": (
        "Het aantal betrokkenen is onbekend: aangenomen meer dan een paar, dus de regel voor "
        "een kleine vergissing geldt niet."
    ),
    "subjects_are_children": "Onbekend of het kinderen zijn: als mogelijk meegeteld.",
    "data_categories": (
        "Welke gegevens het zijn is onbekend: aangenomen meer dan namen en adressen."
    ),
    "discovered_at": (
        "Het tijdstip van ontdekking is onbekend: de termijnen tellen vanaf de melding; de echte "
        "kunnen eerder zijn."
    ),
    "aware_at": (
        "Het tijdstip van kennisname is onbekend: gelijkgesteld aan de ontdekking (de school weet "
        "het zodra een medewerker het weet)."
    ),
}

#: The EDPB Guidelines 01/2021 cases each reason cites (the same numbers as in its text).
_EXAMPLES: dict[str, tuple[int, ...]] = {
    "encrypted": (1, 6, 10),
    "trusted_recipient": (9,),
    "minor_mistake": (13, 15),
    "exposed": (11, 16),
    "special": (12, 14),
    "bsn": (14,),
    "harmful": (7, 18),
    "malicious": (4, 5, 11, 17, 18),
    "malicious_ordinary": (8,),
    "no_backup": (2,),
    "restored": (1,),
    "unavailable_sensitive": (3,),
}

_RULE_PO = {
    "en": "the board's protocol: the privacy officer within 24 hours of discovery",
    "nl": "protocol van het bestuur: de FG binnen 24 uur na ontdekking",
}
_RULE_AP = {
    "en": "GDPR Art. 33(1): the supervisor within 72 hours of awareness",
    "nl": "AVG art. 33 lid 1: de AP binnen 72 uur na kennisname",
}


def category_names(categories: set[str] | frozenset[str], language: Language) -> str:
    """Readable names of data categories, in a fixed order."""
    index = 0 if language == "en" else 1
    names = [CATEGORIES[c][index] for c in CATEGORIES if c in categories]
    names += sorted(c for c in categories if c not in CATEGORIES)
    return ", ".join(names)


class _Reasons:
    def __init__(self, language: Language) -> None:
        self.language = language
        self.texts = _EN if language == "en" else _NL
        self.reasons: list[str] = []
        self.rules: list[str] = []

    def add(self, rule: str, **values: Any) -> None:
        self.rules.append(rule)
        self.reasons.append(self.texts[rule].format(**values))


def assess(
    facts: BreachFacts, *, language: Language = "en", reported_at: datetime | None = None
) -> Assessment:
    """The risk, whom to notify, why, what was assumed, and the deadlines.

    ``reported_at`` stands in for an unknown time of discovery (the deadlines count from it).
    """
    say = _Reasons(language)
    assumed: list[str] = []
    assume_texts = _ASSUME_EN if language == "en" else _ASSUME_NL

    def assume(name: str) -> None:
        text = assume_texts[name]
        if text not in assumed:
            assumed.append(text)

    def known(name: str, default: bool) -> bool:
        value: bool | None = getattr(facts, name)
        if value is None:
            assume(name)
            return default
        return value

    categories = set(facts.data_categories)
    if facts.special_categories:
        categories.add("special")
    if facts.national_id_number:
        categories.add("national_id")
    special = categories & SPECIAL
    harmful = categories & HARMFUL - {"national_id"}
    bsn = "national_id" in categories
    if not categories:
        assume("data_categories")
    ordinary_only = bool(categories) and categories <= ORDINARY
    if facts.special_categories is None and not special:
        assume("special_categories")
    if facts.national_id_number is None and not bsn:
        assume("national_id_number")
    count = facts.subjects_count
    children = facts.subjects_are_children
    if children is None:
        assume("subjects_are_children")

    confidentiality = known("confidentiality_breach", True)
    availability = known("availability_breach", True)
    integrity = facts.integrity_breach is True
    if facts.integrity_breach is None:
        assume("integrity_breach")

    high = False
    risk = False
    if not (confidentiality or availability or integrity):
        say.add("not_a_breach")
    if confidentiality:
        encrypted = known("encrypted", False)
        key_safe = encrypted and not known("key_compromised", True)
        malicious = facts.malicious
        published = facts.published_online is True
        if facts.published_online is None:
            assume("published_online")
        no_recipient = facts.kind in NO_RECIPIENT
        trusted = (
            not key_safe
            and not no_recipient
            and known("recipient_trusted", False)
            and known("deletion_confirmed", False)
            and not published
            and malicious is not True
        )
        minor = (
            not key_safe
            and not trusted
            and malicious is False
            and not published
            and ordinary_only
            and count is not None
            and count <= FEW_PEOPLE
            and children is not True
        )
        if key_safe:
            say.add("encrypted")
        elif trusted:
            if special or bsn:
                what = category_names(special | ({"national_id"} if bsn else set()), language)
                say.add("trusted_recipient_sensitive", what=what)
                risk = True
            else:
                say.add("trusted_recipient")
        elif minor:
            say.add("minor_mistake", count=count, few=FEW_PEOPLE)
        else:
            risk = True
            say.add("exposed")
            if special:
                say.add("special", what=category_names(special, language))
                high = True
            if bsn:
                say.add("bsn")
                high = True
            if harmful:
                say.add("harmful", what=category_names(harmful, language))
                high = True
            if published:
                say.add("published")
                high = True
            if malicious is None:
                assume("malicious")
            elif malicious:
                taken = facts.exfiltration_confirmed is not False
                if facts.exfiltration_confirmed is None:
                    assume("exfiltration_confirmed")
                small_known = count is not None and count < MANY_CHILDREN
                if taken and ordinary_only and small_known and children is not True:
                    say.add("malicious_ordinary")
                elif taken:
                    say.add("malicious")
                    high = True
            if children is True:
                if count is not None and count >= MANY_CHILDREN:
                    say.add("children_scale", count=count, many=MANY_CHILDREN)
                    high = True
                else:
                    say.add("children")
            if count is None:
                assume("subjects_count")
    if availability:
        backup = known("backup_available", False)
        quickly = known("recovered_quickly", False)
        if backup and quickly:
            say.add("restored")
        else:
            risk = True
            if not backup:
                say.add("no_backup")
            if special and facts.availability_breach is True and not quickly:
                what = category_names(special, language)
                say.add("unavailable_sensitive", what=what[:1].upper() + what[1:])
                high = True
    if integrity and not (facts.backup_available and facts.recovered_quickly):
        say.add("integrity")
        risk = True

    level = Risk.HIGH if high else Risk.RISK if risk else Risk.NONE
    if level is Risk.HIGH and count is not None and count >= MANY_CHILDREN:
        say.add("public_communication", count=count)
    say.add(
        {Risk.NONE: "outcome_none", Risk.RISK: "outcome_risk", Risk.HIGH: "outcome_high"}[level]
    )
    deadlines = _deadlines(facts, level, language, reported_at, assume)
    examples = sorted({n for rule in say.rules for n in _EXAMPLES.get(rule, ())})
    return Assessment(
        risk=level,
        notify_authority=level is not Risk.NONE,
        notify_subjects=level is Risk.HIGH,
        reasons=tuple(say.reasons),
        assumptions=tuple(assumed),
        rules=tuple(say.rules),
        examples=tuple(examples),
        deadlines=deadlines,
        language=language,
    )


def deadlines_for(
    discovered_at: datetime, aware_at: datetime | None = None
) -> tuple[datetime, datetime]:
    """The privacy officer's and the supervisor's deadlines, in Europe/Amsterdam time.

    The hours are elapsed hours: they are added in UTC, so 72 hours across the end of summer
    time end at 09:00 for a 10:00 start (the clock went back one hour in between).
    """
    aware = aware_at or discovered_at
    officer = (discovered_at.astimezone(UTC) + PRIVACY_OFFICER_WITHIN).astimezone(AMSTERDAM)
    authority = (aware.astimezone(UTC) + AUTHORITY_WITHIN).astimezone(AMSTERDAM)
    return officer, authority


def _deadlines(
    facts: BreachFacts,
    level: Risk,
    language: Language,
    reported_at: datetime | None,
    assume: Any,
) -> tuple[Deadline, ...]:
    discovered = facts.discovered_at
    if discovered is None:
        if reported_at is None:
            assume("discovered_at")
            return ()
        assume("discovered_at")
        discovered = reported_at if reported_at.tzinfo else reported_at.replace(tzinfo=AMSTERDAM)
    if facts.aware_at is None:
        assume("aware_at")
    officer, authority = deadlines_for(discovered, facts.aware_at)
    return (
        Deadline("privacy_officer", officer, True, _RULE_PO[language]),
        Deadline("authority", authority, level is not Risk.NONE, _RULE_AP[language]),
    )


def facts_field_names() -> list[str]:
    """Every field a facts file may have."""
    return [f.name for f in fields(BreachFacts)]


__all__ = [
    "AMSTERDAM",
    "AUTHORITY_WITHIN",
    "CATEGORIES",
    "PRIVACY_OFFICER_WITHIN",
    "Assessment",
    "BreachFacts",
    "Deadline",
    "FactsError",
    "Risk",
    "assess",
    "category_names",
    "deadlines_for",
    "facts_field_names",
    "parse_moment",
]
