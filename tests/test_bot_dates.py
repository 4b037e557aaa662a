"""bot.dates: days as people type them in chat (Dutch and English), names that look like
dates, and days written out for people."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates import find_day, format_day, parse_day

WEDNESDAY = date(2026, 11, 25)
FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("vandaag", WEDNESDAY),
        ("morgen", date(2026, 11, 26)),
        ("overmorgen", date(2026, 11, 27)),
        ("gisteren", date(2026, 11, 24)),
        ("eergisteren", date(2026, 11, 23)),
        ("today", WEDNESDAY),
        ("tomorrow", date(2026, 11, 26)),
        ("yesterday", date(2026, 11, 24)),
        ("vrijdag", date(2026, 11, 27)),
        ("Friday", date(2026, 11, 27)),
        ("woensdag", WEDNESDAY),  # today counts
        ("dinsdag", date(2026, 12, 1)),
        ("deze vrijdag", date(2026, 11, 27)),
        ("volgende vrijdag", date(2026, 11, 27)),
        ("next Friday", date(2026, 11, 27)),
        ("volgende week vrijdag", date(2026, 12, 4)),
        ("vrijdag volgende week", date(2026, 12, 4)),
        ("next week Friday", date(2026, 12, 4)),
        ("afgelopen vrijdag", date(2026, 11, 20)),
        ("last Friday", date(2026, 11, 20)),
        ("vorige week maandag", date(2026, 11, 16)),
        ("eind van de maand", date(2026, 11, 30)),
        ("einde van de maand", date(2026, 11, 30)),
        ("eind deze maand", date(2026, 11, 30)),
        ("end of the month", date(2026, 11, 30)),
        ("end of next month", date(2026, 12, 31)),
        ("eind december", date(2026, 12, 31)),
        ("ultimo februari", date(2027, 2, 28)),
        ("over twee weken", date(2026, 12, 9)),
        ("over 2 weken", date(2026, 12, 9)),
        ("over een week", date(2026, 12, 2)),
        ("over 14 dagen", date(2026, 12, 9)),
        ("in two weeks", date(2026, 12, 9)),
        ("in 2 weeks", date(2026, 12, 9)),
        ("in 10 days", date(2026, 12, 5)),
        ("1 dec", date(2026, 12, 1)),
        ("1 december", date(2026, 12, 1)),
        ("1e december", date(2026, 12, 1)),
        ("per 1 december", date(2026, 12, 1)),
        ("met ingang van 1 januari", date(2027, 1, 1)),
        ("1 december 2027", date(2027, 12, 1)),
        ("31-12", date(2026, 12, 31)),
        ("31-12-2026", date(2026, 12, 31)),
        ("31/12", date(2026, 12, 31)),
        ("31/12/27", date(2027, 12, 31)),
        ("31.12", date(2026, 12, 31)),
        ("1-12", date(2026, 12, 1)),  # day first
        ("2026-12-31", date(2026, 12, 31)),
        ("1 December", date(2026, 12, 1)),
        ("December 1", date(2026, 12, 1)),
        ("December 1st, 2026", date(2026, 12, 1)),
        ("1st of December", date(2026, 12, 1)),
        ("31 dec.", date(2026, 12, 31)),
        ("1 mrt.", date(2027, 3, 1)),
        ("Sept 1", date(2027, 9, 1)),
    ],
)
def test_days_in_dutch_and_english(text: str, day: date) -> None:
    found = find_day(text, WEDNESDAY)
    assert found is not None, text
    assert found.day == day
    assert found.rest == ""
    assert found.matched == text


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("vrijdag", FRIDAY),  # today counts
        ("deze vrijdag", FRIDAY),
        ("volgende vrijdag", date(2026, 12, 4)),  # the first one after today
        ("aanstaande vrijdag", date(2026, 12, 4)),
        ("next Friday", date(2026, 12, 4)),
        ("volgende week vrijdag", date(2026, 12, 4)),
        ("afgelopen vrijdag", date(2026, 11, 20)),
        ("maandag", date(2026, 11, 30)),
        ("donderdag", date(2026, 12, 3)),
    ],
)
def test_weekdays_said_on_a_friday(text: str, day: date) -> None:
    assert parse_day(text, FRIDAY) == day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("per 27-09", date(2026, 9, 27)),  # 59 days ago: back-dated, this year
        ("per 26-09", date(2026, 9, 26)),  # 60 days ago: still this year
        ("per 25-09", date(2027, 9, 25)),  # 61 days ago: next year
        ("per 15-11", date(2026, 11, 15)),
        ("per 3 januari", date(2027, 1, 3)),
        ("1 oktober", date(2026, 10, 1)),
        ("eind september", date(2026, 9, 30)),  # 56 days ago
        ("eind augustus", date(2027, 8, 31)),
        ("29-02", date(2028, 2, 29)),  # the next 29 February
    ],
)
def test_a_date_without_a_year(text: str, day: date) -> None:
    assert parse_day(text, WEDNESDAY) == day


@pytest.mark.parametrize(
    ("text", "day", "rest"),
    [
        (
            "Jan de Vries gaat per 1 december uit dienst",
            date(2026, 12, 1),
            "Jan de Vries gaat uit dienst",
        ),
        ("Mei Chen gaat vrijdag weg", date(2026, 11, 27), "Mei Chen gaat weg"),
        ("Mei Chen gaat 1 mei weg", date(2027, 5, 1), "Mei Chen gaat weg"),
        (
            "Juni de Boer gaat per 31-12 uit dienst",
            date(2026, 12, 31),
            "Juni de Boer gaat uit dienst",
        ),
        ("April Jansen stopt eind van de maand", date(2026, 11, 30), "April Jansen stopt"),
        ("April Jansen 1 december", date(2026, 12, 1), "April Jansen"),
        ("Kees Maart vertrekt over twee weken", date(2026, 12, 9), "Kees Maart vertrekt"),
        ("Piet Zondag gaat morgen uit dienst", date(2026, 11, 26), "Piet Zondag gaat uit dienst"),
        (
            "Anna de Vrijdag, laatste werkdag 31-12",
            date(2026, 12, 31),
            "Anna de Vrijdag, laatste werkdag",
        ),
        ("Kees Smit-Maandag gaat vrijdag weg", date(2026, 11, 27), "Kees Smit-Maandag gaat weg"),
        ("Vrijdag gaat Jan de Vries weg", date(2026, 11, 27), "gaat Jan de Vries weg"),
        ("Vrijdag Jan de Vries uit dienst", date(2026, 11, 27), "Jan de Vries uit dienst"),
        ("Please offboard Sanne Jansen Friday", date(2026, 11, 27), "Please offboard Sanne Jansen"),
        ("Sanne Jansen leaves on December 1st", date(2026, 12, 1), "Sanne Jansen leaves"),
        ("Özlem Yılmaz t/m 31 dec. uit dienst", date(2026, 12, 31), "Özlem Yılmaz uit dienst"),
        ("2027-01-15 René Müller", date(2027, 1, 15), "René Müller"),
        (
            "jost de grot gaat volgende week vrijdag uit dienst",
            date(2026, 12, 4),
            "jost de grot gaat uit dienst",
        ),
        ("gisteren 15:30", date(2026, 11, 24), "15:30"),
        ("21-11 om 14:00", date(2026, 11, 21), "om 14:00"),
    ],
)
def test_the_rest_is_the_name(text: str, day: date, rest: str) -> None:
    found = find_day(text, WEDNESDAY)
    assert found is not None
    assert (found.day, found.rest) == (day, rest)


@pytest.mark.parametrize(
    "text",
    [
        "Mei Chen",
        "Juni de Boer",
        "April Jansen",
        "Maart",
        "Mei",
        "Piet Zondag",
        "Jan Vrijdag",
        "Anna de Zondag",
        "Truus van Maandag",
        "per 4 Jan de Vries",  # Jan is the name, not January
        "Jan de Vries",
        "groep 1/2",
        "groep 5b",
        "om 10.30",
        "10.15 uur",
        "cijfer 7.5",
        "12/31",  # day first: no 31st month
        "31-02",
        "per 40-12",
        "vanochtend",
        "vanmorgen",
        "volgende week",
        "eind",
        "",
    ],
)
def test_no_day(text: str) -> None:
    assert find_day(text, WEDNESDAY) is None


def test_the_first_day_counts() -> None:
    found = find_day("Jan de Vries per 1 december, niet 2 december", WEDNESDAY)
    assert found is not None
    assert found.day == date(2026, 12, 1)
    assert found.rest == "Jan de Vries , niet 2 december"


def test_format_day_in_dutch_and_english() -> None:
    assert format_day(date(2026, 12, 1), "nl") == "dinsdag 1 december 2026"
    assert format_day(date(2026, 12, 1), "en") == "Tuesday 1 December 2026"
    assert format_day(date(2027, 3, 5), "nl") == "vrijdag 5 maart 2027"


PHRASES = [
    "vandaag", "morgen", "gisteren", "vrijdag", "volgende week vrijdag", "eind van de maand",
    "end of the month", "over twee weken", "in 2 weeks", "1 dec", "per 1 december", "31-12",
    "31-12-2026", "31/12", "2026-12-31", "today", "tomorrow", "Friday", "1 December",
    "December 1", "31 dec.", "on December 1st",
]  # fmt: skip
NAME_WORDS = [
    "Jan", "de", "Vries", "Mei", "Chen", "Juni", "Boer", "April", "Jansen", "Maart", "Piet",
    "Özlem", "Yılmaz", "van", "'t", "Hek", "gaat", "uit", "dienst", "leaves", "weg", ",",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_find_day_never_raises(text: str) -> None:
    found = find_day(text, WEDNESDAY)
    if found is not None:
        assert found.matched and found.matched in text
        kept = "".join(found.rest.split())
        assert len(kept) == len("".join(text.split())) - len("".join(found.matched.split()))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(NAME_WORDS), max_size=5),
    st.sampled_from(PHRASES),
    st.lists(st.sampled_from(NAME_WORDS), max_size=5),
)
def test_the_date_text_leaves_the_rest(before: list[str], phrase: str, after: list[str]) -> None:
    text = " ".join([*before, phrase, *after])
    found = find_day(text, WEDNESDAY)
    assert found is not None
    assert found.day == find_day(phrase, WEDNESDAY).day  # type: ignore[union-attr]
    assert phrase.removeprefix("per ").removeprefix("on ") in found.matched
    assert found.matched not in found.rest
    assert found.rest == " ".join([*before, *after])
