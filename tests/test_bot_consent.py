"""The consent flow called directly with a FlowContext: questions, follow-ups and refusals."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import Asker, FlowContext, Language, Reply, Turn
from bot.flows.consent import ConsentFlow, read_question
from provisioner.directory import Directory
from provisioner.domain.models import ConsentGiver
from provisioner.privacy.consent import save_consent_history
from provisioner.privacy.media import DEFAULT_MEDIA, Catalogue
from provisioner.store.db import make_engine, session_factory, upgrade
from tests.test_consent_world import (
    GRANTED,
    answer,
    config,
    email,
    fill_consents,
    fill_directory,
)

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
FLOW = ConsentFlow()


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('consent') / 'store.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    fill_directory(factory)
    fill_consents(factory)
    return factory


def ctx(sessions: sessionmaker[Session], staff: str, language: Language = "nl") -> FlowContext:
    directory = Directory(sessions)
    member = directory.staff_by_email(email(staff))
    assert member is not None
    return FlowContext(
        asker=Asker(chat_user=f"U{staff}", staff=member),
        language=language,
        now=NOW,
        config=config(),
        sessions=sessions,
        directory=directory,
    )


def ask(sessions: sessionmaker[Session], staff: str, text: str, language: Language = "nl") -> Turn:
    turn = FLOW.start(ctx(sessions, staff, language), text)
    check(turn)
    return turn


def check(turn: Turn) -> None:
    assert all(reply.private for reply in turn.replies)
    if turn.state is not None:
        json.dumps(turn.state)  # stored between messages


def only(turn: Turn) -> Reply:
    assert len(turn.replies) == 1
    return turn.replies[0]


def data(turn: Turn) -> dict[str, Any]:
    return dict(only(turn).data)


# -- answers ------------------------------------------------------------------------------------


def test_a_teacher_asks_about_a_pupil_of_their_group(sessions: sessionmaker[Session]) -> None:
    turn = ask(sessions, "1", "Mag de foto van Sanne Jansen op de website?")
    assert turn.state is None
    assert data(turn) | {"since": None} == {
        "allowed": True, "reason": "granted", "medium": "website",
        "person_key": "pupil:L1", "since": None,
    }  # fmt: skip
    assert only(turn).text.startswith("Ja, de foto van *Sanne Jansen* mag op de website")


def test_withdrawn_with_its_date_in_dutch(sessions: sessionmaker[Session]) -> None:
    turn = ask(sessions, "1", "mag de foto van sanne jansen op instagram?")
    assert (data(turn)["allowed"], data(turn)["reason"]) == (False, "withdrawn")
    assert "ingetrokken op 3 november 2026" in only(turn).text
    assert "sociale media" in only(turn).text


def test_a_group_answer_names_only_the_pupils_without_consent(
    sessions: sessionmaker[Session],
) -> None:
    turn = ask(sessions, "1", "mag ik een foto van groep 5b op Instagram zetten?")
    reply = only(turn)
    assert reply.data == {
        "allowed": False, "reason": "not_all_pupils", "medium": "social media",
        "group": "K-07XY00-5b", "total": 30, "without": 3,
    }  # fmt: skip
    assert "3 van de 30 leerlingen" in reply.text
    assert dict(reply.facts) == {
        "Sanne Jansen": "ingetrokken (3 november 2026)",
        "Noah de Vries": "geen antwoord",
        "Anne-Fleur van 't Hek": "alleen andere media",
    }
    assert "Kind" not in reply.text + str(reply.facts)


def test_allowed_for_all_n(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        save_consent_history(session, [
            answer("L3", "folder", GRANTED, date(2026, 9, 1)),
            answer("L4", "folder", GRANTED, date(2026, 9, 1), giver=ConsentGiver.PUPIL),
        ])  # fmt: skip
        session.commit()
    turn = ask(sessions, "2", "Mag de klassenfoto van 7a in de folder?")
    assert data(turn) | {"group": None} == {
        "allowed": True, "reason": "granted", "medium": "folder", "group": None,
        "total": 2, "without": 0,
    }  # fmt: skip
    assert "er is toestemming voor alle 2 leerlingen" in only(turn).text
    turn = ask(sessions, "1", "foto van groep 5b in de klas gebruiken?")
    assert data(turn)["allowed"] is True and data(turn)["reason"] == "no_consent_needed"
    assert "geen toestemming nodig" in only(turn).text


def test_an_english_question_gets_an_english_answer(sessions: sessionmaker[Session]) -> None:
    turn = ask(sessions, "2", "can the 7a class photo go in the newsletter?", "en")
    reply = only(turn)
    assert reply.data["allowed"] is False and reply.data["total"] == 2
    assert reply.text.startswith("No, not for the whole group: 2 of the 2 pupils of Groep 7a")
    assert "the newsletter" in reply.text
    turn = ask(sessions, "2", "Can Daan Bakker's picture go on the website?", "en")
    assert data(turn)["reason"] == "wrong_giver"
    assert "from 16 the pupil decides" in only(turn).text


def test_the_care_coordinator_and_director_reach_every_pupil_of_their_location(
    sessions: sessionmaker[Session],
) -> None:
    for staff in ("4", "5"):
        turn = ask(sessions, staff, "Mag de foto van Daan Bakker op de website?")
        assert data(turn)["reason"] == "wrong_giver"


# -- follow-up questions ------------------------------------------------------------------------


def test_asks_for_the_medium_when_missing(sessions: sessionmaker[Session]) -> None:
    context = ctx(sessions, "1")
    turn = FLOW.start(context, "/toestemming Sanne Jansen")
    check(turn)
    assert turn.state is not None
    reply = only(turn)
    assert reply.data == {"step": "medium"}
    assert {b.value for b in reply.buttons} == {
        "website", "nieuwsbrief", "schoolgids", "folder", "social media", "ouderapp",
        "klassenfoto voor gezinnen",
    }  # fmt: skip
    typed = FLOW.answer(context, "in de nieuwsbrief", turn.state)
    assert data(typed)["reason"] == "other_media_only" and typed.state is None
    pressed = FLOW.press(context, "consent-medium", "website", turn.state)
    assert data(pressed)["allowed"] is True
    again = FLOW.answer(context, "in de bioscoop", turn.state)
    assert only(again).data == {"step": "medium"} and again.state is not None


def test_asks_which_medium_when_two_are_named(sessions: sessionmaker[Session]) -> None:
    context = ctx(sessions, "1")
    turn = FLOW.start(context, "Mag de foto van Sanne Jansen op de website of in de nieuwsbrief?")
    assert turn.state is not None
    assert [b.value for b in only(turn).buttons] == ["website", "nieuwsbrief"]
    assert (
        data(FLOW.press(context, "consent-medium", "nieuwsbrief", turn.state))["allowed"] is False
    )


def test_asks_for_the_pupil_or_group_when_missing(sessions: sessionmaker[Session]) -> None:
    context = ctx(sessions, "1")
    turn = FLOW.start(context, "Mag deze foto op de website?")
    assert turn.state is not None and only(turn).data == {"step": "subject"}
    follow = FLOW.answer(context, "groep 5b", turn.state)
    assert data(follow)["medium"] == "website" and data(follow)["total"] == 30


def test_asks_which_one_when_a_name_matches_two_pupils(sessions: sessionmaker[Session]) -> None:
    context = ctx(sessions, "3")  # the location leader sees both Noahs
    turn = FLOW.start(context, "Mag de foto van Noah de Vries op de website?")
    assert turn.state is not None
    reply = only(turn)
    assert reply.data == {"step": "pick"}
    assert [b.label for b in reply.buttons] == [
        "Noah de Vries (Groep 5b)",
        "Noah de Vries (Groep 7a)",
    ]
    by_button = FLOW.press(context, "consent-pick", reply.buttons[1].value, turn.state)
    assert (data(by_button)["person_key"], data(by_button)["allowed"]) == ("pupil:L3", True)
    by_number = FLOW.answer(context, "1", turn.state)
    assert (data(by_number)["person_key"], data(by_number)["reason"]) == ("pupil:L2", "refused")
    # the teacher of 5b sees only their own Noah: no question
    assert data(ask(sessions, "1", "Noah de Vries op de website?"))["person_key"] == "pupil:L2"


def test_a_button_that_was_not_offered_does_nothing(sessions: sessionmaker[Session]) -> None:
    context = ctx(sessions, "2")
    turn = FLOW.start(context, "Mag de foto van Noah de Vries op de website?")  # teacher of 7a
    assert data(turn)["person_key"] == "pupil:L3"
    forged = FLOW.press(context, "consent-pick", "pupil|pupil:L1", {"choices": ["pupil|pupil:L3"]})
    assert "allowed" not in data(forged)


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("staff", "text", "refused"),
    [
        ("7", "Mag de foto van Sanne Jansen op de website?", "not_found"),  # at 07XY00 only
        ("2", "Mag de foto van Sanne Jansen op de website?", "no_relation"),
        ("6", "mag ik een foto van groep 5b op Instagram zetten?", "no_relation"),
        ("8", "Mag de foto van Sanne Jansen op de website?", "not_allowed"),
        ("1", "Mag de foto van Pietje Puk op de website?", "not_found"),
        ("1", "Mag de foto van groep 9z op de website?", "not_found"),
        ("1", "Can the 7a class photo go on the website?", "no_relation"),
    ],
)
def test_refusals_reveal_nothing(
    sessions: sessionmaker[Session], staff: str, text: str, refused: str
) -> None:
    turn = ask(sessions, staff, text)
    reply = only(turn)
    assert turn.state is None
    assert reply.data == {"allowed": False, "refused": refused}
    assert "Sanne" not in reply.text and "Jansen" not in reply.text
    assert not reply.facts and not reply.buttons


def test_a_pupil_elsewhere_is_answered_as_a_name_that_does_not_exist(
    sessions: sessionmaker[Session],
) -> None:
    elsewhere = only(ask(sessions, "7", "Mag de foto van Sanne Jansen op de website?"))
    nowhere = only(ask(sessions, "7", "Mag de foto van Pietje Puk op de website?"))
    assert (elsewhere.text, elsewhere.data) == (nowhere.text, nowhere.data)


def test_the_other_locations_group_5b_is_not_offered(sessions: sessionmaker[Session]) -> None:
    turn = ask(sessions, "7", "Mag de foto van groep 5b op de website?")
    assert data(turn)["group"] == "K-07XY01-5b"  # their own 5b, not the one at 07XY00


def test_state_from_storage_is_checked_again(sessions: sessionmaker[Session]) -> None:
    forged = {"subject": {"kind": "pupil", "key": "pupil:L1"}}
    turn = FLOW.answer(ctx(sessions, "2"), "website", forged)
    assert data(turn) == {"allowed": False, "refused": "no_relation"}


# -- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "group", "name", "media"),
    [
        ("Mag de foto van Sanne Jansen op de website?", None, ("sanne", "jansen"), ["website"]),
        ("mag ik een foto van groep 5b op Instagram zetten?", "5b", (), ["social media"]),
        ("can the 7a class photo go in the newsletter?", "7a", (), ["nieuwsbrief"]),
        ("Can Daan Bakker's picture go on the website?", None, ("daan", "bakker"), ["website"]),
        ("foto van groep 8 op 1 december 2026 op de site", "8", ("december",), ["website"]),
        ("/toestemming Anne-Fleur van 't Hek", None, ("anne", "fleur", "t", "hek"), []),
    ],
)  # fmt: skip
def test_reading_a_question(
    text: str, group: str | None, name: tuple[str, ...], media: list[str]
) -> None:
    question = read_question(text, Catalogue(DEFAULT_MEDIA))
    assert question.group_code == group
    assert question.name_words == name or group is not None
    assert [m.name for m in question.media] == media


def test_wants_photo_questions_only() -> None:
    assert FLOW.wants("Mag de foto van Sanne Jansen op de website?")
    assert FLOW.wants("can the 7a class photo go in the newsletter?")
    assert not FLOW.wants("Jan de Vries gaat per 1 december uit dienst")
