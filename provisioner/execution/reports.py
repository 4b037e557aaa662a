"""What a sync is asked to do and what it reports: per target and for the whole run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from provisioner.execution.executor import ExecutionResult
from provisioner.planning.models import Operation

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Progress = Callable[[str, int, int], None]


def today_in_amsterdam() -> date:
    return datetime.now(AMSTERDAM).date()


@dataclass
class SyncRequest:
    dry_run: bool = False
    approve: str | None = None  # id of a stopped run whose plan is approved
    scope: str | None = None  # one person's key: offboarding from chat
    actor: str = ""  # who the changes are attributed to: "chat:<user>"; default "sync:<run id>"
    approver: str = ""  # who approved a stopped run: default the operating-system user
    today: date | None = None


@dataclass
class TargetReport:
    name: str
    operations: tuple[Operation, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    stopped: str | None = None


@dataclass
class RunReport:
    run_id: str
    status: str  # dry_run | applied | partial | stopped | failed
    targets: list[TargetReport] = field(default_factory=list)
    stop_reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    source_counts: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for target in self.targets:
            for op, count in target.counts.items():
                total[op] = total.get(op, 0) + count
        return dict(sorted(total.items()))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.targets)

    def exit_code(self) -> int:
        return {"stopped": 2, "partial": 1, "failed": 1}.get(self.status, 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "counts": self.counts,
            "total": self.total,
            "failed": self.failed,
            "targets": {
                t.name: {
                    "counts": t.counts,
                    "applied": t.applied,
                    "failed": t.failed,
                    "skipped": t.skipped,
                    "stopped": t.stopped,
                }
                for t in self.targets
            },
            "stop_reasons": self.stop_reasons,
            "problems": self.problems,
            "issues": self.issues,
            "resumed": self.resumed,
            "source_counts": self.source_counts,
        }


def per_target(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    report = progress
    return lambda done, total: report(name, done, total)


def fill(target_report: TargetReport, result: ExecutionResult) -> None:
    target_report.applied = result.applied
    target_report.failed = result.failed
    target_report.skipped = result.skipped
    target_report.stopped = result.stopped
