"""The facts of a personal data breach (*datalek*) as the assessment reads them.

A facts file, the chat intake and the register all hold the same fields; ``None`` (or an
absent field) means "unknown" and the assessment says what it assumed. A field the product
does not know is not refused: it is kept in the narrative as ``name: value`` (so the privacy
officer, the FG, still reads it) and :func:`read_facts` returns a warning about it. A wrong
*type* for a known field is an error that names the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from provisioner.i18n import N_, tr

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Language = Literal["nl", "en"]

#: Data categories the assessment knows (the intake and facts files use these names).
CATEGORIES: dict[str, str] = {
    "contact": N_("names and contact details"),
    "identity": N_("identity data (date of birth, ID copies)"),
    "learning_results": N_("learning results (grades, reports)"),
    "care": N_("care data (pupil care file)"),
    "medical": N_("medical data"),
    "special": N_("other special categories"),
    "national_id": N_("citizen service numbers (BSN)"),
    "credentials": N_("passwords or login data"),
    "financial": N_("financial data"),
    "photos": N_("photos or video"),
    "other": N_("other personal data"),
}
#: Special categories of personal data (GDPR Art. 9): care and medical data are health data.
SPECIAL = frozenset({"care", "medical", "special"})
#: Data whose misuse harms directly: identity fraud, account take-over, money (EDPB 7, 14).
HARMFUL = frozenset({"national_id", "credentials", "financial"})
#: Ordinary data only: no category beyond names and contact details.
ORDINARY = frozenset({"contact"})

#: Who received or could read the data (EDPB 01/2021 and WP250: the recipient as a factor).
RECIPIENTS: dict[str, str] = {
    "trusted_party": N_("a known, trusted party"),
    "one_person": N_("one wrong person"),
    "several": N_("several wrong people"),
    "public": N_("the public (published, anyone can read it)"),
}

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
    "recalled",
    "malicious",
    "insider",
    "exfiltration_confirmed",
    "published_online",
    "identifiable",
)
_COUNTS = ("subjects_count", "records_count", "unavailable_minutes")
_TEXTS = ("narrative", "kind", "cause", "measures")
_MOMENTS = ("discovered_at", "aware_at")


class FactsError(ValueError):
    """A facts file or message that cannot be read (a known field with a wrong value)."""


@dataclass(frozen=True)
class BreachFacts:
    """What is known about a breach; ``None`` means unknown.

    ``kind`` is what happened in a word ("lost_device", "stolen_device", "misdirected",
    "hacking", "ransomware", "paper", "other"); ``cause`` and ``measures`` are free text for
    the register and the supervisor's form. Naive moments are Europe/Amsterdam local time.

    The risk factors of the EDPB and WP250: ``recipient`` (one of :data:`RECIPIENTS`);
    ``recalled`` (the data were got back or recalled: a letter returned, a parcel swapped
    back, a mail recalled); ``records_count`` (how many records, next to how many people);
    ``insider`` (a staff member or former staff member); ``unavailable_minutes`` (how long
    the data were unavailable before they were restored); ``identifiable`` (whether the
    people are easy to identify from the data; ``False`` for pseudonymised data).
    """

    narrative: str = ""
    data_categories: tuple[str, ...] = ()
    special_categories: bool | None = None
    national_id_number: bool | None = None
    subjects_count: int | None = None
    records_count: int | None = None
    subjects_are_children: bool | None = None
    confidentiality_breach: bool | None = None
    integrity_breach: bool | None = None
    availability_breach: bool | None = None
    encrypted: bool | None = None
    key_compromised: bool | None = None
    backup_available: bool | None = None
    recovered_quickly: bool | None = None
    unavailable_minutes: int | None = None
    recipient: str | None = None
    recipient_trusted: bool | None = None
    deletion_confirmed: bool | None = None
    recalled: bool | None = None
    malicious: bool | None = None
    insider: bool | None = None
    exfiltration_confirmed: bool | None = None
    published_online: bool | None = None
    identifiable: bool | None = None
    discovered_at: datetime | None = None
    aware_at: datetime | None = None
    kind: str | None = None
    cause: str | None = None
    measures: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreachFacts:
        """Read facts from JSON-like data; absent and null fields are unknown.

        An unknown field is kept in the narrative (see :func:`read_facts` for the warning);
        a known field with a value of the wrong type raises :class:`FactsError`.
        """
        return read_facts(data)[0]

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
        """These facts with ``changes`` applied. A correction names a known field: an
        unknown name is refused here (a typo in a correction must not vanish)."""
        unknown = sorted(set(changes) - set(facts_field_names()))
        if unknown:
            raise FactsError(f"unknown field(s): {', '.join(unknown)}")
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

    def recipient_kind(self) -> str | None:
        """The recipient, with the intake's yes/no "is the recipient trusted?" applied: one
        person who is trusted (a colleague, a cooperating parent) is a trusted party."""
        if self.recipient_trusted is True and self.recipient in (None, "one_person"):
            return "trusted_party"
        if self.recipient_trusted is False and self.recipient == "trusted_party":
            return "one_person"
        return self.recipient

    def categories(self) -> frozenset[str]:
        """The data categories, with the yes/no answers about special data and BSN added."""
        categories = set(self.data_categories)
        if self.special_categories:
            categories.add("special")
        if self.national_id_number:
            categories.add("national_id")
        return frozenset(categories)


def read_facts(data: Mapping[str, Any]) -> tuple[BreachFacts, tuple[str, ...]]:
    """The facts and the warnings about them (one per unknown field, kept in the narrative)."""
    known = set(facts_field_names())
    extra = [name for name in data if name not in known]
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
    for name in _COUNTS:
        values[name] = _count(data.get(name), name)
    recipient = data.get("recipient")
    if recipient is not None and recipient not in RECIPIENTS:
        raise FactsError(f"recipient must be one of {', '.join(RECIPIENTS)} or null")
    values["recipient"] = recipient
    categories = data.get("data_categories") or []
    if not isinstance(categories, list | tuple) or not all(isinstance(c, str) for c in categories):
        raise FactsError("data_categories must be a list of names")
    values["data_categories"] = tuple(dict.fromkeys(c.strip().lower() for c in categories))
    for name in _MOMENTS:
        values[name] = parse_moment(data.get(name), name)
    lines = [values["narrative"] or ""]
    warnings: list[str] = []
    for name in extra:
        lines.append(f"{name}: {_as_text(data[name])}")
        warnings.append(
            f"unknown field '{name}': kept in the narrative as '{name}: ...', "
            "not used in the assessment"
        )
    values["narrative"] = "\n".join(line for line in lines if line)
    return BreachFacts(**values), tuple(warnings)


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FactsError(f"{name} must be a whole number or null")
    if value < 0:
        raise FactsError(f"{name} cannot be negative")
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


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


def category_names(categories: set[str] | frozenset[str], language: Language) -> str:
    """Readable names of data categories, in a fixed order."""
    names = [tr(language, CATEGORIES[c]) for c in CATEGORIES if c in categories]
    names += sorted(c for c in categories if c not in CATEGORIES)
    return ", ".join(names)


def facts_field_names() -> list[str]:
    """Every field a facts file may have."""
    return [f.name for f in fields(BreachFacts)]
