"""``provisioner report checklist --pdf/--html``: the document itself, in the board's language,
with everything from the sources escaped, and the chain head on every page. The first page
is rendered to a PNG (pypdfium2) under the test's tmp_path, to look at."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.app.demo.generator import generate_board
from provisioner.execution.engine import today_in_amsterdam
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditHead

runner = CliRunner()
HOSTILE = "<script>alert(1)</script> & <b>Stichting</b>"


def _board(folder: Path, language: str, name: str = "Stichting Test") -> Path:
    config = generate_board(folder, today=today_in_amsterdam(), staff=24, pupils=60)
    text = config.read_text(encoding="utf-8")
    text = text.replace("[board]\n", f'[board]\nlanguage = "{language}"\n', 1)
    start = text.index("[board]")
    board_name = text.index("name = ", start)
    end = text.index("\n", board_name)
    text = text[:board_name] + f'name = "{name}"' + text[end:]
    config.write_text(text, encoding="utf-8")
    return config


def _cli(config: Path, *args: str) -> Any:
    env = {"PROVISIONER_LANGUAGE": "en"}
    return runner.invoke(app, [*args, "-c", str(config)], env=env)


def _head(config: Path) -> tuple[int, str]:
    sessions = session_factory(make_engine(f"sqlite:///{config.parent / 'provisioner.db'}"))
    with sessions() as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        return head.last_seq, head.last_hash


def _page_texts(pdf: Path) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _first_page_png(pdf: Path, png: Path) -> int:
    """Render page 1 to ``png``; the number of dark pixels on it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1.5).to_pil()
    finally:
        document.close()
    image.save(png)
    return sum(1 for value in image.convert("L").getdata() if value < 100)


@pytest.mark.parametrize(
    ("language", "title", "line_8"),
    [
        ("nl", "Checklist privacy", "Vertrekkende leerkrachten worden direct in ParnasSys"),
        ("en", "Privacy checklist", "Departing teachers are set to 'not active' in ParnasSys"),
    ],
)
def test_the_pdf_renders_in_the_boards_language_with_the_head_on_every_page(
    tmp_path: Path, language: str, title: str, line_8: str
) -> None:
    config = _board(tmp_path / "board", language)
    assert _cli(config, "sync").exit_code == 0
    seq, sha = _head(config)
    pdf, html = tmp_path / "checklist.pdf", tmp_path / "checklist.html"
    result = _cli(config, "report", "checklist", "--pdf", str(pdf), "--html", str(html))
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")

    png = tmp_path / f"checklist-{language}-page1.png"
    assert _first_page_png(pdf, png) > 2000  # text, not a blank page
    assert png.stat().st_size > 10_000

    pages = _page_texts(pdf)
    assert len(pages) >= 3
    first = " ".join(pages[0].split())
    assert title in first and "Stichting Test" in first
    assert f"Audit anchor: seq {seq}, sha256 {sha}" in first
    whole = " ".join(" ".join(pages).split())
    assert line_8 in whole
    other = "Privacy checklist" if language == "nl" else "Checklist privacy"
    assert other not in whole
    for text in pages:  # the footer: the year, the chain head and when it was built
        flat = "".join(text.split())
        assert f"seq{seq},sha256" in flat and sha in flat

    page = html.read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in page and f"seq {seq}, sha256 {sha}" in page


def test_input_from_the_configuration_is_escaped(tmp_path: Path) -> None:
    config = _board(tmp_path / "board", "en", name=HOSTILE)
    assert _cli(config, "sync").exit_code == 0
    html = tmp_path / "checklist.html"
    result = _cli(config, "report", "checklist", "--html", str(html))
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>Stichting" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Stichting&lt;/b&gt;" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2025"], "'2025' is not a school year like 2025-2026"),
        (["--year", "2025-2027"], "'2025-2027' is not a school year like 2025-2026"),
        (["--year", "2025-2026", "--on", "2025-07-31"], "school year 2025-2026 has not started"),
        (["--on", "31-07-2026"], "'31-07-2026' is not a date"),
    ],
)
def test_bad_input_is_refused_with_exit_3(tmp_path: Path, args: list[str], message: str) -> None:
    config = _board(tmp_path / "board", "en")
    result = _cli(config, "report", "checklist", *args)
    assert result.exit_code == 3 and message in result.output
    result = _cli(config, "report", "checklist", "--json", *args)
    assert result.exit_code == 3 and message in json.loads(result.stdout)["error"]


def test_an_unwritable_file_is_refused_with_exit_3(tmp_path: Path) -> None:
    config = _board(tmp_path / "board", "en")
    result = _cli(config, "report", "checklist", "--html", str(tmp_path / "no" / "x.html"))
    assert result.exit_code == 3
    assert "the checklist cannot be written to" in result.output
