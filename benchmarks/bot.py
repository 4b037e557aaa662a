"""Benchmark: the chat bot's acknowledgement latency while a nightly run applies, and a group
consent answer.

The product runs as in production: one ``provisioner serve`` process (its HTTP endpoint, the
Slack app in HTTP mode, the schedule) on a generated demo board (60 staff, 900 pupils, SQLite
beside the configuration). The fake Slack Web API and the load generator are processes of
their own (``benchmarks/slack_load.py``), as real Slack is another machine.

Before the clock starts (not measured): the board is generated and synced once (the
directory is filled), then the reference directory (the demo's target) is emptied, so the
nightly run of ``serve`` has every account and group to write again (about 3,000 operations
of real work in the product's process). ``serve`` starts with ``--run-at`` a few seconds
ahead; meanwhile each of 20 staff members sends the bot a direct message (the e-mail cache
is warm in a running bot). When the nightly run is well into its apply (its journal has 300
applied operations and more to apply), the load generator sends 200 signed Slack requests at
once (slash commands and button presses from the 20 staff members, one connection each, all
connected before the first byte), each timed from send to the HTTP answer (Slack allows 3 s;
goal p99 under 300 ms). The run must still be applying (running, operations left) when the
last answer arrives; otherwise the measurement is not counted and is taken again (at most 3
times).

This is repeated ``--runs`` times (default 3, each with its own ``serve`` process); the JSON
quotes the median of the runs' p50 and p99 and every run's figures.

``consent_group_ms``: the median time to answer "Mag de foto van groep 5b op de website?"
for a group of exactly 30 pupils end to end, as a location leader asks it in the console:
who is asking, rate limit, reading the question, the permission check, the group and
consent lookups, the audit event and the reply (goal under 50 ms; in this process, after
the runs).

JSON keys: ``requests``; ``runs``; ``ack_p50_ms`` and ``ack_p99_ms`` (the medians of the
runs' figures); ``ack_bound_p99_ms``; ``per_run``, each run's ``ack_p50_ms``, ``ack_p99_ms``,
``ack_max_ms``, ``wall_s`` (the burst, first request sent to last answer), ``product_cpu_s``
(the ``serve`` process's CPU time, every thread, during the burst), ``product_cpu_total_s``
(its whole life), ``load_cpu_s`` (the load generator's CPU time during the burst),
``applying`` (the nightly run was applying from before the first request to after the last
answer: running, with applied operations before and operations still to apply after),
``applied_before``, ``applied_after`` and ``left_after`` (its journal's operations applied
before and after the burst, and still to apply after it),
``nightly_status`` (how the run ended) and ``attempts``; ``slack_calls`` (what the fake
Slack received, by method: the work after the acknowledgements was done);
``consent_group_ms``; ``consent_group_size``; ``consent_bound_ms``; ``cpu_count`` and
``cpu_affinity`` (the cores of the machine and those this process may use); ``ok``.

Prints one JSON object; exit code 1 when a bound is exceeded.

    python benchmarks/bot.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# This file is called bot.py: keep its folder off the path so "bot" is the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from connectors.emulators.slack import TEAM_ID, SlackRequests  # noqa: E402
from provisioner.app.config import load_config  # noqa: E402
from provisioner.app.demo.generator import generate_board  # noqa: E402
from provisioner.app.wiring import run_sync  # noqa: E402
from provisioner.directory import Directory  # noqa: E402
from provisioner.execution.engine import SyncRequest  # noqa: E402
from provisioner.store.db import make_engine, session_factory, upgrade  # noqa: E402

TODAY = date(2026, 11, 22)
REQUESTS = 200
USERS = 20
BOUND_ACK_P99_MS = 300.0
BOUND_CONSENT_MS = 50.0
SECRET = "benchmark-signing-secret"
GROUP_SIZE = 30
HERE = Path(__file__).resolve().parent
LOAD = [sys.executable, str(HERE / "slack_load.py")]
PROVISIONER = str(Path(sys.executable).parent / "provisioner")
RUN_AT_SECONDS = 6.0  # serve starts, is ready and the caches are warm well before this
ATTEMPTS = 3
WAIT = 120.0
APPLIED_FIRST = 300  # about a tenth of the nightly run: the burst comes well into its apply


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="measurements (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config_path = generate_board(folder, today=TODAY, staff=60, pupils=900)
        os.environ["PROVISIONER_SLACK_SIGNING_SECRET"] = SECRET
        engine = make_engine(f"sqlite:///{folder / 'provisioner.db'}")
        upgrade(engine)
        sessions = session_factory(engine)
        run_sync(load_config(config_path), sessions, SyncRequest(today=TODAY))
        staff = [s for s in _staff(sessions) if s.email][:USERS]
        users = [[f"U{n:04d}", str(person.email)] for n, person in enumerate(staff)]
        slack = Process([*LOAD, "slack"], {"users": users})
        try:
            config_path.write_text(
                config_path.read_text(encoding="utf-8")
                + f'\n[bot.slack]\napi_url = "{slack.hello["base_url"]}"\n'
                f'team_id = "{TEAM_ID}"\n', encoding="utf-8")
            runs = [measured_run(folder, config_path, slack.hello, len(users), n)
                    for n in range(args.runs)]
        finally:
            calls = slack.finish()
        consent_ms, group_size = measure_consent(sessions, load_config(config_path))
        engine.dispose()

    result: dict[str, Any] = {
        "requests": REQUESTS,
        "runs": len(runs),
        "ack_p50_ms": round(statistics.median(r["ack_p50_ms"] for r in runs), 1),
        "ack_p99_ms": round(statistics.median(r["ack_p99_ms"] for r in runs), 1),
        "ack_bound_p99_ms": BOUND_ACK_P99_MS,
        "per_run": runs,
        "slack_calls": calls.get("calls", {}),
        "consent_group_ms": round(consent_ms, 2),
        "consent_group_size": group_size,
        "consent_bound_ms": BOUND_CONSENT_MS,
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
    }
    result["ok"] = (
        result["ack_p99_ms"] < BOUND_ACK_P99_MS
        and result["consent_group_ms"] < BOUND_CONSENT_MS
        and all(r["applying"] for r in runs)
    )
    print(json.dumps(result))
    return 0 if result["ok"] else 1


class Process:
    """A helper process (``slack_load.py``): one JSON line in, its first JSON line out."""

    def __init__(self, command: list[str], order: dict[str, Any]) -> None:
        self.role = command[-1]
        self.popen = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True)
        self.say(json.dumps(order))
        self.hello: dict[str, Any] = self.read()

    def say(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()
        if not line:
            raise SystemExit(f"{self.role} ended early ({self.popen.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def finish(self) -> dict[str, Any]:
        self.say("stop")
        answer = self.read()
        self.popen.wait(timeout=30)
        return answer


def measured_run(
    folder: Path, config_path: Path, slack: dict[str, Any], users: int, number: int
) -> dict[str, Any]:
    """One ``serve`` process with a nightly run, measured up to ``ATTEMPTS`` times until a
    burst fell wholly within the run's apply."""
    for attempt in range(1, ATTEMPTS + 1):
        shutil.rmtree(folder / "reference-directory", ignore_errors=True)
        run = Serve(folder, config_path, slack, f"{number}-{attempt}")
        try:
            measured = run.measure(users)
        finally:
            run.stop()
        measured["attempts"] = attempt
        if measured["applying"]:
            return measured
    return measured


class Serve:
    """``provisioner serve`` with a nightly run due ``RUN_AT_SECONDS`` after its start."""

    def __init__(self, folder: Path, config_path: Path, slack: dict[str, Any], tag: str) -> None:
        self.folder, self.slack = folder, slack
        self.db = folder / "provisioner.db"
        moment = datetime.now(UTC) + timedelta(seconds=RUN_AT_SECONDS)
        self.log = folder / f"serve-{tag}.log"
        env = os.environ | {"PROVISIONER_SLACK_BOT_TOKEN": slack["bot_token"],
                            "PROVISIONER_SLACK_SIGNING_SECRET": SECRET,
                            "PROVISIONER_LOG_FORMAT": "json", "PROVISIONER_LOG_LEVEL": "INFO"}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = datetime.now(UTC)
        with self.log.open("w") as log:
            self.popen = subprocess.Popen(
                [PROVISIONER, "serve", "-c", str(config_path), "--host", "127.0.0.1",
                 "--port", str(self.port), "--run-at", moment.isoformat()],
                env=env, stdout=subprocess.DEVNULL, stderr=log)

    def measure(self, users: int) -> dict[str, Any]:
        _wait(lambda: _get(self.url + "/readyz") == 200, "serve to be ready")
        requests = SlackRequests(SECRET, response_url=self.slack["response_url"])
        for n in range(users):  # the e-mail cache is warm in a running bot
            hello = requests.dm("hallo", user=f"U{n:04d}")
            _wait(lambda h=hello: _post(self.url + "/slack/events", *h), "the bot")
        batch = []
        for n in range(REQUESTS):
            user = f"U{n % users:04d}"
            if n % 2:
                body, headers = requests.action("offboarding:cancel:1", "x", user=user)
            else:
                body, headers = requests.slash("/uitdienst", "Sanne Jansen per 1 december",
                                               user=user)
            batch.append({"body": body.decode(), "headers": headers})
        fire = Process([*LOAD, "fire"], {"url": self.url + "/slack/events", "batch": batch})
        run_id = _wait(lambda: self._applying(), "the nightly run to apply")
        before, cpu_before, began = self._applied(run_id), self.cpu(), time.perf_counter()
        fire.say("go")
        answer = fire.read()
        wall, cpu = time.perf_counter() - began, self.cpu() - cpu_before
        after, during = self._applied(run_id), self._status(run_id)
        left = self._left(run_id)
        fire.popen.wait(timeout=30)
        status = _wait(lambda: self._finished(run_id), "the nightly run to end")
        latencies = answer["latencies_ms"]
        return {
            "ack_p50_ms": round(percentile(latencies, 0.50), 1),
            "ack_p99_ms": round(percentile(latencies, 0.99), 1),
            "ack_max_ms": round(max(latencies), 1),
            "wall_s": round(wall, 3),
            "product_cpu_s": round(cpu, 3),
            "product_cpu_total_s": round(self.cpu(), 3),
            "load_cpu_s": round(answer["cpu_s"], 3),
            "applying": before > 0 and during == "running" and left > 0,
            "applied_before": before,
            "applied_after": after,
            "left_after": left,
            "nightly_status": status,
        }

    def cpu(self) -> float:
        """User and system time of the ``serve`` process, all its threads (/proc)."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _query(self, sql: str, *args: object) -> Any:
        for _ in range(50):
            try:
                with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as db:
                    return db.execute(sql, args).fetchone()
            except sqlite3.OperationalError:
                time.sleep(0.05)
        raise SystemExit("the store cannot be read")

    def _applying(self) -> str | None:
        row = self._query("select id from sync_runs where scope is null and status = 'running'"
                          " and started_at >= ? order by started_at desc limit 1",
                          self.started.replace(tzinfo=None).isoformat(sep=" "))
        if row is None or self._applied(row[0]) < APPLIED_FIRST or self._left(row[0]) == 0:
            return None
        return str(row[0])

    def _applied(self, run_id: str) -> int:
        return int(self._query("select count(*) from journal where run_id = ? and status = "
                               "'applied'", run_id)[0])

    def _left(self, run_id: str) -> int:
        return int(self._query("select count(*) from journal where run_id = ? and status in "
                               "('pending', 'sending')", run_id)[0])

    def _status(self, run_id: str) -> str:
        return str(self._query("select status from sync_runs where id = ?", run_id)[0])

    def _finished(self, run_id: str) -> str | None:
        status = self._status(run_id)
        return None if status == "running" else status

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


def _post(url: str, body: bytes, headers: dict[str, str]) -> bool:
    """True when the bot answered 200; False while it is not started (404)."""
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status) == 200
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return False
        raise SystemExit(f"the warm-up request was answered {exc.code}") from exc
def measure_consent(sessions: Any, config: Any) -> tuple[float, int]:
    """The median time to answer one group question end to end, as a person asks it: the
    engine resolves the asker, applies the rate limit, reads the question, checks that the
    asker may ask about the group, looks up the group and its consents, audits and replies
    (the console front end, which Slack's listeners share apart from delivery)."""
    from sqlalchemy import select

    from bot.console import Console
    from provisioner.domain.models import Role
    from provisioner.store.tables import DirectoryGroup

    directory = Directory(sessions)
    with sessions() as session:
        rows = list(session.execute(select(DirectoryGroup.group_id)).scalars())
    groups = [g for g in (directory.group(gid) for gid in rows) if g is not None]
    exact = [g for g in groups
             if len([p for p in directory.pupils_in(g.group_id) if p.active]) == GROUP_SIZE]
    if not exact:
        raise SystemExit(f"no group of exactly {GROUP_SIZE} pupils on the benchmark board")
    staff = _staff(sessions)
    for group in exact:
        leader = next((s for s in staff if s.email and Role.LOCATION_LEADER
                       in s.roles_at(group.location, TODAY)
                       and s.locations_on(TODAY) == {group.location}), None)
        if leader is not None:
            break
    else:
        raise SystemExit("no location leader for a group of the right size")
    unlimited = config.model_copy(update={"bot": config.bot.model_copy(
        update={"rate_limit_per_minute": 1_000_000})})  # still checked; never reached
    now = datetime.combine(TODAY, clock_time(10), tzinfo=ZoneInfo("Europe/Amsterdam"))
    chat = Console(unlimited, sessions, as_email=str(leader.email), services={},
                   clock=lambda: now)
    question = f"Mag de foto van groep {group.name.split()[-1]} op de website?"

    def ask() -> float:
        began = time.perf_counter()
        (reply,) = chat.say(question)
        elapsed = (time.perf_counter() - began) * 1000
        data = reply["data"]
        if data.get("group") != group.group_id or data.get("total") != GROUP_SIZE:
            raise SystemExit(f"not the group answer: {data}")
        return elapsed

    ask()  # warm
    times = [ask() for _ in range(20)]
    return statistics.median(times), GROUP_SIZE


def _staff(sessions: object) -> list:  # type: ignore[type-arg]
    from sqlalchemy import select

    from provisioner.store.tables import DirectoryPerson

    directory = Directory(sessions)  # type: ignore[arg-type]
    with sessions() as session:  # type: ignore[operator]
        keys = list(session.execute(
            select(DirectoryPerson.key).where(DirectoryPerson.kind == "staff")).scalars())
    return [s for s in (directory.staff(k) for k in keys) if s is not None]


if __name__ == "__main__":
    sys.exit(main())
