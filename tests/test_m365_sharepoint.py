"""The document hierarchy in SharePoint, proven person by person: each level reaches its own
library and every lower level's on its own location, never above, and a pupil only the
library of their own group (002 §11.2)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pytest

from connectors.emulators.graph import EmulatorSettings, GraphEmulator
from connectors.m365.libraries import M365LibraryTarget
from provisioner.app.wiring import build_sources, target_settings
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from tests.board import TODAY, Board, make_board
from tests.test_m365_target import client_for

A, B, C = "07XY00", "07XY01", "07XY02"


def sync(board: Board, emulator: GraphEmulator) -> RunReport:
    config = board.config
    settings = target_settings(config)
    settings["m365"] = settings.pop("directory")
    target = M365LibraryTarget("m365", client_for(emulator), domain="example.nl")
    try:
        engine = Engine(config, board.sessions(), build_sources(config), [target],
                        target_settings=settings)  # fmt: skip
        return engine.sync(SyncRequest(today=TODAY))
    finally:
        target.close()


class Hierarchy:
    def __init__(self, board: Board, emulator: GraphEmulator) -> None:
        self.emulator = emulator
        self.users = {f"{u['employeeType']}:{u['employeeId']}": u["id"] for u in emulator.users()}
        self.libraries = {
            d["description"].removeprefix("provisioner:"): d["id"]
            for d in emulator.drives()
            if str(d.get("description") or "").startswith("provisioner:")
        }
        with (board.folder / "sis" / "enrollments.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        self.class_of = {
            r["userSourcedId"]: r["classSourcedId"] for r in rows if r["role"] == "student"
        }
        self.taught: dict[str, set[str]] = {}
        with (board.folder / "sis" / "users.csv").open(encoding="utf-8") as handle:
            number_of = {u["sourcedId"]: u["identifier"] for u in csv.DictReader(handle)}
        for r in rows:
            if r["role"] == "teacher":
                self.taught.setdefault(number_of[r["userSourcedId"]], set()).add(
                    r["classSourcedId"]
                )

    def reaches(self, person: str) -> set[str]:
        user = self.users[person]
        return {key for key, drive in self.libraries.items() if self.emulator.access(user, drive)}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Board, Hierarchy, GraphEmulator]]:
    board = make_board(tmp_path_factory.mktemp("sp"), pupils=60)
    with GraphEmulator(EmulatorSettings()) as emulator:
        report = sync(board, emulator)
        assert report.status == "applied", report.as_json()
        yield board, Hierarchy(board, emulator), emulator


def levels(location: str, *names: str) -> set[str]:
    return {f"loc:{location}:{name}" for name in names}


def classes_at(world: Hierarchy, location: str) -> set[str]:
    return {k for k in world.libraries if k.startswith(f"class:K-{location}-")}


def test_every_location_has_a_site_with_a_library_per_access_group(
    world: tuple[Board, Hierarchy, GraphEmulator],
) -> None:
    _, hierarchy, _ = world
    for location in (A, B, C):
        assert levels(location, "management", "care", "teachers", "staff") <= set(
            hierarchy.libraries
        )
        assert classes_at(hierarchy, location)


def test_the_director_reaches_everything(world: tuple[Board, Hierarchy, GraphEmulator]) -> None:
    _, hierarchy, _ = world
    assert hierarchy.reaches("staff:100001") == set(hierarchy.libraries)


def test_a_care_coordinator_reads_care_and_all_groups_of_her_location_and_nothing_above(
    world: tuple[Board, Hierarchy, GraphEmulator],
) -> None:
    _, hierarchy, _ = world
    # Anne-Fleur: teacher at A (her own groups only), care coordinator at B
    reached = hierarchy.reaches("staff:100002")
    assert levels(B, "care", "teachers", "staff") | classes_at(hierarchy, B) <= reached
    assert levels(B, "management") & reached == set()
    assert levels(A, "care", "management") & reached == set()
    own = {f"class:{c}" for c in hierarchy.taught.get("100002", set()) if A in c}
    assert classes_at(hierarchy, A) & reached == own
    assert not any(C in key for key in reached)


def test_a_teacher_opens_her_groups_but_not_the_care_folder_or_other_groups(
    world: tuple[Board, Hierarchy, GraphEmulator],
) -> None:
    board, hierarchy, _ = world
    number = board.teacher_number()
    reached = hierarchy.reaches(f"staff:{number}")
    own = {f"class:{c}" for c in hierarchy.taught[number]}
    location = next(iter(own)).split("-")[1]
    assert reached == levels(location, "teachers", "staff") | own


def test_a_pupil_reaches_only_the_library_of_their_own_group(
    world: tuple[Board, Hierarchy, GraphEmulator],
) -> None:
    _, hierarchy, _ = world
    pupil, group = next(iter(sorted(hierarchy.class_of.items())))
    assert hierarchy.reaches(f"pupil:{pupil}") == {f"class:{group}"}


def test_a_caretaker_opens_no_pupil_folder(world: tuple[Board, Hierarchy, GraphEmulator]) -> None:
    _, hierarchy, _ = world
    assert hierarchy.reaches("staff:100005") == levels(C, "staff")  # Sanne Jansen, support staff


def test_sharing_a_library_by_hand_is_undone_on_the_next_run(
    world: tuple[Board, Hierarchy, GraphEmulator],
) -> None:
    board, hierarchy, emulator = world
    care_a = hierarchy.libraries[f"loc:{A}:care"]
    pupil = hierarchy.users[f"pupil:{next(iter(sorted(hierarchy.class_of)))}"]
    with client_for(emulator) as graph:  # someone shares the care folder with a pupil by hand
        graph.post(
            f"/drives/{care_a}/root/invite",
            {"recipients": [{"objectId": pupil}], "roles": ["read"], "requireSignIn": True,
             "sendInvitation": False},
        )  # fmt: skip
    assert emulator.access(pupil, care_a) == "read"
    report = sync(board, emulator)
    assert report.counts == {"revoke_library": 1}
    assert emulator.access(pupil, care_a) is None
    assert sync(board, emulator).total == 0
