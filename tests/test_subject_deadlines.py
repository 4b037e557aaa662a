"""The pure rules of requests of the people concerned: a calendar month (Art. 12(3), EDPB
Guidelines 01/2022), four weeks for an objection (seed 002 §5), the extension, who may ask;
and the filter that keeps other people out of a bundle."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from provisioner.accountability.subject_deadlines import (
    Refusal,
    add_months,
    age_on,
    check_maker,
    due_on,
    extension,
)
from provisioner.accountability.subject_redact import OTHER, OthersFilter, actor_shown


def test_a_month_ends_on_the_same_date_or_the_last_day_of_a_shorter_month() -> None:
    start = date(2027, 1, 1)
    for offset in range(731):  # two whole years, a leap year among them
        received = start + timedelta(days=offset)
        due = due_on("access", received)
        assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == 1
        assert due.day == received.day or (due.day < received.day and (due + timedelta(1)).day == 1)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2026, 2, 28), date(2026, 3, 28)),
    ],
)
def test_calendar_months_at_their_ends(received: date, due: date) -> None:
    assert due_on("rectification", received) == due


def test_an_objection_gets_four_weeks_and_no_extension() -> None:
    assert due_on("objection", date(2026, 12, 20)) == date(2027, 1, 17)
    assert isinstance(extension("objection", date(2027, 1, 17), date(2027, 1, 1)), Refusal)


def test_the_extension_runs_two_months_from_the_first_deadline_decided_in_time() -> None:
    assert extension("access", date(2026, 2, 28), date(2026, 2, 28)) == date(2026, 4, 28)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 30)
    late = extension("erasure", date(2026, 2, 28), date(2026, 3, 1))
    assert isinstance(late, Refusal) and late.values == {"due": "2026-02-28"}


def test_who_may_ask_for_a_pupil_turns_on_the_sixteenth_birthday() -> None:
    born = date(2012, 2, 29)
    assert age_on(born, date(2028, 2, 28)) == 15 and age_on(born, date(2028, 2, 29)) == 16
    assert isinstance(check_maker("pupil", "self", born, date(2028, 2, 28)), Refusal)
    assert check_maker("pupil", "self", born, date(2028, 2, 29)) == []
    assert check_maker("pupil", "parent", born, date(2028, 2, 28)) == []
    assert check_maker("pupil", "guardian", born, date(2030, 1, 1)) == ["parent_for_16_plus"]
    assert check_maker("pupil", "self", None, date(2030, 1, 1)) == ["age_unknown"]
    assert check_maker("staff", "representative", None, date(2030, 1, 1)) == []
    assert isinstance(check_maker("staff", "guardian", None, date(2030, 1, 1)), Refusal)


def test_the_filter_takes_out_others_and_keeps_what_the_subject_shares_with_them() -> None:
    others = ["staff:100003", "Jan de Vries", "jan.devries@school.nl", "jan.devries", "Omer Celik"]
    own = ["staff:100002", "Jan de Vries", "anne.hek"]
    keep = OthersFilter("staff:100002", others, own)
    text = "Jan de Vries (staff:100002) asked Omer Celik and staff:100003, pupil:L9 cc jan.devries"
    assert (
        keep.text(text)
        == f"Jan de Vries (staff:100002) asked {OTHER} and {OTHER}, {OTHER} cc {OTHER}"
    )
    assert keep.text("Omer Celikkaya and OMER CELIK.") == f"Omer Celikkaya and {OTHER}."
    assert keep.clean({"staff:100003": ["jan.devries@school.nl"]}) == {OTHER: [OTHER]}
    assert actor_shown("sync:20261122-1") == "sync:20261122-1"
    assert actor_shown("chat:U1") == f"chat:{OTHER}" and actor_shown("chat:U1", "U1") == "chat:U1"
