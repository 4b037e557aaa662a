"""``provisioner breach``: assess a facts file, the register, show, correct, notified and the
draft of the AP's notification form."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.privacy.breach import AMSTERDAM, BreachFacts
from provisioner.privacy.breaches import BreachRegister
from provisioner.store.db import make_engine, session_factory

runner = CliRunner()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=AMSTERDAM)


def invoke(args: list[str], db_url: str | None = None, tmp: Path | None = None) -> tuple[int, str]:
    env = {"PROVISIONER_DATABASE_URL": db_url or ""}
    extra = ["-c", str((tmp or Path("/nonexistent")) / "absent.toml")] if db_url else []
    result = runner.invoke(app, ["breach", *args, *extra], env=env)
    return result.exit_code, result.output


@pytest.fixture
def facts_file(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(
        json.dumps(
            {
                "narrative": "usb-stick met cijferlijsten kwijt",
                "data_categories": ["learning_results"],
                "subjects_count": 28,
                "subjects_are_children": True,
                "encrypted": True,
                "key_compromised": False,
                "availability_breach": False,
                "discovered_at": "2026-10-24T10:00",
            }
        ),
        encoding="utf-8",
    )
    return path


def test_assess_json_has_the_decision_reasons_deadlines_and_assumptions(facts_file: Path) -> None:
    code, output = invoke(["assess", str(facts_file), "--json", "--lang", "en"])
    assert code == 0, output
    data = json.loads(output)
    assert data["notify_authority"] is False and data["notify_subjects"] is False
    assert any("Art. 34(3)(a)" in r and "case" in r for r in data["reasons"])
    assert data["edpb_examples"] == [1, 6, 10]
    # 24 and 72 elapsed hours across the end of summer time (25 October 2026).
    assert data["privacy_officer_due_at"] == "2026-10-25T09:00:00+01:00"
    assert data["authority_due_at"] == "2026-10-27T09:00:00+01:00"
    assert data["deadlines"]["authority"]["applies"] is False
    assert isinstance(data["assumptions"], list) and data["assumptions"]


def test_assess_changes_with_the_facts(facts_file: Path, tmp_path: Path) -> None:
    facts = json.loads(facts_file.read_text(encoding="utf-8"))
    facts.update(encrypted=False, malicious=True)
    path = tmp_path / "stolen.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    code, output = invoke(["assess", str(path), "--json"])
    assert code == 0
    data = json.loads(output)
    assert data["notify_authority"] is True and data["notify_subjects"] is True
    code, text = invoke(["assess", str(path)])
    assert code == 0 and "Melden bij de AP: ja" in text


def test_assess_keeps_an_unknown_field_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "extra.json"
    path.write_text(
        json.dumps({"kind": "misdirected", "recipient": "one_person", "recalled": True,
                    "malicious": False, "data_categories": ["contact"], "subjects_count": 2,
                    "parcel_carrier": "PostNL"}),
        encoding="utf-8",
    )  # fmt: skip
    result = runner.invoke(app, ["breach", "assess", str(path), "--json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["warnings"] and "parcel_carrier" in data["warnings"][0]
    assert "Warning:" in result.stderr and "parcel_carrier" in result.stderr
    assert "Warning:" not in result.stdout
    # EDPB case 13: two parcels swapped and recalled: document only, with the example named.
    assert data["notify_authority"] is False and data["risk"] == "none"
    assert data["closest_example"]["source"] == "EDPB 01/2021"
    assert data["closest_example"]["case"] == "13"
    factors = {c["factor"]: c for c in data["contributions"]}
    assert factors["recipient"]["points"] == 2 and factors["containment"]["points"] == -1
    assert data["dimensions"]["confidentiality"]["risk"] == "none"


def test_assess_refuses_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"encrypted": "yes"}', encoding="utf-8")
    code, output = invoke(["assess", str(bad)])
    assert code == 3 and "encrypted" in output
    bad.write_text('{"recipient": "the class"}', encoding="utf-8")
    code, output = invoke(["assess", str(bad)])
    assert code == 3 and "recipient" in output
    bad.write_text("[1, 2]", encoding="utf-8")
    assert invoke(["assess", str(bad)])[0] == 3
    assert invoke(["assess", str(tmp_path / "missing.json")])[0] == 3


def test_register_show_correct_notified_and_export(sqlite_url: str, tmp_path: Path) -> None:
    register = BreachRegister(session_factory(make_engine(sqlite_url)))
    breach = register.report(
        BreachFacts(
            narrative="Laptop met zorgdossiers van Sanne gestolen",
            kind="stolen_device",
            data_categories=("care",),
            subjects_count=12,
            subjects_are_children=True,
            encrypted=False,
            malicious=True,
            discovered_at=NOW,
        ),
        reporter="chat:U1",
        location="12AB00",
        now=NOW,
        privacy_officer_told=True,
    )
    code, output = invoke(["register", "--json"], sqlite_url, tmp_path)
    assert code == 0, output
    (row,) = json.loads(output)
    assert row["id"] == breach.id and row["status"] == "open"
    assert row["decision"]["notify_subjects"] is True
    assert row["deadlines"]["privacy_officer"] == "met"
    assert "Sanne" not in output  # the list holds no narrative

    code, output = invoke(["show", breach.id, "--json"], sqlite_url, tmp_path)
    assert code == 0 and json.loads(output)["facts"]["kind"] == "stolen_device"

    code, output = invoke(
        ["correct", breach.id, "--set", "subjects_count=14", "--no-notify-subjects",
         "--reason", "found the next day, sealed"],
        sqlite_url, tmp_path,
    )  # fmt: skip
    assert code == 0, output
    corrected = register.get(breach.id)
    assert corrected.facts.subjects_count == 14
    assert corrected.decision.notify_subjects is False and corrected.decision.confirmed
    assert str(corrected.decision.by).startswith("admin:")

    code, output = invoke(
        ["notified", breach.id, "--party", "authority", "--at", "2026-11-21T10:00"],
        sqlite_url, tmp_path,
    )  # fmt: skip
    assert code == 0, output
    assert register.get(breach.id).status == "closed"

    code, markdown = invoke(["export", breach.id], sqlite_url, tmp_path)
    assert code == 0
    assert markdown.startswith(f"# Concept melding datalek {breach.id}")
    for section in (
        "Contactgegevens",
        "Tijdlijn",
        "Gegevens over het datalek",
        "Persoonsgegevens",
        "groep mensen",
        "Gevolgen",
        "Vervolgacties",
        "Internationale aspecten",
    ):
        assert section in markdown  # fmt: skip
    assert "zorggegevens" in markdown
    assert "ONBEKEND — aanvullen" in markdown  # e.g. the organisation, without a config
    code, output = invoke(["export", breach.id, "--json"], sqlite_url, tmp_path)
    data = json.loads(output)
    assert "Organisatie" in data["unknown"]
    assert "Aantal betrokkenen (eventueel bij benadering)" not in data["unknown"]

    assert invoke(["show", "DL-2026-0999"], sqlite_url, tmp_path)[0] == 3
    assert invoke(["correct", breach.id, "--reason", "x"], sqlite_url, tmp_path)[0] == 3
