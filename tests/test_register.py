"""``provisioner report register``: the register of processing activities (AVG art. 30), from
the configuration and the connectors' processing facts, with each connected system's
processor agreement (art. 28; seed 002 §4). Through the command line only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
from typer.testing import CliRunner

from provisioner.app.cli import app
from tests.board import make_board

EXAMPLE = Path(__file__).parent.parent / "deploy" / "provisioner.example.toml"

SOMTODAY = """[sources.sis]
type = "somtoday"
organisation = "0b9c3f8e-1d2a-4c55-9e77-3f1f6a2b8c01"
client_id = "provisioner"
"""

TARGETS = """
[[targets]]
type = "ad"
name = "ad"
host = "dc1.school.test"
base_dn = "DC=school,DC=test"
bind_user = "svc-provisioner@school.test"

[[targets]]
type = "sis-staff"
name = "somtoday-staff"
system = "somtoday"
hrm_url = "https://demo-oop.somtoday.nl/services/HRMService"
hrm_username = "provisioner"
"""

AGREEMENTS = """
[processing]
controller_contact = "Postbus 12, 1000 AA Voorbeeld; privacy@voorbeeld-bestuur.nl"
privacy_officer = "J. de Vries, fg@voorbeeld-bestuur.nl"

[processing.agreements.hr]
processor = "AFAS Software B.V."
signed_on = 2025-08-14
bijsluiter = "AFAS Profit privacybijsluiter 2025"
dpia_on = 2025-06-02
outside_eea = "none"

[processing.agreements.sis]
processor = "Topicus.Education B.V."
bijsluiter = "Somtoday privacybijsluiter v3.2"

[processing.agreements.m365]
processor = "Microsoft Ireland Operations Ltd."
signed_on = 2025-09-01
"""


def write_board(folder: Path, *, extra: str = AGREEMENTS, board_name: str | None = None) -> Path:
    """The example board with Somtoday as its SIS and AD and Somtoday's staff accounts as
    more targets: HR CSV, Somtoday, consent CSV -> reference, m365, ad, sis-staff."""
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index('[sources.sis]\ntype = "oneroster-csv"\n')
    end = text.index("\n", text.index("path = ", start)) + 1
    text = text[:start] + SOMTODAY + text[end:] + TARGETS
    if board_name is not None:
        old = 'name = "Stichting Voorbeeld Onderwijs"'
        text = text.replace(old, f"name = {json.dumps(board_name)}", 1)
    text += extra  # [processing] after the last [[targets]]: a table of its own
    path = folder / "provisioner.toml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(args: list[str], language: str = "en", code: int = 0) -> str:
    result = CliRunner().invoke(app, args, env={"PROVISIONER_LANGUAGE": language})
    assert result.exit_code == code, result.output
    return result.stdout


def register_json(config: Path, language: str = "en") -> dict[str, Any]:
    body = invoke(["report", "register", "-c", str(config), "--json", "--on", "2026-12-01"],
                  language)  # fmt: skip
    answer: dict[str, Any] = json.loads(body)
    return answer


def by_id(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in answer["entries"]}


def test_every_configured_source_and_target_is_in_the_register(tmp_path: Path) -> None:
    entries = by_id(register_json(write_board(tmp_path)))
    systems = {key for key in entries if not key.startswith("own:")}
    assert systems == {
        "source:hr", "source:sis", "source:consent",
        "target:directory", "target:m365", "target:ad", "target:somtoday-staff",
    }  # fmt: skip
    own = {key for key in entries if key.startswith("own:")}
    assert own == {"own:accounts", "own:chat_requests", "own:consent_register",
                   "own:breach_register", "own:audit_trail"}  # fmt: skip
    assert entries["source:sis"]["type"] == "somtoday"
    assert entries["source:sis"]["system"] == "Somtoday"
    assert "photo_consent" in entries["source:sis"]["data"]
    assert "eck_id" in entries["source:sis"]["data"]
    assert "parents" in entries["source:sis"]["people"]
    assert "oauth_client_credentials" in entries["source:sis"]["measures"]
    assert entries["target:somtoday-staff"]["type"] == "sis-staff (somtoday)"
    assert entries["target:ad"]["flow"] == "writes" and entries["source:hr"]["flow"] == "reads"
    assert all(entry["declared"] for entry in entries.values())


def test_each_system_shows_its_agreement_or_that_it_is_missing(tmp_path: Path) -> None:
    answer = register_json(write_board(tmp_path))
    entries = by_id(answer)
    status = {key: (entry["agreement"] or {}).get("status") for key, entry in entries.items()}
    assert status["source:hr"] == "signed"
    assert status["source:sis"] == "no_date"
    assert status["source:consent"] == "missing"
    assert status["target:m365"] == "signed"
    # Somtoday's staff accounts: the same supplier and contract as the SIS source
    assert status["target:somtoday-staff"] == "no_date"
    assert entries["target:somtoday-staff"]["agreement"]["key"] == "sis"
    assert status["target:directory"] == "not_needed"  # the board's own server
    assert status["target:ad"] == "not_needed"  # the board's own domain
    assert entries["source:hr"]["agreement"] == {
        "key": "hr", "status": "signed", "processor": "AFAS Software B.V.",
        "signed_on": "2025-08-14",
        "bijsluiter": "AFAS Profit privacybijsluiter 2025", "dpia_on": "2025-06-02",
        "outside_eea": "none",
    }  # fmt: skip
    assert answer["controller"] == {
        "name": "Stichting Voorbeeld Onderwijs",
        "contact": "Postbus 12, 1000 AA Voorbeeld; privacy@voorbeeld-bestuur.nl",
    }
    assert answer["privacy_officer"] == "J. de Vries, fg@voorbeeld-bestuur.nl"
    text = invoke(["report", "register", "-c", str(write_board(tmp_path))])
    assert "consent: Photo consents (CSV)" in text
    assert "Processor agreement: missing" in " ".join(text.split())


def test_retention_follows_the_configured_grace_days(tmp_path: Path) -> None:
    config = write_board(tmp_path)
    text = config.read_text(encoding="utf-8").replace("grace_days = 30", "grace_days = 45", 1)
    config.write_text(text + '\n[retention.store]\ndirectory_gone = "1y6m"\n', encoding="utf-8")
    entries = by_id(register_json(config))
    assert entries["target:m365"]["retention"] == [
        {"rule": "account_grace", "staff_days": 45, "pupil_days": 30}
    ]
    assert entries["source:hr"]["retention"] == [{"rule": "source_unchanged"}]
    assert entries["target:somtoday-staff"]["retention"] == [{"rule": "sis_records_kept"}]
    assert {"rule": "directory_gone", "directory_gone": "1y6m"} in entries["own:accounts"][
        "retention"
    ]
    english = " ".join(invoke(["report", "register", "-c", str(config)]).split())
    assert "deleted 45 days later (pupils: 30 days)" in english
    assert "for 1 year and 6 months after the day they went" in english
    dutch = " ".join(invoke(["report", "register", "-c", str(config)], "nl").split())
    assert "blijft nog 1 jaar en 6 maanden na de dag van vertrek" in dutch


def test_the_json_is_the_same_in_both_languages_and_has_its_shape(tmp_path: Path) -> None:
    config = write_board(tmp_path)
    english, dutch = register_json(config, "en"), register_json(config, "nl")
    assert english == dutch
    assert set(english) == {
        "controller", "privacy_officer", "made_on", "entries", "unknown_agreements",
    }  # fmt: skip
    assert english["made_on"] == "2026-12-01"
    keys = {"id", "kind", "key", "type", "declared", "system", "flow", "purposes", "data",
            "people", "recipients", "measures", "retention", "agreement"}  # fmt: skip
    assert all(set(entry) == keys for entry in english["entries"])
    agreement = {"key", "status", "processor", "signed_on", "bijsluiter", "dpia_on", "outside_eea"}
    assert all(
        set(entry["agreement"]) == agreement
        for entry in english["entries"]
        if entry["agreement"] is not None
    )
    kinds = [entry["kind"] for entry in english["entries"]]
    assert kinds == ["own"] * 5 + ["source"] * 3 + ["target"] * 4


def test_an_agreement_of_no_connected_system_is_reported(tmp_path: Path) -> None:
    extra = AGREEMENTS + '\n[processing.agreements.magister]\nprocessor = "Iddink"\n'
    answer = register_json(write_board(tmp_path, extra=extra))
    assert answer["unknown_agreements"] == ["magister"]


def test_the_terminal_follows_the_cli_language(tmp_path: Path) -> None:
    config = write_board(tmp_path)
    dutch = " ".join(invoke(["report", "register", "-c", str(config)], "nl").split())
    assert "Register van verwerkingsactiviteiten" in dutch
    assert "Verwerkersovereenkomst: ontbreekt" in dutch
    english = " ".join(invoke(["report", "register", "-c", str(config)], "en").split())
    assert "Register of processing activities" in english


HOSTILE = '<script>alert("x")</script> & <b>Bestuur</b>'


def test_the_html_is_in_the_board_language_and_escapes_what_the_file_says(
    tmp_path: Path,
) -> None:
    extra = AGREEMENTS.replace('"AFAS Software B.V."', json.dumps("<img src=x onerror=1>"))
    config = write_board(tmp_path, extra=extra, board_name=HOSTILE)
    page = tmp_path / "register.html"
    said = invoke(["report", "register", "-c", str(config), "--html", str(page)], "en")
    assert "Register written to" in said
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html and "<img" not in html and "<b>Bestuur" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Bestuur" in html
    assert "&lt;img src=x onerror=1&gt;" in html
    assert "Register van verwerkingsactiviteiten" in html  # board.language defaults to nl
    assert 'lang="nl"' in html and "ontbreekt" in html
    text = config.read_text(encoding="utf-8").replace("[board]\n", '[board]\nlanguage = "en"\n')
    config.write_text(text, encoding="utf-8")
    invoke(["report", "register", "-c", str(config), "--html", str(page)], "nl")
    html = page.read_text(encoding="utf-8")
    assert "Register of processing activities" in html and 'lang="en"' in html


def test_the_pdf_renders(tmp_path: Path) -> None:
    config = write_board(tmp_path)
    pdf = tmp_path / "register.pdf"
    invoke(["report", "register", "-c", str(config), "--pdf", str(pdf)])
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(content)
    text = " ".join(
        document[index].get_textpage().get_text_range() for index in range(len(document))
    )
    words = " ".join(text.split())
    assert "Register van verwerkingsactiviteiten" in words
    assert "Stichting Voorbeeld Onderwijs" in words
    assert "Verwerkersovereenkomst" in words and "AFAS Software B.V." in words


def run(*args: str, language: str = "en") -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (failures end in one line and an exit code)."""
    return subprocess.run(
        [sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
        timeout=300, env={**os.environ, "PROVISIONER_LANGUAGE": language},
    )  # fmt: skip


def test_an_unwritable_file_or_an_unusable_configuration_exits_3(tmp_path: Path) -> None:
    config = write_board(tmp_path)
    where = tmp_path / "no-such-folder" / "register.html"
    result = run("report", "register", "-c", str(config), "--html", str(where), language="nl")
    assert result.returncode == 3, result.stderr
    assert "kan " in result.stderr and "register.html niet schrijven" in result.stderr
    config.write_text("[board\n", encoding="utf-8")
    result = run("report", "register", "-c", str(config), "--json")
    assert result.returncode == 3
    assert "not valid TOML" in json.loads(result.stdout)["error"]


def test_config_check_warns_about_missing_and_undated_agreements_without_failing(
    tmp_path: Path,
) -> None:
    """The demo board has agreements for HR and the SIS, none for the consent export."""
    board = make_board(tmp_path, staff=24, pupils=60)
    said = " ".join(invoke(["config", "check", "-c", str(board.config_path)]).split())
    assert "is fine." in said and "1 warning(s):" in said
    missing = "consent (consent-csv): no processor agreement in [processing.agreements.consent]"
    assert missing in said
    assert "[processing.agreements.hr]" not in said and "[processing.agreements.sis]" not in said
    text = board.config_path.read_text(encoding="utf-8")
    sis = '[processing.agreements.sis]\nprocessor = "Topicus.Education B.V."\n'
    assert sis + "signed_on = 2025-08-14\n" in text
    text = text.replace(sis + "signed_on = 2025-08-14\n", sis)
    text += '\n[processing.agreements.parnassys]\nprocessor = "Topicus.Education B.V."\n'
    board.config_path.write_text(text, encoding="utf-8")
    said = " ".join(invoke(["config", "check", "-c", str(board.config_path)], "nl").split())
    assert "is in orde." in said and "3 waarschuwing(en):" in said
    undated = "sis (oneroster-csv): geen datum van de verwerkersovereenkomst in "
    assert undated + "[processing.agreements.sis]" in said
    unknown = "[processing.agreements.parnassys]: er is geen gekoppeld systeem dat parnassys heet"
    assert unknown in said
