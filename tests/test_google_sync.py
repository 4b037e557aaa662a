"""Whole runs of the demo board into the Google emulator: units per location and class, a
moved teacher follows the location, drift undone (a unit, a membership, a folder shared by
hand), a new user not yet replicated to the groups service, and no personal data in the logs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from connectors.emulators.google import GoogleEmulator, GoogleEmulatorSettings
from connectors.google.client import DIRECTORY_SCOPES, DRIVE_SCOPE, GoogleClient, GoogleSettings
from connectors.google.plugin import full_target
from connectors.google.target import GoogleTarget
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from tests.board import TODAY, Board, make_board

DOMAINS = ("demo-bestuur.nl", "leerling.demo-bestuur.nl")
ADMIN = "beheer@demo-bestuur.nl"


def emulator_settings(**changes: Any) -> GoogleEmulatorSettings:
    return GoogleEmulatorSettings(
        **{"domains": DOMAINS, "admin": ADMIN, "window_scale": 0.01, **changes}
    )


def google(emulator: GoogleEmulator, board: Board) -> GoogleTarget:
    settings = GoogleSettings(
        emulator.service_account_info(), ADMIN, scopes=(*DIRECTORY_SCOPES, DRIVE_SCOPE),
        root_url=emulator.root_url, max_wait=120, max_attempts=30,
    )  # fmt: skip
    config = board.config
    return full_target(
        "google", GoogleClient(settings), drives=True, skus=[], domain=config.board.domain,
        pupil_domain=config.board.pupil_domain,
        location_names={loc.brin6: loc.name for loc in config.locations},
    )  # fmt: skip


def sync(board: Board, emulator: GoogleEmulator) -> RunReport:
    from provisioner.app.wiring import build_sources, target_settings

    config = board.config
    settings = target_settings(config)
    settings["google"] = settings.pop("directory")
    settings["google"]["licences"] = {}
    target = google(emulator, board)
    try:
        engine = Engine(config, board.sessions(), build_sources(config), [target],
                        target_settings=settings)  # fmt: skip
        return engine.sync(SyncRequest(today=TODAY))
    finally:
        target.close()


def locations(board: Board) -> list[tuple[str, dict[str, str]]]:
    """(BRIN6, {"org_unit": unit}) for each HR org unit of the board."""
    return [
        (loc.brin6, {"org_unit": unit})
        for loc in board.config.locations
        for unit in loc.hr_org_units
    ]


def user_of(emulator: GoogleEmulator, number: str) -> dict[str, Any]:
    (user,) = [
        u for u in emulator.users()
        if any(e.get("value") == number and e.get("type") == "organization"
               for e in u.get("externalIds", []))
    ]  # fmt: skip
    return user


def test_units_follow_location_and_class_and_drift_is_undone(tmp_path: Path) -> None:
    board = make_board(tmp_path / "board", pupils=60)
    with GoogleEmulator(emulator_settings()) as emulator:
        first = sync(board, emulator)
        assert first.status == "applied" and first.failed == 0, first.as_json()
        number = board.teacher_number()
        teacher = user_of(emulator, number)
        units = {row["org_unit"]: brin for brin, row in locations(board)}
        (row,) = [r for r in board.hr_rows() if r["employee_number"] == number]
        home = f"/Scholen/{units[row['org_unit']]}/Medewerkers"
        assert teacher["orgUnitPath"] == home
        pupils = [u for u in emulator.users() if u["primaryEmail"].endswith("@" + DOMAINS[1])]
        assert pupils and all(
            u["orgUnitPath"].startswith("/Scholen/07XY0") and "/Leerlingen/" in u["orgUnitPath"]
            for u in pupils
        )  # every pupil in its class's unit

        # by hand: the teacher moved to the root, a pupil out of its class's unit, a member
        # dropped, a folder shared
        emulator.directory.patch_user(teacher["id"], {"orgUnitPath": "/"})
        pupil = pupils[1]
        school = pupil["orgUnitPath"].rsplit("/", 1)[0]
        emulator.directory.patch_user(pupil["id"], {"orgUnitPath": school})
        group = next(g for g in emulator.groups() if teacher["id"] in emulator.members(g["id"]))
        emulator.directory.delete_member(group["id"], teacher["id"])
        folder = next(iter(emulator.drive.files))
        outsider = pupils[0]["primaryEmail"]
        emulator.drive.create_permission(
            folder, {"supportsAllDrives": "true"},
            {"type": "user", "role": "reader", "emailAddress": outsider},
        )  # fmt: skip
        repaired = sync(board, emulator)
        assert repaired.counts.get("update_account") == 2, repaired.as_json()
        assert emulator.directory.users[pupil["id"]]["orgUnitPath"] == pupil["orgUnitPath"]
        assert repaired.counts.get("add_member") == 1 and repaired.counts.get("revoke_library") == 1
        assert user_of(emulator, number)["orgUnitPath"] == home
        assert teacher["id"] in emulator.members(group["id"])
        shared = emulator.drive.list_permissions(folder, {"supportsAllDrives": "true"})
        assert outsider not in {p["emailAddress"] for p in shared["permissions"]}

        # the teacher moves to another school: the account follows to its unit
        elsewhere = next(unit for unit in units if units[unit] != units[row["org_unit"]])
        board.edit_hr(number, lambda r: {**r, "org_unit": elsewhere})
        moved = sync(board, emulator)
        assert moved.status == "applied", moved.as_json()
        assert (
            user_of(emulator, number)["orgUnitPath"] == f"/Scholen/{units[elsewhere]}/Medewerkers"
        )

        before = len(emulator.requests)
        quiet = sync(board, emulator)
        assert quiet.total == 0 and not [r for r in emulator.requests[before:] if r.is_write]
        assert not [r for r in emulator.requests if r.method == "DELETE" and "orgunits" in r.path]
        assert emulator.violations == []


def test_a_new_user_joins_its_groups_before_google_has_replicated_it(tmp_path: Path) -> None:
    board = make_board(tmp_path / "board", pupils=60)
    with GoogleEmulator(emulator_settings(consistency_delay=0.5)) as emulator:
        report = sync(board, emulator)
        assert report.status == "applied" and report.failed == 0, report.as_json()
        refused = [r for r in emulator.requests if r.status == 404 and "members" in r.path]
        assert refused, "the replication delay was never met"
        assert all(
            any(u["id"] in emulator.members(g["id"]) for g in emulator.groups())
            for u in emulator.users()
        )


def test_no_personal_data_reaches_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    board = make_board(tmp_path / "board", pupils=60)
    caplog.set_level(logging.DEBUG)
    with GoogleEmulator(emulator_settings(directory_qpm=60, window_scale=0.02)) as emulator:
        # a small quota: the run is throttled, so the retry policy logs
        report = sync(board, emulator)
        assert report.status == "applied", report.as_json()
        assert any(r.throttled for r in emulator.requests)
        people = emulator.users()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "retry" in text
    for user in people:
        assert user["primaryEmail"] not in text
        assert user["primaryEmail"].split("@")[0] not in text
        assert user["name"]["fullName"] not in text


def end_state(emulator: GoogleEmulator) -> tuple[set[tuple[Any, ...]], set[tuple[str, str]]]:
    """Users and memberships by address, independent of the ids Google chose."""
    users = {u["id"]: u for u in emulator.users()}
    accounts = {(u["primaryEmail"], u["orgUnitPath"], u["suspended"]) for u in users.values()}
    memberships = {
        (g["email"], users[m]["primaryEmail"])
        for g in emulator.groups()
        for m in emulator.members(g["id"])
    }
    return accounts, memberships


@pytest.mark.slow
def test_a_sync_converges_while_a_tenth_of_calls_fail(tmp_path: Path) -> None:
    with GoogleEmulator(emulator_settings()) as calm:
        assert sync(make_board(tmp_path / "calm", pupils=60), calm).status == "applied"
        expected = end_state(calm)

    board = make_board(tmp_path / "stormy", pupils=60)
    with GoogleEmulator(emulator_settings(fault_rate=0.1, seed=3)) as emulator:
        first = sync(board, emulator)
        assert first.status == "applied" and first.failed == 0, first.as_json()
        faults = {r.fault for r in emulator.requests if r.fault}
        assert faults == {"503", "500"}, faults
        assert any(r.fault == "500" and r.is_write for r in emulator.requests)
        assert end_state(emulator) == expected
        creates = [r.body["primaryEmail"] for r in emulator.writes()
                   if r.path.endswith("/users") and r.status in (200, 500)]  # fmt: skip
        assert len(creates) == len(set(creates)), "an account was created twice"
        before = len(emulator.requests)
        second = sync(board, emulator)
        assert second.total == 0 and not [r for r in emulator.requests[before:] if r.is_write]
        assert emulator.violations == []
