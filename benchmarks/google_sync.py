"""Benchmark: a full sync of a generated board into the Google emulator, quotas on.

Board: 1,000 staff and 10,000 pupils by default (``--staff``/``--pupils``). The emulator adds
50 ms latency to every HTTP request and enforces Google's documented default quotas per user
per minute (Directory API 2,400 queries, Drive API 12,000; each call in a batch counts),
refusing with 403 ``userRateLimitExceeded``. ``--window-scale`` shrinks the one-minute window
for a quicker run (it changes the rates, not the model; the client's pacing follows it).

The bound is computed in the same run from what was answered: per API the quota-limited
lower bound (the bucket starts full, then refills at its rate), and the latency floor (every
HTTP request takes the latency, ``parallel`` at a time). No client can finish faster than the
largest. Prints one JSON object; exit code 1 when ``seconds`` exceeds 1.2 x ``bound_seconds``
or the second run writes anything.

    python benchmarks/google_sync.py [--staff 1000] [--pupils 10000] [--window-scale 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from connectors.emulators.google import GoogleEmulator, GoogleEmulatorSettings
from connectors.google.client import DIRECTORY_SCOPES, DRIVE_SCOPE, GoogleClient, GoogleSettings
from connectors.google.plugin import full_target
from connectors.google.target import GoogleTarget
from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.app.wiring import build_sources, target_settings
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.store.db import make_engine, session_factory, upgrade

TODAY = date(2026, 11, 22)
GOAL = 1.2
PARALLEL = 4


def sync(
    folder: Path, emulator: GoogleEmulator, scale: float, drives: bool
) -> tuple[RunReport, GoogleTarget]:
    config = load_config(folder / "provisioner.toml")
    settings = target_settings(config)
    settings["google"] = settings.pop("directory")
    settings["google"]["licences"] = {}
    quotas = {
        "directory": emulator.settings.directory_qpm,
        "drive": emulator.settings.drive_qpm,
        "licensing": emulator.settings.licensing_qpm,
    }
    scopes = (*DIRECTORY_SCOPES, DRIVE_SCOPE) if drives else DIRECTORY_SCOPES
    client = GoogleClient(
        GoogleSettings(
            emulator.service_account_info(), emulator.settings.admin, scopes=scopes,
            root_url=emulator.root_url, quotas=quotas, quota_window=60.0 * scale,
            max_wait=1800, max_attempts=50,
        )
    )  # fmt: skip
    target = full_target(
        "google", client, drives=drives, skus=[], domain=config.board.domain,
        pupil_domain=config.board.pupil_domain, parallel=PARALLEL,
        location_names={loc.brin6: loc.name for loc in config.locations},
    )  # fmt: skip
    store = make_engine(f"sqlite:///{folder / 'provisioner.db'}")
    upgrade(store)
    engine = Engine(
        config, session_factory(store), build_sources(config), [target], target_settings=settings
    )
    try:
        return engine.sync(SyncRequest(today=TODAY)), target
    finally:
        target.close()


def quota_bound(calls: int, per_minute: int, scale: float) -> float:
    """Seconds the quota needs for ``calls``: the bucket starts full, then refills."""
    return max(0.0, (calls - per_minute) / (per_minute / (60.0 * scale)))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--pupils", type=int, default=10000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--window-scale", type=float, default=1.0)
    parser.add_argument("--drives", action="store_true", help="Shared drives too.")
    args = parser.parse_args()

    emulated = GoogleEmulatorSettings(
        domains=("demo-bestuur.nl", "leerling.demo-bestuur.nl"), admin="beheer@demo-bestuur.nl",
        latency_ms=args.latency_ms, window_scale=args.window_scale, validate=False,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as name, GoogleEmulator(emulated) as emulator:
        folder = Path(name)
        generate_board(folder, today=TODAY, staff=args.staff, pupils=args.pupils)
        started = time.perf_counter()
        first, _ = sync(folder, emulator, args.window_scale, args.drives)
        seconds = time.perf_counter() - started
        sent = [r for r in emulator.requests if r.path != "/token"]
        http_calls = emulator.http_calls
        before = len(emulator.requests)
        second, _ = sync(folder, emulator, args.window_scale, args.drives)
        second_writes = sum(1 for r in emulator.requests[before:] if r.is_write)

    answered = [r for r in sent if not r.throttled]
    drive_calls = sum(1 for r in answered if r.path.startswith("/drive/"))
    directory_calls = len(answered) - drive_calls
    quota = max(
        quota_bound(directory_calls, emulated.directory_qpm, args.window_scale),
        quota_bound(drive_calls, emulated.drive_qpm, args.window_scale),
    )
    latency = http_calls * args.latency_ms / 1000 / PARALLEL
    bound = max(quota, latency)
    result = {
        "benchmark": "google_sync",
        "staff": args.staff,
        "pupils": args.pupils,
        "latency_ms": args.latency_ms,
        "window_scale": args.window_scale,
        "parallel": PARALLEL,
        "status": first.status,
        "operations": first.total,
        "failed": first.failed,
        "seconds": round(seconds, 2),
        "bound_seconds": round(bound, 2),
        "quota_bound_seconds": round(quota, 2),
        "latency_bound_seconds": round(latency, 2),
        "ratio": round(seconds / bound, 3) if bound else None,
        "requests": len(sent),
        "writes": sum(1 for r in answered if r.is_write),
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
