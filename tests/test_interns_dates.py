"""The interns' dates without a run: when the recordings are due (seed 003: at most six
months, never after the study ends) and the AD expiry of a last day across summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.ad.accounts import expires_filetime, expires_last_day
from provisioner.policy.interns import recordings_due, reflection_due


@pytest.mark.parametrize(
    ("last_day", "study_end", "due"),
    [
        (date(2027, 1, 29), None, date(2027, 7, 29)),
        (date(2027, 8, 31), None, date(2028, 2, 29)),  # no 31 February: the month's last day
        (date(2026, 8, 31), None, date(2027, 2, 28)),
        (date(2027, 1, 29), date(2027, 5, 31), date(2027, 5, 31)),  # the study ends first
        (date(2027, 1, 29), date(2027, 12, 31), date(2027, 7, 29)),
        (date(2027, 1, 29), date(2027, 1, 29), date(2027, 1, 29)),
    ],
)
def test_recordings_are_due_within_six_months_and_by_the_study_end(
    last_day: date, study_end: date | None, due: date
) -> None:
    assert recordings_due(last_day, study_end, 6) == due


def test_reflection_data_is_due_four_weeks_after_the_last_day() -> None:
    assert reflection_due(date(2027, 1, 29), 28) == date(2027, 2, 26)


def filetime(moment: datetime) -> int:
    return round((moment.timestamp() + 11_644_473_600) * 10_000_000)


@pytest.mark.parametrize(
    ("last_day", "end_utc"),
    [
        ("2027-01-29", datetime(2027, 1, 29, 23, tzinfo=UTC)),  # winter time: UTC+1
        ("2027-07-15", datetime(2027, 7, 15, 22, tzinfo=UTC)),  # summer time: UTC+2
        ("2027-03-27", datetime(2027, 3, 27, 23, tzinfo=UTC)),  # the night summer time starts
        ("2027-10-30", datetime(2027, 10, 30, 22, tzinfo=UTC)),  # the night it ends
    ],
)
def test_the_expiry_is_the_end_of_the_last_day_in_amsterdam(
    last_day: str, end_utc: datetime
) -> None:
    assert expires_filetime(last_day) == filetime(end_utc)
    assert expires_last_day(str(filetime(end_utc))) == last_day


def test_never_and_a_hand_set_moment_read_back() -> None:
    assert expires_filetime("") == 0
    assert expires_last_day("0") == expires_last_day(str(2**63 - 1)) == ""
    noon = filetime(datetime(2027, 2, 3, 11, tzinfo=UTC))  # 12:00 in Amsterdam
    assert expires_last_day(str(noon)) == "2027-02-03"
