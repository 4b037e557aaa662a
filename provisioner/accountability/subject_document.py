"""The bundle as a readable document: HTML from ``templates/subject_export.html.j2`` (Jinja2,
autoescape on: every name and text from HR, the SIS or a user is escaped) in the board's
language, and optionally PDF through WeasyPrint. Labels and sentences come from the
catalogues (:mod:`provisioner.i18n`); the bundle's values are shown as they are."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from provisioner.i18n import N_, Language, tr

TEMPLATES = Path(__file__).with_name("templates")

#: The document's labels (catalogue ids), passed to the template as ``t.<name>``.
LABELS: dict[str, str] = {
    "title": N_("Personal data held about {person}"),
    "intro": N_(
        "This document lists what the account provisioning of {board} holds about this person"
        " on {day} (GDPR Art. 15). Other people's data are left out ([other person])."
    ),
    "directory": N_("Directory record (from HR or the pupil administration)"),
    "username": N_("User name"),
    "accounts": N_("Accounts per system"),
    "groups": N_("Access groups and the access they give"),
    "consents": N_("Photo and video consent, with history"),
    "offboardings": N_("Offboardings requested"),
    "tasks": N_("Manual tasks"),
    "requests": N_("Requests of the person concerned"),
    "breaches": N_("Data breaches that include this person"),
    "audit": N_("Audit trail: events about this person"),
    "outcomes": N_("Results of the synchronisation runs"),
    "other": N_("Other records"),
    "chat": N_("Chat conversations"),
    "not_included": N_("What this document does not hold"),
    "none": N_("None."),
    "field": N_("field"),
    "value": N_("value"),
    "system": N_("system"),
    "since": N_("since"),
    "access": N_("access it gives"),
    "live": N_("Read from the system now"),
    "written": N_("As last written by the product"),
    "deleted": N_("deleted"),
}

#: The levels of the document hierarchy (002 §11.2) as the document names them.
LEVEL_NAMES: dict[str, str] = {
    "management": N_("management (directie)"),
    "care": N_("care (intern begeleider)"),
    "teachers": N_("teachers"),
    "staff": N_("the whole team"),
}


def access_sentence(group: Mapping[str, Any], language: Language) -> str:
    """What one access group gives, in a sentence."""
    if group.get("access") == "location_level":
        level = str(group.get("level", ""))
        name = tr(language, LEVEL_NAMES[level]) if level in LEVEL_NAMES else level
        return tr(
            language,
            "The documents of {level} and of every level below it at location {location}",
            level=name,
            location=group.get("location"),
        )
    if group.get("access") == "class":
        return tr(
            language,
            "The documents of group {name} ({group})",
            name=group.get("class_name") or "?",
            group=group.get("class"),
        )
    return tr(language, "An access group made by the product: {group}", group=group.get("group"))


def _person_name(bundle: Mapping[str, Any]) -> str:
    record = bundle.get("directory") or {}
    parts = [record.get("given"), record.get("prefix"), record.get("family")]
    name = " ".join(str(p) for p in parts if p)
    return name or str(bundle.get("person"))


def render_html(bundle: Mapping[str, Any], *, board: str, language: Language) -> str:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    template = environment.get_template("subject_export.html.j2")
    labels = {name: tr(language, message) for name, message in LABELS.items() if "{" not in message}
    labels["title"] = tr(language, LABELS["title"], person=_person_name(bundle))
    labels["intro"] = tr(language, LABELS["intro"], board=board, day=bundle.get("generated_on", ""))
    groups = [{**g, "sentence": access_sentence(g, language)} for g in bundle.get("groups", [])]
    not_included = [tr(language, line) for line in bundle.get("not_included", [])]
    return template.render(
        t=labels,
        language=language,
        b=bundle,
        groups=groups,
        not_included=not_included,
    )


def render_pdf(html: str) -> bytes:
    """The HTML document as PDF through WeasyPrint, which fetches nothing: the document has
    no resource of its own, and no value in it may make it reach the network."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    def refuse(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, Any]:
        raise ValueError(f"the subject document fetches nothing ({url[:40]})")

    pdf = HTML(string=html, url_fetcher=refuse).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
