"""Clean failures of the command line (issue 12, item 6): every error a run can meet ends in a
one-line cause and exit code 1 or 3, never a traceback; with --json one object with status and
error; a run refused because another holds a target exits 4 and is not recorded."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors import retry
from provisioner.app.cli import app
from provisioner.app.demo.generator import generate_board
from provisioner.execution.locks import acquire
from tests.board import TODAY, Board, make_board

runner = CliRunner()


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Board:
    monkeypatch.delenv("PROVISIONER_DATABASE_URL", raising=False)  # the file's own store
    return make_board(tmp_path, staff=24, pupils=60)


def sync(config: Path, *extra: str, code: int) -> tuple[dict[str, Any], str]:
    """``provisioner sync --json`` in this process: its one JSON object and its stderr."""
    result = runner.invoke(app, ["sync", "-c", str(config), "--json", *extra])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    [line] = result.stdout.strip().splitlines()  # one object, one line
    body: dict[str, Any] = json.loads(line)
    return body, result.stderr


def assert_one_line_failure(body: dict[str, Any], stderr: str, code: int, *words: str) -> None:
    assert body == {"status": "failed", "error": body["error"], "exit_code": code}
    assert "\n" not in body["error"]
    for word in words:
        assert word in body["error"], body["error"]
    [line] = stderr.strip().splitlines()
    assert line == f"Cannot continue: {body['error']}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: a connection is refused


def no_waiting(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Retries as configured, without the waits between them."""
    policy: Callable[..., Any] = retry.retry_policy

    def quick(attempts: int, wait: float, sleep: Any, on_retry: Any = None) -> Any:
        return policy(attempts, wait, lambda seconds: None, on_retry)

    monkeypatch.setattr(f"{module}.retry_policy", quick)


def runs(board: Board) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["runs", "-c", str(board.config_path), "--json"])
    assert result.exit_code == 0, result.output
    listed: list[dict[str, Any]] = json.loads(result.stdout)
    return listed


# -- configuration: exit 3 -----------------------------------------------------------------------


def test_a_missing_configuration_is_one_json_error_object(tmp_path: Path) -> None:
    """Through the real entry point, as cron and monitoring run it."""
    missing = tmp_path / "nowhere" / "provisioner.toml"
    result = subprocess.run(
        [sys.executable, "-m", "provisioner", "sync", "-c", str(missing), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PROVISIONER_DATABASE_URL"},
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    body = json.loads(result.stdout)
    assert body["status"] == "failed" and body["exit_code"] == 3
    assert body["error"] == f"configuration file {missing} does not exist"
    assert f"Cannot continue: {body['error']}" in result.stderr


def test_a_missing_configuration_without_json_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sync", "-c", str(tmp_path / "provisioner.toml")])
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.strip() == (
        f"Cannot continue: configuration file {tmp_path / 'provisioner.toml'} does not exist"
    )


def test_malformed_toml(board: Board) -> None:
    board.config_path.write_text("[board\nname = 'x'\n", encoding="utf-8")
    body, stderr = sync(board.config_path, code=3)
    assert_one_line_failure(body, stderr, 3, "provisioner.toml is not valid TOML")


def test_an_invalid_configuration_lists_every_problem_on_one_line(board: Board) -> None:
    text = board.config_path.read_text(encoding="utf-8")
    text = text.replace('brin6 = "07XY01"', 'brin6 = "7XY01"').replace(
        "[board]\n", "[board]\nbogus = 1\n"
    )
    board.config_path.write_text(text, encoding="utf-8")
    body, stderr = sync(board.config_path, code=3)
    assert_one_line_failure(body, stderr, 3, "7XY01", "; ", "board.bogus")


def test_a_bad_date_on_the_command_line(board: Board) -> None:
    body, stderr = sync(board.config_path, "--as-of", "2026-02-30", code=3)
    assert_one_line_failure(body, stderr, 3, "'2026-02-30' is not a date")


# -- a run that meets an error: exit 1 -----------------------------------------------------------


def test_an_unreachable_afas(board: Board, monkeypatch: pytest.MonkeyPatch) -> None:
    no_waiting(monkeypatch, "connectors.hr.afas.source")
    monkeypatch.setenv(
        "PROVISIONER_AFAS_TOKEN", "<token><version>1</version><data>x</data></token>"
    )
    url = f"https://127.0.0.1:{closed_port()}/profitrestservices"
    text = board.config_path.read_text(encoding="utf-8")
    afas = f'[sources.hr]\ntype = "afas"\nbase_url = "{url}"\n'
    text = text.replace('[sources.hr]\ntype = "hr-csv"\npath = "hr.csv"\n', afas)
    board.config_path.write_text(text, encoding="utf-8")
    body, stderr = sync(board.config_path, code=1)
    assert_one_line_failure(body, stderr, 1, "AFAS GetConnector", "connection failed")
    [run] = runs(board)  # the run that met it is recorded as failed, with the cause
    assert run["status"] == "failed" and "connection failed" in " ".join(run["problems"])


def test_a_graph_read_throttled_past_every_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 that outlives its retries on a read of the Microsoft 365 target."""
    import connectors.emulators.graph as emulator

    no_waiting(monkeypatch, "connectors.m365.client")
    settings = emulator.EmulatorSettings

    def always_429(**kwargs: Any) -> Any:
        return settings(**kwargs, fault_rate=1.0, faults=("429",), window_scale=0.001)

    monkeypatch.setattr(emulator, "EmulatorSettings", always_429)
    monkeypatch.delenv("PROVISIONER_DATABASE_URL", raising=False)
    config = generate_board(tmp_path, today=TODAY, staff=24, pupils=60, m365_emulator=True)
    body, stderr = sync(config, code=1)
    assert_one_line_failure(body, stderr, 1)
    assert "Graph 429 TooManyRequests" in body["error"], body["error"]


def test_an_unusable_state_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVISIONER_DATABASE_URL", raising=False)
    store = tmp_path / "no-such-folder" / "provisioner.db"
    board = make_board(
        tmp_path, staff=24, pupils=60, extra_config=f'database_url = "sqlite:///{store}"'
    )
    body, stderr = sync(board.config_path, code=1)
    assert_one_line_failure(body, stderr, 1, "the state store cannot be used", "unable to open")


def test_an_unusable_database_url_is_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROVISIONER_DATABASE_URL", raising=False)
    board = make_board(tmp_path, staff=24, pupils=60, extra_config='database_url = "nonsense"')
    body, stderr = sync(board.config_path, code=3)
    assert_one_line_failure(body, stderr, 3, "the database URL cannot be used")


# -- busy: exit 4, no run recorded ---------------------------------------------------------------


def test_a_sync_refused_because_another_holds_the_target_exits_4_and_leaves_no_run(
    board: Board,
) -> None:
    sync(board.config_path, code=0)
    acquire(board.sessions(), "directory", "nightly-elsewhere")  # a live run of this process
    for extra in ((), ("--dry-run",)):
        body, stderr = sync(board.config_path, *extra, code=4)
        assert body["status"] == "busy" and body["exit_code"] == 4
        assert "run nightly-elsewhere is working on directory" in body["error"]
        assert stderr.strip() == f"Busy: {body['error']}"
    assert [r["status"] for r in runs(board)] == ["applied"]  # not a failed run: no run at all
    human = runner.invoke(app, ["sync", "-c", str(board.config_path)])
    assert human.exit_code == 4 and human.stdout == ""
    assert human.stderr.startswith("Busy: run nightly-elsewhere is working on directory")


def test_busy_through_the_real_entry_point(board: Board) -> None:
    acquire(board.sessions(), "directory", "nightly-elsewhere")  # this process is alive
    result = subprocess.run(
        [sys.executable, "-m", "provisioner", "sync", "-c", str(board.config_path), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "PROVISIONER_DATABASE_URL"},
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["status"] == "busy"
    assert runs(board) == []
