"""Reading a breach report in free text, and the intake's questions (pure).

The first message is read for what it already says (the kind of breach, the data, "28
leerlingen", "niet versleuteld", when it was discovered); :func:`next_question` then picks the
first question whose answer is still unknown and that matters for this kind of breach. Used
by :class:`bot.flows.breach.BreachFlow`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from bot.dates import find_day
from provisioner.privacy.breach import AMSTERDAM, SPECIAL

YES = frozenset({"ja", "yes", "j", "y", "jazeker", "klopt", "wel"})
NO = frozenset({"nee", "no", "n", "niet", "neen", "geen"})
UNKNOWN = frozenset({"weet ik niet", "weet niet", "onbekend", "geen idee", "?", "unknown",
                     "don't know", "dont know", "not sure", "no idea", "idk"})  # fmt: skip
NOW_WORDS = frozenset({"meld nu", "nu melden", "report now", "klaar", "done"})

# -- reading free text ----------------------------------------------------------------------

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ransomware", re.compile(r"ransomware|gegijzeld|losgeld|ransom", re.I)),
    ("hacking", re.compile(r"gehackt|hack|phishing|malware|virus|ingebroken in|inlog.*gestolen"
                           r"|account.*overgenomen|hacked|compromised", re.I)),
    ("stolen_device", re.compile(r"gestolen|diefstal|stolen|theft|ingebroken|inbraak"
                                 r"|burglar", re.I)),
    ("published", re.compile(r"online gezet|op internet|gepubliceerd|op (de )?website gezet"
                             r"|published|posted online|publicly", re.I)),
    ("misdirected", re.compile(r"verkeerde|verkeerd|per ongeluk.*(gestuurd|verstuurd|gemaild"
                               r"|gedeeld)|(gestuurd|verstuurd|gemaild|gedeeld).*naar|wrong"
                               r"|by mistake|misdirected|cc |\bcc\b|in de cc", re.I)),
    ("paper", re.compile(r"\bmap\b|papier|printje|uitdraai|dossiermap|folder|papers?\b", re.I)),
    ("lost_device", re.compile(r"kwijt|verloren|laten liggen|lost|left .* on|misplaced|usb"
                               r"|stick|laptop|telefoon|tablet|harde schijf|phone"
                               r"|hard drive", re.I)),
)  # fmt: skip

_CATEGORY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("learning_results", re.compile(r"cijfer|rapport|toets|resultat|grade|report card|results"
                                    r"|marks|scores|lvs|leerlingvolg", re.I)),
    ("care", re.compile(r"zorg|handelingsplan|\bib\b|ontwikkelingsperspectief|\bopp\b"
                        r"|care file|care plan|dyslex", re.I)),
    ("medical", re.compile(r"medisch|allergie|diagnose|medicatie|medicijn|gezondheid|ziekte"
                           r"|medical|health|diagnos|allerg|medication", re.I)),
    ("national_id", re.compile(r"\bbsn|burgerservice|sofi|citizen service|national id|social"
                               r" security", re.I)),
    ("credentials", re.compile(r"wachtwoord|password|inlog|login|credential|toegangscode", re.I)),
    ("financial", re.compile(r"bank|iban|rekeningnummer|financ|salaris|salary|ouderbijdrage"
                             r"|betaal|payment", re.I)),
    ("identity", re.compile(r"paspoort|id-kaart|identiteitsbewijs|geboortedatum|passport"
                            r"|date of birth|birth date|id card", re.I)),
    ("photos", re.compile(r"foto|video|beeld|photo|picture", re.I)),
    ("special", re.compile(r"religie|godsdienst|geloof|afkomst|etnisch|religion|ethnic"
                           r"|strafblad|criminal", re.I)),
    ("contact", re.compile(r"adres|naam|namen|telefoonnummer|e-?mail|contact|klassenlijst"
                           r"|leerlingenlijst|adreslijst|address|names|phone number"
                           r"|class list", re.I)),
)  # fmt: skip

PUPILS = re.compile(r"leerling|kinderen|kind\b|groep|klas|pupil|child|student|class|grade list"
                     r"|cijferlijst", re.I)  # fmt: skip
ADULTS = re.compile(r"ouders?\b|collega|medewerker|personeel|leerkracht|docent|parent|staff"
                     r"|teacher|colleague|employee", re.I)  # fmt: skip
_COUNT = re.compile(
    r"(\d{1,6})\s*(?:\w+\s+)?(leerlingen|kinderen|ouders|collega'?s|medewerkers|personen|mensen"
    r"|pupils|children|students|parents|people|persons|staff|teachers|colleagues)",
    re.I,
)
_BARE_NUMBER = re.compile(r"(?:^|\s)(?:ongeveer|circa|ca\.?|about|around|~)?\s*(\d{1,6})\b")
_NOT_ENCRYPTED = re.compile(
    r"niet versleuteld|onversleuteld|zonder (wachtwoord|versleuteling)|not encrypted"
    r"|unencrypted|no password|geen wachtwoord",
    re.I,
)
_ENCRYPTED = re.compile(r"versleuteld|encrypted|bitlocker|beveiligd met|met wachtwoord", re.I)
_TIME = re.compile(
    r"\b(?:om\s+|at\s+)?([01]?\d|2[0-3])[:.]([0-5]\d)\b|\bom\s+([01]?\d|2[0-3])\s*uur\b"
)
_JUST_NOW = re.compile(r"\bnet\b|zojuist|zonet|just now|a moment ago|zo-?even", re.I)
_THIS_MORNING = re.compile(r"vanochtend|vanmorgen|this morning", re.I)
_THIS_AFTERNOON = re.compile(r"vanmiddag|this afternoon", re.I)


#: Who received misdirected data (EDPB 01/2021: one wrong person or many matters).
_RECIPIENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("several", re.compile(r"hele (klas|groep|school)|alle ouders|meerdere (ouders|mensen|"
                           r"collega'?s)|mailinglijst|verzendlijst|\bcc\b|groepsapp|whole "
                           r"(class|school)|all (the )?parents|several (parents|people)"
                           r"|mailing list|everyone", re.I)),
    ("one_person", re.compile(r"(een |één |de )?verkeerde (ouder|collega|leerling|persoon|"
                              r"ontvanger)|een andere ouder|(the |a )?wrong (parent|person|"
                              r"colleague|pupil|recipient)|another parent", re.I)),
)  # fmt: skip
_RECALLED = re.compile(r"teruggehaald|teruggestuurd|teruggekregen|terug gekregen|ingetrokken"
                       r"|recalled|got (it|them) back|sent (it|them) back", re.I)  # fmt: skip


def read_recipient(text: str) -> str | None:
    """ "de verkeerde ouder" -> one_person; "de hele klas", "alle ouders" -> several."""
    for recipient, pattern in _RECIPIENT_PATTERNS:
        if pattern.search(text):
            return recipient
    return None


#: The buttons of the "who received it?" question: (value, Dutch, English).
RECIPIENT_CHOICES = (
    ("one_person", "Eén persoon", "One person"),
    ("several", "Meerdere mensen", "Several people"),
    ("public", "Openbaar", "Public"),
)
_RECIPIENT_ANSWERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("public", re.compile(r"openbaar|online|internet|website|public", re.I)),
    ("several", re.compile(r"meerdere|meer dan|een paar|veel|groep|klas|several|many|a few"
                           r"|group|class|\b([2-9]|\d\d+)\b", re.I)),
    ("one_person", re.compile(r"^\s*(1|één|een|eén|one|a single)\b|één persoon|one person"
                              r"|single", re.I)),
)  # fmt: skip


def read_recipient_answer(text: str) -> str | None:
    """The answer to "one person, several, or public?": a sentence ("de hele klas") or a
    short word ("één", "meerdere", "openbaar")."""
    recipient = read_recipient(text)
    if recipient is not None:
        return recipient
    for name, pattern in _RECIPIENT_ANSWERS:
        if pattern.search(text):
            return name
    return None


def read_kind(text: str) -> str | None:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def read_categories(text: str) -> list[str]:
    return [name for name, pattern in _CATEGORY_PATTERNS if pattern.search(text)]


def read_count(text: str, *, bare: bool = False) -> int | None:
    match = _COUNT.search(text)
    if match:
        return int(match.group(1))
    if bare:
        match = _BARE_NUMBER.search(text)
        if match:
            return int(match.group(1))
    return None


def read_moment(text: str, now: datetime) -> datetime | None:
    """When something was discovered, from "vanochtend", "gisteren 15:30", "net", "31-10".

    A day without a time counts from the start of that day, so a deadline is never later
    than the real one; a moment after ``now`` is ``now``.
    """
    local = now.astimezone(AMSTERDAM)
    if _JUST_NOW.search(text):
        return local
    clock = _TIME.search(text)
    at: time | None = None
    if clock:
        hour = int(clock.group(1) or clock.group(3))
        minute = int(clock.group(2) or 0)
        at = time(hour, minute)
    day = None
    found = find_day(text, local.date())
    if found is not None:
        day = found.day
    elif _THIS_MORNING.search(text):
        day, at = local.date(), at or time(7, 0)
    elif _THIS_AFTERNOON.search(text):
        day, at = local.date(), at or time(12, 0)
    elif at is not None:
        day = local.date()
    if day is None:
        return None
    moment = datetime.combine(day, at or time(0, 0), tzinfo=AMSTERDAM)
    return min(moment, local)


def extract(text: str, now: datetime) -> dict[str, Any]:
    """The facts a free-text message already gives (field name -> value)."""
    facts: dict[str, Any] = {}
    kind = read_kind(text)
    if kind:
        facts["kind"] = kind
        facts.update(_KIND_FACTS[kind])
    recipient = read_recipient(text)
    if recipient:
        facts["recipient"] = recipient
    if _RECALLED.search(text):
        facts["recalled"] = True
    categories = read_categories(text)
    if categories:
        facts["data_categories"] = categories
        if set(categories) & SPECIAL:
            facts["special_categories"] = True
        if "national_id" in categories:
            facts["national_id_number"] = True
    if _NOT_ENCRYPTED.search(text):
        facts["encrypted"] = False
    elif _ENCRYPTED.search(text) and kind != "ransomware":
        facts["encrypted"] = True
    count = read_count(text)
    if count is not None:
        facts["subjects_count"] = count
    if PUPILS.search(text) or "learning_results" in categories:
        facts["subjects_are_children"] = True
    moment = read_moment(text, now)
    if moment is not None:
        facts["discovered_at"] = moment.isoformat()
    return facts


#: What each kind of breach settles by itself.
_KIND_FACTS: dict[str, dict[str, Any]] = {
    "lost_device": {"confidentiality_breach": True, "availability_breach": True,
                    "integrity_breach": False, "malicious": False},
    "stolen_device": {"confidentiality_breach": True, "availability_breach": True,
                      "integrity_breach": False, "malicious": True},
    "misdirected": {"confidentiality_breach": True, "availability_breach": False,
                    "integrity_breach": False, "malicious": False},
    "published": {"confidentiality_breach": True, "availability_breach": False,
                  "integrity_breach": False, "published_online": True},
    "paper": {"confidentiality_breach": True, "availability_breach": True,
              "integrity_breach": False, "encrypted": False},
    "hacking": {"confidentiality_breach": True, "malicious": True},
    "ransomware": {"availability_breach": True, "integrity_breach": True, "malicious": True},
}  # fmt: skip


# -- the questions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    key: str  # the step name; for yes/no questions also the fact it sets
    nl: str
    en: str
    yes_no: bool = True


QUESTIONS: tuple[Question, ...] = (
    Question("narrative", "Wat is er gebeurd? Vertel het in een paar woorden.",
             "What happened? A few words are enough.", yes_no=False),
    Question("discovered_at", "Wanneer heb je het ontdekt? Bijvoorbeeld \"net\", \"vanochtend "
             "8:30\" of \"gisteren 15:00\".", "When did you discover it? For example \"just "
             "now\", \"this morning 8:30\" or \"yesterday 15:00\".", yes_no=False),
    Question("data_categories", "Om welke gegevens gaat het? Bijvoorbeeld cijfers, namen en "
             "adressen, zorg- of medische gegevens, BSN, wachtwoorden of financiële gegevens.",
             "What kind of data is it? For example grades, names and addresses, care or "
             "medical data, citizen service numbers (BSN), passwords or financial data.",
             yes_no=False),
    Question("subjects_count", "Van wie zijn de gegevens en om hoeveel mensen gaat het? "
             "Bijvoorbeeld \"28 leerlingen van groep 7\".", "Whose data is it, and how many "
             "people? For example \"28 pupils of year 7\".", yes_no=False),
    Question("subjects_are_children", "Zijn het gegevens van leerlingen (kinderen)?",
             "Is it data about pupils (children)?"),
    Question("special_categories", "Zaten er zorg-, medische of andere gevoelige gegevens bij "
             "(gezondheid, godsdienst, afkomst)?", "Did it include care, medical or other "
             "sensitive data (health, religion, ethnic origin)?"),
    Question("national_id_number", "Zaten er burgerservicenummers (BSN) bij?",
             "Did it include citizen service numbers (BSN)?"),
    Question("encrypted", "Waren de gegevens versleuteld (bijv. BitLocker, een beveiligde "
             "usb-stick)?", "Was the data encrypted (e.g. BitLocker, a secure usb stick)?"),
    Question("key_safe", "Is het wachtwoord of de sleutel veilig (niet bij het apparaat, niet "
             "gedeeld)?", "Is the password or key safe (not with the device, not shared)?"),
    Question("backup_available", "Is er een back-up of kopie van de gegevens, bijvoorbeeld "
             "op de server?", "Is there a backup or copy of the data, e.g. on the server?"),
    Question("recovered_quickly", "Kan de school weer bij de gegevens?",
             "Is the data available to the school again?"),
    Question("recipient", "Bij wie kwamen de gegevens terecht: bij één persoon, bij meerdere "
             "mensen, of staan ze openbaar online?", "Who received the data: one person, "
             "several people, or are they public online?", yes_no=False),
    Question("recipient_trusted", "Is de ontvanger bekend en te vertrouwen (bijv. een collega "
             "of een ouder die meewerkt)?", "Is the recipient known and trustworthy (e.g. a "
             "colleague, or a parent who cooperates)?"),
    Question("deletion_confirmed", "Heeft de ontvanger bevestigd dat de gegevens zijn "
             "verwijderd?", "Has the recipient confirmed that they deleted the data?"),
    Question("malicious", "Was het opzet (diefstal, hacken) of een vergissing?",
             "Was it deliberate (theft, hacking) or a mistake?"),
    Question("cause", "Hoe kon dit gebeuren (de oorzaak)?", "How could this happen (the "
             "cause)?", yes_no=False),
    Question("measures", "Wat is er al gedaan? Bijvoorbeeld: de ontvanger gevraagd de "
             "gegevens te verwijderen, het wachtwoord gewijzigd, aangifte gedaan.",
             "What has been done so far? For example: asked the recipient to delete it, "
             "changed the password, reported it to the police.", yes_no=False),
)  # fmt: skip
BY_KEY = {q.key: q for q in QUESTIONS}
_DEVICE_KINDS = frozenset({"lost_device", "stolen_device", "hacking"})
_AVAILABILITY_KINDS = frozenset({"lost_device", "stolen_device", "paper", "ransomware", "hacking"})


def next_question(facts: dict[str, Any], skipped: list[str]) -> Question | None:
    """The first question whose answer is still unknown and that matters for this breach."""
    kind = facts.get("kind")
    for question in QUESTIONS:
        key = question.key
        if key in skipped:
            continue
        if key == "narrative":
            if facts.get("narrative"):
                continue
        elif key == "data_categories":
            if facts.get("data_categories"):
                continue
        elif key == "subjects_count":
            if facts.get("subjects_count") is not None:
                continue
        elif key == "key_safe":
            if facts.get("encrypted") is not True or facts.get("key_compromised") is not None:
                continue
        elif key == "encrypted":
            if (kind not in _DEVICE_KINDS and kind is not None) or "encrypted" in facts:
                continue
        elif key in ("backup_available", "recovered_quickly"):
            if kind not in _AVAILABILITY_KINDS and kind is not None:
                continue
            if key == "recovered_quickly" and facts.get("backup_available") is not True:
                continue
            if key in facts:
                continue
        elif key == "recipient":
            if kind != "misdirected" or key in facts:
                continue
        elif key in ("recipient_trusted", "deletion_confirmed"):
            if kind != "misdirected" or key in facts:
                continue
            if key == "deletion_confirmed" and facts.get("recipient_trusted") is False:
                continue
        elif key in ("cause", "measures"):
            if facts.get(key):
                continue
        elif key in facts:
            continue
        return question
    return None


# -- reading answers -------------------------------------------------------------------------

#: An answer that is neither yes, no nor "don't know".
NOT_UNDERSTOOD: Any = object()


def yes_no(folded: str) -> Any:
    first = folded.strip(" .!").split(",")[0].strip()
    if first in YES or folded.startswith(("ja", "yes")):
        return True
    if first in NO or folded.startswith(("nee", "no ", "no,")) or folded == "no":
        return False
    if first in UNKNOWN or folded in UNKNOWN:
        return None
    return NOT_UNDERSTOOD


def deliberate(folded: str) -> Any:
    if re.search(r"opzet|expres|diefstal|gestolen|hack|deliberate|on purpose|theft|stolen", folded):
        return True
    if re.search(r"vergissing|ongeluk|fout|mistake|accident|error", folded):
        return False
    return NOT_UNDERSTOOD
