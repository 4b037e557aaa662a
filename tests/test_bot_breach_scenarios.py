"""Breach reports through both front ends on a demo board: signed Slack requests to the app
with a fake Slack Web API, and the console, in Dutch and English; the FG's notice and
buttons, the refusal of anyone else, and the deadline reminders sent once by the runtime."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.emulators.slack import Call
from provisioner.directory import StaffEntry
from provisioner.privacy.breaches import BreachRegister
from provisioner.store.tables import AuditEvent
from tests.slack_harness import BotBoard, bot_board

pytestmark = pytest.mark.slow

REPORTER, OTHER, OFFICER = "U0REPORT", "U0OTHER", "UPRIVACY"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotBoard, StaffEntry]]:
    with bot_board(Path(tmp_path_factory.mktemp("breach-bot"))) as bb:
        reporter = bb.staff_with_role("teacher")
        other = bb.staff_with_role("location_leader")
        bb.slack.add_user(REPORTER, str(reporter.email))
        bb.slack.add_user(OTHER, str(other.email))
        yield bb, reporter


def send(bb: BotBoard, request: tuple[bytes, dict[str, str]]) -> int:
    status, _, _ = bb.post(*request)
    assert bb.runtime.wait_idle()
    return status


def shown(call: Call) -> str:
    return json.dumps(call.args.get("blocks", []), ensure_ascii=False) + str(call.args["text"])


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.args.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


def last_to(bb: BotBoard, channel: str) -> Call:
    return [c for c in bb.slack.calls("chat.postMessage") if c.args["channel"] == channel][-1]


def press(bb: BotBoard, call: Call, value: str, user: str, channel: str) -> None:
    button = next(b for b in buttons(call) if b["value"] == value)
    assert send(bb, bb.requests.action(button["action_id"], value, user=user,
                                       channel=channel)) == 200  # fmt: skip


def test_slack_dutch_slash_command_to_the_fg_and_the_decision(
    world: tuple[BotBoard, StaffEntry],
) -> None:
    bb, _ = world
    bb.slack.clear()
    dm = "D0REPORT"
    assert send(bb, bb.requests.slash("/datalek", "ik ben vanochtend een usb-stick kwijt met "
                                      "cijferlijsten van 28 leerlingen", user=REPORTER,
                                      channel=dm)) == 200  # fmt: skip
    first = last_to(bb, dm)  # in the DM with the bot: a message, seen by the reporter only
    assert "bijzondere" in shown(first) or "gevoelige" in shown(first)
    press(bb, first, "no", REPORTER, dm)  # special categories
    send(bb, bb.requests.dm("nee", user=REPORTER))  # BSN
    send(bb, bb.requests.dm("nee", user=REPORTER))  # encrypted
    send(bb, bb.requests.dm("weet ik niet", user=REPORTER))  # backup
    send(bb, bb.requests.dm("meld nu", user=REPORTER))
    texts = [shown(c) for c in bb.slack.calls() if c.method in ("chat.postMessage",
                                                                "response_url")]  # fmt: skip
    reported = next(t for t in reversed(texts) if "is vastgelegd als" in t)
    breach_id = reported.split("vastgelegd als *")[1].split("*")[0]
    assert breach_id.startswith("DL-")
    # The FG gets a direct message at once, with the reasons and the buttons.
    notice = last_to(bb, "DPRIVACY")
    assert breach_id in shown(notice)
    assert "EDPB 01/2021" in shown(notice)
    assert {b["value"] for b in buttons(notice)} == {breach_id}
    # Someone else pressing the FG's button is refused and nothing changes.
    bb.slack.calls()  # (the emulator keeps every call)
    press(bb, notice, breach_id, OTHER, "D0OTHER")
    refusal = [shown(c) for c in bb.slack.calls() if c.method in ("chat.postMessage",
                                                                  "response_url")][-1]  # fmt: skip
    assert "Alleen de FG" in refusal  # no conversation of their own: the board's Dutch
    with bb.board.sessions()() as session:
        refused = session.execute(select(AuditEvent).where(
            AuditEvent.action == "chat.refused", AuditEvent.actor == f"chat:{OTHER}",
        )).scalars().all()  # fmt: skip
    assert [e.reason for e in refused] == ["breach: not_privacy_officer"]
    register = BreachRegister(bb.board.sessions())
    assert register.get(breach_id).decision.confirmed is False
    # The FG confirms.
    confirm = next(b for b in buttons(notice) if b["action_id"].split(":")[1] == "confirm")
    send(bb, bb.requests.action(confirm["action_id"], breach_id, user=OFFICER,
                                channel="DPRIVACY"))  # fmt: skip
    assert register.get(breach_id).decision.confirmed is True
    assert register.get(breach_id).decision.by == f"chat:{OFFICER}"


def test_slack_english_direct_message(world: tuple[BotBoard, StaffEntry]) -> None:
    bb, _ = world
    bb.slack.clear()
    send(bb, bb.requests.dm("I sent the grade list to the wrong parent", user=REPORTER))
    question = last_to(bb, "D0REPORT")
    assert "When did you discover it?" in shown(question)
    for answer in ("just now", "27 pupils", "no", "no", "yes", "yes", "report now"):
        send(bb, bb.requests.dm(answer, user=REPORTER))
    done = last_to(bb, "D0REPORT")
    assert "Your report is recorded as" in shown(done)
    breach_id = shown(done).split("recorded as *")[1].split("*")[0]
    breach = BreachRegister(bb.board.sessions()).get(breach_id)
    assert breach.facts.recipient_trusted is True and breach.facts.deletion_confirmed is True
    assert breach.decision.notify_authority is False  # EDPB case 9
    assert breach_id in shown(last_to(bb, "DPRIVACY"))


def test_reminders_go_to_the_fg_once(world: tuple[BotBoard, StaffEntry]) -> None:
    bb, reporter = world
    console = bb.console(str(reporter.email))
    console.say("/datalek laptop gestolen met zorgdossiers, net")
    reply = console.press("now")
    breach_id = reply[-1]["data"]["breach_id"]
    register = BreachRegister(bb.board.sessions())
    due = next(d.due_at for d in register.get(breach_id).deadlines if d.kind == "authority")
    bb.slack.clear()
    bb.runtime.tick(due - timedelta(hours=11))
    bb.runtime.tick(due - timedelta(hours=10))
    reminders = [c for c in bb.slack.calls("chat.postMessage")
                 if c.args["channel"] == "DPRIVACY" and breach_id in shown(c)]  # fmt: skip
    assert len(reminders) == 1


def test_console_dutch_and_english(world: tuple[BotBoard, StaffEntry]) -> None:
    bb, reporter = world
    console = bb.console(str(reporter.email))
    (question,) = console.say("Ik heb per ongeluk de klassenlijst naar de verkeerde ouder "
                              "gestuurd")  # fmt: skip
    assert question["flow"] == "breach" and question["private"]
    assert question["data"]["step"] == "discovered_at"
    console.say("net")
    console.say("25 leerlingen")
    console.press("now")
    assert console.last[-1]["data"]["step"] == "reported"
    english = bb.console(str(reporter.email))
    (question,) = english.say("/databreach we were hacked")
    assert question["data"]["step"] == "discovered_at"
    assert "When did you discover it?" in question["text"]


def test_slack_in_a_channel_the_intake_is_ephemeral(world: tuple[BotBoard, StaffEntry]) -> None:
    bb, _ = world
    bb.slack.clear()
    send(bb, bb.requests.slash("/databreach", "I lost a usb stick with grades", user=REPORTER))
    reply = bb.slack.calls("response_url")[-1]
    assert reply.args["response_type"] == "ephemeral"
    assert [c for c in bb.slack.calls("chat.postMessage") if c.args["channel"] == "C0GENERAL"] == []
    assert "direct messages" in shown(bb.slack.calls("response_url")[-1])  # where to go on

    # the intake goes on in the direct message with the bot, where Slack sends the bot text
    send(bb, bb.requests.dm("this morning at 8:15", user=REPORTER))
    follow_up = last_to(bb, "D" + REPORTER.removeprefix("U"))
    assert "Whose data is it" in shown(follow_up)  # the next intake question, not "help"
    send(bb, bb.requests.dm("stop", user=REPORTER))


def test_logs_hold_no_names_from_a_breach_report(
    world: tuple[BotBoard, StaffEntry], caplog: pytest.LogCaptureFixture
) -> None:
    bb, _ = world
    reporter = bb.staff_with_role("care_coordinator")  # a reporter of their own: no rate limit
    bb.slack.add_user("U0LOGS", str(reporter.email))
    caplog.set_level("DEBUG", logger="provisioner")
    caplog.set_level("INFO")
    pupil = "Xaviera Zwanenburg-Quist"
    send(bb, bb.requests.slash(
        "/datalek", f"Ik heb het zorgdossier van {pupil} naar de verkeerde ouder gestuurd",
        user="U0LOGS"))
    for answer in ("vanochtend 8:30", f"alleen {pupil}, 1 leerling", "meld nu"):
        send(bb, bb.requests.dm(answer, user="U0LOGS"))
    done = last_to(bb, "D0LOGS")
    assert "DL-" in shown(done)  # filed in the register
    assert any(r.name.startswith("provisioner.bot") for r in caplog.records)  # captured
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for secret in (pupil, "Zwanenburg", reporter.name.display, str(reporter.email)):
        assert secret not in logged
