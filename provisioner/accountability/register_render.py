"""The register of processing activities as JSON (ids, the same in every language), as words
(:func:`entry_views`, in one language), as HTML (Jinja2, autoescaped: the board's name and
every configured value are escaped) and as PDF (WeasyPrint). Pure: strings and bytes; the
command writes the files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from provisioner.accountability import register_labels as labels
from provisioner.accountability.register import Register, RegisterEntry, Retention
from provisioner.accountability.retention_rules import Period
from provisioner.i18n import N_, Language, format_day, tr

TEMPLATES = Path(__file__).with_name("templates")

#: The headings of the register, translated where it is shown.
HEADINGS: dict[str, str] = {
    "title": N_("Register of processing activities"),
    "basis": N_(
        "Kept under AVG (GDPR) article 30 and shown to the Autoriteit Persoonsgegevens on "
        "request; processor agreements under article 28."
    ),
    "controller": N_("Controller"),
    "contact": N_("Contact"),
    "privacy_officer": N_("Data protection officer (FG)"),
    "made_on": N_("Made on"),
    "system": N_("System"),
    "kind": N_("Kind"),
    "purposes": N_("Purposes"),
    "data": N_("Categories of personal data"),
    "people": N_("Categories of people"),
    "recipients": N_("Recipients"),
    "retention": N_("Retention"),
    "measures": N_("Security measures"),
    "agreement": N_("Processor agreement"),
    "processor": N_("Processor"),
    "signed_on": N_("Signed on"),
    "bijsluiter": N_("Privacy bijsluiter"),
    "dpia_on": N_("DPIA"),
    "outside_eea": N_("Outside the EEA"),
    "not_stated": N_("not stated"),
    "not_declared": N_("not declared"),
    "undeclared_note": N_(
        "This connector declares no processing facts: describe this processing by hand."
    ),
    "unknown_agreements": N_("Agreements that name no connected system"),
}


@dataclass(frozen=True)
class EntryView:
    """One entry in words: what the terminal, the HTML and the PDF show."""

    id: str
    title: str
    system: str
    kind: str
    declared: bool
    purposes: list[str]
    data: list[str]
    people: list[str]
    recipients: list[str]
    measures: list[str]
    retention: list[str]
    agreement_state: str | None  # the status id, for the page's colours
    agreement: str | None  # the status in words
    processor: str
    signed_on: str
    bijsluiter: str
    dpia_on: str
    outside_eea: str


def register_json(register: Register, made_on: date) -> dict[str, Any]:
    """The register as ids and values, the same in every language."""
    return {
        "controller": {"name": register.controller, "contact": register.controller_contact},
        "privacy_officer": register.privacy_officer,
        "made_on": made_on.isoformat(),
        "entries": [_entry_json(entry) for entry in register.entries],
        "unknown_agreements": list(register.unknown_agreements),
    }


def _entry_json(entry: RegisterEntry) -> dict[str, Any]:
    facts, system, agreement = entry.facts, entry.system, entry.agreement
    answer: dict[str, Any] = {
        "id": entry.id,
        "kind": system.role if system else "own",
        "key": system.key if system else entry.own,
        "type": system.type_name if system else None,
        "declared": facts is not None,
        "system": facts.system if facts else None,
        "flow": facts.flow if facts else None,
        "purposes": _ids(facts.purposes) if facts else [],
        "data": _ids(facts.data) if facts else [],
        "people": _ids(facts.people) if facts else [],
        "recipients": _ids(facts.recipients) if facts else [],
        "measures": _ids(facts.measures) if facts else [],
        "retention": [{"rule": r.rule.value, **r.values} for r in entry.retention],
        "agreement": None,
    }
    if entry.agreement_status is not None:
        answer["agreement"] = {
            "key": entry.agreement_key,
            "status": entry.agreement_status.value,
            "processor": agreement.processor if agreement else None,
            "signed_on": _iso(agreement.signed_on) if agreement else None,
            "bijsluiter": agreement.bijsluiter if agreement else None,
            "dpia_on": _iso(agreement.dpia_on) if agreement else None,
            "outside_eea": agreement.outside_eea if agreement else None,
        }
    return answer


def _ids(values: tuple[StrEnum, ...]) -> list[str]:
    return [value.value for value in values]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def entry_views(register: Register, language: Language) -> list[EntryView]:
    """Every entry in ``language``."""
    return [_view(entry, language) for entry in register.entries]


def _view(entry: RegisterEntry, language: Language) -> EntryView:
    def words(table: dict[Any, str], values: tuple[Any, ...]) -> list[str]:
        return [tr(language, table[value]) for value in values]

    facts, system, agreement = entry.facts, entry.system, entry.agreement
    not_stated = tr(language, HEADINGS["not_stated"])
    not_declared = [tr(language, HEADINGS["not_declared"])]
    if entry.own is not None:
        title = tr(language, labels.OWN[entry.own])
    else:
        assert system is not None
        title = f"{system.key}: {facts.system if facts else not_declared[0]}"
    kind = f"{system.type_name}, " if system else ""
    kind += tr(language, labels.FLOW[facts.flow]) if facts else not_declared[0]
    status = entry.agreement_status

    def agreed(value: str | None) -> str:
        return value if value else not_stated

    def day(value: date | None) -> str:
        return format_day(value, language) if value else not_stated

    return EntryView(
        id=entry.id,
        title=title,
        system=facts.system if facts else not_declared[0],
        kind=kind,
        declared=facts is not None,
        purposes=words(labels.PURPOSE, facts.purposes) if facts else not_declared,
        data=words(labels.DATA, facts.data) if facts else not_declared,
        people=words(labels.PEOPLE, facts.people) if facts else not_declared,
        recipients=words(labels.RECIPIENT, facts.recipients) if facts else not_declared,
        measures=words(labels.MEASURE, facts.measures) if facts else not_declared,
        retention=[_retention_words(r, language) for r in entry.retention],
        agreement_state=status.value if status else None,
        agreement=tr(language, labels.AGREEMENT[status]) if status else None,
        processor=agreed(agreement.processor if agreement else None),
        signed_on=day(agreement.signed_on if agreement else None),
        bijsluiter=agreed(agreement.bijsluiter if agreement else None),
        dpia_on=day(agreement.dpia_on if agreement else None),
        outside_eea=agreed(agreement.outside_eea if agreement else None),
    )


def _retention_words(retention: Retention, language: Language) -> str:
    values = {
        key: period_words(value, language) if isinstance(value, str) else value
        for key, value in retention.values.items()
    }
    return tr(language, labels.RETENTION[retention.rule], **values)


def period_words(text: str, language: Language) -> str:
    """``1y6m`` as "1 year and 6 months" (Dutch: "1 jaar en 6 maanden")."""
    period = Period.parse(text)
    counts = (period.years, period.months, period.weeks, period.days)
    parts = [
        tr(language, one if n == 1 else many, n=n)
        for n, (one, many) in zip(counts, labels.PERIOD_UNITS, strict=True)
        if n
    ]
    if not parts:
        return tr(language, "{n} days", n=0)
    if len(parts) == 1:
        return parts[0]
    return tr(language, "{first} and {last}", first=", ".join(parts[:-1]), last=parts[-1])


def register_html(register: Register, language: Language, made_on: date) -> str:
    """The register as one HTML page in ``language``; every value is escaped."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("register.html.j2")
    not_stated = tr(language, HEADINGS["not_stated"])
    return template.render(
        language=language,
        t={key: tr(language, message) for key, message in HEADINGS.items()},
        controller=register.controller,
        contact=register.controller_contact or not_stated,
        privacy_officer=register.privacy_officer or not_stated,
        made_on=format_day(made_on, language),
        entries=entry_views(register, language),
        unknown_agreements=list(register.unknown_agreements),
    )


def register_pdf(html: str) -> bytes:
    """The HTML page as a PDF (A4, from the page's own CSS)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
