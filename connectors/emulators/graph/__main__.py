"""Run the Graph emulator as its own process: ``python -m connectors.emulators.graph``.

Prints one JSON line with what a client needs (url, authority, graph_url, ca_file, tenant,
client_id, client_secret), then serves until interrupted. ``GET /_emulator/requests`` and
``GET /_emulator/summary`` tell another process what it saw.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .model import EmulatorSettings
from .server import GraphEmulator


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.emulators.graph")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--window-scale", type=float, default=1.0)
    parser.add_argument("--budget-scale", type=float, default=1.0)
    parser.add_argument("--no-throttling", action="store_true")
    parser.add_argument("--state-file", type=Path)
    parser.add_argument(
        "--lost-rate", type=float, default=0.0, help="share of writes applied, answer dropped"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = EmulatorSettings(
        latency_ms=args.latency_ms,
        window_scale=args.window_scale,
        budget_scale=args.budget_scale,
        throttling=not args.no_throttling,
        lost_rate=args.lost_rate,
        seed=args.seed,
    )
    emulator = GraphEmulator(settings, state_file=args.state_file).start(args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(
        json.dumps(
            {
                "url": emulator.url,
                "authority": emulator.authority,
                "graph_url": emulator.graph_url,
                "ca_file": str(emulator.ca_file),
                "tenant": settings.tenant,
                "client_id": settings.client_id,
                "client_secret": settings.client_secret,
            }
        ),
        flush=True,
    )
    stop.wait()
    emulator.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
