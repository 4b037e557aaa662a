"""Prometheus metrics of the provisioner, served by ``provisioner serve`` at ``/metrics``.

The metric objects live here, once per process, in the default ``prometheus_client`` registry
(which also carries the process and Python collectors). Code that counts something imports the
object it needs; nothing here does I/O. Labels never carry personal data: only target names,
outcomes, statuses and flow names.

- ``runs_total{status}``: sync runs finished by this process (applied, partial, stopped, ...);
- ``operations_total{target,outcome}``: operations applied, failed or skipped, per target;
- ``safety_stops_total``: runs stopped by the safety gate or the source guard;
- ``graph_throttled_total``: Microsoft Graph answers 429 (Too Many Requests), see
  :func:`note_graph_throttled`, called by ``connectors/m365/client.py``;
- ``bot_requests_total{flow,outcome}`` and ``bot_ack_seconds``: the chat bot's requests and
  the time until Slack got its acknowledgement (Slack wants one within 3 seconds);
- ``last_run_timestamp_seconds{status}``: when this process last finished a run, per status.

:func:`observe_run` counts one finished run in the first, second, third and last of these;
it counts a run once, however many callers on its way report it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from provisioner.execution.engine import RunReport

runs_total = Counter("provisioner_runs", "Sync runs finished, by status.", ["status"])
operations_total = Counter(
    "provisioner_operations",
    "Operations sent to a target, by outcome (applied, failed, skipped).",
    ["target", "outcome"],
)
safety_stops_total = Counter(
    "provisioner_safety_stops", "Runs stopped by the safety gate or the source guard."
)
graph_throttled_total = Counter(
    "provisioner_graph_throttled", "Microsoft Graph answers 429 Too Many Requests."
)
bot_requests_total = Counter(
    "provisioner_bot_requests", "Chat bot requests, by flow and outcome.", ["flow", "outcome"]
)
bot_ack_seconds = Histogram(
    "provisioner_bot_ack_seconds",
    "Seconds from a Slack request's arrival to its acknowledgement.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
last_run_timestamp_seconds = Gauge(
    "provisioner_last_run_timestamp_seconds",
    "Unix time at which this process last finished a sync run, by status.",
    ["status"],
)


def note_graph_throttled(count: int = 1) -> None:
    """Microsoft Graph throttled ``count`` requests (429), counted whatever the retry did."""
    if count > 0:
        graph_throttled_total.inc(count)


_observed: deque[str] = deque(maxlen=256)
_observed_lock = threading.Lock()


def observe_run(report: RunReport) -> None:
    """Count a finished run (runs, operations by target and outcome, safety stops, the time)
    once: a second call for the same run id (say, by the nightly job and by the sync it ran)
    changes nothing. A dry run is not counted."""
    if report.status == "dry_run":
        return
    with _observed_lock:
        if report.run_id in _observed:
            return
        _observed.append(report.run_id)
    runs_total.labels(status=report.status).inc()
    last_run_timestamp_seconds.labels(status=report.status).set(time.time())
    if report.status == "stopped":
        safety_stops_total.inc()
    for target in report.targets:
        for outcome, count in (
            ("applied", target.applied),
            ("failed", target.failed),
            ("skipped", target.skipped),
        ):
            if count:
                operations_total.labels(target=target.name, outcome=outcome).inc(count)


def observe_busy_run() -> None:
    """A run that could not start because another run held a target (status ``busy``)."""
    runs_total.labels(status="busy").inc()


def observe_failed_run() -> None:
    """A run that ended in an exception before it could report (no run report to count)."""
    runs_total.labels(status="failed").inc()
    last_run_timestamp_seconds.labels(status="failed").set(time.time())
