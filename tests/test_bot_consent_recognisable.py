"""The consent flow in chat (issue 13 items 3, 4, 7): pupils who will not be recognisable,
consent that is not valid, and a medium the school does not know -- in Dutch and English,
including a hurried user (a typo, a name not in the group, two pupils)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.flows.consent import ConsentFlow
from provisioner.domain.models import ConsentGiver, ConsentMechanism, ConsentRecord
from provisioner.privacy.consent import save_consent_history
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import AuditEvent
from tests.test_bot_consent import ask, check, ctx, data, only
from tests.test_consent_world import G5B, GRANTED, fill_consents, fill_directory

FLOW = ConsentFlow()


@pytest.fixture
def sessions(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('consent') / 'store.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    fill_directory(factory)
    fill_consents(factory)
    # Anne-Fleur's website "yes" came from a form with the box already ticked
    pre_ticked = ConsentRecord("L6", "website", GRANTED, "2026-2027", date(2026, 10, 1),
                               ConsentGiver.PARENT, ConsentMechanism.PRE_TICKED)  # fmt: skip
    with factory.begin() as session:
        save_consent_history(session, [pre_ticked])
    return factory


def audited(sessions: sessionmaker[Session]) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.execute(select(AuditEvent).where(
            AuditEvent.action == "consent.not_recognisable")).scalars())  # fmt: skip


def test_two_pupils_left_out_in_dutch(sessions: sessionmaker[Session]) -> None:
    turn = ask(sessions, "1", "Mag de groepsfoto van groep 5b op de website, behalve Noah en "
               "Anne-Fleur, die staan er onherkenbaar op")  # fmt: skip
    reply = only(turn)
    assert reply.data["allowed"] is True and reply.data["not_recognisable"] == 2
    assert reply.text.startswith("Ja, de foto van Groep 5b mag op de website: er is "
                                 "toestemming voor de andere 28 leerlingen.")  # fmt: skip
    assert "Zorg dat deze leerlingen er onherkenbaar op blijven staan" in reply.text
    assert dict(reply.facts) == {"Noah de Vries": "onherkenbaar houden",
                                 "Anne-Fleur van 't Hek": "onherkenbaar houden"}  # fmt: skip
    (event,) = audited(sessions)
    assert (event.actor, event.object_key) == ("chat:U1", f"class:{G5B}")
    assert json.loads(event.change)["pupils"] == ["pupil:L2", "pupil:L6"]
    assert "Noah" not in event.change + event.reason and "behalve" not in event.change


def test_except_in_english(sessions: sessionmaker[Session]) -> None:
    turn = ask(sessions, "1", "Can the 5b class photo go on the website except Noah, he is "
               "not recognisable?", "en")  # fmt: skip
    reply = only(turn)
    assert reply.data["allowed"] is False  # Anne-Fleur still counts: her yes was pre-ticked
    assert reply.text.startswith("No, not for the whole group: 1 of the 29 pupils of Groep 5b")
    assert dict(reply.facts) == {"Anne-Fleur van 't Hek": "no valid consent",
                                 "Noah de Vries": "keep unrecognisable"}  # fmt: skip


def test_a_typo_in_the_name_still_finds_the_pupil_of_the_group(
    sessions: sessionmaker[Session],
) -> None:
    turn = ask(sessions, "1", "mag de klassenfoto van 5b op de website behalve noa de vris "
               "(onherkenbaar)")  # fmt: skip
    reply = only(turn)
    assert reply.data["not_recognisable"] == 1 and "unmatched" not in reply.data
    assert ("Noah de Vries", "onherkenbaar houden") in reply.facts


def test_behalve_a_pupil_not_in_the_group_leaves_nobody_out(
    sessions: sessionmaker[Session],
) -> None:
    turn = ask(sessions, "1", "Mag de groepsfoto van 5b op de website, behalve Emma Visser?")
    reply = only(turn)
    assert reply.data["allowed"] is False and reply.data["unmatched"] == 1
    assert "not_recognisable" not in reply.data
    assert "'emma visser': niet (als één leerling) gevonden in Groep 5b" in reply.text
    assert "Noah de Vries" in dict(reply.facts)  # counted as usual
    assert audited(sessions) == []


def test_a_single_pupil_not_recognisable_needs_no_consent(
    sessions: sessionmaker[Session],
) -> None:
    reply = only(ask(sessions, "1", "Mag de foto van Noah de Vries op de website? Hij staat er "
                     "wazig op."))  # fmt: skip
    assert (reply.data["allowed"], reply.data["reason"], reply.data["condition"]) == (
        True, "no_consent_needed", "not_recognisable",
    )  # fmt: skip
    assert reply.text.startswith("Ja, de foto mag op de website zolang *Noah de Vries* er niet "
                                 "herkenbaar op staat")  # fmt: skip
    english = only(ask(sessions, "1", "Can the photo of Noah de Vries go on the website? He is "
                       "not recognisable in it.", "en"))  # fmt: skip
    assert english.data["condition"] == "not_recognisable"
    assert "Make sure *Noah de Vries* stays unrecognisable" in english.text
    assert [e.object_key for e in audited(sessions)] == ["pupil:L2", "pupil:L2"]
    # without the remark it is his parents' refusal, said as theirs
    plain = only(ask(sessions, "1", "Mag de foto van Noah de Vries op de website?"))
    assert plain.data["reason"] == "refused" and plain.data["given_by"] == "parent"
    assert "(door de ouders)" in plain.text


def test_a_yes_that_is_not_valid_consent_says_why(sessions: sessionmaker[Session]) -> None:
    reply = only(ask(sessions, "1", "Mag de foto van Anne-Fleur op de website?"))
    assert (reply.data["allowed"], reply.data["reason"], reply.data["mechanism"]) == (
        False, "not_valid_consent", "pre_ticked",
    )  # fmt: skip
    assert "er is geen geldige toestemming: het vakje stond al aangevinkt" in reply.text
    english = only(ask(sessions, "1", "May Anne-Fleur's photo go on the website?", "en"))
    assert "there is no valid consent: the box was ticked in advance" in english.text


def test_a_medium_the_school_does_not_know_is_asked_about(
    sessions: sessionmaker[Session],
) -> None:
    turn = ask(sessions, "1", "Mag de foto van Sanne Jansen in de wervingsfolder?")
    reply = only(turn)
    assert reply.data == {"step": "medium"}
    assert reply.text.startswith("'wervingsfolder' ken ik niet als medium van de school. "
                                 "Welke van deze is het?")  # fmt: skip
    assert "folder" in {b.value for b in reply.buttons}
    assert turn.state is not None
    pressed = FLOW.press(ctx(sessions, "1"), "consent-medium", "folder", turn.state)
    check(pressed)
    assert data(pressed)["medium"] == "folder" and pressed.state is None
    english = only(ask(sessions, "1", "Can Sanne Jansen's photo go in the yearbook?",
                       "en"))  # fmt: skip
    assert english.text.startswith("'yearbook' is not one of the school's media.")
