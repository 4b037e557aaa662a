"""Account naming: templates, Dutch names, collisions, stability and speed."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.domain.models import PersonName
from provisioner.policy.naming import (
    LAST_RESORT,
    MAX_LENGTH,
    NameRequest,
    assign_usernames,
    check_template,
    username_base,
)

DEFAULT = "{given}.{prefix}{family}"
VALID = re.compile(r"^[a-z0-9._-]{1,64}$")


def name(given: str, prefix: str, family: str) -> PersonName:
    return PersonName(given=given, prefix=prefix, family=family)


def req(
    key: str, person: PersonName, template: str = DEFAULT, ident: str | None = None
) -> NameRequest:
    return NameRequest(key=key, name=person, template=template, ident=ident or key.split(":")[1])


JAN = name("Jan", "de", "Vries")


# --- username_base ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        # The three examples of the brief.
        (name("Ömer", "", "Çelik"), "omer.celik"),
        (name("Anne-Fleur", "van 't", "Hek"), "anne-fleur.vanthek"),
        (name("Jan", "de", "Vries"), "jan.devries"),
        # Tussenvoegsels of several words, with and without apostrophes.
        (name("Janine", "van den", "Boele"), "janine.vandenboele"),
        (name("Lotte", "in 't", "Veld"), "lotte.intveld"),
        (name("Sem", "van der", "Linden"), "sem.vanderlinden"),
        (name("Fenna", "ter", "Horst"), "fenna.terhorst"),
        (name("Daan", "'t", "Hart"), "daan.thart"),
        (name("Bram", "van de", "Ven"), "bram.vandeven"),
        # Apostrophes, hyphens and spaces inside given and family names.
        (name("Noëlle", "", "d'Ancona"), "noelle.dancona"),
        (name("Chloë", "de", "Jong-Bakker"), "chloe.dejong-bakker"),
        (name("Jan Willem", "", "Smit"), "janwillem.smit"),
        (name("Mohammed", "", "El Amrani"), "mohammed.elamrani"),
        (name("Anne\u2011Fleur", "", "Hek"), "anne-fleur.hek"),  # non-breaking hyphen
        # Diacritics that decompose, and letters that need the table.
        (name("Zoë", "van der", "Meer"), "zoe.vandermeer"),
        (name("François", "", "Dupont"), "francois.dupont"),
        (name("Ayşe", "", "Yılmaz"), "ayse.yilmaz"),
        (name("Łukasz", "", "Wiśniewski"), "lukasz.wisniewski"),
        (name("Søren", "", "Ødegård"), "soren.odegard"),
        (name("Jürgen", "", "Groß"), "jurgen.gros"),
        (name("Björn", "", "Þórsson"), "bjorn.thorsson"),
        (name("Đorđe", "", "Æbelø"), "dorde.abelo"),
        (name("Œdipe", "", "Kaß"), "odipe.kas"),
        (name("\u0132sbrand", "van", "Dijk"), "ijsbrand.vandijk"),  # the ĳ ligature
        (name("İrem", "", "Öztürk"), "irem.ozturk"),
        (name("JAN", "DE", "VRIES"), "jan.devries"),
    ],
)
def test_dutch_names(person: PersonName, expected: str) -> None:
    assert username_base(person, DEFAULT, "1234") == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{initial}.{prefix}{family}", "a.vanthek"),
        ("{initial}{prefix}{family}", "avanthek"),
        ("{given}.{prefix}.{family}", "anne-fleur.vant.hek"),
        ("{family}{id}", "hek5678"),
        ("{id}", "5678"),
        ("Leerling.{id}", "leerling.5678"),
        ("{given}..{family}", "anne-fleur.hek"),  # repeated dots collapse
    ],
)
def test_template_fields(template: str, expected: str) -> None:
    assert username_base(name("Anne-Fleur", "van 't", "Hek"), template, "5678") == expected


def test_initial_is_first_letter_after_cleaning() -> None:
    assert username_base(name("Ömer", "", "Çelik"), "{initial}.{family}", "1") == "o.celik"
    assert username_base(name("'Sjaak", "", "Bos"), "{initial}{family}", "1") == "sbos"


def test_missing_parts_leave_no_stray_dots() -> None:
    assert username_base(name("", "de", "Vries"), DEFAULT, "1") == "devries"
    assert username_base(name("Jan", "", ""), DEFAULT, "1") == "jan"
    assert username_base(name("-Jan-", "", "."), DEFAULT, "1") == "jan"


def test_name_without_latin_letters_falls_back_to_id() -> None:
    assert username_base(name("李", "", "王"), DEFAULT, "5678") == "5678"
    assert username_base(name("Ольга", "", "Иванова"), DEFAULT, "P-17") == "p-17"
    assert username_base(name("", "", ""), DEFAULT, "5678") == "5678"
    assert username_base(name("'", "", "..."), DEFAULT, "5678") == "5678"
    assert username_base(name("李", "", "王"), DEFAULT, "李") == LAST_RESORT


def test_base_is_capped_at_64_without_trailing_dot() -> None:
    long = name("Alexandrina-Wilhelmina-Frederika", "van der", "Hoeven-Schimmelpenninck-Ostende")
    base = username_base(long, DEFAULT, "1")
    assert len(base) == MAX_LENGTH
    assert base == "alexandrina-wilhelmina-frederika.vanderhoeven-schimmelpenninck-o"
    # Cut right after the dot: the dot goes too.
    assert username_base(name("a" * 63, "", "Bos"), DEFAULT, "1") == "a" * 63


@pytest.mark.parametrize(
    "template",
    [
        "{given}.{surname}",
        "{0}",
        "{}",
        "{given.upper}",
        "{given[0]}",
        "{given:.1}",
        "{given!r}",
        "{given",
    ],
)
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError):
        check_template(template)
    with pytest.raises(ValueError):
        username_base(JAN, template, "1")


def test_good_templates_pass_the_check() -> None:
    check_template(DEFAULT)
    check_template("{initial}{prefix}{family}{id}")


# --- assign_usernames: collisions -------------------------------------------------------


def test_two_jan_de_vries() -> None:
    got = assign_usernames([req("staff:2", JAN), req("staff:1", JAN)], {}, frozenset())
    assert got == {"staff:1": "jan.devries", "staff:2": "jan.devries2"}


def test_suffixes_count_up_from_two() -> None:
    requests = [req(f"pupil:{n}", JAN) for n in range(10, 15)]
    got = assign_usernames(requests, {}, frozenset())
    assert sorted(got.values()) == sorted(
        ["jan.devries", "jan.devries2", "jan.devries3", "jan.devries4", "jan.devries5"]
    )
    assert got["pupil:10"] == "jan.devries"


def test_name_taken_by_unmanaged_account_is_avoided_case_insensitively() -> None:
    got = assign_usernames([req("staff:1", JAN)], {}, frozenset({"Jan.DeVries"}))
    assert got == {"staff:1": "jan.devries2"}


def test_taken_suffixes_are_skipped() -> None:
    taken = frozenset({"jan.devries", "jan.devries2", "JAN.DEVRIES4"})
    got = assign_usernames([req("staff:1", JAN), req("staff:2", JAN)], {}, taken)
    assert got == {"staff:1": "jan.devries3", "staff:2": "jan.devries5"}


def test_names_kept_by_other_keys_are_reserved() -> None:
    # staff:9 left (not in this run) but still owns its name; staff:1 keeps its own.
    existing = {"staff:1": "jan.devries", "staff:9": "jan.devries2"}
    got = assign_usernames([req("staff:1", JAN), req("staff:5", JAN)], existing, frozenset())
    assert got == {"staff:1": "jan.devries", "staff:5": "jan.devries3"}


def test_suffixed_name_stays_within_64_characters() -> None:
    long = name("Alexandrina-Wilhelmina-Frederika", "van der", "Hoeven-Schimmelpenninck-Ostende")
    requests = [req(f"staff:{n:02}", long) for n in range(1, 12)]
    got = assign_usernames(requests, {}, frozenset())
    base = "alexandrina-wilhelmina-frederika.vanderhoeven-schimmelpenninck-o"
    assert got["staff:01"] == base
    # Shortened to 63 the base ends in "-", which goes too.
    assert got["staff:02"] == "alexandrina-wilhelmina-frederika.vanderhoeven-schimmelpenninck2"
    assert got["staff:11"] == "alexandrina-wilhelmina-frederika.vanderhoeven-schimmelpenninck11"
    assert all(len(v) <= MAX_LENGTH for v in got.values())
    assert len(set(got.values())) == len(got)


def test_suffix_never_follows_a_dot_left_by_shortening() -> None:
    # Base is 62 a's + ".devries..."; shortened to 63 characters it would end in a dot.
    person = name("a" * 62, "", "Devries")
    got = assign_usernames([req("staff:1", person), req("staff:2", person)], {}, frozenset())
    assert got["staff:1"] == "a" * 62 + ".d"
    assert got["staff:2"] == "a" * 62 + "2"


def test_fallback_names_are_unique_too() -> None:
    chinese = name("李", "", "王")
    requests = [
        req("staff:5678", chinese),
        req("pupil:5678", chinese),
        req("pupil:9", chinese, ident="李"),
    ]
    got = assign_usernames(requests, {}, frozenset({LAST_RESORT}))
    assert got == {"staff:5678": "5678", "pupil:5678": "56782", "pupil:9": "user2"}


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="staff:1"):
        assign_usernames([req("staff:1", JAN), req("staff:1", JAN)], {}, frozenset())


# --- assign_usernames: stability --------------------------------------------------------


def test_existing_name_survives_a_name_change() -> None:
    married = name("Piet", "de", "Jong")
    got = assign_usernames([req("staff:1", married)], {"staff:1": "piet.jansen"}, frozenset())
    assert got == {"staff:1": "piet.jansen"}


def test_existing_name_survives_a_template_change_by_default() -> None:
    got = assign_usernames(
        [req("staff:1", JAN, template="{initial}{family}")], {"staff:1": "jan.devries"}, frozenset()
    )
    assert got == {"staff:1": "jan.devries"}


def test_rename_on_name_change_renames_and_keeps_old_name_reserved() -> None:
    requests = [
        req("staff:1", name("Piet", "de", "Jong")),
        req("staff:2", name("Piet", "", "Jansen")),
    ]
    existing = {"staff:1": "piet.jansen"}
    # The account itself is in the target, so its name is taken there as well.
    got = assign_usernames(
        requests, existing, frozenset({"piet.jansen"}), rename_on_name_change=True
    )
    assert got == {"staff:1": "piet.dejong", "staff:2": "piet.jansen2"}


def test_rename_on_name_change_keeps_names_that_still_match() -> None:
    existing = {
        "staff:1": "jan.devries",
        "staff:2": "jan.devries2",
        "staff:3": "JAN.DEVRIES13",
    }
    requests = [req(f"staff:{n}", JAN) for n in (1, 2, 3)]
    got = assign_usernames(
        requests, existing, frozenset(existing.values()), rename_on_name_change=True
    )
    assert got == existing


def test_rename_ignores_only_a_real_collision_suffix() -> None:
    # The base ends in digits of its own ({id}): stripping all digits would rename.
    requests = [req("staff:1234", JAN, template="{initial}{family}{id}")]
    existing = {"staff:1234": "jvries1234"}
    assert assign_usernames(requests, existing, frozenset(), rename_on_name_change=True) == existing
    # "jan.devries0" and "jan.devries1" are not collision suffixes: the person is renamed.
    for old in ("jan.devries0", "jan.devries1", "jan.devriesx", "jan.de"):
        got = assign_usernames(
            [req("staff:1", JAN)], {"staff:1": old}, frozenset(), rename_on_name_change=True
        )
        assert got == {"staff:1": "jan.devries"}, old


def test_rename_recognises_shortened_suffixed_names() -> None:
    long = name("Alexandrina-Wilhelmina-Frederika", "van der", "Hoeven-Schimmelpenninck-Ostende")
    old = username_base(long, DEFAULT, "1")[:62] + "12"
    existing = {"staff:1": old}
    got = assign_usernames(
        [req("staff:1", long)], existing, frozenset(), rename_on_name_change=True
    )
    assert got == existing


def test_renamed_keys_do_not_take_names_kept_by_others() -> None:
    existing = {"staff:1": "jan.devries", "staff:2": "piet.jansen"}
    requests = [req("staff:1", JAN), req("staff:2", JAN)]  # Piet Jansen is now Jan de Vries
    got = assign_usernames(requests, existing, frozenset(), rename_on_name_change=True)
    assert got == {"staff:1": "jan.devries", "staff:2": "jan.devries2"}


# --- determinism, properties, speed -------------------------------------------------------

_PEOPLE = [
    JAN,
    name("Jan", "", "de Vries"),
    name("Ömer", "", "Çelik"),
    name("Anne-Fleur", "van 't", "Hek"),
]


@settings(deadline=None)
@given(st.permutations(range(12)), st.booleans())
def test_order_of_requests_does_not_matter(order: list[int], rename: bool) -> None:
    requests = [req(f"staff:{n}", _PEOPLE[n % len(_PEOPLE)]) for n in range(12)]
    existing = {"staff:3": "anne-fleur.vanthek", "staff:7": "old.name"}
    taken = frozenset({"omer.celik"})
    expected = assign_usernames(requests, existing, taken, rename_on_name_change=rename)
    shuffled = [requests[i] for i in order]
    assert assign_usernames(shuffled, existing, taken, rename_on_name_change=rename) == expected
    # The lowest key gets the plain name, whatever the input order.
    assert expected["staff:0"] == "jan.devries"
    assert expected["staff:1"] == "jan.devries2"


_TEMPLATES = st.sampled_from(
    [
        DEFAULT,
        "{initial}{prefix}{family}",
        "{given}.{prefix}.{family}",
        "{family}{id}",
        "x{initial}",
    ]
)
_NAMES = st.builds(
    PersonName, given=st.text(max_size=80), prefix=st.text(max_size=20), family=st.text(max_size=80)
)


@st.composite
def _scenarios(draw: st.DrawFn) -> tuple[list[NameRequest], frozenset[str]]:
    pool = draw(st.lists(_NAMES, min_size=1, max_size=4))  # few names: many collisions
    template = draw(_TEMPLATES)
    count = draw(st.integers(min_value=1, max_value=25))
    requests = [
        NameRequest(f"staff:{n}", draw(st.sampled_from(pool)), template, draw(st.text(max_size=8)))
        for n in range(count)
    ]
    bases = sorted({username_base(r.name, r.template, r.ident) for r in requests})
    taken = set(draw(st.lists(st.text(max_size=10), max_size=5)))
    for base in bases:
        taken.update(draw(st.sets(st.sampled_from([base, base + "2", base + "3", base.upper()]))))
    return requests, frozenset(taken)


@settings(max_examples=300, deadline=None)  # a busy CI machine must not fail it
@given(_scenarios())
def test_property_names_are_valid_unique_and_free(
    scenario: tuple[list[NameRequest], frozenset[str]],
) -> None:
    requests, taken = scenario
    got = assign_usernames(requests, {}, taken)
    assert set(got) == {r.key for r in requests}
    for username in got.values():
        assert VALID.match(username), username
    assert len(set(got.values())) == len(got)
    assert not set(got.values()) & {t.lower() for t in taken}


@settings(max_examples=200, deadline=None)
@given(_scenarios(), st.data(), st.booleans())
def test_property_existing_names_are_kept_or_replaced_by_free_ones(
    scenario: tuple[list[NameRequest], frozenset[str]], data: st.DataObject, rename: bool
) -> None:
    requests, taken = scenario
    keys = [r.key for r in requests] + ["staff:gone"]  # a key that left keeps its name
    owners = data.draw(st.lists(st.sampled_from(keys), unique=True))
    bases = [username_base(r.name, r.template, r.ident) for r in requests]
    usernames = st.one_of(
        st.sampled_from(bases + [b + "2" for b in bases]),  # names the requests would want
        st.text(alphabet="aj.-_23", min_size=1, max_size=6),
    )
    names = data.draw(st.lists(usernames, min_size=len(owners), max_size=len(owners), unique=True))
    existing = dict(zip(owners, names, strict=True))
    got = assign_usernames(requests, existing, taken, rename_on_name_change=rename)
    reserved = {t.lower() for t in taken} | set(existing.values())
    assert len(set(got.values())) == len(got)
    for key, username in got.items():
        if key in existing and (not rename or username == existing[key]):
            assert username == existing[key]
        else:
            assert VALID.match(username), username
            assert username not in reserved


@given(_NAMES, _TEMPLATES, st.text(max_size=10))
def test_property_base_is_always_valid(person: PersonName, template: str, ident: str) -> None:
    assert VALID.match(username_base(person, template, ident))


def test_55000_requests_with_many_collisions_stay_unique() -> None:
    """Scale and correctness; the speed is measured by benchmarks/plan.py."""
    rng = random.Random(7)
    givens = ["Jan", "Sanne", "Daan", "Emma", "Noah", "Julia", "Lucas", "Tess", "Sem", "Mila"]
    prefixes = ["", "", "de", "van", "van der", "van 't", "ter"]
    families = ["Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Dijk"]
    requests = [req(f"pupil:{n}", JAN) for n in range(5000)]  # 5,000 people named Jan de Vries
    requests += [
        req(
            f"staff:{n}",
            name(rng.choice(givens), rng.choice(prefixes), f"{rng.choice(families)}{n % 700}"),
        )
        for n in range(50000)
    ]
    taken = frozenset({"jan.devries", "jan.devries7"} | {f"sanne.vries{n}" for n in range(700)})
    got = assign_usernames(requests, {}, taken)
    assert len(set(got.values())) == 55000
    assert got["pupil:0"] == "jan.devries2"
    # the last pupil key; staff are named first, and staff called "Jan de Vries<n>" already
    # hold some numbered names, so the 5,000 pupils need numbers up to 5083
    assert got["pupil:999"] == "jan.devries5083"


def test_staff_get_a_contested_name_before_pupils() -> None:
    jan = name("Jan", "de", "Vries")
    got = assign_usernames([req("pupil:L0001", jan), req("staff:900001", jan)], {}, frozenset())
    assert got == {"staff:900001": "jan.devries", "pupil:L0001": "jan.devries2"}
