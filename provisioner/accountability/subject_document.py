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

#: The bundle's field names as the document shows them (others are shown as they are).
FIELDS: dict[str, str] = {
    "kind": N_("kind"),
    "given": N_("given name"),
    "prefix": N_("prefix (tussenvoegsel)"),
    "family": N_("family name"),
    "email": N_("work e-mail address"),
    "active": N_("active"),
    "as_read_at": N_("read from the source at"),
    "posts": N_("posts (aanstellingen)"),
    "birth_date": N_("date of birth"),
    "location": N_("location (BRIN)"),
    "group": N_("group"),
    "group_name": N_("group name"),
    "eck_id": N_("ECK iD"),
    "remote_id": N_("id in the system"),
    "disabled_on": N_("disabled since"),
    "licences": N_("licences"),
    "last_change": N_("last change"),
    "username": N_("user name"),
    "display_name": N_("display name"),
    "given_name": N_("given name"),
    "family_name": N_("family name"),
    "attributes": N_("attributes"),
    "enabled": N_("enabled"),
    "id": N_("number"),
    "person": N_("person"),
    "received_on": N_("received"),
    "by": N_("by"),
    "due_on": N_("deadline by law"),
    "extended_to": N_("extended to"),
    "extension_reason": N_("reason for the extension"),
    "deadline": N_("deadline"),
    "flags": N_("to check"),
    "note": N_("note"),
    "status": N_("status"),
    "outcome": N_("outcome"),
    "closed_on": N_("closed on"),
    "seq": N_("number"),
    "at": N_("at"),
    "actor": N_("by whom"),
    "action": N_("action"),
    "target": N_("system"),
    "run": N_("run"),
    "reason": N_("reason"),
    "change": N_("change"),
    "medium": N_("medium"),
    "school_year": N_("school year"),
    "recorded_on": N_("recorded on"),
    "given_by": N_("given by"),
    "mechanism": N_("how it was asked"),
    "source": N_("source"),
    "title": N_("title"),
    "instructions": N_("instructions"),
    "system": N_("system"),
    "created_at": N_("created at"),
    "done_at": N_("done at"),
    "assigned_to": N_("assigned to"),
    "last_day": N_("last working day"),
    "requested_by": N_("requested by"),
    "requested_at": N_("requested at"),
    "cancelled": N_("cancelled"),
    "locations": N_("locations"),
    "reported_at": N_("reported at"),
    "discovered_at": N_("discovered at"),
    "categories": N_("data categories"),
    "included_since": N_("included since"),
    "run_started_at": N_("run started at"),
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
    fields = {name: tr(language, message) for name, message in FIELDS.items()}
    return template.render(
        t=labels,
        f=fields,
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
