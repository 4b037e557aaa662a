"""Pupils who will not be recognisable (issue 13 item 3) and the media a school uses (item 7),
through the CLI: left out of a group check, named with the condition, audited with who said
so (ids only); a single pupil needs no consent on that condition; an unknown medium exits 3
naming the catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent
from tests.test_consent_cli import board, consent  # noqa: F401  (the fixture and the runner)
from tests.test_consent_world import G5B

ON = ("--on", "2026-11-23")


def _events(board: Path, action: str) -> list[AuditEvent]:  # noqa: F811
    engine = make_engine(f"sqlite:///{board.parent / 'provisioner.db'}")
    with session_factory(engine)() as session:
        events = list(session.execute(select(AuditEvent).where(AuditEvent.action == action))
                      .scalars())  # fmt: skip
    engine.dispose()
    return events


def test_a_group_without_the_pupils_who_are_not_recognisable(board: Path) -> None:  # noqa: F811
    # Noah (L2) refused the website; Anne-Fleur (L6) has no answer for it
    code, out = consent(board, "check", "--group", G5B, "--medium", "website", *ON, "--json")
    assert code == 1 and json.loads(out)["without"] != []
    code, out = consent(board, "check", "--group", G5B, "--medium", "website", *ON, "--json",
                        "--not-recognisable", "L2", "--not-recognisable", "pupil:L6")  # fmt: skip
    body = json.loads(out)
    assert code == 0
    assert (body["allowed"], body["condition"], body["total"], body["without"]) == (
        True, "not_recognisable", 30, [],
    )  # fmt: skip
    assert [p["pupil"] for p in body["not_recognisable"]] == ["pupil:L2", "pupil:L6"]
    (event,) = _events(board, "consent.not_recognisable")
    assert event.actor.startswith("admin:") and event.object_key == f"class:{G5B}"
    assert json.loads(event.change)["pupils"] == ["pupil:L2", "pupil:L6"]
    assert "Noah" not in event.change + event.reason  # ids only


def test_text_output_names_them_with_the_condition(board: Path) -> None:  # noqa: F811
    code, out = consent(board, "check", "--group", G5B, "--medium", "website", *ON,
                        "--not-recognisable", "L2")  # fmt: skip
    assert code == 1  # Anne-Fleur still counts, and has no answer
    out = " ".join(out.split())
    assert "1 of 29 pupils" in out and "Anne-Fleur" in out
    assert "make sure they stay unrecognisable" in out and "Noah de Vries (pupil:L2)" in out


def test_a_pupil_not_in_the_group_cannot_be_left_out(board: Path) -> None:  # noqa: F811
    code, out = consent(board, "check", "--group", G5B, "--medium", "website", *ON, "--json",
                        "--not-recognisable", "L3")  # Noah of 7a  # fmt: skip
    assert code == 3 and "pupil:L3 not in group" in json.loads(out)["error"]
    assert _events(board, "consent.not_recognisable") == []


def test_a_single_pupil_not_recognisable_needs_no_consent(board: Path) -> None:  # noqa: F811
    code, out = consent(board, "check", "--pupil", "L2", "--medium", "website", *ON, "--json",
                        "--not-recognisable", "L2")  # fmt: skip
    body = json.loads(out)
    assert code == 0
    assert (body["reason"], body["condition"]) == ("no_consent_needed", "not_recognisable")
    code, out = consent(board, "check", "--pupil", "L2", "--medium", "website", *ON,
                        "--not-recognisable", "L2")  # fmt: skip
    assert "as long as the pupil is not recognisable" in " ".join(out.split())
    code, out = consent(board, "check", "--pupil", "L2", "--medium", "website", *ON,
                        "--not-recognisable", "L1")  # fmt: skip
    assert code == 3  # with --pupil, only that pupil can be the one not recognisable
    assert len(_events(board, "consent.not_recognisable")) == 2  # the two answered questions


def test_an_unknown_medium_exits_3_naming_the_catalogue(board: Path) -> None:  # noqa: F811
    code, out = consent(board, "check", "--pupil", "L1", "--medium", "wervingsfolder", "--json")
    body = json.loads(out)
    assert code == 3 and "'wervingsfolder' is not one medium" in body["error"]
    assert "website" in body["media"] and "schoolpas" in body["media"]
    code, out = consent(board, "check", "--pupil", "L1", "--medium", "wervingsfolder")
    assert code == 3


def test_the_school_pass_needs_none_and_the_class_photo_for_families_does(
    board: Path,  # noqa: F811
) -> None:
    code, out = consent(board, "check", "--group", G5B, "--medium", "leerlingenpas", "--json")
    assert code == 0 and json.loads(out)["reason"] == "no_consent_needed"
    code, out = consent(board, "check", "--pupil", "L1", "--medium",
                        "klassenfoto voor alle gezinnen", *ON, "--json")  # fmt: skip
    body = json.loads(out)
    assert code == 1 and (body["medium"], body["reason"]) == (
        "klassenfoto voor gezinnen", "other_media_only",
    )  # fmt: skip
