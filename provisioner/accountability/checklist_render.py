"""The checklist report as HTML (Jinja2, every value escaped) and as PDF (WeasyPrint, A4 pages
whose footer carries the board, the year, the audit chain head and when it was built).

WeasyPrint needs Pango at run time (``scripts/ensure-pdf.sh`` installs it)."""

from __future__ import annotations

import logging
from itertools import groupby
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from provisioner.accountability.checklist import ChecklistReport, LineReport

TEMPLATES = Path(__file__).with_name("templates")


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: ChecklistReport) -> str:
    """One HTML document: the lines by section, each with its evidence and verdict."""
    sections: list[tuple[str, list[LineReport]]] = [
        (section, list(lines)) for section, lines in groupby(report.lines, lambda x: x.section)
    ]
    template = _environment().get_template("checklist.html.j2")
    return template.render(
        report=report,
        t=report.texts,
        sections=sections,
        counts=[(verdict, count) for verdict, count in report.counts().items() if count],
        css=(TEMPLATES / "checklist.css").read_text(encoding="utf-8"),
    )


def render_pdf(html: str) -> bytes:
    """The HTML as an A4 PDF. WeasyPrint's notes about fonts are kept out of the log."""
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
