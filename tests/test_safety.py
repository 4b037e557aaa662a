"""The safety gate's two checks, as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from provisioner.config import SafetyConfig, Threshold
from provisioner.planning.models import Operation, OpType, Plan
from provisioner.planning.safety import (
    Base,
    Baseline,
    check_sources,
    check_thresholds,
    largest_in_window,
    population_bases,
)
from provisioner.targets import RemoteAccount, RemoteGroup, TargetSnapshot


def plan(op: OpType, count: int, managed: int) -> Plan:
    ops = tuple(Operation(op, f"staff:{n}") for n in range(count))
    return Plan("m365", ops, (), managed_accounts=managed, managed_memberships=managed * 4)


def seen(**counts: int) -> dict[str, Baseline]:
    """Baselines as if each count was the largest, in run R1 of 1 December."""
    return {
        name.replace("_", "."): Baseline(count, "R1", date(2026, 12, 1))
        for name, count in counts.items()
    }


def test_an_empty_source_stops_even_on_the_first_run() -> None:
    assert check_sources({"hr.staff": 0}, {}, 20) == [
        "source hr.staff is empty: is the export complete?"
    ]


def test_a_source_that_shrank_past_the_limit_stops_and_says_by_how_much() -> None:
    (reason,) = check_sources(
        {"hr.staff": 60, "sis.pupils": 70}, seen(hr_staff=60, sis_pupils=700), 20
    )
    assert "sis.pupils has 70 records, 630 fewer than the 700" in reason and "90.0% fewer" in reason


def test_the_stop_names_the_run_and_the_window_it_compared_with() -> None:
    (reason,) = check_sources(
        {"hr.staff": 42}, seen(hr_staff=60), 20, {"hr": "AFAS Profit"}, window_days=14
    )
    assert reason == (
        "source hr.staff (AFAS Profit) has 42 records, 18 fewer than the 60 in run R1 of "
        "2026-12-01 (the largest of the last 14 days): 30.0% fewer; the limit is 20%. "
        "Is the export complete?"
    )


def test_normal_turnover_and_growth_pass() -> None:
    assert (
        check_sources({"hr.staff": 50, "sis.pupils": 900}, seen(hr_staff=60, sis_pupils=700), 20)
        == []
    )


def test_the_baseline_is_the_largest_count_of_the_window_per_source() -> None:
    runs = [  # newest first
        ("R3", date(2026, 12, 3), {"hr.staff": 51, "sis.pupils": 720}),
        ("R2", date(2026, 12, 2), {"hr.staff": 60, "sis.pupils": 700}),
        ("R1", date(2026, 12, 1), {"hr.staff": 60, "sis.pupils": 690}),
    ]
    baselines = largest_in_window(runs)
    assert baselines["hr.staff"] == Baseline(60, "R2", date(2026, 12, 2))  # the newest of a tie
    assert baselines["sis.pupils"] == Baseline(720, "R3", date(2026, 12, 3))
    # 85% then 70% of 60: the second is 17.6% below the run before, 30% below the window
    assert check_sources({"hr.staff": 42}, baselines, 20) != []


def test_count_limit() -> None:
    thresholds = {"delete_account": Threshold(max_count=25)}
    assert check_thresholds(plan(OpType.DELETE_ACCOUNT, 25, 10_000), thresholds) == []
    (reason,) = check_thresholds(plan(OpType.DELETE_ACCOUNT, 26, 10_000), thresholds)
    assert reason == "For staff, 26 accounts would be deleted in m365; the limit is 25"


def test_percentage_limit_applies_from_a_minimum_number_of_operations() -> None:
    thresholds = {"disable_account": Threshold(max_percent=5)}
    assert check_thresholds(plan(OpType.DISABLE_ACCOUNT, 1, 2), thresholds) == []  # 1 leaver of 2
    (reason,) = check_thresholds(plan(OpType.DISABLE_ACCOUNT, 12, 200), thresholds)
    assert reason == (
        "For staff, 12 accounts would be disabled in m365, 6.0% of the 200 staff accounts "
        "there; the limit is 5%"
    )
    strict = {"disable_account": Threshold(max_percent=5, percent_from=1)}
    assert check_thresholds(plan(OpType.DISABLE_ACCOUNT, 1, 2), strict) != []


def test_membership_limits_are_a_share_of_memberships() -> None:
    thresholds = {"remove_member": Threshold(max_percent=10)}
    assert check_thresholds(plan(OpType.REMOVE_MEMBER, 30, 100), thresholds) == []  # of 400
    assert check_thresholds(plan(OpType.REMOVE_MEMBER, 41, 100), thresholds) != []


def test_the_defaults_protect_against_mass_disable_and_delete() -> None:
    defaults = SafetyConfig().thresholds
    assert check_thresholds(plan(OpType.DISABLE_ACCOUNT, 51, 100_000), defaults) != []
    assert check_thresholds(plan(OpType.DELETE_ACCOUNT, 26, 100_000), defaults) != []
    assert check_thresholds(plan(OpType.CREATE_ACCOUNT, 5000, 0), defaults) == []  # first sync


def night(
    staff_leavers: int, pupil_leavers: int, staff: int, pupils: int
) -> tuple[Plan, dict[str, Base]]:
    """A plan disabling leavers of both populations, and the target's populations."""
    ops = (
        *(Operation(OpType.DISABLE_ACCOUNT, f"staff:{n}") for n in range(staff_leavers)),
        *(Operation(OpType.DISABLE_ACCOUNT, f"pupil:{n}") for n in range(pupil_leavers)),
    )
    bases = {"staff": Base(staff, staff * 4), "pupils": Base(pupils, pupils)}
    total = staff + pupils
    return Plan("m365", ops, (), managed_accounts=total, managed_memberships=5 * total), bases


def test_staff_are_counted_apart_from_pupils() -> None:
    """23 of 60 staff disabled was 3% of the whole board: now it is 38% of the staff."""
    staff_plan, bases = night(23, 0, staff=60, pupils=700)
    defaults = SafetyConfig().thresholds
    assert check_thresholds(staff_plan, defaults, bases) == [
        "For staff, 23 accounts would be disabled in m365, 38.3% of the 60 staff accounts "
        "there; the limit is 5%"
    ]
    pupils_plan, bases = night(0, 40, staff=60, pupils=700)
    (reason,) = check_thresholds(pupils_plan, defaults, bases)
    assert reason.startswith(
        "For pupils, 40 accounts would be disabled in m365, 5.7% of the 700 pupil"
    )


@pytest.mark.parametrize("staff", [7, 9, 12, 20, 30, 60, 100, 300, 1000, 5000])
def test_a_third_of_the_staff_disabled_stops_every_board_size_and_a_normal_night_passes(
    staff: int,
) -> None:
    defaults = SafetyConfig().thresholds
    third, bases = night(-(-staff // 3), 0, staff=staff, pupils=12 * staff)
    (reason,) = check_thresholds(third, defaults, bases)
    assert reason.startswith("For staff,")
    normal, bases = night(2, 3 if staff < 60 else 5, staff=staff, pupils=12 * staff)
    assert check_thresholds(normal, defaults, bases) == []


def test_populations_are_counted_from_the_links_and_the_keys_in_the_target() -> None:
    accounts = [
        RemoteAccount("r1", "staff:1", "a", "A", "A", "A", True),
        RemoteAccount("r2", None, "b", "B", "B", "B", True),  # linked: staff:2
        RemoteAccount("r3", "pupil:1", "c", "C", "C", "C", True),
        RemoteAccount("r4", None, "it.admin", "IT", "IT", "Admin", True),  # made by hand
    ]
    groups = [
        RemoteGroup("g1", "loc:07XY00:teachers", "Teachers", "", frozenset({"r1", "r2", "r4"})),
        RemoteGroup("g2", "class:1a", "1a", "", frozenset({"r1", "r3"})),
        RemoteGroup("g3", None, "Made by hand", "", frozenset({"r1", "r3"})),  # not managed
    ]
    bases = population_bases(TargetSnapshot(accounts, groups), {"staff:2": "r2"})
    assert bases == {"staff": Base(2, 3), "pupils": Base(1, 1)}
