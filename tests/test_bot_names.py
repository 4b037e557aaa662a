"""bot.names: the person meant, from names as they are typed in chat (typos, partial names,
diacritics, two people with similar names)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.dates import find_day
from bot.names import match_one_of, match_people
from provisioner.domain.models import PersonName


@dataclass(frozen=True)
class Person:
    key: str
    name: PersonName


def person(given: str, prefix: str, family: str) -> Person:
    name = PersonName(given, prefix, family)
    return Person(f"staff:{name.display}", name)


STAFF = [
    person("Joost", "de", "Groot"),
    person("Sanne", "", "Jansen"),
    person("Anne", "", "Jansen"),
    person("Piet", "", "Jansen"),
    person("Pieter", "", "Janssen"),
    person("Jan", "de", "Vries"),
    person("Jan", "de", "Vries-Bakker"),
    person("Anne", "", "Visser"),
    person("Anna", "", "Visser"),
    person("Bram", "", "Visser"),
    person("Kim", "de", "Boer"),
    person("Tim", "de", "Boer"),
    person("Özlem", "", "Yılmaz"),
    person("René", "", "Müller"),
    person("Mei", "", "Chen"),
    person("Anne-Fleur", "van 't", "Hek"),
    person("Mohammed", "", "El Amrani"),
    person("Fatima", "", "Bakker"),
    person("Lars", "van der", "Berg"),
    person("Daan", "", "Smit"),
    person("Sem", "de", "Jong"),
    person("Emma", "de", "Jong"),
    person("Kees", "op den", "Brouw"),
    person("Juni", "de", "Boer"),
    person("Piet", "", "Zondag"),
]


def names(text: str, candidates: list[Person] = STAFF) -> list[str]:
    return [m.person.name.display for m in match_people(candidates, text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan de Vries-Bakker", "Jan de Vries-Bakker"),
        ("jan de vries bakker gaat uit dienst", "Jan de Vries-Bakker"),
        ("Anne Visser", "Anne Visser"),
        ("Sanne Jansen gaat uit dienst", "Sanne Jansen"),
        ("Please offboard Sanne Jansen, her last working day is", "Sanne Jansen"),
        ("rene muller", "René Müller"),
        ("RENE MULLER", "René Müller"),
        ("ozlem yilmaz vertrekt", "Özlem Yılmaz"),
        ("Özlem Yılmaz", "Özlem Yılmaz"),
        ("anne fleur van t hek", "Anne-Fleur van 't Hek"),
        ("Anne-Fleur van ’t Hek", "Anne-Fleur van 't Hek"),
        ("Kees op den Brouw gaat weg", "Kees op den Brouw"),  # "op" is a tussenvoegsel here
        ("collega Mei Chen gaat weg", "Mei Chen"),
        ("Piet Zondag", "Piet Zondag"),
        ("Juni de Boer", "Juni de Boer"),
    ],
)
def test_exact_full_names(text: str, expected: str) -> None:
    (match,) = match_people(STAFF, text)
    assert match.person.name.display == expected
    assert match.exact and match.kind == "exact" and match.score == 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jost de grot gaat uit dienst", "Joost de Groot"),
        ("sane jansen", "Sanne Jansen"),  # not also Anne Jansen: she is two letters away
        ("jan de vris", "Jan de Vries"),
        ("mohamed el amrani", "Mohammed El Amrani"),
        ("daan smid", "Daan Smit"),
        ("lars van den berg", "Lars van der Berg"),
        ("piet janssen", "Piet Jansen"),
        ("ozlem yilmas", "Özlem Yılmaz"),
        ("the teacher rene mueller leaves", "René Müller"),
    ],
)
def test_typos_are_found_but_not_exact(text: str, expected: str) -> None:
    (match,) = match_people(STAFF, text)
    assert match.person.name.display == expected
    assert not match.exact and match.kind == "fuzzy"
    assert 85 <= match.score < 100


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("de Groot", ["Joost de Groot"], "surname"),
        ("Groot gaat weg", ["Joost de Groot"], "surname"),
        ("Joost G.", ["Joost de Groot"], "initial"),
        ("joost de g", ["Joost de Groot"], "initial"),
        ("J. de Groot", ["Joost de Groot"], "initial"),
        ("Joost Groot", ["Joost de Groot"], "short"),
        ("kim boer", ["Kim de Boer"], "short"),
        ("de Groot, Joost", ["Joost de Groot"], "reordered"),
        ("Jansen, Sanne", ["Sanne Jansen"], "reordered"),
        ("Smit", ["Daan Smit"], "surname"),
        ("de jong", ["Emma de Jong", "Sem de Jong"], "surname"),
        ("Bakker", ["Fatima Bakker", "Jan de Vries-Bakker"], "surname"),
        ("de Vries", ["Jan de Vries", "Jan de Vries-Bakker"], "surname"),
        ("J. de Vries", ["Jan de Vries", "Jan de Vries-Bakker"], "initial"),
        ("visser", ["Anna Visser", "Anne Visser", "Bram Visser"], "surname"),
    ],
)
def test_partial_names(text: str, expected: list[str], kind: str) -> None:
    matches = match_people(STAFF, text)
    assert [m.person.name.display for m in matches] == expected
    assert all(not m.exact and m.kind == kind for m in matches)


def test_an_exact_name_and_a_longer_one_that_starts_with_it_both_come_back() -> None:
    exact, longer = match_people(STAFF, "Jan de Vries gaat uit dienst")
    assert (exact.person.name.display, exact.exact) == ("Jan de Vries", True)
    assert (longer.person.name.display, longer.exact, longer.kind) == (
        "Jan de Vries-Bakker",
        False,
        "contains",
    )


def test_the_exact_name_beats_a_typo_of_someone_else() -> None:
    assert names("Kim de Boer") == ["Kim de Boer"]
    assert names("Anna Visser") == ["Anna Visser"]
    assert names("Piet Jansen") == ["Piet Jansen"]


def test_similar_names_both_come_back() -> None:
    matches = match_people(STAFF, "ann visser")
    assert [m.person.name.display for m in matches] == ["Anna Visser", "Anne Visser"]
    assert all(m.kind == "fuzzy" and not m.exact for m in matches)
    assert names("jim de boer") == ["Kim de Boer", "Tim de Boer"]


@pytest.mark.parametrize(
    "text",
    [
        "Piet",  # a given name alone: not everyone called Piet (or Pieter)
        "jan",
        "piet de groot",  # another given name with Joost's surname
        "Willem Alexander",
        "Karel van Dam",
        "gaat uit dienst",
        "",
        "x",
        "12345",
    ],
)
def test_no_match(text: str) -> None:
    assert match_people(STAFF, text) == []


def test_limit_and_key() -> None:
    jansens = match_people(STAFF, "Jansen", limit=2)
    assert len(jansens) == 2
    assert jansens[0].key == jansens[0].person.key


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Jan de Vries gaat per 1 december uit dienst", "Jan de Vries"),
        ("jost de grot gaat over twee weken uit dienst", "Joost de Groot"),
        ("Mei Chen gaat vrijdag weg", "Mei Chen"),
        ("Piet Zondag gaat eind van de maand weg", "Piet Zondag"),
        ("Juni de Boer stopt per 31-12", "Juni de Boer"),
        ("Please offboard René Müller, last working day December 1st", "René Müller"),
    ],
)
def test_with_the_date_taken_out(message: str, expected: str) -> None:
    from datetime import date

    found = find_day(message, date(2026, 11, 25))
    assert found is not None
    assert names(found.rest)[0] == expected


TWO = [person("Jan", "de", "Vries"), person("Jan", "de", "Vries-Bakker")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "Jan de Vries"),
        ("2", "Jan de Vries-Bakker"),
        ("nummer 2", "Jan de Vries-Bakker"),
        ("#2", "Jan de Vries-Bakker"),
        ("de 2e", "Jan de Vries-Bakker"),
        ("de eerste", "Jan de Vries"),
        ("de tweede", "Jan de Vries-Bakker"),
        ("the second one", "Jan de Vries-Bakker"),
        ("de laatste", "Jan de Vries-Bakker"),
        ("Bakker", "Jan de Vries-Bakker"),
        ("Jan de Vries", "Jan de Vries"),
        ("jan de vries bakker", "Jan de Vries-Bakker"),
        ("3", None),
        ("de Vries", None),
        ("Piet", None),
        ("", None),
    ],
)
def test_match_one_of_a_shown_list(text: str, expected: str | None) -> None:
    chosen = match_one_of(TWO, text)
    assert (chosen.name.display if chosen else None) == expected


def test_match_one_of_by_given_name() -> None:
    shown = [person("Anne", "", "Visser"), person("Anna", "", "Visser")]
    assert match_one_of(shown, "anna") is shown[1]
    assert match_one_of(shown, "Anne") is shown[0]
    assert match_one_of(shown, "visser") is None
