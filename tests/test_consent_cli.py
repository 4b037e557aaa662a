"""``provisioner consent check`` and ``provisioner consent import``: output, JSON, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import AuditEvent, Consent
from tests.test_consent_world import G5B, fill_consents, fill_directory

CONFIG = """
[board]
name = "Consent test"
domain = "example.nl"

[[locations]]
brin6 = "07XY00"
name = "OBS Proef"

[[locations]]
brin6 = "07XY01"
name = "CBS Ander"

[roles]
Leerkracht = "teacher"

[sources.hr]
type = "hr-csv"
path = "hr.csv"

[consent]
asks_every_year = false
default_mechanism = "opt_in"
"""


@pytest.fixture
def board(tmp_path: Path) -> Path:
    config_path = tmp_path / "provisioner.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'provisioner.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    fill_directory(sessions)
    fill_consents(sessions)
    engine.dispose()
    return config_path


runner = CliRunner()


def consent(board: Path, *args: str) -> tuple[int, str]:
    env = {"PROVISIONER_DATABASE_URL": ""}
    result = runner.invoke(app, ["consent", *args, "-c", str(board)], env=env)
    return result.exit_code, result.stdout


def test_check_a_pupil_as_json(board: Path) -> None:
    code, out = consent(board, "check", "--pupil", "L1", "--medium", "Instagram",
                        "--on", "2026-11-23", "--json")  # fmt: skip
    body = json.loads(out)
    assert code == 1
    assert (body["allowed"], body["reason"], body["medium"], body["since"]) == (
        False, "withdrawn", "social media", "2026-11-03",
    )  # fmt: skip
    code, out = consent(board, "check", "--pupil", "pupil:L1", "--medium", "website",
                        "--on", "2026-11-23", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["allowed"] is True
    assert json.loads(out)["reason"] == "granted"


def test_check_a_group_names_who_is_missing(board: Path) -> None:
    code, out = consent(board, "check", "--group", G5B, "--medium", "website",
                        "--on", "2026-11-23")  # fmt: skip
    assert code == 1
    assert "2 of 30 pupils" in out
    assert "Noah de Vries" in out and "consent refused" in out
    assert "Sanne Jansen" not in out
    code, out = consent(board, "check", "--group", G5B, "--medium", "in de klas", "--json")
    assert code == 0
    assert json.loads(out) | {"on": None} == {
        "allowed": True, "reason": "no_consent_needed", "group": G5B,
        "medium": "gebruik in de klas", "on": None, "total": 30, "without": [],
        "condition": None, "not_recognisable": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("--pupil", "L1", "--medium", "bioscoop"),
        ("--pupil", "nobody", "--medium", "website"),
        ("--group", "nope", "--medium", "website"),
        ("--pupil", "L1", "--group", G5B, "--medium", "website"),
        ("--medium", "website"),
        ("--pupil", "L1", "--medium", "website", "--on", "yesterday"),
    ],
)
def test_a_question_that_cannot_be_answered_exits_3(board: Path, args: tuple[str, ...]) -> None:
    code, _ = consent(board, "check", *args)
    assert code == 3
    code, out = consent(board, "check", *args, "--json")
    assert code == 3 and "error" in json.loads(out)


def test_import_adds_the_history_and_is_audited(board: Path, tmp_path: Path) -> None:
    csv = tmp_path / "answers.csv"
    csv.write_text(
        "pupil_id,medium,status,school_year,recorded_on,given_by\n"
        "L2,website,granted,2026-2027,2026-11-10,parent\n"
        "L2,website,granted,2026-2027,2026-11-12,parent\n"  # the same yes again
        "L6,website,granted,2026-2027,2026-11-10,parent\n"
        "L6,website,refused,2026-2027,2026-11-20,parent\n"  # a no after a yes: withdrawn
        "L9,website,maybe,2026-2027,2026-11-10,parent\n",  # unusable
        encoding="utf-8",
    )
    code, out = consent(board, "import", str(csv), "--json")
    body = json.loads(out)
    assert code == 1  # one row could not be used
    assert (body["rows"], body["usable"], body["stored"], len(body["problems"])) == (5, 4, 3, 1)
    code, out = consent(board, "check", "--pupil", "L2", "--medium", "website",
                        "--on", "2026-11-23", "--json")  # fmt: skip
    assert (code, json.loads(out)["reason"]) == (0, "granted")
    code, out = consent(board, "check", "--pupil", "L6", "--medium", "website",
                        "--on", "2026-11-23", "--json")  # fmt: skip
    assert (code, json.loads(out)["reason"]) == (1, "withdrawn")
    code, _ = consent(board, "import", str(csv))
    sessions = session_factory(make_engine(f"sqlite:///{board.parent / 'provisioner.db'}"))
    with sessions() as session:
        imported = session.execute(select(Consent).where(Consent.source == "import")).all()
        events = session.execute(
            select(AuditEvent).where(AuditEvent.action == "import_consents")
        ).scalars().all()  # fmt: skip
    assert len(imported) == 3  # the second import stored nothing new
    assert len(events) == 2
    assert "L2" not in events[0].reason and "answers.csv" in events[0].reason


def test_import_of_a_missing_file_exits_3(board: Path, tmp_path: Path) -> None:
    code, _ = consent(board, "import", str(tmp_path / "missing.csv"))
    assert code == 3


@pytest.mark.slow
def test_the_installed_command(board: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "provisioner", "consent", "check", "--pupil", "L4",
         "--medium", "website", "--on", "2026-11-23", "--json", "-c", str(board)],
        capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PROVISIONER_DATABASE_URL"},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["reason"] == "wrong_giver"
