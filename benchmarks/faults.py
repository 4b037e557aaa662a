"""Fault harness (issue 12, item 8): nothing twice, nothing lost, nothing left open.

For each board (the demo board of 60 staff and 700 pupils, and one of 300 staff and 3,000
pupils: ``--staff``/``--pupils``) and each target (the reference directory, and Microsoft 365
through the Graph emulator in a process of its own) it does, with the public command
``provisioner sync`` in processes of their own:

1. a fault-free run on a copy of the board (the expected final state);
2. on the board itself, under faults: ``--kills`` syncs SIGKILLed at a random moment of
   their apply phase (after a random number of operations, at most half of those open when
   apply begins, whether the run's own or those of a killed run it resumes; a sync that
   finishes first is followed by another), then syncs until one finishes (is not killed);
   30% of Graph requests (and of the requests inside a ``$batch``) are answered 429, 503 or
   a timeout (504 after a hold), and 5% of the writes are applied and then their answer is
   lost (the connection closed);
3. a final sync with the faults off, and the comparison.

It prints one JSON object with, per target and board, six figures that must all be 0:
``writes_done_twice`` (a write applied more often than the fault-free run applied it, from the
emulator's request log or the reference directory's log, objects named by their stable keys),
``lost`` (operations the fault-free run planned that no run applied, and journal entries still
``pending``/``sending`` at the end), ``duplicate_objects`` (two objects with one stable key,
or one library granted twice to one group), ``early_retries`` (a request sent again before
the ``Retry-After`` it was given ran out, the emulator's ``early`` flag), ``runs_left_open``
(runs still ``running``/``planning``) and ``final_state_diff`` (objects that differ from the
fault-free run's final state, both sides counted); plus the kills done, the faults injected,
the answers lost, the cores and the seconds, and under ``evidence`` what a non-zero figure
is made of (and ``never_recorded_applied``: planned operations whose journal entries all
ended ``failed`` although their effect is in the final state: the write landed, its answer
was lost and the check after it could not read the target). Exit code 1 when any figure is
not 0. The default run took 348 s on 2 cores (``--quick``: about 90 s).

What the connectors offer, used as is (nothing added to them):

- The Graph emulator's ``python -m connectors.emulators.graph`` has ``--lost-rate``/``--seed``
  but no option for 429/503/timeouts and its ``/_emulator/requests`` leaves out the bodies;
  so this script runs :class:`GraphEmulator` in its own process itself (``--serve-graph``),
  with ``EmulatorSettings(fault_rate, faults=("429", "503", "timeout"), lost_rate, seed)``,
  and a loopback side channel for the request log and the tenant's state.
- The reference directory has ``lost_rate``/``seed`` in its constructor but not in the
  configuration file, and no 429/503/timeouts at all (it has no transport). The sync process
  for it is ``provisioner sync`` run by this script (``--sync-worker``: the same CLI entry
  point, with the reference target built with ``lost_rate``); it gets the SIGKILLs and lost
  answers, and ``injected_faults`` is 0 there.

    python benchmarks/faults.py                     # both boards, both targets
    python benchmarks/faults.py --quick             # the demo board only
    python benchmarks/faults.py --quick --kills 2 --targets reference
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

# A file in this folder is called bot.py: keep the folder off the path so "bot" is the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

FIGURES = (
    "writes_done_twice",
    "lost",
    "duplicate_objects",
    "early_retries",
    "runs_left_open",
    "final_state_diff",
)
GRAPH_SECRET_ENV = "PROVISIONER_M365_CLIENT_SECRET"
REFERENCE_BLOCK = (
    '[[targets]]\ntype = "reference"\nname = "directory"\npath = "reference-directory"\n'
    "include_pupils = true\n"
)
SYNC_TIMEOUT = 900.0
POLL = 0.05
#: The retry backoff's first window, scaled as the emulator's windows (window_scale 0.01).
BACKOFF = 0.01


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def excess(faulty: Counter[str], calm: Counter[str]) -> int:
    """Writes applied more often than in the fault-free run (at least once is expected)."""
    return sum(max(0, n - max(1, calm.get(sig, 0))) for sig, n in faulty.items())


def multiset_diff(left: list[str], right: list[str]) -> int:
    a, b = Counter(left), Counter(right)
    return sum(((a - b) + (b - a)).values())


# -- the Graph emulator in its own process ----------------------------------------------------


def serve_graph(fault_rate: float, lost_rate: float, seed: int, timeout_s: float) -> None:
    """The body of the emulator's process: print what a client needs, serve until SIGTERM
    or until standard input closes (the harness is gone)."""
    from connectors.emulators.graph import EmulatorSettings, GraphEmulator
    from connectors.emulators.loopback import json_side_channel

    settings = EmulatorSettings(
        window_scale=0.01,  # Graph's throttling, windows shrunk: exact x-ms-retry-after-ms
        fault_rate=fault_rate,
        faults=("429", "503", "timeout"),
        timeout_seconds=timeout_s,
        lost_rate=lost_rate,
        seed=seed,
    )
    emulator = GraphEmulator(settings).start()

    def answer(method: str, path: str) -> Any:
        if path == "/calm" and method == "POST":
            with emulator._lock:
                settings.fault_rate, settings.lost_rate = 0.0, 0.0
            return {"calm": True}
        if path == "/report":
            with emulator._lock:
                return graph_report(emulator)
        raise LookupError(path)

    side = json_side_channel(lambda method, path, _query: answer(method, path), "faults-side")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def orphaned() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=orphaned, daemon=True).start()
    print(json.dumps({
        "side": side.url,
        "tenant": settings.tenant, "client_id": settings.client_id,
        "client_secret": settings.client_secret, "authority_host": emulator.url,
        "graph_url": emulator.graph_url, "ca_file": str(emulator.ca_file),
    }), flush=True)  # fmt: skip
    stop.wait()
    side.stop()
    emulator.stop()


def graph_report(emulator: Any) -> dict[str, Any]:
    """What the tenant holds (objects named by their stable keys) and what reached it."""
    tenant, sharepoint = emulator.tenant, emulator.sharepoint
    names: dict[str, str] = {}  # object id -> stable name
    for uid, user in [*tenant.users.items(), *tenant.deleted_users.items()]:
        names[uid] = f"user:{user.get('employeeType')}:{user.get('employeeId')}"
    for gid, group in tenant.groups.items():
        names[gid] = f"group:{group.get('mailNickname')}"
    for row in sharepoint.drive_rows():
        names[str(row["id"])] = f"drive:{row.get('description') or row.get('displayName')}"
        names.setdefault(str(row["siteId"]), f"site-of:{row.get('description')}")
    for site_id, site in getattr(sharepoint, "sites", {}).items():
        group_id = site.get("_group") if isinstance(site, dict) else None
        if group_id:
            names[str(site_id)] = f"site:{names.get(str(group_id), group_id)}"

    def name(text: str) -> str:
        return names.get(text, text)

    users = [
        canonical({
            "key": name(uid), "upn": u.get("userPrincipalName"), "enabled": u.get("accountEnabled"),
            "display": u.get("displayName"), "given": u.get("givenName"),
            "family": u.get("surname"), "job": u.get("jobTitle"), "dept": u.get("department"),
            "licences": sorted(str(lic["skuId"]) for lic in u.get("assignedLicenses") or []),
        })
        for uid, u in tenant.users.items()
    ]
    groups = [
        canonical({
            "key": name(gid), "display": g.get("displayName"),
            "description": g.get("description"),
            "members": sorted(name(m) for m in tenant.members.get(gid, {})),
        })
        for gid, g in tenant.groups.items()
    ]
    drives = []
    grant_pairs: Counter[str] = Counter()
    for row in sharepoint.drive_rows():
        granted = []
        for grant in sharepoint.grants.get(row["id"], {}).values():
            to = grant.get("grantedToV2", {})
            who = (to.get("group") or to.get("user") or {}).get("id")
            granted.append(f"{name(str(who))}:{sorted(grant.get('roles') or [])}")
            grant_pairs[f"{row['id']}|{who}"] += 1
        drives.append(canonical({"key": name(str(row["id"])), "display": row.get("displayName"),
                                 "grants": sorted(granted)}))  # fmt: skip
    keys = Counter(name(uid) for uid in tenant.users)
    nicknames = Counter(name(gid) for gid in tenant.groups)
    libraries = Counter(  # the managed ones: each team site has its own "Documents" too
        name(str(row["id"])) for row in sharepoint.drive_rows()
        if str(row.get("description") or "").startswith("provisioner:")
    )  # fmt: skip
    twins = {k: n for c in (keys, nicknames, libraries, grant_pairs) for k, n in c.items() if n > 1}

    writes: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    early: list[str] = []
    for r in emulator.requests:
        if r.fault:
            faults[r.fault] += 1
        if r.early:
            early.append(f"{r.method} {r.path[:90]}{' (in $batch)' if r.in_batch else ''}")
        if r.is_write and 200 <= r.status < 300:
            for signature in write_signatures(r.method, r.path, r.body, name):
                writes[signature] += 1
    return {
        "state": {"users": users, "groups": groups, "drives": drives},
        "writes": dict(writes),
        "duplicate_objects": sum(n - 1 for n in twins.values()),
        "duplicates": sorted(twins)[:10],
        "early_retries": len(early),
        "early": early[:10],
        "faults": dict(faults),
        "requests": len(emulator.requests),
    }


def write_signatures(method: str, path: str, body: Any, name: Any) -> list[str]:
    """What one applied Graph write did, objects named by their stable keys."""
    parts = urlsplit(path).path.split("/")[2:]  # after "", "v1.0"
    data = body if isinstance(body, dict) else {}
    match method, parts:
        case "POST", ["users"]:
            return [f"create user:{data.get('employeeType')}:{data.get('employeeId')}"]
        case "POST", ["groups"]:
            return [f"create group:{data.get('mailNickname')}"]
        case "PATCH", ["groups", gid]:
            binds = [str(b).rsplit("/", 1)[-1] for b in data.get("members@odata.bind") or []]
            rest = {k: v for k, v in data.items() if k != "members@odata.bind"}
            out = [f"add {name(gid)} {name(b)}" for b in binds]
            return out + ([f"patch {name(gid)} {canonical(rest)}"] if rest else [])
        case "POST", ["groups", gid, "members", "$ref"]:
            member = str(data.get("@odata.id", "")).rsplit("/", 1)[-1]
            return [f"add {name(gid)} {name(member)}"]
        case "DELETE", ["groups", gid, "members", uid, "$ref"]:
            return [f"remove {name(gid)} {name(uid)}"]
        case "POST", ["users", uid, "assignLicense"]:
            return [f"licence {name(uid)} {canonical(data)}"]
        case "POST", ["users", uid, "revokeSignInSessions"]:
            return [f"revoke {name(uid)}"]
        case "PATCH", ["users", uid]:
            return [f"patch {name(uid)} {canonical(data)}"]
        case "DELETE", ["users", uid]:
            return [f"delete {name(uid)}"]
        case "POST", ["sites", site, "lists"]:
            return [f"library {name(site)} {data.get('displayName')}"]
        case "POST", ["drives", drive, "root", "invite"]:
            who = sorted(str(r.get("objectId")) for r in data.get("recipients") or [])
            return [f"grant {name(drive)} {name(w)} {data.get('roles')}" for w in who]
        case "DELETE", ["drives", drive, "root", "permissions", perm]:
            return [f"ungrant {name(drive)} {perm}"]
    return [f"{method} {[name(p) for p in parts]} {canonical(data)}"]


@dataclass
class GraphProcess:
    process: subprocess.Popen[str]
    info: dict[str, Any]

    def ask(self, path: str, method: str = "GET") -> Any:
        request = Request(f"{self.info['side']}{path}", data=b"" if method == "POST" else None,
                          method=method)  # fmt: skip
        with urlopen(request, timeout=120) as response:
            return json.loads(response.read())


@contextmanager
def graph_process(fault_rate: float, lost_rate: float, seed: int) -> Iterator[GraphProcess]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-graph", "--fault-rate", str(fault_rate),
         "--lost-rate", str(lost_rate), "--seed", str(seed)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Graph emulator did not start (exit {process.wait()})")
        yield GraphProcess(process, json.loads(line))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the reference directory's sync process ---------------------------------------------------


def sync_worker(lost_rate: float, seed: int, lost_file: Path, backoff: float,
                argv: list[str]) -> None:
    """``provisioner sync`` (the CLI's own entry point) with the reference directory built
    with ``lost_rate`` (every lost answer is noted in ``lost_file``: the process may die) and
    the retry backoff's first window (1 s when the server gave no Retry-After) scaled to
    ``backoff`` seconds, as the emulator's throttling windows are; Retry-After is obeyed as
    given."""
    from connectors import retry
    from connectors.reference import target as reference
    from provisioner.app import cli

    retry.BACKOFF_START = backoff

    class Lossy(reference.ReferenceTarget):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs, lost_rate=lost_rate, seed=seed)

        @property
        def lost_answers(self) -> int:
            return self._lost

        @lost_answers.setter
        def lost_answers(self, value: int) -> None:
            if value:
                with lost_file.open("a") as out:
                    out.write("lost\n")
            self._lost = value

    setattr(reference, "ReferenceTarget", Lossy)  # noqa: B010 -- what the connector's build() makes
    sys.argv = ["provisioner", *argv]
    cli.main()


# -- one target and board --------------------------------------------------------------------


@dataclass
class Case:
    target: str
    staff: int
    pupils: int
    today: date
    kills: int
    fault_rate: float
    lost_rate: float
    seed: int
    work: Path
    result: dict[str, Any] = field(default_factory=dict)


def make_board(case: Case, folder: Path, graph: dict[str, Any] | None, faulty: bool) -> Path:
    from provisioner.app.demo.generator import generate_board

    config = generate_board(folder, today=case.today, staff=case.staff, pupils=case.pupils)
    text = config.read_text(encoding="utf-8")
    if REFERENCE_BLOCK not in text:
        raise SystemExit("the demo configuration changed: its reference target was not found")
    if graph is None:
        # a little latency per write and 4 at a time, so a SIGKILL lands inside apply
        block = REFERENCE_BLOCK + ("write_delay_ms = 1\nparallel = 4\n" if faulty else "")
    else:
        block = "\n".join([
            "[[targets]]", 'type = "m365"', 'name = "m365"',
            f"tenant = {json.dumps(graph['tenant'])}",
            f"client_id = {json.dumps(graph['client_id'])}",
            f"client_secret_env = {json.dumps(GRAPH_SECRET_ENV)}",
            f"authority_host = {json.dumps(graph['authority_host'])}",
            f"graph_url = {json.dumps(graph['graph_url'])}",
            f"ca_file = {json.dumps(graph['ca_file'])}",
            'usage_location = "NL"', 'delta_cache = "graph-delta.json"',
            "include_pupils = true", "sharepoint = true", "",
        ])  # fmt: skip
    config.write_text(text.replace(REFERENCE_BLOCK, block), encoding="utf-8")
    return config


def sync_command(case: Case, config: Path, faulty: bool, run: int) -> list[str]:
    """``provisioner sync`` in a process of its own (see :func:`sync_worker`)."""
    args = ["sync", "-c", str(config), "--json"]
    lost_rate = case.lost_rate if case.target == "reference" and faulty else 0.0
    return [sys.executable, __file__, "--sync-worker", "--lost-rate", str(lost_rate),
            "--seed", str(case.seed * 1000 + run), "--backoff", str(BACKOFF),
            "--lost-file", str(config.parent / "lost-answers.txt"), "--", *args]  # fmt: skip


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    if not database.exists():
        return []
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            return list(db.execute(sql).fetchall())
    except sqlite3.Error:  # tables not there yet, or busy
        return []


def run_sync(
    case: Case, config: Path, *, faulty: bool, run: int, kill: random.Random | None, env: Any
) -> tuple[int | None, dict[str, Any]]:
    """One ``provisioner sync``; with ``kill`` it is SIGKILLed at a random moment of its apply
    phase. Returns (exit code, None when killed; its JSON when it printed one)."""
    database = config.parent / "provisioner.db"
    known = {row[0] for row in query(database, "SELECT id FROM sync_runs")}
    process = subprocess.Popen(sync_command(case, config, faulty, run), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)  # fmt: skip
    killed = False
    if kill is not None:
        # Apply has begun when this process's run is "running" or when it finishes the open
        # operations of a killed run (resumed before planning). The kill comes after a random
        # number of operations, at most half of those open then, so each kill leaves work.
        start = query(database, "SELECT count(*) FROM journal WHERE status = 'applied'")
        launched = int(start[0][0]) if start else 0
        threshold: int | None = None
        base = 0
        deadline = time.monotonic() + SYNC_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            applied = query(database, "SELECT count(*) FROM journal WHERE status = 'applied'")
            done = int(applied[0][0]) if applied else 0
            if threshold is None:
                runs = [r for r in query(database, "SELECT id, status FROM sync_runs")
                        if r[0] not in known]  # fmt: skip
                if done > launched or any(status == "running" for _, status in runs):
                    open_ = query(database, "SELECT count(*) FROM journal "
                                  "WHERE status IN ('pending', 'sending')")  # fmt: skip
                    left = int(open_[0][0]) if open_ else 0
                    threshold, base = kill.randint(1, max(1, left // 2)), done
            if threshold is not None and done - base >= threshold:
                process.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(POLL)
    out, _ = process.communicate(timeout=SYNC_TIMEOUT)
    if killed:
        return None, {}
    try:
        body: dict[str, Any] = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    except ValueError:
        body = {"unreadable": out[-300:]}
    return process.returncode, body


def reference_report(folder: Path) -> dict[str, Any]:
    """The reference directory's state and its log of writes, objects named by their keys."""
    from connectors.reference.target import LOG_NAME, ReferenceTarget

    path = folder / "reference-directory"
    entries = [json.loads(line) for line in (path / LOG_NAME).read_text().splitlines()
               if line.strip()]  # fmt: skip
    names: dict[str, str] = {}
    for entry in entries:
        if entry["op"] in ("create_account", "create_group"):
            names.setdefault(entry["id"], str(entry.get("key") or entry.get("username")))
    writes: Counter[str] = Counter()
    for entry in entries:
        op, who = entry["op"], names.get(entry["id"], entry["id"])
        if op in ("add_members", "remove_members"):
            for member in entry["members"]:
                writes[f"{op} {who} {names.get(member, member)}"] += 1
        elif op == "licences":
            for sku in entry["add"]:
                writes[f"licence+ {who} {sku}"] += 1
            for sku in entry["remove"]:
                writes[f"licence- {who} {sku}"] += 1
        elif op == "set_enabled":
            writes[f"{op} {who} {entry['enabled']}"] += 1
        elif op == "update_account":
            spec = {k: v for k, v in entry.items() if k not in ("op", "id")}
            writes[f"{op} {who} {canonical(spec)}"] += 1
        else:
            writes[f"{op} {who}"] += 1
    directory = ReferenceTarget("directory", path)
    snapshot = directory.read()
    directory.close()
    accounts = [
        canonical({"key": a.key or a.username, "username": a.username, "display": a.display_name,
                   "given": a.given_name, "family": a.family_name, "enabled": a.enabled,
                   "licences": sorted(a.licences), "attributes": a.attributes})
        for a in snapshot.accounts
    ]  # fmt: skip
    groups = [
        canonical({"key": g.key, "display": g.display_name, "description": g.description,
                   "members": sorted(names.get(m, m) for m in g.members)})
        for g in snapshot.groups
    ]  # fmt: skip
    keys = Counter(a.key for a in snapshot.accounts if a.key)
    group_keys = Counter(g.key for g in snapshot.groups if g.key)
    twins = {k: n for c in (keys, group_keys) for k, n in c.items() if n > 1}
    return {
        "state": {"accounts": accounts, "groups": groups},
        "writes": dict(writes),
        "duplicate_objects": sum(n - 1 for n in twins.values()),
        "duplicates": sorted(str(k) for k in twins)[:10],
        "early_retries": 0,  # no transport, no Retry-After
        "early": [],
        "faults": {},
    }


def journal_identities(database: Path, applied_only: bool) -> Counter[str]:
    rows = query(database, "SELECT op_type, object_key, group_key, data, status FROM journal")
    found: Counter[str] = Counter()
    for op, key, group, data, status in rows:
        if applied_only and status != "applied":
            continue
        licence = (json.loads(data) if isinstance(data, str) else data or {}).get("licence")
        found[f"{op} {key} {group} {licence}"] += 1
    return found


def run_case(case: Case) -> dict[str, Any]:
    started = time.perf_counter()
    rng = random.Random(case.seed)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    calm_folder, faulty_folder = case.work / "fault-free", case.work / "faulty"

    # 1. the fault-free run
    if case.target == "reference":
        config = make_board(case, calm_folder, None, faulty=False)
        code, body = run_sync(case, config, faulty=False, run=0, kill=None, env=env)
        calm = reference_report(calm_folder)
    else:
        with graph_process(0.0, 0.0, case.seed) as graph:
            env[GRAPH_SECRET_ENV] = str(graph.info["client_secret"])
            config = make_board(case, calm_folder, graph.info, faulty=False)
            code, body = run_sync(case, config, faulty=False, run=0, kill=None, env=env)
            calm = graph.ask("/report")
    if code != 0:
        raise SystemExit(f"the fault-free run of {case.target} ended {code}: {body}")
    calm_plan = journal_identities(calm_folder / "provisioner.db", applied_only=False)

    # 2. under faults: kills, then syncs until one finishes; 3. a clean sync
    syncs: list[int | None] = []

    def faulty_runs(config: Path, calm_down: Any) -> int:
        attempts = 0  # a sync may finish before its kill comes: then another one is killed
        while syncs.count(None) < case.kills and attempts < 3 * case.kills:
            attempts += 1
            code, _ = run_sync(case, config, faulty=True, run=len(syncs), kill=rng, env=env)
            syncs.append(code)
        for _ in range(10):
            code, _ = run_sync(case, config, faulty=True, run=len(syncs), kill=None, env=env)
            syncs.append(code)
            if code in (0, 1):  # finished (1: some operations failed under the faults)
                break
        calm_down()
        final, body = run_sync(case, config, faulty=False, run=len(syncs), kill=None, env=env)
        if final != 0:
            print(json.dumps({"final_sync": final, "body": body}), file=sys.stderr)
        return final if final is not None else -1

    if case.target == "reference":
        config = make_board(case, faulty_folder, None, faulty=True)
        final_code = faulty_runs(config, lambda: None)  # the final sync: no lost answers
        faulty = reference_report(faulty_folder)
        lost_file = faulty_folder / "lost-answers.txt"
        lost_answers = len(lost_file.read_text().splitlines()) if lost_file.exists() else 0
        injected = 0
    else:
        with graph_process(case.fault_rate, case.lost_rate, case.seed) as graph:
            env[GRAPH_SECRET_ENV] = str(graph.info["client_secret"])
            config = make_board(case, faulty_folder, graph.info, faulty=True)
            final_code = faulty_runs(config, lambda: graph.ask("/calm", "POST"))
            faulty = graph.ask("/report")
        lost_answers = int(faulty["faults"].get("lost", 0))
        injected = sum(int(faulty["faults"].get(k, 0)) for k in ("429", "503", "timeout"))

    database = faulty_folder / "provisioner.db"
    applied = journal_identities(database, applied_only=True)
    never_applied = sorted(identity for identity in calm_plan if identity not in applied)
    left_open = query(database, "SELECT count(*) FROM journal WHERE status IN "
                      "('pending', 'sending')")  # fmt: skip
    open_runs = query(database, "SELECT id, status FROM sync_runs WHERE status IN "
                      "('running', 'planning')")  # fmt: skip
    statuses = dict(query(database, "SELECT status, count(*) FROM sync_runs GROUP BY status"))
    state_diff = sum(multiset_diff(faulty["state"][part], calm["state"][part])
                     for part in calm["state"])  # fmt: skip
    differing = [
        d for part in calm["state"]
        for d in sorted(set(faulty["state"][part]) ^ set(calm["state"][part]))
    ]  # fmt: skip
    # An operation no run recorded as applied is lost when its effect is missing too: with
    # the final state equal to the fault-free one every planned effect is there (the write
    # landed, its answer was lost and the check could not tell; a later run found it done).
    lost = (len(never_applied) if state_diff else 0) + (int(left_open[0][0]) if left_open else 0)
    result: dict[str, Any] = {
        "target": case.target,
        "staff": case.staff,
        "pupils": case.pupils,
        "writes_done_twice": excess(Counter(faulty["writes"]), Counter(calm["writes"])),
        "lost": lost,
        "duplicate_objects": int(faulty["duplicate_objects"]),
        "early_retries": int(faulty["early_retries"]),
        "runs_left_open": len(open_runs),
        "final_state_diff": state_diff,
        "kills": sum(1 for code in syncs if code is None),
        "syncs": len(syncs) + 1,
        "sync_exit_codes": ["killed" if c is None else c for c in syncs] + [final_code],
        "run_statuses": statuses,
        "injected_faults": injected,
        "fault_kinds": {k: v for k, v in faulty["faults"].items() if k != "lost"},
        "lost_answers": lost_answers,
        "planned_operations": sum(calm_plan.values()),
        "objects": sum(len(v) for v in calm["state"].values()),
        "seconds": round(time.perf_counter() - started, 1),
        "evidence": {
            "never_recorded_applied": len(never_applied),
            "never_recorded_applied_sample": never_applied[:5],
            "duplicates": faulty["duplicates"],
            "early_retries": faulty["early"],
            "runs_left_open": [f"{run_id} {status}" for run_id, status in open_runs],
            "state_differences": [d[:200] for d in differing[:10]],
        },
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=300, help="The second board's staff.")
    parser.add_argument("--pupils", type=int, default=3000, help="The second board's pupils.")
    parser.add_argument("--quick", action="store_true", help="The demo board only.")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs per target and board.")
    parser.add_argument("--targets", default="reference,m365")
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--lost-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep it.")
    parser.add_argument("--serve-graph", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timeout-seconds", type=float, default=0.1, help=argparse.SUPPRESS)
    parser.add_argument("--sync-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lost-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--backoff", type=float, default=BACKOFF, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_graph:
        serve_graph(args.fault_rate, args.lost_rate, args.seed, args.timeout_seconds)
        return 0
    if args.sync_worker:
        sync_worker(args.lost_rate, args.seed, args.lost_file, args.backoff, args.rest)
        return 0

    from provisioner.execution.engine import today_in_amsterdam

    began = time.perf_counter()
    boards = [(60, 700)] if args.quick else [(60, 700), (args.staff, args.pupils)]
    targets = [t for t in args.targets.split(",") if t]
    results = []
    with tempfile.TemporaryDirectory(prefix="faults-") as scratch:
        work = args.keep or Path(scratch)
        for staff, pupils in boards:
            for target in targets:
                folder = work / f"{target}-{staff}-{pupils}"
                case = Case(target, staff, pupils, today_in_amsterdam(), args.kills,
                            args.fault_rate, args.lost_rate, args.seed, folder)  # fmt: skip
                results.append(run_case(case))
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    ok = all(r[f] == 0 for r in results for f in FIGURES)
    print(json.dumps({
        "benchmark": "faults",
        "runs": results,
        "totals": {f: sum(r[f] for r in results) for f in FIGURES},
        "settings": {"kills": args.kills, "fault_rate": args.fault_rate,
                     "faults": ["429", "503", "timeout"], "lost_rate": args.lost_rate,
                     "seed": args.seed},
        "machine": {"cores": os.cpu_count()},
        "seconds": round(time.perf_counter() - began, 1),
        "ok": ok,
    }))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
