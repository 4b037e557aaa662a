"""The fault harness (benchmarks/faults.py, issue 12 item 8) as a smoke test: the demo board
on the reference directory, two SIGKILLs during apply and 5% of the answers lost; its JSON
has the figures, and each of the six is 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HARNESS = Path(__file__).resolve().parent.parent / "benchmarks" / "faults.py"
FIGURES = (
    "writes_done_twice",
    "lost",
    "duplicate_objects",
    "early_retries",
    "runs_left_open",
    "final_state_diff",
)


def test_the_fault_harness_on_the_reference_directory_prints_six_zeros(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(HARNESS), "--quick", "--kills", "2", "--targets", "reference",
         "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    body = json.loads(result.stdout)
    assert {"runs", "totals", "machine", "seconds", "ok"} <= body.keys()
    (run,) = body["runs"]
    assert {*FIGURES, "kills", "injected_faults", "lost_answers", "seconds"} <= run.keys()
    assert (run["target"], run["staff"], run["pupils"]) == ("reference", 60, 700)
    assert run["kills"] >= 1, run
    assert run["lost_answers"] > 0, run
    figures = {f: run[f] for f in FIGURES}
    assert figures == dict.fromkeys(FIGURES, 0), json.dumps(run["evidence"])
    assert result.returncode == 0 and body["ok"] is True
