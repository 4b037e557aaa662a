"""Offboarding in chat: signed Slack requests to the app, the calls it made to the fake Slack
Web API, the console on the same flow, and the core engine's effect on the targets."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.console import Console
from connectors.emulators.slack import Call
from connectors.reference.target import ReferenceTarget
from provisioner.app.bot_services import default_services
from provisioner.directory import StaffEntry
from provisioner.store.tables import AuditEvent, JournalEntry, Override
from provisioner.tasks import ManualTasks, TaskStatus
from tests.board import TODAY
from tests.slack_harness import BotBoard, bot_board

LEADER = "U0LEADER"
TEACHER = "U0TEACHER"


@pytest.fixture
def bb(tmp_path: Path) -> Iterator[BotBoard]:
    with bot_board(tmp_path) as board:
        leader = board.staff_with_role("location_leader", "07XY00")
        teacher = board.staff_with_role("teacher", "07XY00")
        board.slack.add_user(LEADER, leader.email, name="leader")
        board.slack.add_user(TEACHER, teacher.email, name="teacher")
        yield board


def texts(calls: list[Call]) -> list[str]:
    return [str(c.args.get("text", "")) for c in calls]


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.args.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]]


def send(bb: BotBoard, request: tuple[bytes, dict[str, str]]) -> int:
    status, _, _ = bb.post(*request)
    assert bb.runtime.wait_idle()
    return status


def last_seq(bb: BotBoard) -> int:
    from sqlalchemy import func

    with bb.board.sessions()() as session:
        return int(session.execute(select(func.max(AuditEvent.seq))).scalar() or 0)


def events_since(bb: BotBoard, seq: int, key: str) -> list[AuditEvent]:
    with bb.board.sessions()() as session:
        return list(session.execute(
            select(AuditEvent).where(AuditEvent.seq > seq, AuditEvent.object_key == key)
            .order_by(AuditEvent.seq)).scalars())


def colleague(bb: BotBoard, location: str, *, exclude: tuple[str, ...] = ()) -> StaffEntry:
    """A teacher at ``location`` with a unique name and one open-ended post."""
    for person in bb.staff():
        names = bb.directory().find_staff(person.name.display)
        if (len(person.posts) == 1 and person.posts[0].location == location
                and person.posts[0].end is None and len(names) == 1
                and person.posts[0].function_title in ("Groepsleerkracht", "Leerkracht")
                and person.key not in exclude and person.email):
            return person
    raise LookupError(location)


def test_dutch_slash_command_shows_plan_and_confirm_records_override_and_tasks(
    bb: BotBoard,
) -> None:
    person = colleague(bb, "07XY00")
    seq = last_seq(bb)
    status = send(bb, bb.requests.slash(
        "/uitdienst", f"{person.name.display} gaat per 1 december uit dienst", user=LEADER))
    assert status == 200
    summary = bb.slack.calls("response_url")[-1]
    assert "uit dienst melden" in summary.args["text"]
    assert summary.args["response_type"] == "ephemeral"
    fields = [f["text"] for b in summary.args["blocks"] if b["type"] == "section"
              for f in b.get("fields", [])]
    assert any("Laatste werkdag" in f and "1 december 2026" in f for f in fields)
    assert any("Mijn Vensters" in f for f in fields)
    assert any("Verwijderen" in f and "31 december 2026" in f for f in fields)  # + grace 30
    actions = buttons(summary)
    assert [a["action_id"].split(":")[1] for a in actions] == ["confirm", "cancel"]

    bb.slack.clear()
    send(bb, bb.requests.action(actions[0]["action_id"], actions[0]["value"], user=LEADER))
    answer = texts(bb.slack.calls("response_url"))
    assert any("Vastgelegd" in t and "2 december 2026" in t for t in answer)
    with bb.board.sessions()() as session:
        override = session.execute(select(Override)).scalar_one()
        assert (override.person_key, override.last_day) == (person.key, date(2026, 12, 1))
        assert override.requested_by == f"chat:{LEADER}"
    events = events_since(bb, seq, person.key)
    assert {e.action for e in events} >= {"offboarding.requested", "task.opened", "chat.turn"}
    assert {e.actor for e in events} == {f"chat:{LEADER}"}
    tasks = ManualTasks(bb.board.sessions()).list(person_key=person.key)
    assert sorted(t.kind for t in tasks) == [
        "approve_deletion", "portal_access", "portal_access", "sis_account"]
    # the central office got its tasks as direct messages, with buttons
    to_office = [c for c in bb.slack.calls("chat.postMessage") if c.args["channel"] == "DCENTRAL"]
    assert len(to_office) == 3
    assert all(buttons(c) for c in to_office)


def test_english_free_text_dm_and_ambiguous_name(bb: BotBoard) -> None:
    twins = [p for p in bb.staff() if p.name.display == "Sanne Jansen"]
    assert len(twins) == 2  # the demo board has two, at two locations
    # The central office may offboard either: it is asked which one, with post and location.
    office = "UCENTRAL"
    send(bb, bb.requests.dm("Sanne Jansen is leaving, her last working day is 31-12",
                            user=office))
    question = bb.slack.calls("chat.postMessage")[-1]
    assert "Whom do you mean" in question.args["text"]
    assert sorted(c["value"] for c in buttons(question)) == sorted(p.key for p in twins)
    # The leader of 07XY00 may act on her own Sanne only: no pick list, straight to the plan.
    send(bb, bb.requests.dm("Sanne Jansen is leaving, her last working day is 31-12",
                            user=LEADER))
    summary = bb.slack.calls("chat.postMessage")[-1]
    assert summary.args["channel"] == "D0LEADER"
    assert "This is what will happen" in summary.args["text"]
    fields = " ".join(f["text"] for b in summary.args["blocks"] for f in b.get("fields", []))
    assert "Thursday 31 December 2026" in fields
    cancel = next(b for b in buttons(summary) if ":cancel:" in b["action_id"])
    send(bb, bb.requests.action(cancel["action_id"], cancel["value"], user=LEADER,
                                channel="D0LEADER"))
    assert "Cancelled" in bb.slack.calls("chat.postMessage")[-1].args["text"]
    with bb.board.sessions()() as session:
        assert session.execute(select(Override)).first() is None


REFUSALS = [
    # (who asks, about whom, the reason, words of the Dutch and of the English answer)
    (TEACHER, "colleague", "not_allowed", "Alleen de locatieleider", "Only the location leader"),
    (LEADER, "elsewhere", "other_location", "andere locatie", "works at another location"),
    (LEADER, None, "not_found", "vind niemand", "can't find anyone"),
    (LEADER, "left", "already_gone", "is al uit dienst", "has already left"),
]


def refused_about(bb: BotBoard, who: str | None) -> str:
    """The name to ask about for one of the REFUSALS."""
    if who == "colleague":
        return colleague(bb, "07XY00").name.display
    if who == "elsewhere":
        return colleague(bb, "07XY02").name.display
    if who == "left":
        person = colleague(bb, "07XY00")
        bb.board.edit_hr(person.employee_number,
                         lambda row: {**row, "end_date": (TODAY - timedelta(days=3)).isoformat()})
        bb.board.sync()
        return person.name.display
    return "Xavier Zwanenburg-Quist"


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(("user", "who", "reason", "nl_words", "en_words"), REFUSALS)
def test_refusals_have_a_clear_reason_and_are_audited(
    bb: BotBoard, language: str, user: str, who: str | None, reason: str, nl_words: str,
    en_words: str,
) -> None:
    name = refused_about(bb, who)
    if language == "nl":
        command, text, words = "/uitdienst", f"{name} gaat per 1 december uit dienst", nl_words
    else:
        command, text, words = "/offboard", f"{name} leaves on 1 December", en_words
    send(bb, bb.requests.slash(command, text, user=user))
    answer = bb.slack.calls("response_url")[-1].args
    assert words in answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert not buttons(bb.slack.calls("response_url")[-1])
    with bb.board.sessions()() as session:
        refused = session.execute(
            select(AuditEvent).where(AuditEvent.action == "chat.refused")).scalars().all()
        assert [(e.actor, e.reason) for e in refused] == [(f"chat:{user}",
                                                           f"offboarding: {reason}")]
        assert session.execute(select(Override)).first() is None


def test_console_offboarding_in_english(bb: BotBoard) -> None:
    person = colleague(bb, "07XY00")
    chat = bb.console(str(bb.staff_with_role("location_leader", "07XY00").email))
    (summary,) = chat.say(f"/offboard {person.name.display} leaves on 4 December")
    assert summary["text"] == (f"*Offboarding {person.name.display}, last working day Friday "
                               "4 December 2026.* This is what will happen:")
    facts = dict(summary["facts"])
    assert facts["Last working day"] == "Friday 4 December 2026"
    assert facts["Deletion"].startswith("Sunday 3 January 2027")
    assert facts["Mailbox"] == ("kept with the account until the account is deleted on "
                                "Sunday 3 January 2027 (nobody can sign in)")
    assert [b["label"] for b in summary["buttons"]] == ["Confirm", "Cancel"]
    done = chat.press("confirm", person.key)
    # the central office's tasks come in the requester's language
    notices = chat.notices
    assert [n["to"] for n in notices] == ["central_office"] * 3
    assert all(n["text"].startswith("*Task ") for n in notices)
    whats = sorted(dict(n["facts"])["What"].split(" (")[0] for n in notices)
    assert whats == [f"Remove the access of {person.name.display}"] * 2 + [
        f"The accounts of {person.name.display}"]
    assert done[0]["text"].startswith(f"Recorded. {person.name.display}'s access ends on "
                                      "Saturday 5 December 2026")
    assert [r["text"].startswith("*Task") for r in done[1:]] == [True]  # the leader's SIS task


@pytest.mark.parametrize(("user", "who", "reason", "nl_words", "en_words"), REFUSALS)
def test_console_refusals_in_english(
    bb: BotBoard, user: str, who: str | None, reason: str, nl_words: str, en_words: str
) -> None:
    name = refused_about(bb, who)
    asker = (bb.staff_with_role("teacher", "07XY00") if user == TEACHER
             else bb.staff_with_role("location_leader", "07XY00"))
    (answer,) = bb.console(str(asker.email)).say(f"{name} leaves tomorrow")
    assert answer["data"]["refused"] == reason
    assert en_words in answer["text"]
    assert answer["buttons"] == []


@pytest.mark.parametrize("requester", ["director", "central_office", "teacher"])
def test_who_may_report_a_leaver(bb: BotBoard, requester: str) -> None:
    if requester == "director":
        asker = bb.staff_with_role("director")
        assert bb.config.board.director_scope == "board"
        elsewhere = next(loc.brin6 for loc in bb.config.locations
                         if loc.brin6 not in asker.locations_on(TODAY))
        person = colleague(bb, elsewhere)  # a director of the board reaches every school
    elif requester == "central_office":
        asker, person = bb.central_office, colleague(bb, "07XY02")
    else:
        asker, person = bb.staff_with_role("teacher", "07XY00"), colleague(bb, "07XY00")
    chat = bb.console(str(asker.email))
    (summary,) = chat.say(f"{person.name.display} gaat per 4 december uit dienst")
    if requester == "teacher":
        assert summary["data"] == {"refused": "not_allowed"}
        return
    assert summary["data"]["step"] == "confirm" and summary["data"]["person_key"] == person.key
    assert chat.press("confirm", person.key)[0]["data"]["confirmed"] is True
    with bb.board.sessions()() as session:
        override = session.execute(select(Override)).scalar_one()
    assert (override.person_key, override.requested_by) == (
        person.key, f"chat:console:{str(asker.email).lower()}")


def test_the_requester_hears_once_when_everything_is_done(bb: BotBoard) -> None:
    person = colleague(bb, "07XY00")
    leader = bb.staff_with_role("location_leader", "07XY00")
    chat = bb.console(str(leader.email))
    chat.say(f"{person.name.display} gaat gisteren uit dienst")
    done = chat.press("confirm", person.key)
    # Slack's engine runs it in the background; the requester hears the outcome by message
    assert done[0]["data"]["run"]["status"] == "running"
    assert bb.runtime.wait_idle()
    run_messages = [c for c in bb.slack.calls("chat.postMessage")
                    if "geblokkeerd" in str(c.args.get("text"))]
    assert len(run_messages) == 1
    office = bb.console(str(bb.central_office.email))
    for notice in list(chat.notices):  # the portal tasks and approving the deletion
        button = notice["buttons"][0]
        office.press(button["action"], button["value"], flow=button["flow"])
    assert not [n for n in chat.notices + office.notices if n["data"].get("finished")]
    sis_task = next(r for r in done if r["data"].get("kind") == "sis_account")
    chat.press(sis_task["buttons"][0]["action"], sis_task["buttons"][0]["value"])  # the last one
    finished = [n for n in chat.notices + office.notices if n["data"].get("finished")]
    assert len(finished) == 1
    assert finished[0]["person_key"] == leader.key  # to the requester
    assert finished[0]["text"].startswith(f"Klaar: {person.name.display} is volledig")
    # pressing a closed task again, or the minute tick, tells nobody again
    chat.press(sis_task["buttons"][0]["action"], sis_task["buttons"][0]["value"])
    bb.slack.clear()
    bb.runtime.tick(bb.now + timedelta(days=1))
    assert [n for n in chat.notices + office.notices if n["data"].get("finished")] == finished
    assert not [c for c in bb.slack.calls("chat.postMessage") if "volledig" in str(c.args)]


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_unknown_slack_user_gets_a_polite_refusal_and_nothing_else(bb: BotBoard) -> None:
    bb.slack.add_user("U0STRANGER", "someone@elsewhere.example")
    refused = _metric("provisioner_bot_requests_total", flow="none", outcome="refused")
    acks = _metric("provisioner_bot_ack_seconds_count")
    status, _, body = bb.post(*bb.requests.slash("/uitdienst", "Jan de Vries vandaag",
                                                 user="U0STRANGER"))
    assert bb.runtime.wait_idle()
    assert status == 200
    assert "niet als medewerker" in json.loads(body)["text"]
    assert [c.method for c in bb.slack.calls()
            if c.method not in ("auth.test",)] == ["users.info"]  # no other calls at all
    send(bb, bb.requests.dm("hello", user="U0STRANGER"))
    last = bb.slack.calls()[-1]
    assert (last.method, last.args["channel"]) == ("chat.postMessage", "D0STRANGER")
    with bb.board.sessions()() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.actor == "chat:U0STRANGER")).scalars().all()
    assert [e.action for e in events] == ["chat.refused", "chat.refused"]
    # the metrics count both refusals and time both acknowledgements
    assert _metric("provisioner_bot_requests_total", flow="none", outcome="refused") == refused + 2
    assert _metric("provisioner_bot_ack_seconds_count") == acks + 2


def test_bad_signature_is_rejected(bb: BotBoard) -> None:
    body, headers = bb.requests.slash("/uitdienst", "x", user=LEADER)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    status, _, _ = bb.post(body, headers)
    assert status == 401
    old_body, old_headers = bb.requests.slash("/uitdienst", "x", user=LEADER,
                                              timestamp=int(datetime.now().timestamp()) - 600)
    assert bb.post(old_body, old_headers)[0] == 401
    assert bb.slack.calls("users.info") == []


def test_slash_command_without_text_opens_a_modal_whose_submit_continues_in_dm(
    bb: BotBoard,
) -> None:
    person = colleague(bb, "07XY00")
    send(bb, bb.requests.slash("/offboard", "", user=LEADER))
    opened = bb.slack.calls("views.open")[-1].args
    assert opened["view"]["callback_id"] == "offboarding-modal"
    send(bb, bb.requests.view_submission(
        "offboarding-modal",
        {"person": {"name": {"type": "plain_text_input", "value": person.name.display}},
         "day": {"last_day": {"type": "datepicker", "selected_date": "2026-12-18"}}},
        user=LEADER, private_metadata=opened["view"]["private_metadata"]))
    summary = bb.slack.calls("chat.postMessage")[-1].args
    assert summary["channel"] == "D0LEADER"
    assert "This is what will happen" in summary["text"]


def test_console_runs_the_same_flow_and_central_office_closes_tasks(bb: BotBoard) -> None:
    person = colleague(bb, "07XY00")
    leader = bb.staff_with_role("location_leader", "07XY00")
    chat = bb.console(str(leader.email))
    first = chat.say(f"/uitdienst {person.name.display} per 4 december")
    assert first[0]["data"]["person_key"] == person.key
    assert first[0]["data"]["last_day"] == "2026-12-04"
    done = chat.press("confirm", person.key)
    assert done[0]["data"]["confirmed"] is True
    sis_task = next(r for r in done if r["data"].get("kind") == "sis_account")  # the leader's
    office = bb.console(str(bb.central_office.email))
    for notice in chat.notices:
        assert notice["to"] == "central_office"
        button = notice["buttons"][0]
        answer = office.press(button["action"], button["value"], flow=button["flow"])
        assert answer[0]["data"]["status"] == "done"
    # the central office may not close the leader's SIS task; the leader may
    refused = office.press("task_done", str(sis_task["data"]["task"]), flow="offboarding")
    assert refused[0]["data"]["refused"] == "not_allowed"
    chat.press(sis_task["buttons"][0]["action"], sis_task["buttons"][0]["value"])
    assert [t.status for t in ManualTasks(bb.board.sessions()).list(
        person_key=person.key, status=None)].count(TaskStatus.DONE) == 4


def test_confirmed_offboarding_disables_the_person_in_the_targets_at_once(
    bb: BotBoard,
) -> None:
    person = colleague(bb, "07XY00")
    target = ReferenceTarget("directory", bb.board.directory)
    try:
        snapshot = target.read()
        before_accounts = {a.key: a for a in snapshot.accounts}
        before_groups = {g.remote_id: g.members for g in snapshot.groups}
    finally:
        target.close()
    assert before_accounts[person.key].enabled is True
    seq = last_seq(bb)
    send(bb, bb.requests.slash("/uitdienst", f"{person.name.display} gisteren", user=LEADER))
    confirm = buttons(bb.slack.calls("response_url")[-1])[0]
    send(bb, bb.requests.action(confirm["action_id"], confirm["value"], user=LEADER))
    answer = bb.slack.calls("response_url")
    assert any("Ik blokkeer de toegang" in t for t in texts(answer))  # the run: in background
    assert bb.runtime.wait_idle()
    told = texts(bb.slack.calls("chat.postMessage"))  # the outcome, as a direct message
    assert any("Klaar" in t and "geblokkeerd" in t for t in told)
    target = ReferenceTarget("directory", bb.board.directory)
    try:
        snapshot = target.read()
    finally:
        target.close()
    after = {a.key: a for a in snapshot.accounts}
    assert after[person.key].enabled is False
    assert {key for key, account in after.items()
            if account != before_accounts.get(key)} == {person.key}  # only that account
    theirs = after[person.key].remote_id
    for group in snapshot.groups:  # group memberships: only theirs went
        assert group.members ^ before_groups.get(group.remote_id, group.members) <= {theirs}
    events = events_since(bb, seq, person.key)
    by_action = {e.action: e for e in events}
    run_id = json.loads(by_action["offboarding.run"].change)["run_id"]
    with bb.board.sessions()() as session:
        operations = session.execute(
            select(JournalEntry).where(JournalEntry.run_id == run_id)).scalars().all()
    assert operations and {op.object_key for op in operations} == {person.key}
    assert {"offboarding.requested", "task.opened", "offboarding.run"} <= set(by_action)
    assert any("disable" in e.action for e in events), sorted(by_action)
    assert {e.actor for e in events} == {f"chat:{LEADER}"}
    assert json.loads(by_action["offboarding.run"].change)["status"] == "applied"
    kinds = {t.kind for t in ManualTasks(bb.board.sessions()).list(person_key=person.key)}
    assert "sis_account" in kinds


def test_scheduled_offboarding_runs_on_tick_after_the_last_day_and_tells_requester(
    bb: BotBoard,
) -> None:
    person = colleague(bb, "07XY00")
    chat = bb.console(str(bb.staff_with_role("location_leader", "07XY00").email))
    chat.say(f"{person.name.display} gaat morgen uit dienst")
    assert chat.press("confirm", person.key)[0]["data"]["scheduled_for"] == "2026-11-24"
    bb.slack.clear()
    bb.runtime.tick(bb.now)  # the day has not come: nothing runs
    assert bb.slack.calls("chat.postMessage") == []
    bb.now = bb.now + timedelta(days=2)
    bb.runtime.tick(bb.now)
    told = [c for c in bb.slack.calls("chat.postMessage") if c.args["channel"] == "D0LEADER"]
    assert any("Klaar" in t for t in texts(told))
    bb.slack.clear()
    bb.runtime.tick(bb.now)  # once only
    assert bb.slack.calls("chat.postMessage") == []


def test_rate_limit_per_user_across_replicas(tmp_path: Path, db_url: str) -> None:
    with bot_board(tmp_path, db_url=db_url, bot_extra="rate_limit_per_minute = 3", staff=30,
                   pupils=60) as board:
        leader = board.staff_with_role("location_leader")
        one = board.console(str(leader.email))
        two = Console(board.config, board.board.sessions(), as_email=str(leader.email),
                      services=default_services(board.config, board.board.sessions()))
        assert one.engine is not two.engine  # two processes' engines, one store
        answers = [chat.say("hallo")[0]["data"] for chat in (one, two, one, two)]
        assert [a.get("refused") for a in answers] == [None, None, None, "rate_limited"]
        other = board.console(str(board.central_office.email))
        assert other.say("hallo")[0]["data"].get("refused") is None


def test_logs_hold_no_names_or_email_addresses(
    bb: BotBoard, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")  # production runs at WARNING; the Slack client logs bodies at DEBUG
    person = colleague(bb, "07XY00")
    bb.slack.add_user("U0STRANGER", "stranger@elsewhere.example")
    send(bb, bb.requests.dm(f"{person.name.display} gaat per 1 december uit dienst",
                            user=LEADER))
    send(bb, bb.requests.dm("hallo", user="U0STRANGER"))
    send(bb, bb.requests.dm("hallo", user="U0GHOST"))  # unknown to Slack: a warning
    confirm = next(buttons(c)[0] for c in bb.slack.calls("chat.postMessage")
                   if c.args["channel"] == "D0LEADER")
    send(bb, bb.requests.action(confirm["action_id"], confirm["value"], user=LEADER,
                                channel="D0LEADER"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "users.info failed" in logged  # the log is captured
    for secret in (person.name.family, str(person.email), "stranger@elsewhere.example"):
        assert secret not in logged


def test_command_line_console_prints_one_json_object_per_reply(bb: BotBoard) -> None:
    from typer.testing import CliRunner

    from provisioner.app.cli import app

    person = colleague(bb, "07XY00")
    leader = bb.staff_with_role("location_leader", "07XY00")
    lines = (
        f"/uitdienst {person.name.display} per 4 december\n"
        '{"action": "cancel"\n'  # a press typed wrong: said so, nothing else happens
        "2\n"  # 2: the cancel button
    )
    result = CliRunner().invoke(
        app, ["bot", "console", "--as", str(leader.email), "--json",
              "-c", str(bb.board.config_path)],
        input=lines, env={"PROVISIONER_DATABASE_URL": bb.board.db_url},
    )
    assert result.exit_code == 0, result.output
    replies = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert replies[0]["data"]["person_key"] == person.key
    assert [b["action"] for b in replies[0]["buttons"]] == ["confirm", "cancel"]
    assert replies[1]["data"] == {"cancelled": True}
    assert "not a button press" in result.stderr


def test_a_tick_that_runs_an_offboarding_logs_under_a_tick_correlation_id(bb: BotBoard) -> None:
    from tests.test_bot_runtime import Lines

    person = colleague(bb, "07XY00")
    chat = bb.console(str(bb.staff_with_role("location_leader", "07XY00").email))
    chat.say(f"{person.name.display} gaat morgen uit dienst")
    chat.press("confirm", person.key)
    handler, logger = Lines(), logging.getLogger("provisioner")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        bb.runtime.tick(bb.now + timedelta(days=2))  # the day has come: the run starts here
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert any("finished: applied" in message for message, _, _ in handler.seen), handler.seen
    ids = {cid for _, _, cid in handler.seen}
    assert len(ids) == 1 and str(next(iter(ids))).startswith("tick-"), handler.seen
