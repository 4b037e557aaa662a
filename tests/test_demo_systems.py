"""The demo board served by the Magister emulator, with staff accounts kept in Magister too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def demo(folder: Path, *flags: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "provisioner", "demo", "--dir", str(folder), *flags, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


def test_the_demo_on_magister_keeps_staff_accounts_in_magister(tmp_path: Path) -> None:
    flags = ("--hr", "afas", "--sis", "magister", "--sis-staff")
    first = demo(tmp_path / "d", *flags)
    assert first["status"] == "applied" and first["failed"] == 0
    # Magister lists the pupils enrolled now; the demo board has 700 of whom 5 have left.
    assert first["source_counts"]["sis.pupils"] == 695
    staff_accounts = first["targets"]["magister-staff"]["counts"]
    # Most staff already have a Magister account (adopted by employee number), the rest get one.
    adopted = staff_accounts.get("link_account", 0)
    created = staff_accounts.get("create_account", 0)
    assert adopted > 0 and created > 0 and adopted + created >= 55
    assert "add_member" not in staff_accounts  # a SIS staff target keeps no groups
    again = demo(tmp_path / "d", *flags)
    assert again["status"] == "applied" and again["total"] == 0
