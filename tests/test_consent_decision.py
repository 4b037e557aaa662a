"""The consent decision (pure): each reason, and properties that must hold for any history."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.domain.models import ConsentGiver, ConsentMechanism, ConsentStatus
from provisioner.privacy.consent import (
    ConsentSettings,
    Reason,
    StoredAnswer,
    decide,
    required_giver,
)
from provisioner.privacy.media import DEFAULT_MEDIA, Catalogue

CATALOGUE = Catalogue(DEFAULT_MEDIA)
WEBSITE = CATALOGUE.get("website")
SOCIAL = CATALOGUE.get("social media")
IN_CLASS = CATALOGUE.get("gebruik in de klas")
ADMIN = CATALOGUE.get("administratiefoto")
assert WEBSITE and SOCIAL and IN_CLASS and ADMIN
ON = date(2026, 11, 23)
YEAR, LAST_YEAR = "2026-2027", "2025-2026"
ONCE = ConsentSettings(asks_every_year=False, default_mechanism=ConsentMechanism.OPT_IN)
YEARLY = ConsentSettings(asks_every_year=True, default_mechanism=ConsentMechanism.OPT_IN)
G, R, W = ConsentStatus.GRANTED, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN
PARENT, PUPIL = ConsentGiver.PARENT, ConsentGiver.PUPIL


def a(
    status: ConsentStatus,
    day: date,
    medium: str = "website",
    *,
    year: str = YEAR,
    giver: ConsentGiver = PARENT,
) -> StoredAnswer:
    return StoredAnswer(medium, status, year, day, giver)


def reason(history: list[StoredAnswer], *, age: int | None = 9, on: date = ON,
           every_year: bool = False) -> Reason:  # fmt: skip
    assert WEBSITE is not None
    answer = decide(history, WEBSITE, age=age, on=on, settings=YEARLY if every_year else ONCE)
    assert answer.allowed == (answer.reason is Reason.GRANTED)
    return answer.reason


def test_granted_by_the_parents_of_a_child_under_16() -> None:
    assert reason([a(G, date(2026, 9, 1))]) is Reason.GRANTED


def test_no_answer_is_no_consent() -> None:
    assert reason([]) is Reason.NO_CONSENT


def test_refused() -> None:
    assert reason([a(R, date(2026, 9, 1))]) is Reason.REFUSED


def test_withdrawn_from_its_date_not_before() -> None:
    history = [a(G, date(2026, 9, 1)), a(W, date(2026, 11, 3))]
    assert reason(history, on=date(2026, 11, 2)) is Reason.GRANTED
    assert WEBSITE is not None
    answer = decide(history, WEBSITE, age=9, on=date(2026, 11, 3), settings=ONCE)
    assert (answer.allowed, answer.reason, answer.since) == (False, Reason.WITHDRAWN,
                                                             date(2026, 11, 3))  # fmt: skip


def test_given_again_after_a_withdrawal() -> None:
    history = [a(G, date(2026, 9, 1)), a(W, date(2026, 10, 1)), a(G, date(2026, 11, 1))]
    assert reason(history) is Reason.GRANTED


def test_consent_for_other_media_only() -> None:
    assert reason([a(G, date(2026, 9, 1), "social media")]) is Reason.OTHER_MEDIA_ONLY
    # a no for another medium is not "other media only"
    assert reason([a(R, date(2026, 9, 1), "social media")]) is Reason.NO_CONSENT


def test_website_consent_does_not_cover_social_media() -> None:
    assert SOCIAL is not None
    answer = decide([a(G, date(2026, 9, 1))], SOCIAL, age=9, on=ON, settings=ONCE)
    assert (answer.allowed, answer.reason) == (False, Reason.OTHER_MEDIA_ONLY)


def test_a_parents_yes_stops_counting_when_the_pupil_turns_16() -> None:
    history = [a(G, date(2026, 9, 1), giver=PARENT)]
    assert reason(history, age=15) is Reason.GRANTED
    assert reason(history, age=16) is Reason.WRONG_GIVER
    assert reason([*history, a(G, date(2026, 10, 1), giver=PUPIL)], age=16) is Reason.GRANTED


def test_a_child_under_16_cannot_consent_for_themself() -> None:
    assert reason([a(G, date(2026, 9, 1), giver=PUPIL)], age=12) is Reason.WRONG_GIVER
    # unknown age: the parents decide
    assert reason([a(G, date(2026, 9, 1), giver=PUPIL)], age=None) is Reason.WRONG_GIVER
    assert reason([a(G, date(2026, 9, 1), giver=PARENT)], age=None) is Reason.GRANTED


def test_a_no_from_the_wrong_person_stays_a_no() -> None:
    assert reason([a(R, date(2026, 9, 1), giver=PARENT)], age=17) is Reason.REFUSED


def test_the_right_persons_answer_wins_over_a_later_one_of_the_wrong_person() -> None:
    history = [a(G, date(2026, 9, 1), giver=PUPIL), a(W, date(2026, 10, 1), giver=PARENT)]
    assert reason(history, age=17) is Reason.GRANTED


def test_an_earlier_school_year_where_the_school_asks_every_year() -> None:
    last_year = [a(G, date(2025, 9, 1), year=LAST_YEAR)]
    assert reason(last_year, every_year=True) is Reason.EXPIRED_SCHOOL_YEAR
    assert reason(last_year, every_year=False) is Reason.GRANTED
    assert reason([*last_year, a(G, date(2026, 9, 1))], every_year=True) is Reason.GRANTED
    assert reason([a(R, date(2025, 9, 1), year=LAST_YEAR)], every_year=True) is Reason.NO_CONSENT


def test_the_school_year_boundary_is_configurable() -> None:
    assert ConsentSettings().school_year(date(2026, 7, 31)) == "2025-2026"
    assert ConsentSettings().school_year(date(2026, 8, 1)) == "2026-2027"
    assert ConsentSettings(year_start=(9, 1)).school_year(date(2026, 8, 15)) == "2025-2026"


def test_use_in_class_and_the_administration_photo_need_no_consent() -> None:
    for medium in (IN_CLASS, ADMIN):
        assert medium is not None
        answer = decide([a(R, date(2026, 9, 1))], medium, age=9, on=ON, settings=YEARLY)
        assert (answer.allowed, answer.reason) == (True, Reason.NO_CONSENT_NEEDED)


def test_on_the_same_day_a_no_wins() -> None:
    day = date(2026, 9, 1)
    assert reason([a(G, day), a(W, day)]) is Reason.WITHDRAWN
    assert reason([a(W, day), a(G, day)]) is Reason.WITHDRAWN


def test_who_decides() -> None:
    assert required_giver(15) is PARENT
    assert required_giver(16) is PUPIL
    assert required_giver(None) is PARENT


# -- properties ---------------------------------------------------------------------------------

MEDIA = ("website", "social media", "nieuwsbrief")
answers = st.builds(
    StoredAnswer,
    medium=st.sampled_from(MEDIA),
    status=st.sampled_from(list(ConsentStatus)),
    school_year=st.sampled_from([LAST_YEAR, YEAR]),
    recorded_on=st.dates(date(2025, 8, 1), date(2027, 7, 31)),
    given_by=st.sampled_from(list(ConsentGiver)),
)
histories = st.lists(answers, max_size=8)
ages = st.one_of(st.none(), st.integers(4, 19))
days = st.dates(date(2025, 8, 1), date(2027, 7, 31))
school_settings = st.builds(ConsentSettings, asks_every_year=st.booleans())


@settings(max_examples=300)
@given(histories, ages, days, school_settings, st.randoms())
def test_the_order_of_the_history_does_not_matter(history, age, on, conf, rnd) -> None:  # type: ignore[no-untyped-def]
    assert WEBSITE is not None
    shuffled = list(history)
    rnd.shuffle(shuffled)
    assert decide(history, WEBSITE, age=age, on=on, settings=conf) == decide(
        shuffled, WEBSITE, age=age, on=on, settings=conf
    )


@settings(max_examples=300)
@given(histories, histories, ages, days, school_settings)
def test_answers_after_the_day_change_nothing(history, later, age, on, conf) -> None:  # type: ignore[no-untyped-def]
    assert WEBSITE is not None
    future = [
        StoredAnswer(x.medium, x.status, x.school_year, on + timedelta(days=1 + i), x.given_by)
        for i, x in enumerate(later)
    ]
    assert decide(history, WEBSITE, age=age, on=on, settings=conf) == decide(
        history + future, WEBSITE, age=age, on=on, settings=conf
    )


@settings(max_examples=300)
@given(histories, ages, days, school_settings)
def test_allowed_only_with_a_yes_for_this_medium_from_the_right_person(  # type: ignore[no-untyped-def]
    history, age, on, conf
) -> None:
    assert WEBSITE is not None
    answer = decide(history, WEBSITE, age=age, on=on, settings=conf)
    assert answer.allowed == (answer.reason is Reason.GRANTED)
    if answer.allowed:
        assert any(
            x.medium == "website" and x.status is G and x.given_by is required_giver(age)
            and x.recorded_on <= on
            for x in history
        )  # fmt: skip
    only_others = [x for x in history if x.medium != "website"]
    assert not decide(only_others, WEBSITE, age=age, on=on, settings=conf).allowed


@settings(max_examples=200)
@given(histories, ages, days, school_settings)
def test_a_withdrawal_today_always_stops_publication(history, age, on, conf) -> None:  # type: ignore[no-untyped-def]
    assert WEBSITE is not None
    withdrawal = StoredAnswer("website", W, conf.school_year(on), on, required_giver(age))
    answer = decide([*history, withdrawal], WEBSITE, age=age, on=on, settings=conf)
    assert (answer.allowed, answer.reason) == (False, Reason.WITHDRAWN)
