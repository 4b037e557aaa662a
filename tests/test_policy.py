"""Policy: the document hierarchy, join and leave dates, overrides, and per-target views."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from provisioner.domain.models import (
    ClassGroup,
    Employment,
    PersonName,
    Pupil,
    Role,
    StaffMember,
)
from provisioner.planning.models import AccountState, DesiredState, IssueKind
from provisioner.policy.desired import (
    Offboarding,
    PolicySettings,
    build_desired_state,
    for_target,
)

TODAY = date(2026, 11, 22)
A, B = "07XY00", "07XY01"
ROLES = {
    "Directeur": Role.DIRECTOR,
    "Locatieleider": Role.LOCATION_LEADER,
    "Intern begeleider": Role.CARE_COORDINATOR,
    "Groepsleerkracht": Role.TEACHER,
    "Conciërge": Role.SUPPORT_STAFF,
    "LIO-stagiair": Role.INTERN,
}
CLASSES = [
    ClassGroup("A-5a", "Groep 5a", A, frozenset({"3", "5"})),
    ClassGroup("A-6a", "Groep 6a", A, frozenset({"4"})),
    ClassGroup("B-5a", "Groep 5a", B, frozenset({"9"})),
]


def settings(**changes: object) -> PolicySettings:
    base = PolicySettings(today=TODAY, locations={A: "OBS A", B: "OBS B"}, roles=ROLES)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def person(
    number: str, *jobs: tuple[str, str], start: date = date(2020, 8, 1), end: date | None = None
) -> StaffMember:
    return StaffMember(
        number,
        PersonName("Jan", "de", f"Vries{number}"),
        tuple(Employment(location, title, start, end) for location, title in jobs),
    )


def groups_of(state: DesiredState, key: str) -> set[str]:
    return set(state.accounts[key].groups)


def desired(*staff: StaffMember, pupils: tuple[Pupil, ...] = (), **kw: object) -> DesiredState:
    return build_desired_state(staff, pupils, CLASSES, kw.pop("s", settings()), **kw)  # type: ignore[arg-type]


def test_each_level_reaches_its_own_and_every_lower_level_on_its_location_only() -> None:
    state = desired(
        person("1", (A, "Locatieleider")),
        person("2", (A, "Intern begeleider")),
        person("3", (A, "Groepsleerkracht")),
        person("5", (A, "LIO-stagiair")),
        person("6", (A, "Conciërge")),
    )
    assert groups_of(state, "staff:1") == {
        "loc:07XY00:management",
        "loc:07XY00:care",
        "loc:07XY00:teachers",
        "loc:07XY00:staff",
        "class:A-5a",
        "class:A-6a",
    }
    assert groups_of(state, "staff:2") == {
        "loc:07XY00:care",
        "loc:07XY00:teachers",
        "loc:07XY00:staff",
        "class:A-5a",
        "class:A-6a",
    }
    # a teacher opens her own groups, not the care folder and not another teacher's group
    assert groups_of(state, "staff:3") == {"loc:07XY00:teachers", "loc:07XY00:staff", "class:A-5a"}
    # an intern sees the groups she is placed in, not the teachers' documents
    assert groups_of(state, "staff:5") == {"loc:07XY00:staff", "class:A-5a"}
    # a caretaker opens no pupil folder
    assert groups_of(state, "staff:6") == {"loc:07XY00:staff"}


def test_director_scope_board_or_school() -> None:
    board = desired(person("1", (A, "Directeur")))
    assert {"loc:07XY01:management", "class:B-5a", "class:A-5a"} <= groups_of(board, "staff:1")
    school = desired(person("1", (A, "Directeur")), s=settings(director_scope="school"))
    assert not any("07XY01" in g or g == "class:B-5a" for g in groups_of(school, "staff:1"))
    assert "loc:07XY00:management" in groups_of(school, "staff:1")


def test_pupils_reach_only_their_own_group() -> None:
    pupil = Pupil(
        "L1",
        PersonName("Sanne", "", "Jansen"),
        date(2017, 3, 1),
        A,
        "A-5a",
        date(2022, 8, 20),
        None,
    )
    state = desired(pupils=(pupil,))
    assert groups_of(state, "pupil:L1") == {"class:A-5a"}
    assert state.accounts["pupil:L1"].roles == {Role.PUPIL}


def test_two_employments_give_the_union_and_leave_with_the_last() -> None:
    both = person("3", (A, "Groepsleerkracht"), (B, "Intern begeleider"))
    state = desired(both)
    assert {"class:A-5a", "loc:07XY01:care", "class:B-5a"} <= groups_of(state, "staff:3")
    assert state.accounts["staff:3"].attributes["role"] == "care_coordinator"

    one_ended = StaffMember(
        "3",
        both.name,
        (
            Employment(A, "Groepsleerkracht", date(2020, 8, 1), TODAY - timedelta(days=1)),
            Employment(B, "Intern begeleider", date(2020, 8, 1), None),
        ),
    )
    account = desired(one_ended).accounts["staff:3"]
    assert account.state is AccountState.ACTIVE
    assert account.locations == {B} and "class:A-5a" not in account.groups


def test_a_back_dated_end_date_is_a_leaver_whatever_date_it_was() -> None:
    for days_ago in (1, 10, 400):
        gone = person("7", (A, "Groepsleerkracht"), end=TODAY - timedelta(days=days_ago))
        account = desired(gone).accounts["staff:7"]
        assert account.state is AccountState.LEFT
        assert account.left_on == TODAY - timedelta(days=days_ago)
        assert account.groups == frozenset()
    # the last working day itself still counts as working
    assert (
        desired(person("7", (A, "Groepsleerkracht"), end=TODAY)).accounts["staff:7"].state
        is AccountState.ACTIVE
    )


def test_joiners_get_an_account_a_week_before_they_start() -> None:
    soon = person("8", (A, "Groepsleerkracht"), start=TODAY + timedelta(days=7))
    later = person("9", (A, "Groepsleerkracht"), start=TODAY + timedelta(days=8))
    state = desired(soon, later)
    assert state.accounts["staff:8"].state is AccountState.ACTIVE
    assert "staff:9" not in state.accounts


def test_an_unmapped_title_is_reported_and_the_person_left_alone() -> None:
    state = desired(person("10", (A, "Vakleerkracht gym")))
    assert "staff:10" not in state.accounts
    assert "staff:10" in state.frozen
    (issue,) = [i for i in state.issues if i.kind is IssueKind.UNMAPPED_TITLE]
    assert issue.key == "staff:10" and "Vakleerkracht gym" in issue.message


def test_titles_match_ignoring_case_accents_and_spaces() -> None:
    state = desired(person("11", (A, "  conciërge ")), person("12", (A, "CONCIERGE")))
    assert (
        state.accounts["staff:11"].roles == state.accounts["staff:12"].roles == {Role.SUPPORT_STAFF}
    )


def test_an_offboarding_from_chat_ends_access_after_the_last_day() -> None:
    teacher = person("3", (A, "Groepsleerkracht"))
    ask = Offboarding("staff:3", TODAY - timedelta(days=1), "chat:U1")
    assert desired(teacher, offboardings=[ask]).accounts["staff:3"].state is AccountState.LEFT
    later = Offboarding("staff:3", TODAY + timedelta(days=9), "chat:U1")
    assert desired(teacher, offboardings=[later]).accounts["staff:3"].state is AccountState.ACTIVE


def test_teachers_the_sis_knows_but_hr_does_not_are_reported() -> None:
    state = desired(person("3", (A, "Groepsleerkracht")))
    unknown = {i.key for i in state.issues if i.kind is IssueKind.UNKNOWN_TEACHER}
    assert unknown == {"staff:4", "staff:5", "staff:9"}


def test_pupils_who_left_or_were_disabled_in_the_sis_are_leavers() -> None:
    left = Pupil(
        "L2",
        PersonName("Ömer", "", "Çelik"),
        None,
        A,
        "A-5a",
        date(2020, 8, 1),
        TODAY - timedelta(days=2),
    )
    off = Pupil(
        "L3", PersonName("Noor", "", "Bakker"), None, A, "A-5a", None, None, enabled_in_sis=False
    )
    state = desired(pupils=(left, off))
    assert state.accounts["pupil:L2"].state is AccountState.LEFT
    assert state.accounts["pupil:L2"].left_on == TODAY - timedelta(days=2)
    assert state.accounts["pupil:L3"].state is AccountState.LEFT


@pytest.mark.parametrize("include_pupils", [True, False])
def test_target_view_adds_licences_and_sis_role(include_pupils: bool) -> None:
    pupil = Pupil("L1", PersonName("Sanne", "", "Jansen"), None, A, "A-5a", None, None)
    state = desired(person("2", (A, "Intern begeleider"), (B, "Groepsleerkracht")), pupils=(pupil,))
    view = for_target(
        state,
        include_pupils=include_pupils,
        licences={"teacher": ["A3"], "care_coordinator": ["A3", "CARE"], "pupil": ["A1"]},
        sis_roles={"care_coordinator": "Intern begeleider", "teacher": "Leerkracht"},
    )
    staff = view.accounts["staff:2"]
    assert staff.licences == {"A3", "CARE"}
    assert staff.attributes["sis_role"] == "Intern begeleider"
    assert ("pupil:L1" in view.accounts) is include_pupils
