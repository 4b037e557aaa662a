"""The consent and breach flows against the flow contract: ``urgent``, ``accepts`` (an answer
versus a new request), ``topic``, and truthful replies about the privacy officer (FG).

Two defects these pin down:

- An open consent question ("Welk medium bedoel je?") took the next message as its answer: a
  breach report ("ik heb een mail met cijferlijsten naar de verkeerde ouder gestuurd") was
  swallowed, and a question about pupil B was answered about pupil A.
- The bot told a reporter "De FG is direct ingelicht" on a board with no privacy officer
  configured; ``breach show`` then recorded the FG as informed.

Most tests call the flows directly; the last ones hold the same conversations through the
engine (``Console``), which routes by ``accepts`` and sends notices with ``deliver``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.console import Console
from bot.conversation import Asker, Audience, FlowContext, Language, Notice, Turn
from bot.flows.breach import BreachFlow
from bot.flows.consent import ConsentFlow
from bot.flows.consent_text import on_medium
from provisioner.config import Config
from provisioner.directory import Directory
from provisioner.privacy.breaches import BreachRegister
from provisioner.privacy.media import DEFAULT_MEDIA
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import AuditEvent
from tests.test_consent_world import config, email, fill_consents, fill_directory

NOW = datetime(2026, 11, 23, 10, 15, tzinfo=ZoneInfo("Europe/Amsterdam"))  # a Monday
CONSENT, BREACH = ConsentFlow(), BreachFlow()
WRONG_PARENT = "ik heb een mail met cijferlijsten naar de verkeerde ouder gestuurd"
PUPIL_B = "Mag de foto van Noah de Vries op de website?"  # L2, also in teacher 1's group 5b
OFFBOARDING = "Jan de Vries gaat per 1-12 uit dienst"
OFFICER = "staff4@example.nl"  # the care coordinator doubles as FG in these tests
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    fill_directory(factory)
    fill_consents(factory)
    return factory


def board(*, officers: list[str] | None = None, central: list[str] | None = None) -> Config:
    """The consent test board; by default without a privacy officer or central office."""
    base = config()
    bot = base.bot.model_copy(update={"privacy_officers": officers or [],
                                      "central_office": central or []})  # fmt: skip
    return base.model_copy(update={"bot": bot})


def ctx(
    sessions: sessionmaker[Session],
    staff: str = "1",
    language: Language = "nl",
    *,
    cfg: Config | None = None,
    deliver: Any = None,
    now: datetime = NOW,
) -> FlowContext:
    directory = Directory(sessions)
    member = directory.staff_by_email(email(staff))
    assert member is not None
    asker = Asker(f"U{staff}", member, is_privacy_officer=email(staff) == OFFICER)
    return FlowContext(asker, language, now, cfg or board(), sessions, directory,
                       deliver=deliver)  # fmt: skip


def text_of(turn: Turn) -> str:
    return "\n".join(r.text for r in turn.replies)


def audit(sessions: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.seq)).scalars())  # fmt: skip


# -- urgent ----------------------------------------------------------------------------------


def test_a_breach_report_is_urgent_and_a_consent_question_is_not() -> None:
    assert BREACH.urgent is True and CONSENT.urgent is False
    assert BREACH.wants(WRONG_PARENT)
    assert not CONSENT.wants(WRONG_PARENT)


# -- consent: accepts ------------------------------------------------------------------------


def medium_question(sessions: sessionmaker[Session], first: str = "/toestemming Sanne Jansen",
                    language: Language = "nl") -> dict[str, Any]:  # fmt: skip
    turn = CONSENT.start(ctx(sessions, language=language), first)
    assert turn.state is not None and turn.replies[0].data == {"step": "medium"}
    return turn.state


def test_which_medium_accepts_only_a_medium(sessions: sessionmaker[Session]) -> None:
    state = medium_question(sessions)
    for answer in ("op de website", "Instagram", "in de nieuwsbrief graag", "website, bedankt",
                   "facebookpagina", "the parent app"):  # fmt: skip
        assert CONSENT.accepts(answer, state), answer
    for other in (WRONG_PARENT, PUPIL_B, "groep 7a", OFFBOARDING, "in de bioscoop",
                  "Noah de Vries op de website", "2"):  # fmt: skip
        assert not CONSENT.accepts(other, state), other


def test_the_open_question_holds_ids_and_medium_words_only(sessions: sessionmaker[Session]) -> None:
    state = medium_question(sessions)
    assert state["subject"] == {"kind": "pupil", "key": "pupil:L1"}
    stored = json.dumps(state)
    assert "Sanne" not in stored and "Jansen" not in stored


def test_a_question_about_pupil_b_is_answered_about_pupil_b(
    sessions: sessionmaker[Session],
) -> None:
    """Even when the front end hands it to the open question (an engine that does not ask
    ``accepts``), the question about B is a new question, never an answer about A."""
    state = medium_question(sessions)
    turn = CONSENT.answer(ctx(sessions), PUPIL_B, state)
    assert turn.replies[0].data["person_key"] == "pupil:L2"
    assert "Noah de Vries" in turn.replies[0].text and "Sanne" not in text_of(turn)


def test_the_same_pupil_named_again_is_still_the_answer(sessions: sessionmaker[Session]) -> None:
    state = medium_question(sessions)
    turn = CONSENT.answer(ctx(sessions), "Sanne, op de website", state)
    assert turn.replies[0].data["person_key"] == "pupil:L1"
    thanks = CONSENT.answer(ctx(sessions), "op de website, bedankt", state)
    assert thanks.replies[0].data["person_key"] == "pupil:L1"


def test_an_answer_that_is_no_medium_asks_again_naming_the_pupil(
    sessions: sessionmaker[Session],
) -> None:
    state = medium_question(sessions)
    again = CONSENT.answer(ctx(sessions), "in de bioscoop", state)
    assert again.state is not None and again.replies[0].data == {"step": "medium"}
    assert again.replies[0].text == "Waar wil je de foto van Sanne Jansen voor gebruiken?"
    two = CONSENT.start(ctx(sessions), "Mag de foto van Sanne Jansen op de website of in de "
                        "nieuwsbrief?")  # fmt: skip
    assert two.state is not None
    assert two.replies[0].text == "Welk medium bedoel je voor de foto van Sanne Jansen?"
    again = CONSENT.answer(ctx(sessions), "geen idee", two.state)
    assert [b.value for b in again.replies[0].buttons] == ["website", "nieuwsbrief"]
    assert again.replies[0].text == "Welk medium bedoel je voor de foto van Sanne Jansen?"
    english = medium_question(sessions, language="en")
    asked = CONSENT.answer(ctx(sessions, language="en"), "at the cinema", english)
    assert asked.replies[0].text == "Where do you want to use the photo of Sanne Jansen?"


def test_which_pupil_accepts_a_name_or_a_group(sessions: sessionmaker[Session]) -> None:
    turn = CONSENT.start(ctx(sessions), "Mag deze foto op de website?")
    assert turn.state is not None and turn.replies[0].data == {"step": "subject"}
    for answer in ("Sanne Jansen", "groep 5b", "5b", "Anne-Fleur van 't Hek"):
        assert CONSENT.accepts(answer, turn.state), answer
    for other in (WRONG_PARENT, OFFBOARDING, "2", "ik weet het niet meer precies wie het was"):
        assert not CONSENT.accepts(other, turn.state), other


def test_which_one_accepts_a_number_or_a_listed_name(sessions: sessionmaker[Session]) -> None:
    leader = ctx(sessions, "3")  # sees both Noahs
    turn = CONSENT.start(leader, "Mag de foto van Noah de Vries op de website?")
    assert turn.state is not None and turn.replies[0].data == {"step": "pick"}
    for answer in ("1", "2", "die van 7a", "Noah de Vries (Groep 7a)"):
        assert CONSENT.accepts(answer, turn.state), answer
    for other in ("3", "0", "Noah", "Mag de foto van Sanne Jansen op de website?", WRONG_PARENT):
        assert not CONSENT.accepts(other, turn.state), other
    assert CONSENT.answer(leader, "die van 7a", turn.state).replies[0].data["person_key"] == (
        "pupil:L3")  # fmt: skip
    about_sanne = CONSENT.answer(leader, "Mag de foto van Sanne Jansen op de website?",
                                 turn.state)  # fmt: skip
    assert about_sanne.replies[0].data["person_key"] == "pupil:L1"


def test_consent_topic_names_the_pupil_or_group(sessions: sessionmaker[Session]) -> None:
    state = medium_question(sessions)
    assert CONSENT.topic(ctx(sessions), state) == "de vraag over fototoestemming voor Sanne Jansen"
    assert CONSENT.topic(ctx(sessions, language="en"), state) == (
        "the photo consent question about Sanne Jansen")  # fmt: skip
    group = {"subject": {"kind": "group", "key": "K-07XY00-5b"}, "media": ["website"]}
    assert CONSENT.topic(ctx(sessions), group) == "de vraag over fototoestemming voor Groep 5b"
    assert CONSENT.topic(ctx(sessions), {}) == "de vraag over fototoestemming"
    assert CONSENT.topic(ctx(sessions, language="en"), {"choices": []}) == (
        "the photo consent question")  # fmt: skip


# -- consent: Dutch as a colleague writes it -------------------------------------------------


def test_each_medium_takes_its_own_preposition() -> None:
    by_name = {m.name: m for m in DEFAULT_MEDIA}
    assert [on_medium(by_name[n], "nl") for n in ("website", "nieuwsbrief", "schoolgids",
            "folder", "social media", "ouderapp")] == [
        "op de website", "in de nieuwsbrief", "in de schoolgids", "in een folder",
        "op sociale media", "in de ouderapp",
    ]  # fmt: skip
    assert [on_medium(by_name[n], "en") for n in ("website", "nieuwsbrief", "social media")] == [
        "on the website", "in the newsletter", "on social media",
    ]  # fmt: skip


def test_consent_answers_read_as_dutch(sessions: sessionmaker[Session]) -> None:
    newsletter = CONSENT.start(ctx(sessions), "Mag de foto van Sanne Jansen in de nieuwsbrief?")
    assert newsletter.replies[0].text.startswith(
        "Nee, de foto van *Sanne Jansen* mag niet in de nieuwsbrief:")
    website = CONSENT.start(ctx(sessions), "Mag de foto van Sanne Jansen op de website?")
    assert website.replies[0].text.startswith("Ja, de foto van *Sanne Jansen* mag op de website")
    english = CONSENT.start(ctx(sessions, language="en"),
                            "Can Sanne Jansen's photo go in the newsletter?")  # fmt: skip
    assert "may not go in the newsletter" in english.replies[0].text
    withdrawn = CONSENT.start(ctx(sessions), "mag de foto van sanne jansen op instagram?")
    assert "ingetrokken op 3 november 2026" in withdrawn.replies[0].text
    for turn in (newsletter, website, english, withdrawn):
        assert not ISO_DATE.search(text_of(turn))
    refused = CONSENT.start(ctx(sessions, "1"), "Mag de foto van Daan Bakker op de website?")
    assert "aan wie je zelf lesgeeft" in refused.replies[0].text


# -- breach: accepts and topic ---------------------------------------------------------------


def test_the_breach_intake_accepts_answers_but_not_other_requests(
    sessions: sessionmaker[Session],
) -> None:
    turn = BREACH.start(ctx(sessions), "ik ben vanochtend een usb-stick kwijt met cijferlijsten")
    assert turn.state is not None
    for answer in ("28", "weet ik niet", "nee", "ja, 30 leerlingen", "hij zat in mijn jas",
                   "foto's van leerlingen en hun namen",
                   "een collega die uit dienst is kon nog bij de map"):  # fmt: skip
        assert BREACH.accepts(answer, turn.state), answer
    for other in (OFFBOARDING, "Piet Jansen gaat per 1 december uit dienst", PUPIL_B,
                  "mag ik een foto van groep 5b op Instagram zetten?",
                  "/uitdienst Jan de Vries"):  # fmt: skip
        assert not BREACH.accepts(other, turn.state), other
    assert BREACH.accepts("Het ging per ongeluk mee met de post", turn.state)
    fg_reason = {"step": "fg_reason", "breach": "DL-2026-0001", "decision": {}}
    assert BREACH.accepts("de laptop is binnen een uur teruggevonden", fg_reason)
    assert not BREACH.accepts("wel melden", {"step": "fg_correct", "breach": "DL-2026-0001"})


def test_breach_topic(sessions: sessionmaker[Session]) -> None:
    state = {"step": "encrypted", "facts": {}, "skipped": []}
    assert BREACH.topic(ctx(sessions), state) == "je datalekmelding"
    assert BREACH.topic(ctx(sessions, language="en"), state) == "your data breach report"
    fg = {"step": "fg_reason", "breach": "DL-2026-0001"}
    assert BREACH.topic(ctx(sessions), fg) == "je besluit over datalek DL-2026-0001"


# -- breach: truthful about the FG -----------------------------------------------------------


def report(sessions: sessionmaker[Session], context: FlowContext,
           first: str = "laptop gestolen met cijferlijsten, net") -> Turn:  # fmt: skip
    turn = BREACH.start(context, first)
    assert turn.state is not None
    return BREACH.press(context, "now", "", turn.state)


def test_no_privacy_officer_configured_nobody_is_said_to_be_told(
    sessions: sessionmaker[Session],
) -> None:
    sent: list[Notice] = []

    def deliver(notice: Notice) -> int:
        sent.append(notice)
        return 0

    done = report(sessions, ctx(sessions, cfg=board(central=["stafbureau@example.nl"]),
                                deliver=deliver))  # fmt: skip
    reply = done.replies[0]
    assert "ingelicht, beoordeelt" not in reply.text and "direct ingelicht" not in reply.text
    assert "Er is geen FG (functionaris gegevensbescherming) ingesteld" in reply.text
    assert "Meld het datalek zelf vandaag nog bij het Stafbureau (stafbureau@example.nl)" in (
        reply.text)  # fmt: skip
    assert "je melding staat wel in het register" in reply.text
    # 24 hours after "net" (Monday 10:15), as a Dutch date
    assert "uiterlijk dinsdag 24 november 2026 om 10:15" in reply.text
    assert not ISO_DATE.search(reply.text)
    assert reply.data["privacy_officer_told"] is False
    assert done.notices == () and sent == []
    breach = BreachRegister(sessions).get(reply.data["breach_id"])
    assert breach.notified_at("privacy_officer") is None
    assert [d.done for d in breach.deadlines if d.kind == "privacy_officer"] == [False]
    (event,) = audit(sessions, "breach.privacy_officer")
    assert json.loads(event.change)["told"] is False
    assert "no privacy officer is configured" in event.reason
    assert audit(sessions, "breach.notified") == []


def test_no_privacy_officer_nor_central_office_points_to_the_board_in_english(
    sessions: sessionmaker[Session],
) -> None:
    done = report(sessions, ctx(sessions, language="en"), "I lost my laptop with grades just now")
    text = done.replies[0].text
    assert "No privacy officer (FG) is configured, so nobody has been told yet." in text
    assert "Report the breach yourself today to the board (Consent test)" in text
    assert "by Tuesday 24 November 2026 at 10:15" in text
    assert "has been told" not in text.replace("nobody has been told", "")


def test_a_privacy_officer_nobody_could_reach(sessions: sessionmaker[Session]) -> None:
    sent: list[Notice] = []

    def deliver(notice: Notice) -> int:
        sent.append(notice)
        return 0

    done = report(sessions, ctx(sessions, cfg=board(officers=[OFFICER]), deliver=deliver))
    text = done.replies[0].text
    assert "Ik kon de FG (functionaris gegevensbescherming) niet bereiken" in text
    assert f"bij de FG ({OFFICER}) of bij het bestuur (Consent test)" in text
    assert [n.audience for n in sent] == [Audience.PRIVACY_OFFICER] and done.notices == ()
    breach = BreachRegister(sessions).get(done.replies[0].data["breach_id"])
    assert breach.notified_at("privacy_officer") is None


def test_a_notice_that_fails_to_send_counts_as_nobody_reached(
    sessions: sessionmaker[Session],
) -> None:
    def deliver(notice: Notice) -> int:
        raise ConnectionError("slack is down")

    done = report(sessions, ctx(sessions, cfg=board(officers=[OFFICER]), deliver=deliver))
    assert "niet bereiken" in done.replies[0].text
    assert done.replies[0].data["privacy_officer_told"] is False


def test_the_fg_is_said_to_be_told_only_when_the_notice_reached_someone(
    sessions: sessionmaker[Session],
) -> None:
    sent: list[Notice] = []

    def deliver(notice: Notice) -> int:
        sent.append(notice)
        return 1

    done = report(sessions, ctx(sessions, cfg=board(officers=[OFFICER]), deliver=deliver))
    reply = done.replies[0]
    assert "De FG (functionaris gegevensbescherming) is direct ingelicht" in reply.text
    assert reply.data["privacy_officer_told"] is True and reply.data["privacy_officer_reached"] == 1
    assert done.notices == ()  # sent already: not twice
    assert sent[0].reply.data["breach_id"] == reply.data["breach_id"]
    breach = BreachRegister(sessions).get(reply.data["breach_id"])
    assert breach.notified_at("privacy_officer") == NOW
    (event,) = audit(sessions, "breach.privacy_officer")
    assert json.loads(event.change) == {"outcome": "told", "told": True, "reached": 1,
                                        "configured": 1}  # fmt: skip
    # The AP's deadline as a Dutch date in the facts, never ISO.
    shown = dict(reply.facts)
    assert shown["Melden bij de AP uiterlijk"] == "donderdag 26 november 2026 om 10:15"


def test_without_deliver_the_fg_is_being_told_and_counts_as_told_once_they_act(
    sessions: sessionmaker[Session],
) -> None:
    cfg = board(officers=[OFFICER])
    done = report(sessions, ctx(sessions, cfg=cfg))
    reply = done.replies[0]
    assert "De FG (functionaris gegevensbescherming) wordt nu ingelicht" in reply.text
    assert "direct ingelicht" not in reply.text
    assert reply.data["privacy_officer_told"] is None
    assert [n.audience for n in done.notices] == [Audience.PRIVACY_OFFICER]
    register = BreachRegister(sessions)
    breach_id = reply.data["breach_id"]
    assert register.get(breach_id).notified_at("privacy_officer") is None
    later = NOW + timedelta(hours=2)
    BREACH.press(ctx(sessions, "4", cfg=cfg, now=later), "confirm", breach_id, {})
    assert register.get(breach_id).notified_at("privacy_officer") == later


def test_breach_show_does_not_say_the_fg_was_informed(sessions: sessionmaker[Session],
                                                      tmp_path: Path) -> None:  # fmt: skip
    from provisioner.app.cli import app

    done = report(sessions, ctx(sessions))
    breach_id = done.replies[0].data["breach_id"]
    url = str(sessions.kw["bind"].url)
    env = {"PROVISIONER_DATABASE_URL": url}
    absent = str(tmp_path / "absent.toml")
    runner = CliRunner()
    shown = runner.invoke(app, ["breach", "show", breach_id, "-c", absent, "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["notified"] == {}
    # open or missed (the command reads the real clock), never met
    assert data["deadlines"]["privacy_officer"] != "met"
    text = runner.invoke(app, ["breach", "show", breach_id, "-c", absent], env=env).output
    assert re.search(r"privacy_officer due \S+ \S+: (open|missed)", text), text


def test_the_intro_promises_only_what_happens(sessions: sessionmaker[Session]) -> None:
    without = BREACH.start(ctx(sessions), "datalek").replies[0].text
    assert "naar de FG" not in without and '"Meld nu" leg ik je melding meteen vast' in without
    with_fg = BREACH.start(ctx(sessions, cfg=board(officers=[OFFICER])), "datalek")
    assert '"Meld nu" stuur ik je melding meteen naar de FG' in with_fg.replies[0].text


# -- through the engine ----------------------------------------------------------------------


def console(sessions: sessionmaker[Session], cfg: Config | None = None) -> Console:
    return Console(cfg or board(), sessions, as_email=email("1"), services={},
                   clock=lambda: NOW, flows=[CONSENT, BREACH])  # fmt: skip


def test_console_a_breach_report_is_not_swallowed_by_the_open_consent_question(
    sessions: sessionmaker[Session],
) -> None:
    chat = console(sessions)
    (question,) = chat.say("Mag de foto van Sanne Jansen op de website of in de nieuwsbrief?")
    assert question["data"] == {"step": "medium"}
    replies = chat.say(WRONG_PARENT)
    assert replies[0]["data"].get("put_aside") is True
    assert "de vraag over fototoestemming voor Sanne Jansen" in replies[0]["text"]
    assert replies[-1]["flow"] == "breach"
    assert replies[-1]["data"]["step"] == "discovered_at"


def test_console_a_question_about_pupil_b_is_answered_about_pupil_b(
    sessions: sessionmaker[Session],
) -> None:
    chat = console(sessions)
    chat.say("/toestemming Sanne Jansen")
    replies = chat.say(PUPIL_B)
    assert replies[-1]["data"]["person_key"] == "pupil:L2"
    assert "Sanne" not in replies[-1]["text"]
    (answer,) = console(sessions).say("Mag de foto van Sanne Jansen?")
    assert answer["text"] == "Waar wil je de foto van Sanne Jansen voor gebruiken?"


def test_console_no_privacy_officer_no_claim(sessions: sessionmaker[Session]) -> None:
    chat = console(sessions)
    chat.say("/datalek laptop gestolen met cijferlijsten, net")
    (done,) = chat.press("now")
    assert "Er is geen FG" in done["text"] and "direct ingelicht" not in done["text"]
    assert chat.notices == []
    breach = BreachRegister(sessions).get(done["data"]["breach_id"])
    assert breach.notified_at("privacy_officer") is None
    # A bare terminal reaches nobody: it says so, and shows what would have gone.
    alone = console(sessions, board(officers=[OFFICER]))
    alone.say("/datalek laptop gestolen met cijferlijsten, net")
    (done,) = alone.press("now")
    assert "niet bereiken" in done["text"] and "direct ingelicht" not in done["text"]
    assert [n["to"] for n in alone.notices] == ["privacy_officer"]
    # Given a way to reach people (the Slack runtime's), it tells the FG and says so.
    sent: list[str] = []

    def reach(notice: Notice, flow: str) -> int:
        sent.append(notice.audience.value)
        return 1

    told = Console(board(officers=[OFFICER]), sessions, as_email=email("1"), services={},
                   clock=lambda: NOW, flows=[CONSENT, BREACH], deliver=reach)
    told.say("/datalek laptop gestolen met cijferlijsten, net")
    (done,) = told.press("now")
    assert "is direct ingelicht" in done["text"]
    assert sent == ["privacy_officer"]

