"""Benchmark: time to revoke, from the press on **Bevestigen / Confirm** of an offboarding in
Slack to the leaver's access gone.

The way production runs it: HR is the board's HR file; the SIS source and the ``sis-staff``
target are the Somtoday emulator (as ``provisioner demo --sis somtoday --sis-staff``), the
Microsoft 365 target is the Graph emulator (50 ms latency a request, Graph's throttling;
reached over HTTPS with the client secret, like a real tenant); no reference directory (the
demo's stand-in for targets). Both emulators run in processes of their own. The bot is a
:class:`BotRuntime` with the default services (``CoreSync``), talking to a local fake Slack
Web API (:class:`SlackEmulator`); every Slack request is signed (:class:`SlackRequests`)
and goes through ``BotRuntime.handle_http``.

Before the clock starts (not measured): the board is generated (``provisioner.app.demo``), a
first full sync sets up the tenant and the SIS (latency and throttling off, to save time),
and a second full sync stands for last night's run (the Graph delta cache is as warm as it
is in the morning). Then latency and throttling go on, and for each leaver:

1. the location leader of the leaver's location writes to the bot, in a direct message,
   "<name> gaat per gisteren uit dienst" (a last working day in the past: the run is due at
   once);
2. the bot answers with the plan and a Confirm button; the benchmark takes that button's
   ``action_id`` and ``value`` from the message the fake Slack received;
3. the clock starts and the press is posted (a signed ``block_actions`` request); the time
   ``handle_http`` takes to answer is the acknowledgement (Slack allows 3 s);
4. the emulators' state is polled every 20 ms through a side channel of their processes (not
   through Graph: no latency, no throttling, not recorded): **revoked** when the Entra
   account has ``accountEnabled: false`` and ``revokeSignInSessions`` has been called for it
   (the emulator counts the calls and moves ``signInSessionsValidFromDateTime``); **SIS
   inactive** when the Somtoday medewerker has a ``datum_uit_dienst`` on or before today;
5. the benchmark waits until the person's run is finished in the store (not measured) before
   the next leaver, so runs do not overlap.

Prints one JSON object; exit code 1 when the goal is missed: ``confirm_to_revoked_p95_s`` at
most 10 s (the bound is meant for 5,000 staff and 50,000 pupils; a smaller board is held to
it too) and every acknowledgement within Slack's 3 s.

    python benchmarks/offboarding.py                                # the demo board
    python benchmarks/offboarding.py --staff 5000 --pupils 50000    # a large board
    python benchmarks/offboarding.py --offboardings 2               # a quick look
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# A file in this folder is called bot.py: keep the folder off the path so "bot" is the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

GOAL_REVOKED_P95_S = 10.0
GOAL_ACK_MS = 3000.0
SIGNING_SECRET = "offboarding-benchmark-signing-secret"
GRAPH_SECRET_ENV = "PROVISIONER_M365_CLIENT_SECRET"
POLL_SECONDS = 0.02
#: The demo generator's special cases (two employments, a back-dated leaver, ...): not leavers.
SPECIAL_NUMBERS = frozenset(str(n) for n in range(100001, 100008))


def percentile(values: list[float], share: float) -> float:
    """Nearest rank, as benchmarks/bot.py."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# -- the emulators, each in a process of its own ------------------------------------------------


def serve_graph(state_file: Path | None) -> tuple[dict[str, Any], Any]:
    """The Graph emulator (latency and throttling off until ``POST /settings``), and a side
    channel: ``GET /user?employeeId=`` (its state), ``GET /requests?since=`` (what Graph
    saw), ``POST /settings?latency_ms=&throttling=``. With ``state_file`` the tenant is
    loaded from it and saved to it when the process ends."""
    from connectors.emulators.graph import EmulatorSettings, GraphEmulator
    from connectors.emulators.graph.throttle import Throttle
    from connectors.emulators.loopback import json_side_channel

    emulator = GraphEmulator(EmulatorSettings(throttling=False), state_file=state_file).start()
    ids: dict[str, str] = {}  # employeeId -> user id

    def answer(method: str, path: str, query: dict[str, str]) -> Any:
        if path == "/user":
            number = query["employeeId"]
            with emulator._lock:
                tenant = emulator.tenant
                if number not in ids:
                    ids.update({str(u.get("employeeId")): uid for uid, u in tenant.users.items()
                                if u.get("employeeId")})
                user = tenant.users.get(ids.get(number, ""))
                if user is None:
                    return None
                return {
                    "id": user["id"],
                    "accountEnabled": user.get("accountEnabled"),
                    "signInSessionsValidFromDateTime": user.get("signInSessionsValidFromDateTime"),
                    "revocations": tenant.revocations.get(user["id"], 0),
                }
        if path == "/requests":
            since = int(query.get("since", "0"))
            with emulator._lock:
                seen = emulator.requests[since:]
                return {"count": len(emulator.requests),
                        "requests": [[r.method, r.path.split("?")[0], r.in_batch, r.at]
                                     for r in seen]}
        if path == "/settings" and method == "POST":
            settings = emulator.settings
            with emulator._lock:
                settings.latency_ms = float(query["latency_ms"])
                settings.throttling = query["throttling"] == "1"
                emulator.throttle = Throttle(
                    settings.window_scale, settings.budget_scale, settings.throttling
                )  # the buckets start full, as after a quiet night
            return {"latency_ms": settings.latency_ms, "throttling": settings.throttling}
        raise LookupError(path)

    side = json_side_channel(answer, "benchmark-side")
    return {
        "side": f"127.0.0.1:{side.port}",
        "tenant": emulator.settings.tenant,
        "client_id": emulator.settings.client_id,
        "client_secret": emulator.settings.client_secret,
        "authority_host": emulator.url,
        "graph_url": emulator.graph_url,
        "ca_file": str(emulator.ca_file),
    }, emulator


def serve_somtoday(folder: Path, today: date, keep: bool) -> tuple[dict[str, Any], Any]:
    """The Somtoday emulator serving the board's OneRoster folder and consents (as
    ``provisioner demo --sis somtoday`` does), and a side channel: ``GET
    /medewerker?afkorting=``. With ``keep`` its writes are kept in the folder (and those of
    an earlier run applied)."""
    from connectors.emulators.loopback import json_side_channel
    from connectors.emulators.somtoday import SomtodayEmulator

    emulator = SomtodayEmulator(today=today).start()
    emulator.load_oneroster(folder / "sis", consents=folder / "consents.csv", today=today)
    if keep:
        emulator.keep_writes(folder / "somtoday-writes.jsonl")

    def answer(method: str, path: str, query: dict[str, str]) -> Any:
        if path == "/medewerker":
            return emulator.medewerker(query["afkorting"])
        raise LookupError(path)

    side = json_side_channel(answer, "benchmark-side")
    return {
        "side": f"127.0.0.1:{side.port}",
        "api_url": emulator.api_url,
        "token_url": emulator.token_url,
        "hrm_url": emulator.hrm_url,
        "organisation": emulator.organisation,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "hrm_username": emulator.hrm_username,
        "hrm_password": emulator.hrm_password,
    }, emulator


def serve(system: str, folder: Path, today: date, keep: bool, *, watch: bool) -> None:
    """The body of an emulator's process: print what a client needs (one JSON line), then
    serve until SIGTERM, or until its standard input closes (the benchmark is gone)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def orphaned() -> None:
        sys.stdin.read()
        stop.set()

    if watch:
        threading.Thread(target=orphaned, daemon=True).start()
    if system == "graph":
        info, emulator = serve_graph(folder / "graph-tenant.json" if keep else None)
    else:
        info, emulator = serve_somtoday(folder, today, keep)
    print(json.dumps(info), flush=True)
    stop.wait()
    emulator.stop()


@dataclass
class Emulator:
    """An emulator's process, seen from the benchmark: what it printed, and its side channel
    (one kept-alive connection)."""

    process: subprocess.Popen[str]
    info: dict[str, Any]

    def __post_init__(self) -> None:
        host, _, port = str(self.info["side"]).partition(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def ask(self, path: str, method: str = "GET", **query: Any) -> Any:
        self._connection.request(method, f"{path}?{urlencode(query)}", body=b"")
        response = self._connection.getresponse()
        body = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{path}: {body}")
        return body


@contextmanager
def emulator_process(system: str, folder: Path, today: date, keep: bool) -> Iterator[Emulator]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", system, "--folder", str(folder),
         "--today", today.isoformat(), "--watch-stdin",
         *(["--keep", str(folder)] if keep else [])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {system} emulator did not start (exit {process.wait()})")
        yield Emulator(process, json.loads(line))
    finally:
        process.terminate()
        try:
            process.wait(timeout=300)  # a kept tenant is saved first
        except subprocess.TimeoutExpired:
            process.kill()


# -- the board --------------------------------------------------------------------------------


def board_config(folder: Path, graph: dict[str, Any], somtoday: dict[str, Any]) -> Any:
    """The generated board with ``--sis somtoday --sis-staff`` and a Microsoft 365 target
    reached over HTTPS like a real tenant (the demo's target settings, the emulator's URLs).
    The demo's reference directory is left out: a board in production has none."""
    from connectors.m365.config import M365TargetConfig
    from connectors.reference.config import ReferenceTargetConfig
    from connectors.sis.config import SisStaffTargetConfig
    from connectors.sis.somtoday.config import SomtodaySourceConfig
    from provisioner.app.config import load_config
    from provisioner.app.demo.systems import SIS_ROLES

    config = load_config(folder / "provisioner.toml")
    reference = next(t for t in config.targets if isinstance(t, ReferenceTargetConfig))
    os.environ[GRAPH_SECRET_ENV] = str(graph["client_secret"])
    os.environ["PROVISIONER_SOMTODAY_CLIENT_SECRET"] = str(somtoday["client_secret"])
    os.environ["PROVISIONER_SOMTODAY_HRM_PASSWORD"] = str(somtoday["hrm_password"])
    m365 = M365TargetConfig(
        type="m365",
        name="m365",
        tenant=str(graph["tenant"]),
        client_id=str(graph["client_id"]),
        client_secret_env=GRAPH_SECRET_ENV,
        authority_host=str(graph["authority_host"]),
        graph_url=str(graph["graph_url"]),
        ca_file=Path(graph["ca_file"]),
        usage_location="NL",
        delta_cache=folder / "graph-delta.json",
        include_pupils=True,
        sharepoint=True,
        licences=reference.licences,
    )
    sis_staff = SisStaffTargetConfig(
        type="sis-staff",
        name="somtoday-staff",
        system="somtoday",
        hrm_url=str(somtoday["hrm_url"]),
        hrm_username=str(somtoday["hrm_username"]),
        hrm_brin=config.locations[0].brin6[:4],
        sis_roles=SIS_ROLES,
    )
    sis = SomtodaySourceConfig(
        type="somtoday",
        api_url=str(somtoday["api_url"]),
        token_url=str(somtoday["token_url"]),
        organisation=str(somtoday["organisation"]),
        client_id=str(somtoday["client_id"]),
    )
    sources = config.sources.model_copy(update={"sis": sis, "consent": None})
    # The targets a board has in production: no reference directory (the demo's stand-in).
    return config.model_copy(update={"sources": sources, "targets": [m365, sis_staff]})


def with_bot(config: Any, staff: list[Any]) -> Any:
    """The bot's settings: two support staff with one post as the central office and the
    privacy officer (as tests/slack_harness.py)."""
    from provisioner.config import BotConfig
    from provisioner.domain.models import Role

    support = [p for p in staff if p.email and len(p.posts) == 1
               and p.posts[0].role is Role.SUPPORT_STAFF]
    bot = BotConfig(central_office=[str(support[0].email)],
                    privacy_officers=[str(support[1].email)])
    return config.model_copy(update={"bot": bot})


def all_staff(sessions: Any) -> list[Any]:
    from sqlalchemy import select

    from provisioner.directory import Directory
    from provisioner.store.tables import DirectoryPerson

    directory = Directory(sessions)
    with sessions() as session:
        keys = list(session.execute(
            select(DirectoryPerson.key).where(DirectoryPerson.kind == "staff")
            .order_by(DirectoryPerson.key)
        ).scalars())
    return [s for s in (directory.staff(k) for k in keys) if s is not None]


def offboarded(sessions: Any) -> set[str]:
    """People offboarded before (a kept board): their keys."""
    from sqlalchemy import select

    from provisioner.store.tables import Override

    with sessions() as session:
        return set(session.execute(select(Override.person_key)).scalars())


class Profiled:
    """The sync service with the first call profiled (cProfile, wall-clock time, the thread
    that runs it) into ``path``."""

    def __init__(self, sync: Any, path: Path) -> None:
        self.sync = sync
        self.path = path
        self.done = False

    def __call__(self, *args: Any) -> Any:
        if self.done:
            return self.sync(*args)
        import cProfile

        self.done = True
        profile = cProfile.Profile()
        try:
            return profile.runcall(self.sync, *args)
        finally:
            profile.dump_stats(str(self.path))


@dataclass(frozen=True)
class Leaver:
    person: Any  # StaffEntry
    leader: Any  # StaffEntry: the location leader who reports it


def pick_leavers(sessions: Any, staff: list[Any], count: int, today: date,
                 exclude: set[str]) -> list[Leaver]:
    """Teachers at one location with a unique name and no end date in HR, each with the
    location leader of that location; spread over the locations."""
    from provisioner.directory import Directory
    from provisioner.domain.models import Role

    directory = Directory(sessions)
    leaders: dict[str, Any] = {}
    for person in staff:
        for location in sorted(person.locations_on(today)):
            if (Role.LOCATION_LEADER in person.roles_at(location, today) and person.email
                    and location not in leaders and person.email not in exclude):
                leaders[location] = person
    by_location: dict[str, list[Any]] = {}
    for person in staff:
        where = person.locations_on(today)
        if (len(where) != 1 or not person.email or person.employee_number in SPECIAL_NUMBERS
                or person.last_day is not None or person.email in exclude or person.key in exclude):
            continue
        (location,) = where
        if location in leaders and person.roles_at(location, today) == {Role.TEACHER}:
            by_location.setdefault(location, []).append(person)
    chosen: list[Leaver] = []
    queues = [list(people) for _, people in sorted(by_location.items())]
    while len(chosen) < count and any(queues):
        for queue in queues:
            while queue and len(chosen) < count:
                person = queue.pop(0)
                if len(directory.find_staff(person.name.display)) == 1:
                    location = next(iter(person.locations_on(today)))
                    chosen.append(Leaver(person, leaders[location]))
                    break
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} suitable leavers on this board")
    return chosen


# -- one offboarding --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    ack_ms: float
    revoked_s: float | None
    sis_inactive_s: float | None
    graph_requests: int
    run_s: float | None


def confirm_button(calls: list[Any]) -> tuple[str, str, str] | None:
    """(action_id, value, channel) of the Confirm button of the offboarding flow in the
    messages the fake Slack received, the last one first."""
    from bot.blocks import parse_action_id

    for call in reversed(calls):
        for block in call.args.get("blocks") or []:
            if not isinstance(block, dict) or block.get("type") != "actions":
                continue
            for element in block.get("elements", []):
                flow, action = parse_action_id(str(element.get("action_id", "")))
                if flow == "offboarding" and action == "confirm":
                    channel = str(call.args.get("channel") or "")
                    return str(element["action_id"]), str(element.get("value", "")), channel
    return None


def wait_for(what: str, check: Any, timeout: float, step: float = POLL_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(step)


def offboard(leaver: Leaver, user: str, *, runtime: Any, slack: Any, requests: Any,
             graph: Emulator, somtoday: Emulator, sessions: Any, today: date,
             timeout: float, detail: bool = False) -> Measured:
    person = leaver.person
    number = person.employee_number
    before_graph = graph.ask("/user", employeeId=number)
    before_sis = somtoday.ask("/medewerker", afkorting=number)
    if not before_graph or not before_graph["accountEnabled"] or before_sis is None:
        raise SystemExit(f"{person.key} is not an active account in both emulators")

    mark = len(slack.calls())
    body, headers = requests.dm(f"{person.name.display} gaat per gisteren uit dienst", user=user)
    status, _, _ = runtime.handle_http(body, headers)
    if status != 200:
        raise SystemExit(f"the message was answered {status}")

    def button() -> tuple[str, str, str] | None:
        return confirm_button(slack.calls()[mark:])

    try:
        action_id, value, channel = wait_for("the plan with its Confirm button", button, timeout)
    except SystemExit:
        said = [(c.method, c.args.get("text")) for c in slack.calls()[mark:]]
        raise SystemExit(f"no Confirm button for {person.key}; the bot said: {said}") from None
    requests_before = graph.ask("/requests", since=1 << 40)["count"]
    body, headers = requests.action(action_id, value, user=user, channel=channel or "D" + user)

    started = time.perf_counter()
    status, _, _ = runtime.handle_http(body, headers)
    ack_ms = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"the press was answered {status}")
    revoked_s: float | None = None
    sis_s: float | None = None
    while revoked_s is None or sis_s is None:
        now = time.perf_counter() - started
        if now > timeout:
            break
        if revoked_s is None:
            user_state = graph.ask("/user", employeeId=number)
            if (user_state and user_state["accountEnabled"] is False
                    and user_state["revocations"] > before_graph["revocations"]):
                revoked_s = now
        if sis_s is None:
            record = somtoday.ask("/medewerker", afkorting=number)
            end = str((record or {}).get("datum_uit_dienst") or "")[:10]
            if end and date.fromisoformat(end) <= today:
                sis_s = now
        time.sleep(POLL_SECONDS)
    run_s = wait_for_run(sessions, person.key, started, timeout)
    seen = graph.ask("/requests", since=requests_before)["requests"]
    if detail:
        kinds: dict[str, int] = {}
        for method, path, in_batch, _ in seen:
            parts = ["{id}" if len(p) >= 32 else p for p in path.split("/")]
            kind = f"{method} {'/'.join(parts)}{' (in $batch)' if in_batch else ''}"
            kinds[kind] = kinds.get(kind, 0) + 1
        print(json.dumps(sorted(kinds.items(), key=lambda kv: -kv[1])[:25]), file=sys.stderr)
    return Measured(ack_ms, revoked_s, sis_s, len(seen), run_s)


def wait_for_run(sessions: Any, key: str, started: float, timeout: float) -> float | None:
    """Seconds from the press until the person's run is finished in the store (None: not
    within ``timeout``); not the measured time, only so that runs do not overlap."""
    from sqlalchemy import select

    from provisioner.store.tables import SyncRun

    def finished() -> bool:
        with sessions() as session:
            rows = session.execute(
                select(SyncRun.status, SyncRun.finished_at).where(SyncRun.scope == key)
            ).all()
        return bool(rows) and all(at is not None for _, at in rows)

    deadline = started + timeout
    while time.perf_counter() < deadline:
        if finished():
            return time.perf_counter() - started
        time.sleep(0.05)
    return None


# -- the run ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=60)
    parser.add_argument("--pupils", type=int, default=700)
    parser.add_argument("--offboardings", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="Seconds to wait for one offboarding before giving up on it.")
    parser.add_argument("--detail", action="store_true",
                        help="Print the Graph requests of each offboarding by kind (stderr).")
    parser.add_argument("--keep", type=Path,
                        help="Build the board in this folder and keep it (the emulators' state "
                        "too); run again with the same folder to skip the set-up.")
    parser.add_argument("--profile", type=Path,
                        help="cProfile the first offboarding's sync (the thread that runs it) "
                        "into this file.")
    parser.add_argument("--serve", choices=("graph", "somtoday"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--today", help=argparse.SUPPRESS)
    parser.add_argument("--watch-stdin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.serve:
        serve(args.serve, args.folder, date.fromisoformat(args.today), args.keep is not None,
              watch=args.watch_stdin)
        return 0

    with ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            folder = args.keep
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        result = run(folder, args, stack)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


def run(folder: Path, args: argparse.Namespace, stack: ExitStack) -> dict[str, Any]:
    from slack_sdk import WebClient

    from bot.runtime import BotRuntime
    from connectors.emulators.slack import SlackEmulator, SlackRequests
    from provisioner.app.demo.generator import BoardSize, generate_board
    from provisioner.app.wiring import run_sync
    from provisioner.execution.engine import SyncRequest, today_in_amsterdam
    from provisioner.store.db import make_engine, session_factory, upgrade

    today = today_in_amsterdam()
    began = time.perf_counter()
    keep = args.keep is not None
    ready = folder / "set-up.json"  # a kept board: its size and day
    board = {"staff": args.staff, "pupils": args.pupils, "today": today.isoformat()}
    reuse = keep and ready.exists() and json.loads(ready.read_text()) == board
    if not reuse:
        for stale in ("provisioner.db", "graph-tenant.json", "graph-delta.json",
                      "somtoday-writes.jsonl", "set-up.json"):
            (folder / stale).unlink(missing_ok=True)
        generate_board(folder, today=today, staff=args.staff, pupils=args.pupils)
    graph = stack.enter_context(emulator_process("graph", folder, today, keep))
    somtoday = stack.enter_context(emulator_process("somtoday", folder, today, keep))
    config = board_config(folder, graph.info, somtoday.info)
    store = make_engine(f"sqlite:///{folder / 'provisioner.db'}")
    upgrade(store)
    sessions = session_factory(store)

    # Not measured: the tenant and the SIS set up, then last night's run.
    for night in () if reuse else ("first", "nightly"):
        report = run_sync(config, sessions, SyncRequest(today=today))
        if report.status != "applied":
            raise SystemExit(f"the {night} full sync ended {report.status}: "
                             f"{report.stop_reasons or report.problems[:3]}")
    if keep:
        ready.write_text(json.dumps(board))
    setup_s = time.perf_counter() - began
    graph.ask("/settings", "POST", latency_ms=args.latency_ms, throttling=1)

    staff = all_staff(sessions)
    # before the bot's settings are made: its secrets are resolved then
    os.environ["PROVISIONER_SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    config = with_bot(config, staff)
    slack = stack.enter_context(SlackEmulator())
    from provisioner.app.bot_services import default_services

    services = default_services(config, sessions)  # what serve gives the runtime
    if args.profile:
        services["sync"] = Profiled(services["sync"], args.profile)
    runtime = BotRuntime(config, sessions, services=services,
                         slack_client=WebClient(token=slack.bot_token, base_url=slack.base_url))
    stack.callback(runtime.close)
    # Slack's event ids are unique; the emulated ones count from where this process starts,
    # so a kept board (whose store remembers deliveries) sees no "redelivery".
    requests = SlackRequests(SIGNING_SECRET, response_url=slack.response_url(),
                             _ids=itertools.count(int(time.time()) % 10**8 * 100))
    users: dict[str, str] = {}
    for n, email in enumerate([*config.bot.central_office, *config.bot.privacy_officers]):
        slack.add_user(f"UOFFICE{n}", email)
    leavers = pick_leavers(sessions, staff, args.offboardings, today,
                           exclude={*config.bot.central_office, *config.bot.privacy_officers,
                                    *offboarded(sessions)})
    for leaver in leavers:
        email = str(leaver.leader.email)
        if email not in users:
            users[email] = f"U{len(users):05d}"
            slack.add_user(users[email], email, name=leaver.leader.name.display)

    measured: list[Measured] = []
    for leaver in leavers:
        measured.append(offboard(
            leaver, users[str(leaver.leader.email)], runtime=runtime, slack=slack,
            requests=requests, graph=graph, somtoday=somtoday, sessions=sessions,
            today=today, timeout=args.timeout, detail=args.detail,
        ))
        print(json.dumps({"offboarding": len(measured), **measured[-1].__dict__}),
              file=sys.stderr, flush=True)

    never = float("inf")
    revoked = [m.revoked_s if m.revoked_s is not None else never for m in measured]
    sis = [m.sis_inactive_s if m.sis_inactive_s is not None else never for m in measured]
    acks = [m.ack_ms for m in measured]
    size = BoardSize.of(args.staff, args.pupils)
    result: dict[str, Any] = {
        "benchmark": "offboarding",
        "confirm_to_revoked_p50_s": _round(percentile(revoked, 0.50)),
        "confirm_to_revoked_p95_s": _round(percentile(revoked, 0.95)),
        "confirm_to_sis_inactive_p50_s": _round(percentile(sis, 0.50)),
        "confirm_to_sis_inactive_p95_s": _round(percentile(sis, 0.95)),
        "ack_p50_ms": round(percentile(acks, 0.50), 1),
        "ack_p99_ms": round(percentile(acks, 0.99), 1),
        "run_finished_p50_s": _round(percentile(
            [m.run_s if m.run_s is not None else never for m in measured], 0.50)),
        "graph_requests_per_offboarding": sorted(m.graph_requests for m in measured)[
            len(measured) // 2],
        "offboardings": len(measured),
        "not_revoked": sum(1 for m in measured if m.revoked_s is None),
        "board": {"staff": args.staff, "pupils": args.pupils, "locations": size.locations,
                  "kept_from_an_earlier_run": reuse},
        "graph_latency_ms": args.latency_ms,
        "setup_s": round(setup_s, 1),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "goal": {"confirm_to_revoked_p95_s": GOAL_REVOKED_P95_S, "ack_ms": GOAL_ACK_MS},
    }
    result["ok"] = bool(
        measured
        and percentile(revoked, 0.95) <= GOAL_REVOKED_P95_S
        and max(acks) < GOAL_ACK_MS
        and all(s != never for s in sis)
    )
    return result


def _round(value: float) -> float | None:
    return None if value == float("inf") else round(value, 3)


if __name__ == "__main__":
    sys.exit(main())
