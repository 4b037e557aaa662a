"""Reading a breach report in free text, and the intake's questions (pure).

The first message is read for what it already says (the kind of breach, the data, "28
leerlingen", "niet versleuteld", when it was discovered); :func:`next_question` then picks the
first question whose answer is still unknown and that matters for this kind of breach. Used
by :class:`bot.flows.breach.BreachFlow`.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from bot.dates import find_day
from provisioner.privacy.breach import AMSTERDAM, SPECIAL

YES = frozenset({"ja", "yes", "j", "y", "jazeker", "klopt", "wel"})
NO = frozenset({"nee", "no", "n", "niet", "neen", "geen"})
UNKNOWN = frozenset(
    {
        "weet ik niet",
        "weet niet",
        "onbekend",
        "geen idee",
        "?",
        "unknown",
        "don't know",
        "dont know",
        "not sure",
        "no idea",
        "idk",
    }
)
NOW_WORDS = frozenset({"meld nu", "nu melden", "report now", "klaar", "done"})

# -- reading free text ----------------------------------------------------------------------

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ransomware", re.compile(r"ransomware|gegijzeld|losgeld|ransom", re.I)),
    (
        "hacking",
        re.compile(
            r"gehackt|hack|phishing|malware|virus|ingebroken in|inlog.*gestolen"
            r"|account.*overgenomen|hacked|compromised",
            re.I,
        ),
    ),
    (
        "stolen_device",
        re.compile(
            r"gestolen|diefstal|stolen|theft|ingebroken|inbraak"
            r"|burglar",
            re.I,
        ),
    ),
    (
        "published",
        re.compile(
            r"online gezet|op internet|gepubliceerd|op (de )?website gezet"
            r"|published|posted online|publicly",
            re.I,
        ),
    ),
    (
        "misdirected",
        re.compile(
            r"verkeerde|verkeerd|per ongeluk.*(gestuurd|verstuurd|gemaild"
            r"|gedeeld)|(gestuurd|verstuurd|gemaild|gedeeld).*naar|wrong"
            r"|by mistake|misdirected|cc |\bcc\b|in de cc",
            re.I,
        ),
    ),
    ("paper", re.compile(r"\bmap\b|papier|printje|uitdraai|dossiermap|folder|papers?\b", re.I)),
    (
        "lost_device",
        re.compile(
            r"kwijt|verloren|laten liggen|lost|left .* on|misplaced|usb"
            r"|stick|laptop|telefoon|tablet|harde schijf|phone"
            r"|hard drive",
            re.I,
        ),
    ),
)

_CATEGORY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "learning_results",
        re.compile(
            r"cijfer|rapport|toets|resultat|grade|report card|results"
            r"|marks|scores|lvs|leerlingvolg",
            re.I,
        ),
    ),
    (
        "care",
        re.compile(
            r"zorg|handelingsplan|\bib\b|ontwikkelingsperspectief|\bopp\b"
            r"|care file|care plan|dyslex",
            re.I,
        ),
    ),
    (
        "medical",
        re.compile(
            r"medisch|allergie|diagnose|medicatie|medicijn|gezondheid|ziekte"
            r"|medical|health|diagnos|allerg|medication",
            re.I,
        ),
    ),
    (
        "national_id",
        re.compile(
            r"\bbsn|burgerservice|sofi|citizen service|national id|social"
            r" security",
            re.I,
        ),
    ),
    ("credentials", re.compile(r"wachtwoord|password|inlog|login|credential|toegangscode", re.I)),
    (
        "financial",
        re.compile(
            r"bank|iban|rekeningnummer|financ|salaris|salary|ouderbijdrage"
            r"|betaal|payment",
            re.I,
        ),
    ),
    (
        "identity",
        re.compile(
            r"paspoort|id-kaart|identiteitsbewijs|geboortedatum|passport"
            r"|date of birth|birth date|id card",
            re.I,
        ),
    ),
    ("photos", re.compile(r"foto|video|beeld|photo|picture", re.I)),
    (
        "special",
        re.compile(
            r"religie|godsdienst|geloof|afkomst|etnisch|religion|ethnic"
            r"|strafblad|criminal",
            re.I,
        ),
    ),
    (
        "contact",
        re.compile(
            r"adres|naam|namen|telefoonnummer|e-?mail|contact|klassenlijst"
            r"|leerlingenlijst|adreslijst|address|names|phone number"
            r"|class list",
            re.I,
        ),
    ),
)

PUPILS = re.compile(
    r"leerling|kinderen|kind\b|groep|klas|pupil|child|student|class|grade list"
    r"|cijferlijst",
    re.I,
)
ADULTS = re.compile(
    r"ouders?\b|collega|medewerker|personeel|leerkracht|docent|parent|staff"
    r"|teacher|colleague|employee",
    re.I,
)
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
    (
        "several",
        re.compile(
            r"hele (klas|groep|school)|alle ouders|meerdere (ouders|mensen|"
            r"collega'?s)|mailinglijst|verzendlijst|\bcc\b|groepsapp|whole "
            r"(class|school)|all (the )?parents|several (parents|people)"
            r"|mailing list|everyone",
            re.I,
        ),
    ),
    (
        "one_person",
        re.compile(
            r"(een |één |de )?verkeerde (ouder|collega|leerling|persoon|"
            r"ontvanger)|een andere ouder|(the |a )?wrong (parent|person|"
            r"colleague|pupil|recipient)|another parent",
            re.I,
        ),
    ),
)
_RECALLED = re.compile(
    r"teruggehaald|teruggestuurd|teruggekregen|terug gekregen|ingetrokken"
    r"|recalled|got (it|them) back|sent (it|them) back",
    re.I,
)


def read_recipient(text: str) -> str | None:
    """ "de verkeerde ouder" -> one_person; "de hele klas", "alle ouders" -> several."""
    for recipient, pattern in _RECIPIENT_PATTERNS:
        if pattern.search(text):
            return recipient
    return None


#: The buttons of the "who received it?" question: (value, Dutch, English).
RECIPIENT_CHOICES = (
    ("one_person", "One person"),
    ("several", "Several people"),
    ("public", "Public"),
)
_RECIPIENT_ANSWERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("public", re.compile(r"openbaar|online|internet|website|public", re.I)),
    (
        "several",
        re.compile(
            r"meerdere|meer dan|een paar|veel|groep|klas|several|many|a few"
            r"|group|class|\b([2-9]|\d\d+)\b",
            re.I,
        ),
    ),
    (
        "one_person",
        re.compile(
            r"^\s*(1|één|een|eén|one|a single)\b|één persoon|one person"
            r"|single",
            re.I,
        ),
    ),
)


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
    "lost_device": {
        "confidentiality_breach": True,
        "availability_breach": True,
        "integrity_breach": False,
        "malicious": False,
    },
    "stolen_device": {
        "confidentiality_breach": True,
        "availability_breach": True,
        "integrity_breach": False,
        "malicious": True,
    },
    "misdirected": {
        "confidentiality_breach": True,
        "availability_breach": False,
        "integrity_breach": False,
        "malicious": False,
    },
    "published": {
        "confidentiality_breach": True,
        "availability_breach": False,
        "integrity_breach": False,
        "published_online": True,
    },
    "paper": {
        "confidentiality_breach": True,
        "availability_breach": True,
        "integrity_breach": False,
        "encrypted": False,
    },
    "hacking": {"confidentiality_breach": True, "malicious": True},
    "ransomware": {"availability_breach": True, "integrity_breach": True, "malicious": True},
}


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
