"""The breach intake called directly with a FlowContext, and through the terminal front end
(``bot.console.Console``), in Dutch and English: reading the first message, asking only what
is unknown, the register record, the FG's notice and buttons, and the refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import Asker, Audience, FlowContext, Language, Turn
from bot.flows.breach import BreachFlow, extract, read_moment
from provisioner.app.config import ConfigWithConnectors
from provisioner.config import Config
from provisioner.directory import Directory, save_directory
from provisioner.domain.models import Employment, PersonName, Role, StaffMember
from provisioner.privacy.breach import AMSTERDAM
from provisioner.privacy.breaches import BreachRegister
from provisioner.store.db import make_engine, session_factory

SCHOOL = "12AB00"
NOW = datetime(2026, 11, 23, 10, 15, tzinfo=AMSTERDAM)
TEACHER = "s.bakker@test.nl"
OFFICER = "fg@test.nl"


def board_config() -> Config:
    return ConfigWithConnectors.model_validate(
        {
            "board": {"name": "Stichting Test", "domain": "test.nl"},
            "locations": [{"brin6": SCHOOL, "name": "De Esch"}],
            "roles": {
                "Groepsleerkracht": "teacher",
                "Functionaris gegevensbescherming": "support_staff",
            },
            "sources": {"hr": {"type": "hr-csv", "path": "hr.csv"}},
            "bot": {"privacy_officers": [OFFICER]},
        }
    )


@dataclass
class World:
    config: Config
    sessions: sessionmaker[Session]
    directory: Directory

    def ctx(self, email: str, language: Language = "nl", now: datetime = NOW) -> FlowContext:
        staff = self.directory.staff_by_email(email)
        assert staff is not None
        asker = Asker(
            chat_user="U" + email.split("@")[0].replace(".", "").upper(),
            staff=staff,
            is_privacy_officer=email == OFFICER,
        )
        return FlowContext(asker, language, now, self.config, self.sessions, self.directory)


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> World:
    sessions = session_factory(make_engine(sqlite_url))
    start = date(2020, 8, 1)
    staff = [
        StaffMember("101", PersonName("Sanne", "", "Bakker"),
                    (Employment(SCHOOL, "Groepsleerkracht", start, None),)),
        StaffMember("900", PersonName("Femke", "de", "Graaf"),
                    (Employment(SCHOOL, "Functionaris gegevensbescherming", start, None),)),
    ]  # fmt: skip
    with sessions.begin() as session:
        save_directory(
            session,
            staff,
            [],
            [],
            roles={"Groepsleerkracht": Role.TEACHER,
                   "Functionaris gegevensbescherming": Role.SUPPORT_STAFF},
            domain="test.nl",
            usernames={"staff:101": "s.bakker", "staff:900": "fg"},
            at=NOW - timedelta(days=1),
        )  # fmt: skip
    return World(board_config(), sessions, Directory(sessions))


def run(
    flow: BreachFlow, ctx: FlowContext, first: str, answers: list[Any]
) -> tuple[list[Turn], dict[str, Any] | None]:
    """Start with ``first``; then each answer is text, or ("press", action, value)."""
    turns = [flow.start(ctx, first)]
    state = turns[-1].state
    for answer in answers:
        assert state is not None, f"the conversation ended before {answer!r}"
        if isinstance(answer, tuple):
            turns.append(flow.press(ctx, answer[1], answer[2], state))
        else:
            turns.append(flow.answer(ctx, answer, state))
        state = turns[-1].state
    return turns, state


def steps(turns: list[Turn]) -> list[str]:
    return [str(t.replies[0].data.get("step")) for t in turns]


# -- reading the first message ---------------------------------------------------------------


def test_the_first_message_already_says_a_lot() -> None:
    facts = extract("ik ben vanochtend om 8:15 een usb-stick kwijtgeraakt met cijferlijsten "
                    "van 28 leerlingen, niet versleuteld", NOW)  # fmt: skip
    assert facts["kind"] == "lost_device"
    assert facts["data_categories"] == ["learning_results"]
    assert facts["subjects_count"] == 28
    assert facts["subjects_are_children"] is True
    assert facts["encrypted"] is False
    assert facts["malicious"] is False
    assert facts["discovered_at"] == datetime(2026, 11, 23, 8, 15, tzinfo=AMSTERDAM).isoformat()
    english = extract("I sent the grade list to the wrong parent", NOW)
    assert english["kind"] == "misdirected"
    assert english["data_categories"] == ["learning_results"]
    assert english["subjects_are_children"] is True
    assert "discovered_at" not in english
    assert english["recipient"] == "one_person" and "recalled" not in english
    whole_class = extract("Ik heb de cijferlijst per ongeluk naar alle ouders gemaild en "
                          "daarna teruggehaald", NOW)  # fmt: skip
    assert (whole_class["recipient"], whole_class["recalled"]) == ("several", True)
    assert "recipient" not in extract("ik ben een usb-stick kwijt", NOW)
    stolen = extract("mijn laptop is gestolen, met zorgdossiers, wel versleuteld", NOW)
    assert (stolen["kind"], stolen["malicious"], stolen["encrypted"]) == (
        "stolen_device", True, True)  # fmt: skip
    assert stolen["special_categories"] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("net", NOW),
        ("just now", NOW),
        ("gisteren 15:30", datetime(2026, 11, 22, 15, 30, tzinfo=AMSTERDAM)),
        ("yesterday", datetime(2026, 11, 22, 0, 0, tzinfo=AMSTERDAM)),
        ("vanochtend", datetime(2026, 11, 23, 7, 0, tzinfo=AMSTERDAM)),
        ("om 9 uur", datetime(2026, 11, 23, 9, 0, tzinfo=AMSTERDAM)),
        ("21-11 om 14:00", datetime(2026, 11, 21, 14, 0, tzinfo=AMSTERDAM)),
        ("morgen", NOW),  # never after now
        ("geen idee", None),
    ],
)
def test_when_it_was_discovered(text: str, expected: datetime | None) -> None:
    assert read_moment(text, NOW) == expected


def test_wants_breach_messages_only() -> None:
    flow = BreachFlow()
    for text in (
        "ik ben een usb-stick kwijt met cijferlijsten",
        "I sent the grade list to the wrong parent",
        "mijn laptop is gestolen",
        "we zijn gehackt",
        "datalek!",
    ):
        assert flow.wants(text), text  # fmt: skip
    for text in (
        "Mag de foto van Sanne Jansen op de website?",
        "Jan de Vries gaat per 1 december uit dienst",
        "hoe laat is het?",
    ):
        assert not flow.wants(text), text  # fmt: skip


# -- the intake, called directly -------------------------------------------------------------


def test_usb_stick_intake_in_dutch_asks_only_what_is_unknown(world: World) -> None:
    flow = BreachFlow()
    ctx = world.ctx(TEACHER, "nl")
    turns, state = run(
        flow,
        ctx,
        "ik ben vanochtend een usb-stick kwijtgeraakt met cijferlijsten van 28 leerlingen",
        [
            ("press", "answer", "no"),  # special categories
            ("press", "answer", "no"),  # BSN
            "nee",  # encrypted
            ("press", "answer", "yes"),  # backup
            "ja",  # available again
            "hij zat in mijn jaszak",  # cause
            "ICT gebeld",  # measures
        ],
    )
    asked = steps(turns)
    assert asked == [
        "special_categories", "national_id_number", "encrypted", "backup_available",
        "recovered_quickly", "cause", "measures", "reported",
    ]  # fmt: skip
    # Already known from the first message, so never asked:
    for known in (
        "narrative",
        "discovered_at",
        "data_categories",
        "subjects_count",
        "subjects_are_children",
        "malicious",
    ):
        assert known not in asked  # fmt: skip
    assert state is None
    done = turns[-1]
    breach_id = done.replies[0].data["breach_id"]
    assert breach_id == "DL-2026-0001"
    assert breach_id in done.replies[0].text
    # The FG is told at once, with the assessment and the buttons.
    assert [n.audience for n in done.notices] == [Audience.PRIVACY_OFFICER]
    notice = done.notices[0].reply
    assert notice.data["notify_authority"] is True
    assert notice.data["notify_subjects"] is False
    assert [b.action for b in notice.buttons] == ["confirm", "correct"]
    assert all(b.value == breach_id for b in notice.buttons)
    # The register has it. Nothing confirms the notice arrived (no ctx.deliver here), so the
    # FG is not recorded as told and the reporter hears it is being sent.
    assert "De FG (functionaris gegevensbescherming) wordt nu ingelicht" in done.replies[0].text
    breach = BreachRegister(world.sessions).get(breach_id)
    assert breach.reported_by == ctx.asker.actor
    assert breach.location == SCHOOL
    assert breach.facts.cause == "hij zat in mijn jaszak"
    assert breach.facts.discovered_at == datetime(2026, 11, 23, 7, 0, tzinfo=AMSTERDAM)
    assert breach.notified_at("privacy_officer") is None


def test_wrong_parent_intake_in_english(world: World) -> None:
    flow = BreachFlow()
    ctx = world.ctx(TEACHER, "en")
    turns, state = run(flow, ctx, "I sent the grade list to the wrong parent", [
        "just now",
        "27 pupils of group 6",
        "no",                           # special categories
        "no",                           # BSN
        "yes",                          # recipient trusted
        "yes",                          # deletion confirmed
        ("press", "now", ""),           # report now, skipping cause and measures
    ])  # fmt: skip
    assert steps(turns) == [
        "discovered_at", "subjects_count", "special_categories", "national_id_number",
        "recipient_trusted", "deletion_confirmed", "cause", "reported",
    ]  # fmt: skip
    assert state is None
    reply = turns[-1].replies[0]
    assert "Your report is recorded as" in reply.text
    notice = turns[-1].notices[0].reply
    assert notice.data["notify_authority"] is False  # EDPB case 9: trusted, deleted
    assert 9 in notice.data["edpb_examples"]
    breach = BreachRegister(world.sessions).get(reply.data["breach_id"])
    assert breach.facts.subjects_count == 27
    assert breach.facts.recipient_trusted is True
    assert breach.facts.recipient == "one_person"  # read from "the wrong parent"
    assert notice.data["closest_example"]["case"] == "9"
    assert ("Ontvanger", "een bekende, betrouwbare partij") in notice.facts  # the FG: Dutch


def test_a_mail_sent_by_mistake_asks_one_person_or_many(world: World) -> None:
    flow = BreachFlow()
    ctx = world.ctx(TEACHER, "nl")
    turns, state = run(flow, ctx, "Ik heb per ongeluk de cijferlijst van groep 6 gemaild", [
        "net",
        "27 leerlingen",
        "nee",                           # special categories
        "nee",                           # BSN
        "de hele klas",                  # one person or many?
        ("press", "now", ""),
    ])  # fmt: skip
    assert steps(turns)[-3:] == ["recipient", "recipient_trusted", "reported"]
    assert state is None
    breach = BreachRegister(world.sessions).get(turns[-1].replies[0].data["breach_id"])
    assert breach.facts.recipient == "several"
    assert breach.decision.notify_authority is True  # several people, grades, not recalled
    # The buttons answer it too, and "don't know" moves on.
    turns, state = run(flow, ctx, "Ik heb per ongeluk de cijferlijst gemaild", [
        "net", "27 leerlingen", "nee", "nee", ("press", "recipient", "one_person")])  # fmt: skip
    assert state is not None and state["facts"]["recipient"] == "one_person"
    assert steps(turns)[-1] == "recipient_trusted"
    turns, state = run(flow, ctx, "Ik heb per ongeluk de cijferlijst gemaild", [
        "net", "27 leerlingen", "nee", "nee", "weet ik niet"])  # fmt: skip
    assert state is not None and state["facts"].get("recipient") is None
    assert steps(turns)[-1] == "recipient_trusted"


def test_slash_command_without_text_asks_what_happened(world: World) -> None:
    flow = BreachFlow()
    turn = flow.start(world.ctx(TEACHER, "nl"), "")
    assert turn.replies[0].data["step"] == "narrative"
    assert turn.state is not None
    follow = flow.answer(world.ctx(TEACHER), "laptop gestolen uit de auto", turn.state)
    assert follow.replies[0].data["step"] == "discovered_at"


def test_report_now_files_what_is_known(world: World) -> None:
    flow = BreachFlow()
    turns, state = run(flow, world.ctx(TEACHER), "datalek", [("press", "now", "")])
    assert state is None
    notice = turns[-1].notices[0].reply
    assert notice.data["notify_authority"] is True  # unknown: cautious
    assert notice.data["assumptions"]


def test_an_unclear_yes_no_answer_is_asked_again(world: World) -> None:
    flow = BreachFlow()
    turns, state = run(flow, world.ctx(TEACHER), "usb-stick kwijt met cijfers van 30 "
                       "leerlingen, vanochtend", ["misschien"])  # fmt: skip
    assert steps(turns) == ["special_categories", "special_categories"]
    assert state is not None
    assert "ja, nee of weet ik niet" in turns[-1].replies[0].text


# -- the privacy officer ---------------------------------------------------------------------


def _reported(world: World) -> str:
    flow = BreachFlow()
    turns, _ = run(flow, world.ctx(TEACHER), "mijn laptop met zorgdossiers is gestolen, net",
                   [("press", "now", "")])  # fmt: skip
    return str(turns[-1].replies[0].data["breach_id"])


def test_only_the_privacy_officer_may_decide(world: World) -> None:
    breach_id = _reported(world)
    flow = BreachFlow()
    refused = flow.press(world.ctx(TEACHER), "confirm", breach_id, {})
    assert refused.replies[0].data["refused"] == "not_privacy_officer"
    assert BreachRegister(world.sessions).get(breach_id).decision.confirmed is False


def test_privacy_officer_confirms_and_marks_notified(world: World) -> None:
    breach_id = _reported(world)
    flow = BreachFlow()
    fg = world.ctx(OFFICER, "nl", NOW + timedelta(hours=1))
    confirmed = flow.press(fg, "confirm", breach_id, {})
    reply = confirmed.replies[0]
    assert reply.data["decision"]["confirmed"] is True
    assert reply.data["decision"]["notify_subjects"] is True  # stolen, care data: high risk
    assert f"provisioner breach export {breach_id}" in reply.text
    actions = [b.action for b in reply.buttons]
    assert actions == ["notified_authority", "notified_subjects"]
    flow.press(fg, "notified_authority", breach_id, {})
    done = flow.press(fg, "notified_subjects", breach_id, {})
    assert done.replies[0].data["status"] == "closed"


def test_privacy_officer_corrects_the_decision_with_a_reason(world: World) -> None:
    breach_id = _reported(world)
    flow = BreachFlow()
    fg = world.ctx(OFFICER, "en")
    menu = flow.press(fg, "correct", breach_id, {})
    assert menu.state is not None
    typed = flow.answer(fg, "wel melden graag", menu.state)
    assert typed.state == menu.state  # text in the menu does not start a new report
    values = {b.value for b in menu.replies[0].buttons}
    assert f"{breach_id}|ap_no" in values
    ask = flow.press(fg, "set_decision", f"{breach_id}|subjects_no", menu.state)
    assert ask.state is not None and ask.state["step"] == "fg_reason"
    done = flow.answer(fg, "the laptop was found within the hour, unopened", ask.state)
    assert done.state is None
    breach = BreachRegister(world.sessions).get(breach_id)
    assert breach.decision.notify_subjects is False
    assert breach.decision.notify_authority is True
    assert breach.decision.reason == "the laptop was found within the hour, unopened"


def test_privacy_officer_corrects_facts_and_the_assessment_follows(world: World) -> None:
    breach_id = _reported(world)
    flow = BreachFlow()
    fg = world.ctx(OFFICER, "nl")
    menu = flow.press(fg, "correct", breach_id, {})
    assert menu.state is not None
    ask = flow.press(fg, "set_decision", f"{breach_id}|facts", menu.state)
    assert ask.state is not None
    done = flow.answer(
        fg,
        "encrypted=ja, key_compromised=nee, backup_available=ja, recovered_quickly=ja",
        ask.state,
    )
    assert done.replies[0].data["notify_authority"] is False  # EDPB case 10
    bad = flow.answer(fg, "versleuteld=ja", ask.state)
    assert bad.state is not None  # an unknown field: asked again


# -- the terminal front end ------------------------------------------------------------------


def test_console_scenario_dutch(world: World) -> None:
    from bot.console import Console

    console = Console(world.config, world.sessions, as_email=TEACHER, services={},
                      clock=lambda: NOW, flows=[BreachFlow()])  # fmt: skip
    first = console.say("Ik ben vanochtend een usb-stick kwijtgeraakt met de cijferlijsten "
                        "van groep 7")  # fmt: skip
    assert first[-1]["data"]["step"] == "subjects_count"
    console.say("28 leerlingen")
    console.press("answer", "no")  # special categories
    console.press("answer", "no")  # BSN
    console.press("answer", "unknown")  # encrypted
    last = console.press("now")
    assert "DL-2026-0001" in last[-1]["text"]
    assert [n["to"] for n in console.notices] == ["privacy_officer"]
    assert console.notices[0]["data"]["notify_authority"] is True
    officer = Console(world.config, world.sessions, as_email=OFFICER, services={},
                      clock=lambda: NOW, flows=[BreachFlow()])  # fmt: skip
    confirmed = officer.press("confirm", "DL-2026-0001", flow="breach")
    assert confirmed[-1]["data"]["decision"]["confirmed"] is True


def test_console_scenario_english_slash_command(world: World) -> None:
    from bot.console import Console

    console = Console(world.config, world.sessions, as_email=TEACHER, services={},
                      clock=lambda: NOW, flows=[BreachFlow()])  # fmt: skip
    first = console.say("/databreach I sent the grade list to the wrong parent")
    assert first[-1]["data"]["step"] == "discovered_at"
    assert "When did you discover it?" in first[-1]["text"]
    console.say("just now")
    console.say("27 pupils")
    console.say("no")
    console.say("no")
    console.say("no")  # recipient not trusted
    last = console.press("now")
    assert "Your report is recorded as" in last[-1]["text"]
    assert console.notices[0]["data"]["notify_authority"] is True
