"""``provisioner serve`` as the container runs it: real processes against the real PostgreSQL.

- migrations (``provisioner db upgrade``), then ``serve``, which passes its health checks;
- the nightly job triggered by hand (``--run-now``) produces the morning report in the Slack
  emulator and a local SMTP server;
- two ``serve`` processes against one database run the scheduled sync once, never together.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, text

from connectors.emulators.slack import SlackEmulator, sign
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import SyncRun
from tests.board import make_board
from tests.conftest import PG_ADMIN_URL, _pg_url
from tests.test_morning_report import Inbox, report_config, smtp  # noqa: F401 (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
PROVISIONER = str(Path(sys.executable).parent / "provisioner")
SIGNING_SECRET = "serve-test-signing-secret"
WAIT = 90.0  # seconds any one condition may take on a busy machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def post_json(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class Serve:
    """One ``provisioner serve`` process with its log in a file."""

    def __init__(self, config: Path, db_url: str, log: Path, *args: str, env: dict[str, str]):
        self.port = free_port()
        self.log_path = log
        self.url = f"http://127.0.0.1:{self.port}"
        environment = (
            os.environ
            | env
            | {
                "PROVISIONER_DATABASE_URL": db_url,
                "PROVISIONER_LOG_FORMAT": "json",
                "PROVISIONER_LOG_LEVEL": "INFO",
            }
        )
        self.process = subprocess.Popen(
            [
                PROVISIONER,
                "serve",
                "-c",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *args,
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                found.append({"message": line})
        return found

    def logged(self, fragment: str) -> bool:
        return any(fragment in str(line.get("message")) for line in self.lines())

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A PostgreSQL database with nothing in it, as on the first start of a container."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"provisioner_e_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def processes() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        serve.stop()


def full_runs(db_url: str) -> list[SyncRun]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            query = select(SyncRun).where(SyncRun.scope.is_(None)).order_by(SyncRun.started_at)
            return list(session.execute(query).scalars())
    finally:
        engine.dispose()


def test_migrations_then_serve_passes_its_health_checks(
    tmp_path: Path, empty_pg_url: str, processes: list[Serve]
) -> None:
    board = make_board(
        tmp_path / "board", staff=24, pupils=60, extra_config="[schedule]\nenabled = false\n"
    )
    env = os.environ | {"PROVISIONER_DATABASE_URL": empty_pg_url}
    migrate = subprocess.run(
        [PROVISIONER, "db", "upgrade", "-c", str(board.config_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    serve = Serve(board.config_path, empty_pg_url, tmp_path / "serve.log", env={})
    processes.append(serve)

    wait_for(lambda: get(serve.url + "/healthz")[0] == 200, "/healthz")
    assert get(serve.url + "/readyz") == (200, "ready\n")
    status, body = get(serve.url + "/metrics")
    assert status == 200
    assert "provisioner_graph_throttled_total" in body
    assert "provisioner_bot_ack_seconds_bucket" in body
    assert get(serve.url + "/nothing")[0] == 404
    assert serve.logged("serving on port")
    assert serve.stop() == 0  # SIGTERM: a clean stop, as on docker stop or a pod's end
    assert full_runs(empty_pg_url) == []  # no schedule: nothing ran by itself


def test_run_now_syncs_and_sends_the_morning_report(
    tmp_path: Path,
    pg_url: str,
    smtp: tuple[Inbox, int],  # noqa: F811
    processes: list[Serve],
) -> None:
    inbox, port = smtp
    with SlackEmulator() as slack:
        board = make_board(
            tmp_path / "board", staff=24, pupils=60, extra_config=report_config(slack, port),
            language="en",
        )
        env = {
            "PROVISIONER_SLACK_BOT_TOKEN": slack.bot_token,
            "PROVISIONER_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        }
        serve = Serve(board.config_path, pg_url, tmp_path / "serve.log", "--run-now", env=env)
        processes.append(serve)

        [post] = wait_for(lambda: slack.calls("chat.postMessage"), "the Slack report")
        wait_for(lambda: inbox.messages, "the mail")
        [run] = full_runs(pg_url)
        assert run.status == "applied"
        assert post.args["channel"] == "C0REPORTS"
        assert run.id in post.args["text"] and "What changed" in post.args["text"]
        assert run.id in inbox.messages[0]["Subject"]

        # Slack's HTTP mode is mounted: a signed URL verification is answered by the bot,
        # an unsigned one is refused
        body = json.dumps({"type": "url_verification", "challenge": "c-42", "token": "t"})
        signed = sign(SIGNING_SECRET, body.encode())
        status, answer = post_json(serve.url + "/slack/events", body, signed)
        assert status == 200 and "c-42" in answer
        assert post_json(serve.url + "/slack/events", body, {})[0] == 401

        status, metrics = get(serve.url + "/metrics")
        assert 'provisioner_runs_total{status="applied"} 1.0' in metrics
        assert 'provisioner_operations_total{outcome="applied",target="directory"}' in metrics
        lines = serve.lines()
        correlated = [line for line in lines if "nightly sync" in str(line.get("message"))]
        assert correlated and all(
            str(line.get("correlation_id", "")).startswith("nightly-") for line in correlated
        )
        assert serve.stop() == 0
        # a whole nightly run and a report later, the log names nobody of the board
        log_text = serve.log_path.read_text(encoding="utf-8")
        assert "nightly sync finished" in log_text
        for row in board.hr_rows():
            assert row["family_name"] not in log_text, row["family_name"]
        assert "@" + board.config.board.domain not in log_text  # no work address either


def slow_board(tmp_path: Path, extra_config: str) -> Path:
    board = make_board(
        tmp_path / "board",
        staff=24,
        pupils=60,
        extra_target_settings="write_delay_ms = 25",  # a sync of some seconds
        extra_config=extra_config + "\n[service]\npoll_seconds = 0.5\n",
    )
    return board.config_path


def test_two_serve_processes_run_the_scheduled_sync_once(
    tmp_path: Path, pg_url: str, processes: list[Serve]
) -> None:
    local = datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(minutes=1)
    config = slow_board(tmp_path, f'[schedule]\nsync = "{local.minute} {local.hour} * * *"\n')
    first = Serve(config, pg_url, tmp_path / "a.log", env={})
    second = Serve(config, pg_url, tmp_path / "b.log", env={})
    processes += [first, second]

    wait_for(
        lambda: any(s.logged("nightly sync finished") for s in (first, second)),
        "the scheduled sync",
    )
    time.sleep(3)  # several more polls of both: nothing else may start
    runs = full_runs(pg_url)
    assert [r.status for r in runs] == ["applied"]
    assert sum(s.logged("nightly sync started") for s in (first, second)) == 1
    for serve in (first, second):
        assert get(serve.url + "/healthz")[0] == 200
        assert serve.stop() == 0


def _logged_at(serve: Serve, fragment: str) -> list[tuple[datetime, dict[str, Any]]]:
    return [
        (datetime.fromisoformat(str(line["time"])), line)
        for line in serve.lines()
        if fragment in str(line.get("message")) and "time" in line
    ]


def test_two_serve_processes_never_sync_at_the_same_time(
    tmp_path: Path, pg_url: str, processes: list[Serve]
) -> None:
    """Both are asked to run the nightly job at the same moment (``--run-at``, a barrier in
    time), with no schedule to look at: only the nightly lock keeps them apart. Exactly one
    runs; the other asks while that run is going, is told another process is running it,
    and does not run at all."""
    config = slow_board(tmp_path, "[schedule]\nenabled = false\n")
    start = datetime.now(UTC) + timedelta(seconds=20)  # both are up by then (checked below)
    moment = start.isoformat()
    first = Serve(config, pg_url, tmp_path / "a.log", "--run-at", moment, env={})
    second = Serve(config, pg_url, tmp_path / "b.log", "--run-at", moment, env={})
    processes += [first, second]
    for serve in (first, second):
        wait_for(lambda s=serve: get(s.url + "/healthz")[0] == 200, "/healthz")  # type: ignore[misc]
    assert datetime.now(UTC) < start - timedelta(seconds=1), "started too slowly to race"

    def settled(serve: Serve) -> bool:
        return serve.logged("another process is running") or serve.logged("nightly sync finished")

    wait_for(lambda: settled(first) and settled(second), "both processes' nightly job")
    [ran] = [s for s in (first, second) if s.logged("nightly sync started")]
    [blocked] = [s for s in (first, second) if s is not ran]
    assert ran.logged("nightly sync finished")
    assert not blocked.logged("nightly sync started")

    # the contention was real: both asked at the moment, the loser while the winner ran
    [(began, begin_line)] = _logged_at(ran, "nightly sync started")
    [(ended, _)] = _logged_at(ran, "nightly sync finished")
    [(refused, refusal)] = _logged_at(blocked, "another process is running the nightly sync")
    assert start <= began < start + timedelta(seconds=5)
    assert start <= refused < ended, (began, refused, ended)
    holder = str(refusal["message"]).rpartition("holder: ")[2].removesuffix(")")
    assert holder in (begin_line["correlation_id"], "(starting)"), refusal

    runs = full_runs(pg_url)
    assert [r.status for r in runs] == ["applied"], [(r.id, r.status) for r in runs]
    for earlier, later in itertools.pairwise(runs):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at
    time.sleep(2)  # several more polls of both: the refused one does not try again
    assert len(full_runs(pg_url)) == 1
    for serve in (first, second):
        assert serve.stop() == 0
