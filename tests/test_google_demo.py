"""``provisioner demo --target google``: the demo board provisioned into the Google emulator,
a second run that writes nothing on the wire, and the whole demo's traffic valid against the
discovery documents Google's client library ships."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.emulators.google import GoogleEmulator
from provisioner.app.cli import app

pytestmark = pytest.mark.slow


def run_demo(folder: Path, *flags: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["demo", "--dir", str(folder), "--pupils", "300", *flags, "--json"]
    )
    assert result.exit_code == 0, result.output
    outcome: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


def test_the_demo_provisions_google_and_a_second_run_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[GoogleEmulator] = []
    start = GoogleEmulator.start

    def watched(self: GoogleEmulator) -> GoogleEmulator:
        started.append(self)
        return start(self)

    monkeypatch.setattr(GoogleEmulator, "start", watched)
    first = run_demo(tmp_path / "demo", "--target", "google")
    assert first["status"] == "applied" and first["failed"] == 0, first
    counts = first["targets"]["google"]["counts"]
    assert counts["create_account"] > 300 and counts["add_member"] > 300, counts
    assert counts["create_library"] == counts["grant_library"] > 0, counts
    assert counts["assign_licence"] > 0, counts
    (emulator,) = started
    users = emulator.users()
    assert {u["orgUnitPath"].split("/")[1] for u in users} == {"Scholen"}
    pupils = [u for u in users if u["primaryEmail"].endswith("@leerling.demo-bestuur.nl")]
    assert pupils and all(u["orgUnitPath"].count("/") == 4 for u in pupils), "not in a class unit"
    assert any(
        ch not in "abcdefghijklmnopqrstuvwxyz -'"
        for u in users
        for ch in u["name"]["fullName"].lower()
    ), "names lost their diacritics"
    first_violations = list(emulator.violations)

    again = run_demo(tmp_path / "demo", "--target", "google")
    assert again["status"] == "applied" and again["total"] == 0, again
    second = started[1]
    assert second.writes() == [], [(r.method, r.path) for r in second.writes()]
    assert len(second.requests) > 0
    # every request the connector sent and every answer the emulator gave, in both runs
    assert first_violations == [] and second.violations == []
    assert len(emulator.requests) > 1000


def test_an_unknown_demo_target_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--dir", str(tmp_path / "demo"), "--pupils", "60", "--target", "gogle"]
    )
    assert result.exit_code == 3, result.output
    assert "--target is one of google" in result.output
