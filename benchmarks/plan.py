"""Benchmark: plan a large board (5,000 staff, 50,000 pupils) on this machine.

Measures, on a generated board (the generator is not timed): reading the sources (HR CSV,
OneRoster CSV and the consent CSV, with the cleaning pass), building the desired state (policy,
naming, the target's view), and planning against an empty target and against a fully synced
one. Building the synced target's snapshot stands for reading the target and is not timed; the
empty target's plan is let go (counted) before it, as a run plans each target once.
Each run is a fresh process (the product's process: its wall time, CPU time and peak memory
are its own); the JSON quotes the median of ``--repeat`` runs (at least 3) and the machine.

Goals (issue 16), on a 2-core machine: up to 55,000 identities under 5 s and 500 MB; up to
1,000,000 identities (a shared service for many boards) under 120 s and 2 GB. Exit code 1 when
the median exceeds the bound of its size, or when the synced target plans anything.

    python benchmarks/plan.py [--staff 5000] [--pupils 50000] [--repeat 3] [--board DIR]

``--board DIR`` plans the board already generated in DIR (with the same --staff, --pupils)
instead of generating one in a temporary folder.

JSON keys: ``benchmark``, ``staff``, ``pupils``, ``accounts``, ``groups``,
``operations_empty_target``, ``operations_synced_target``, ``steps_seconds`` (median wall
seconds per step: ``read_sources``, ``desired_state``, ``plan_empty_target``,
``plan_synced_target``), ``seconds`` (median wall time of the four steps), ``cpu_seconds``
(median CPU time of the product's process in those steps), ``process_cpu_seconds`` (median
CPU time of the whole run's process, start-up and harness included), ``peak_rss_mb`` (median
peak resident memory of the run's process), ``runs`` (each run's ``seconds``,
``cpu_seconds``, ``peak_rss_mb``), ``repeat``, ``machine`` (``cpu_count``, ``cpus_usable``:
the cores this process may run on), ``bound`` (``seconds``, ``peak_rss_mb``) and
``within_bound``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.app.wiring import build_sources
from provisioner.execution.engine import read_sources
from provisioner.planning.models import AccountState, DesiredState
from provisioner.planning.planner import AccountLink, PlanOptions, account_spec_data, plan_target
from provisioner.policy.desired import PolicySettings, build_desired_state, for_target
from provisioner.policy.naming import assign_usernames, naming_requests
from provisioner.targets import RemoteAccount, RemoteGroup, TargetSnapshot

#: (up to this many identities, seconds, peak MB): the goals of issue 16
BOUNDS = ((55_000, 5.0, 500.0), (1_000_000, 120.0, 2048.0))
TODAY = date(2026, 11, 22)


def bound_of(identities: int) -> tuple[float, float]:
    """The bound for a board of this size: the smallest goal that covers it (beyond the
    largest, that goal scaled to the size)."""
    for most, seconds, megabytes in BOUNDS:
        if identities <= most:
            return seconds, megabytes
    most, seconds, megabytes = BOUNDS[-1]
    return seconds * identities / most, megabytes * identities / most


def synced_snapshot(
    view: DesiredState,
) -> tuple[TargetSnapshot, dict[str, AccountLink], dict[str, str]]:
    """What the target looks like after a complete, successful sync of ``view``."""
    accounts: list[RemoteAccount] = []
    links: dict[str, AccountLink] = {}
    members: dict[str, set[str]] = {}
    for n, key in enumerate(sorted(view.accounts)):
        account = view.accounts[key]
        if account.state is not AccountState.ACTIVE:
            continue
        spec = account_spec_data(account, True)
        remote_id = f"r{n}"
        accounts.append(
            RemoteAccount(
                remote_id,
                key,
                spec["username"],
                spec["display_name"],
                spec["given_name"],
                spec["family_name"],
                True,
                account.attributes,  # equal to spec["attributes"], and not a copy each
                account.licences,
            )
        )
        links[key] = AccountLink(remote_id)
        for group in account.groups:
            members.setdefault(group, set()).add(remote_id)
    groups = [
        RemoteGroup(f"g{n}", key, g.display_name, g.description, frozenset(members.get(key, ())))
        for n, (key, g) in enumerate(sorted(view.groups.items()))
    ]
    return TargetSnapshot(accounts, groups), links, {g.key or "": g.remote_id for g in groups}


class Clock:
    """Wall and CPU time of each step of this process."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._started = (time.perf_counter(), time.process_time())

    def lap(self, step: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[step] = wall - self._started[0]
        self.cpu[step] = cpu - self._started[1]
        self._started = (wall, cpu)

    def restart(self) -> None:
        self._started = (time.perf_counter(), time.process_time())


def run_once(config_path: Path) -> dict[str, Any]:
    """One measured run in this process: the four steps, as the sync's planning does them."""
    config = load_config(config_path)
    target_cfg = config.targets[0]
    clock = Clock()
    read = read_sources(build_sources(config, today=TODAY))
    clock.lap("read_sources")

    settings = PolicySettings(
        today=TODAY,
        locations={loc.brin6: loc.name for loc in config.locations},
        roles=config.roles,
        director_scope=config.board.director_scope,
    )
    desired = build_desired_state(
        read.staff, read.pupils, read.groups, settings, frozen=read.frozen
    )
    requests = naming_requests(
        desired.accounts.values(),
        staff_template=config.naming.staff_template,
        pupil_template=config.naming.pupil_template,
    )
    names = assign_usernames(requests, {}, frozenset())
    del requests  # as in the sync (execution.inputs.assign_names): gone after naming
    desired = desired.with_usernames(names)
    del names
    view = for_target(
        desired, include_pupils=True, licences=target_cfg.licences, sis_roles=target_cfg.sis_roles
    )
    clock.lap("desired_state")

    options = PlanOptions(
        today=TODAY,
        supports_licences=True,
        supports_sessions=True,
        managed_licences=frozenset(s for v in target_cfg.licences.values() for s in v),
    )
    empty_plan = plan_target("directory", view, TargetSnapshot([], []), {}, {}, options)
    clock.lap("plan_empty_target")
    operations_empty_target = len(empty_plan.operations)
    del empty_plan  # a run plans a target once: the two plans are two runs, not one

    snapshot, links, group_links = synced_snapshot(view)  # reading the target: not timed
    clock.restart()
    synced_plan = plan_target("directory", view, snapshot, links, group_links, options)
    clock.lap("plan_synced_target")

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "accounts": len(view.accounts),
        "groups": len(view.groups),
        "operations_empty_target": operations_empty_target,
        "operations_synced_target": len(synced_plan.operations),
        "steps_seconds": clock.wall,
        "seconds": sum(clock.wall.values()),
        "cpu_seconds": sum(clock.cpu.values()),
        "process_cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def measure(config_path: Path, repeat: int) -> list[dict[str, Any]]:
    """``repeat`` runs, each in a fresh process of its own."""
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, __file__, "--run-once", str(config_path)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(done.stdout))
    return runs


def summary(args: argparse.Namespace, runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(name: str) -> float:
        return round(float(statistics.median(run[name] for run in runs)), 3)

    first = runs[0]
    seconds_bound, rss_bound = bound_of(args.staff + args.pupils)
    result = {
        "benchmark": "plan",
        "staff": args.staff,
        "pupils": args.pupils,
        **{key: first[key] for key in ("accounts", "groups", "operations_empty_target")},
        "operations_synced_target": max(run["operations_synced_target"] for run in runs),
        "steps_seconds": {
            step: round(statistics.median(run["steps_seconds"][step] for run in runs), 3)
            for step in first["steps_seconds"]
        },
        "seconds": median("seconds"),
        "cpu_seconds": median("cpu_seconds"),
        "process_cpu_seconds": median("process_cpu_seconds"),
        "peak_rss_mb": round(median("peak_rss_mb"), 1),
        "runs": [
            {
                "seconds": round(run["seconds"], 3),
                "cpu_seconds": round(run["cpu_seconds"], 3),
                "peak_rss_mb": round(run["peak_rss_mb"], 1),
            }
            for run in runs
        ],
        "repeat": len(runs),
        "machine": {"cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0))},
        "bound": {"seconds": round(seconds_bound, 1), "peak_rss_mb": round(rss_bound, 1)},
    }
    result["within_bound"] = result["seconds"] < seconds_bound and result["peak_rss_mb"] < rss_bound
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--pupils", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of")
    parser.add_argument("--board", type=Path, help="a board generated before, to plan")
    parser.add_argument("--run-once", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_once is not None:
        print(json.dumps(run_once(args.run_once)))
        return 0
    if args.repeat < 3:
        parser.error("--repeat must be at least 3: the median of three runs or more is quoted")

    with tempfile.TemporaryDirectory() as folder:
        if args.board is not None:
            config_path = args.board / "provisioner.toml"
        else:
            config_path = generate_board(
                Path(folder), today=TODAY, staff=args.staff, pupils=args.pupils
            )
        runs = measure(config_path, args.repeat)
    result = summary(args, runs)
    print(json.dumps(result))
    if result["operations_synced_target"]:
        print("a fully synced target must plan nothing", file=sys.stderr)
        return 1
    return 0 if result["within_bound"] else 1


if __name__ == "__main__":
    sys.exit(main())
