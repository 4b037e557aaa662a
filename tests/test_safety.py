"""The safety gate's two checks, as pure functions."""

from __future__ import annotations

from provisioner.config import SafetyConfig, Threshold
from provisioner.planning.models import Operation, OpType, Plan
from provisioner.planning.safety import check_sources, check_thresholds


def plan(op: OpType, count: int, managed: int) -> Plan:
    ops = tuple(Operation(op, f"staff:{n}") for n in range(count))
    return Plan("m365", ops, (), managed_accounts=managed, managed_memberships=managed * 4)


def test_an_empty_source_stops_even_on_the_first_run() -> None:
    assert check_sources({"hr.staff": 0}, {}, 20) == [
        "source hr.staff is empty: is the export complete?"
    ]


def test_a_source_that_shrank_past_the_limit_stops_and_says_by_how_much() -> None:
    (reason,) = check_sources(
        {"hr.staff": 60, "sis.pupils": 70}, {"hr.staff": 60, "sis.pupils": 700}, 20
    )
    assert "sis.pupils has 70 records, 630 fewer than the 700" in reason and "90.0% fewer" in reason


def test_normal_turnover_and_growth_pass() -> None:
    assert (
        check_sources({"hr.staff": 50, "sis.pupils": 900}, {"hr.staff": 60, "sis.pupils": 700}, 20)
        == []
    )


def test_count_limit() -> None:
    thresholds = {"delete_account": Threshold(max_count=25)}
    assert check_thresholds(plan(OpType.DELETE_ACCOUNT, 25, 10_000), thresholds) == []
    (reason,) = check_thresholds(plan(OpType.DELETE_ACCOUNT, 26, 10_000), thresholds)
    assert reason == "26 accounts would be deleted in m365; the limit is 25"


def test_percentage_limit_applies_from_a_minimum_number_of_operations() -> None:
    thresholds = {"disable_account": Threshold(max_percent=5)}
    assert check_thresholds(plan(OpType.DISABLE_ACCOUNT, 1, 2), thresholds) == []  # 1 leaver of 2
    (reason,) = check_thresholds(plan(OpType.DISABLE_ACCOUNT, 12, 200), thresholds)
    assert reason == "12 accounts would be disabled in m365, 6.0% of 200; the limit is 5%"
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
