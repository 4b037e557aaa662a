"""Benchmark: plan a large board (5,000 staff, 50,000 pupils) on this machine.

Measures, on a generated board: reading the sources, building the desired state (policy and
naming), and planning against an empty target and against a fully synced one. Prints one
JSON object and compares the whole plan with the bound in the same run (the goal: under 10 s
and under 1 GB on a 2-core machine). Exit code 1 when a bound is exceeded.

    python benchmarks/plan.py [--staff 5000] [--pupils 50000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.app.wiring import build_sources
from provisioner.domain.models import PersonKind
from provisioner.execution.engine import read_sources
from provisioner.planning.models import AccountState, DesiredState
from provisioner.planning.planner import AccountLink, PlanOptions, account_spec_data, plan_target
from provisioner.policy.desired import PolicySettings, build_desired_state, for_target
from provisioner.policy.naming import NameRequest, assign_usernames
from provisioner.targets import RemoteAccount, RemoteGroup, TargetSnapshot

BOUND_SECONDS = 10.0
BOUND_RSS_MB = 1024.0
TODAY = date(2026, 11, 22)


def synced_snapshot(
    view: DesiredState,
) -> tuple[TargetSnapshot, dict[str, AccountLink], dict[str, str]]:
    """What the target looks like after a complete, successful sync of ``view``."""
    accounts: list[RemoteAccount] = []
    links: dict[str, AccountLink] = {}
    members: dict[str, set[str]] = {}
    for n, (key, account) in enumerate(sorted(view.accounts.items())):
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
                spec["attributes"],
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--pupils", type=int, default=50000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        config_path = generate_board(
            Path(folder), today=TODAY, staff=args.staff, pupils=args.pupils
        )
        config = load_config(config_path)
        target_cfg = config.targets[0]
        steps: dict[str, float] = {}

        started = time.perf_counter()
        read = read_sources(build_sources(config))
        steps["read_sources"] = time.perf_counter() - started

        mark = time.perf_counter()
        settings = PolicySettings(
            today=TODAY,
            locations={loc.brin6: loc.name for loc in config.locations},
            roles=config.roles,
            director_scope=config.board.director_scope,
        )
        desired = build_desired_state(
            read.staff, read.pupils, read.groups, settings, frozen=read.frozen
        )
        requests = [
            NameRequest(
                a.key,
                a.name,
                config.naming.pupil_template
                if a.kind is PersonKind.PUPIL
                else config.naming.staff_template,
                a.ident,
            )
            for a in desired.accounts.values()
        ]
        names = assign_usernames(requests, {}, frozenset())
        desired = dataclasses.replace(
            desired,
            accounts={
                k: dataclasses.replace(a, username=names[k]) for k, a in desired.accounts.items()
            },
        )
        view = for_target(
            desired,
            include_pupils=True,
            licences=target_cfg.licences,
            sis_roles=target_cfg.sis_roles,
        )
        steps["desired_state"] = time.perf_counter() - mark

        options = PlanOptions(
            today=TODAY,
            supports_licences=True,
            supports_sessions=True,
            managed_licences=frozenset(s for v in target_cfg.licences.values() for s in v),
        )
        mark = time.perf_counter()
        empty_plan = plan_target("directory", view, TargetSnapshot([], []), {}, {}, options)
        steps["plan_empty_target"] = time.perf_counter() - mark

        snapshot, links, group_links = synced_snapshot(view)
        mark = time.perf_counter()
        synced_plan = plan_target("directory", view, snapshot, links, group_links, options)
        steps["plan_synced_target"] = time.perf_counter() - mark

    seconds = sum(steps.values())
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "benchmark": "plan",
        "staff": args.staff,
        "pupils": args.pupils,
        "accounts": len(view.accounts),
        "groups": len(view.groups),
        "operations_empty_target": len(empty_plan.operations),
        "operations_synced_target": len(synced_plan.operations),
        "steps_seconds": {k: round(v, 3) for k, v in steps.items()},
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "bound": {"seconds": BOUND_SECONDS, "peak_rss_mb": BOUND_RSS_MB},
        "within_bound": seconds < BOUND_SECONDS and peak_rss_mb < BOUND_RSS_MB,
    }
    print(json.dumps(result))
    if synced_plan.operations:
        print("a fully synced target must plan nothing", file=sys.stderr)
        return 1
    return 0 if result["within_bound"] else 1


if __name__ == "__main__":
    sys.exit(main())
