"""benchmarks/offboarding.py runs end to end on the demo board and prints its JSON (a smoke
test: the times are the benchmark's business, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
KEYS = {
    "confirm_to_revoked_p50_s",
    "confirm_to_revoked_p95_s",
    "confirm_to_sis_inactive_p95_s",
    "ack_p99_ms",
    "machine",
    "board",
    "offboardings",
    "goal",
    "ok",
}


def test_the_offboarding_benchmark_prints_its_json() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "offboarding.py"), "--offboardings", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: a goal missed, not a crash
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    out = json.loads(lines[0])
    assert set(out) >= KEYS, sorted(KEYS - set(out))
    assert out["offboardings"] == 2
    assert out["board"]["staff"] == 60 and out["board"]["pupils"] == 700
    assert out["machine"]["cores"] >= 1
    assert out["not_revoked"] == 0  # both leavers reached Microsoft 365, however slowly
    for key in ("confirm_to_revoked_p50_s", "confirm_to_revoked_p95_s",
                "confirm_to_sis_inactive_p95_s"):
        assert isinstance(out[key], float), (key, out[key])
