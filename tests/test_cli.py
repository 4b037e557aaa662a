"""The command line as an admin and a monitoring script use it: real processes, exit codes,
JSON, and a run killed with SIGKILL in the middle of applying."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.board import Board, make_board

pytestmark = pytest.mark.slow


def cli(
    *args: str, check_code: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "provisioner", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    if check_code is not None:
        assert result.returncode == check_code, result.stdout + result.stderr
    return result


def sync_json(board: Board, *extra: str, code: int = 0) -> dict[str, Any]:
    result = cli("sync", "-c", str(board.config_path), "--json", *extra, check_code=code)
    body: dict[str, Any] = json.loads(result.stdout)
    return body


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return make_board(tmp_path, pupils=200)


def test_sync_json_is_one_object_scripts_can_rely_on(board: Board) -> None:
    body = sync_json(board)
    assert {"run_id", "status", "counts", "total"} <= body.keys()
    assert body["status"] == "applied"
    assert body["total"] == sum(body["counts"].values()) > 0
    assert sync_json(board, "--dry-run")["status"] == "dry_run"
    assert sync_json(board)["total"] == 0


def test_a_truncated_export_exits_2_and_runs_show_says_why(board: Board) -> None:
    sync_json(board)
    rows = board.hr_rows()
    board.write_hr(rows[: len(rows) // 10])
    body = sync_json(board, code=2)
    assert body["status"] == "stopped" and body["total"] == 0
    shown = cli("runs", "show", body["run_id"], "-c", str(board.config_path), check_code=0)
    assert "Stopped" in shown.stdout and "hr.staff" in shown.stdout


@pytest.mark.postgres
def test_production_runs_on_postgresql_named_in_the_environment(board: Board, pg_url: str) -> None:
    env = {"PROVISIONER_DATABASE_URL": pg_url}
    cli("db", "upgrade", "-c", str(board.config_path), check_code=0, env=env)
    result = cli("sync", "-c", str(board.config_path), "--json", check_code=0, env=env)
    assert json.loads(result.stdout)["status"] == "applied"
    assert not (board.folder / "provisioner.db").exists()  # nothing went to the SQLite default
    runs = json.loads(cli("runs", "--json", "-c", str(board.config_path), env=env).stdout)
    assert [r["status"] for r in runs] == ["applied"]
    cli("audit", "verify", "-c", str(board.config_path), check_code=0, env=env)


def test_unusable_configuration_exits_3_and_config_check_explains(board: Board) -> None:
    text = board.config_path.read_text(encoding="utf-8")
    board.config_path.write_text(
        text.replace('brin6 = "07XY01"', 'brin6 = "7XY01"'), encoding="utf-8"
    )
    result = cli("sync", "-c", str(board.config_path), check_code=3)
    assert "7XY01" in result.stderr and "BRIN6" in result.stderr
    check = cli("config", "check", "-c", str(board.config_path), check_code=3)
    assert "locations.1.brin6" in check.stdout


def test_config_check_names_bad_rows_and_passes_a_good_board(board: Board) -> None:
    cli("config", "check", "-c", str(board.config_path), check_code=0)
    board.edit_hr(board.teacher_number(), lambda row: {**row, "org_unit": "9999"})
    check = cli("config", "check", "-c", str(board.config_path), check_code=3)
    assert "hr.csv line" in check.stdout and "org_unit" in check.stdout and "9999" in check.stdout


def test_an_edited_audit_record_fails_audit_verify(board: Board) -> None:
    sync_json(board)
    cli("audit", "verify", "-c", str(board.config_path), check_code=0)
    with sqlite3.connect(board.folder / "provisioner.db") as db:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 5")
        db.execute("DROP TRIGGER audit_events_no_update")  # a DBA with full rights
        db.execute("UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 5")
    result = cli("audit", "verify", "-c", str(board.config_path), check_code=1)
    assert "tampered" in result.stdout and "5" in result.stdout


def test_audit_show_filters_by_person(board: Board) -> None:
    sync_json(board)
    number = board.teacher_number()
    result = cli(
        "audit", "show", "--person", f"staff:{number}", "--json", "-c", str(board.config_path)
    )
    events = json.loads(result.stdout)
    assert events and {e["object"] for e in events} == {f"staff:{number}"}
    assert "create_account" in {e["action"] for e in events}


def test_the_demo_twice_plans_nothing_the_second_time(tmp_path: Path) -> None:
    first = json.loads(cli("demo", "--dir", str(tmp_path / "d"), "--json", check_code=0).stdout)
    assert first["status"] == "applied" and first["counts"]["create_account"] > 700
    second = json.loads(cli("demo", "--dir", str(tmp_path / "d"), "--json", check_code=0).stdout)
    assert (second["status"], second["total"]) == ("applied", 0)


@pytest.mark.parametrize(
    ("kill_after", "parallel"),
    [(150, 1), (700, 1), (400, 4)],  # creating accounts; licensing; adding members 4 at a time
)
def test_a_run_killed_mid_apply_is_finished_by_the_next_without_doing_anything_twice(
    tmp_path: Path, kill_after: int, parallel: int
) -> None:
    board = make_board(
        tmp_path, pupils=200, extra_target_settings=f"write_delay_ms = 4\nparallel = {parallel}"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "sync", "-c", str(board.config_path), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = board.folder / "provisioner.db"
    deadline = time.monotonic() + 120
    applied = 0
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists():
            try:
                with sqlite3.connect(database, timeout=1) as db:
                    applied = db.execute(
                        "SELECT count(*) FROM journal WHERE status = 'applied'"
                    ).fetchone()[0]
            except sqlite3.OperationalError:  # tables not there yet
                applied = 0
        if applied >= kill_after:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(database) as db:
        (killed_run,) = db.execute("SELECT id FROM sync_runs WHERE status = 'running'").fetchone()
        left = db.execute("SELECT count(*) FROM journal WHERE status != 'applied'").fetchone()[0]
    assert left > 0, "nothing was left to resume"

    body = sync_json(board)
    assert body["status"] == "applied", body
    assert body["resumed"] == [killed_run]
    with sqlite3.connect(database) as db:
        statuses = dict(
            db.execute("SELECT status, count(*) FROM journal GROUP BY status").fetchall()
        )
        run_status = db.execute(
            "SELECT status FROM sync_runs WHERE id = ?", (killed_run,)
        ).fetchone()[0]
    assert set(statuses) == {"applied"}, statuses
    assert run_status == "applied"

    writes = [
        json.loads(line) for line in (board.directory / "directory.jsonl").read_text().splitlines()
    ]
    creates = Counter(w["key"] for w in writes if w["op"] == "create_account")
    groups = Counter(w["key"] for w in writes if w["op"] == "create_group")
    members = Counter(
        (w["id"], m) for w in writes if w["op"] == "add_members" for m in w["members"]
    )
    licences = Counter((w["id"], sku) for w in writes if w["op"] == "licences" for sku in w["add"])
    for name, counter in (
        ("accounts", creates),
        ("groups", groups),
        ("members", members),
        ("licences", licences),
    ):
        twice = [item for item, n in counter.items() if n > 1]
        assert not twice, f"{name} written twice: {twice[:5]}"
    with sqlite3.connect(database) as db:
        planned = dict(
            db.execute(
                "SELECT op_type, count(*) FROM journal WHERE run_id = ? GROUP BY op_type",
                (killed_run,),
            ).fetchall()
        )
    assert len(creates) == planned["create_account"]
    assert sum(members.values()) == planned["add_member"]
    assert sum(licences.values()) == planned["assign_licence"]
    # nothing else reached the target: no adopt-after-resend, no repeated writes of any kind
    kinds = Counter(w["op"] for w in writes)
    assert kinds["update_account"] == planned.get("update_account", 0) == 0
    assert kinds["licences"] == planned["assign_licence"]
    assert sync_json(board, "--dry-run")["total"] == 0


def test_the_demo_reads_from_emulated_hr_and_sis_systems(tmp_path: Path) -> None:
    folder = str(tmp_path / "d")
    first = json.loads(
        cli(
            "demo", "--dir", folder, "--hr", "afas", "--sis", "somtoday", "--json", check_code=0
        ).stdout
    )
    assert first["status"] == "applied" and first["source_counts"]["sis.pupils"] == 700
    assert "consent.consents" not in first["source_counts"]  # Somtoday holds the consents
    other = cli(
        "demo", "--dir", folder, "--hr", "youforce", "--sis", "parnassys", "--json", check_code=0
    )
    assert json.loads(other.stdout)["total"] == 0  # other systems, the same board: nothing to do
    wrong = cli("demo", "--dir", folder, "--hr", "visma", check_code=3)
    assert "afas" in wrong.stderr
