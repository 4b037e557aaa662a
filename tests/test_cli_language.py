"""The command line speaks the user's language (issue 14, item 5): ``PROVISIONER_LANGUAGE``,
else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English. Only what a person
reads changes: ``--json`` answers are the same in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.i18n import cli_language
from tests.board import make_board

runner = CliRunner()
LOCALE = ("PROVISIONER_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
DUTCH = {"PROVISIONER_LANGUAGE": "nl"}
ENGLISH = {"PROVISIONER_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def no_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LOCALE:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PROVISIONER_DATABASE_URL", raising=False)


@pytest.mark.parametrize(
    ("env", "language"),
    [
        ({}, "en"),
        ({"PROVISIONER_LANGUAGE": "nl"}, "nl"),
        ({"PROVISIONER_LANGUAGE": "en", "LANG": "nl_NL.UTF-8"}, "en"),
        ({"PROVISIONER_LANGUAGE": "fr", "LANG": "nl_NL.UTF-8"}, "nl"),  # not ours: the locale
        ({"LANG": "nl_NL.UTF-8"}, "nl"),
        ({"LANG": "nl_BE"}, "nl"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "nl_NL.UTF-8"}, "en"),  # LC_ALL wins, as in gettext
        ({"LC_MESSAGES": "nl_NL.UTF-8", "LANG": "en_US.UTF-8"}, "nl"),
        ({"LC_ALL": "", "LANG": "nl_NL.UTF-8"}, "nl"),  # an empty variable is not set
    ],
)
def test_the_language_comes_from_the_setting_or_the_locale(
    env: dict[str, str], language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli_language() == language


def invoke(args: list[str], env: dict[str, str], code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout, result.stderr


def test_runs_and_audit_read_dutch_and_their_json_is_the_same_in_both(tmp_path: Path) -> None:
    config = str(make_board(tmp_path, staff=24, pupils=60).config_path)
    body, _ = invoke(["sync", "-c", config, "--json"], ENGLISH)
    run_id = json.loads(body)["run_id"]

    dutch, _ = invoke(["runs", "-c", config], DUTCH)
    assert "gestart" in dutch and "waarom" in dutch  # a narrow table wraps its headings
    english, _ = invoke(["runs", "-c", config], ENGLISH)
    assert "started" in english and "why" in english
    dutch, _ = invoke(["runs", "show", run_id, "-c", config], DUTCH)
    assert f"Run {run_id} door " in dutch and "wijzigingen" in dutch
    dutch, _ = invoke(["audit", "verify", "-c", config], DUTCH)
    assert "De audit trail is intact" in dutch and "records gecontroleerd" in dutch

    for args in (["runs"], ["runs", "show", run_id], ["audit", "verify"], ["audit", "show"]):
        in_dutch, _ = invoke([*args, "-c", config, "--json"], DUTCH)
        in_english, _ = invoke([*args, "-c", config, "--json"], ENGLISH)
        assert json.loads(in_dutch) == json.loads(in_english), args


def test_config_check_and_a_dry_run_read_dutch(tmp_path: Path) -> None:
    config = str(make_board(tmp_path, staff=24, pupils=60).config_path)
    dutch, _ = invoke(["config", "check", "-c", config], DUTCH)
    assert "is in orde." in dutch
    english, _ = invoke(["config", "check", "-c", config], ENGLISH)
    assert "is fine." in english
    dutch, _ = invoke(["sync", "--dry-run", "-c", config], DUTCH)
    assert (
        "Gelezen: " in dutch
        and "Wijzigingen in " in dutch
        and "(niet uitgevoerd: dry run)" in dutch
    )


def test_a_failure_reads_dutch_at_the_terminal_and_english_in_json() -> None:
    args = ["sync", "--as-of", "2026-02-30", "-c", "absent.toml"]
    _, stderr = invoke(args, DUTCH, code=3)
    assert stderr.strip() == "Kan niet verder: '2026-02-30' is geen datum (JJJJ-MM-DD)"
    in_dutch, stderr = invoke([*args, "--json"], DUTCH, code=3)
    in_english, _ = invoke([*args, "--json"], ENGLISH, code=3)
    assert in_dutch == in_english
    assert json.loads(in_dutch)["error"] == "'2026-02-30' is not a date (YYYY-MM-DD)"
    assert stderr.startswith("Kan niet verder: ")


def test_breach_assess_json_is_the_same_and_its_human_output_follows_lang(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps(
            {
                "narrative": "usb-stick met cijferlijsten kwijt",
                "data_categories": ["learning_results"],
                "subjects_count": 28,
                "subjects_are_children": True,
                "encrypted": False,
                "discovered_at": "2026-10-24T10:00",
            }
        ),
        encoding="utf-8",
    )
    for lang in ("nl", "en"):
        args = ["breach", "assess", str(facts), "--json", "--lang", lang]
        assert json.loads(invoke(args, DUTCH)[0]) == json.loads(invoke(args, ENGLISH)[0])
    dutch, _ = invoke(["breach", "assess", str(facts)], DUTCH)
    assert "Melden bij de AP:" in dutch and "Redenen:" in dutch
    english, _ = invoke(["breach", "assess", str(facts), "--lang", "en"], DUTCH)
    assert "Notify the AP:" in english and "Reasons:" in english
    _, stderr = invoke(["breach", "assess", str(tmp_path / "absent.json")], DUTCH, code=3)
    assert stderr.startswith("Kan niet verder: kan ")
