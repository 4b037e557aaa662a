"""Benchmark: a full sync of a generated board into the Graph emulator, throttling on.

Board: 1,000 staff and 10,000 pupils by default (``--staff``/``--pupils``). The emulator adds
50 ms latency to every request and throttles like Graph's identity limits (resource units
per 10 s, 3,000 writes per 150 s), with both windows scaled by ``--window-scale`` so the run
takes minutes, not hours; the scale changes the rates, not the model.

The bound is computed in the same run from what was sent: the throttle-limited lower bound
(the buckets start full, then refill at their rate) and the latency floor (every request
takes the latency, ``parallel`` at a time). No client can finish faster than the larger.
Prints one JSON object; exit code 1 when ``seconds`` exceeds 1.2 x ``bound_seconds`` or the
second run writes anything.

    python benchmarks/m365_sync.py [--staff 1000] [--pupils 10000] [--window-scale 0.2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from connectors.emulators.graph import EmulatorSettings, GraphEmulator
from connectors.emulators.graph.throttle import RU_WINDOW, WRITE_BUDGET, WRITE_WINDOW, ru_budget
from connectors.m365.client import GraphClient
from connectors.m365.target import M365Target
from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.app.wiring import build_sources, target_settings
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.store.db import make_engine, session_factory, upgrade

TODAY = date(2026, 11, 22)
GOAL = 1.2


def sync(folder: Path, emulator: GraphEmulator) -> tuple[RunReport, M365Target]:
    config = load_config(folder / "provisioner.toml")
    settings = target_settings(config)
    settings["m365"] = settings.pop("directory")
    client = GraphClient(
        emulator.client_settings(max_wait=1800, max_attempts=50)
    )
    target = M365Target(
        "m365",
        client,
        domain=config.board.domain,
        pupil_domain=config.board.pupil_domain,
        delta_cache=folder / "graph-delta.json",
    )
    store = make_engine(f"sqlite:///{folder / 'provisioner.db'}")
    upgrade(store)
    engine = Engine(config, session_factory(store), build_sources(config), [target],
                    target_settings=settings)  # fmt: skip
    try:
        return engine.sync(SyncRequest(today=TODAY)), target
    finally:
        target.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--pupils", type=int, default=10000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--window-scale", type=float, default=0.2)
    args = parser.parse_args()

    settings = EmulatorSettings(latency_ms=args.latency_ms, window_scale=args.window_scale)
    with tempfile.TemporaryDirectory() as name, GraphEmulator(settings) as emulator:
        folder = Path(name)
        generate_board(folder, today=TODAY, staff=args.staff, pupils=args.pupils)
        started = time.perf_counter()
        first, _ = sync(folder, emulator)
        seconds = time.perf_counter() - started
        sent = list(emulator.requests)
        before = len(sent)
        second, _ = sync(folder, emulator)
        second_writes = sum(1 for r in emulator.requests[before:] if r.is_write)
        users = len(emulator.users())

    answered = [r for r in sent if not r.throttled]
    writes = sum(1 for r in answered if r.is_write)
    units = sum(
        1 if r.is_write else (1 if "$select" in r.path else 2)
        for r in answered
        if not r.in_batch or r.is_write
    )
    write_rate = WRITE_BUDGET / (WRITE_WINDOW * args.window_scale)
    ru_capacity = ru_budget(users)
    ru_rate = ru_capacity / (RU_WINDOW * args.window_scale)
    throttle_bound = max(0.0, (writes - WRITE_BUDGET) / write_rate, (units - ru_capacity) / ru_rate)
    http_calls = sum(1 for r in answered if not r.in_batch)
    latency_bound = http_calls * args.latency_ms / 1000 / M365Target.parallel
    bound = max(throttle_bound, latency_bound)
    result = {
        "benchmark": "m365_sync",
        "staff": args.staff,
        "pupils": args.pupils,
        "latency_ms": args.latency_ms,
        "window_scale": args.window_scale,
        "parallel": M365Target.parallel,
        "status": first.status,
        "operations": first.total,
        "failed": first.failed,
        "seconds": round(seconds, 2),
        "bound_seconds": round(bound, 2),
        "throttle_bound_seconds": round(throttle_bound, 2),
        "latency_bound_seconds": round(latency_bound, 2),
        "ratio": round(seconds / bound, 3) if bound else None,
        "requests": len(sent),
        "writes": writes,
        "throttled": sum(1 for r in sent if r.throttled),
        "second_run_operations": second.total,
        "second_run_writes": second_writes,
    }
    result["within_goal"] = bool(
        bound and seconds <= GOAL * bound and second_writes == 0 and first.failed == 0
    )
    print(json.dumps(result))
    return 0 if result["within_goal"] else 1


if __name__ == "__main__":
    sys.exit(main())
