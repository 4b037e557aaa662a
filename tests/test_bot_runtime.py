"""The bot in ``serve``: due offboardings run exactly once across replicas, and the work
after a Slack acknowledgement logs under the interaction's correlation id."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.console import Console
from bot.conversation import FlowContext, Turn
from bot.runtime import BotRuntime
from provisioner.logging_setup import RedactingFilter
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent
from tests.slack_harness import BotBoard, bot_board, leader_and_colleague

LEADER = "U0LEADER"


class SlowCountingSync:
    """The real scoped sync, slowed down so that two replicas' ticks overlap."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, person_key: str, actor: str, today: date) -> Any:
        with self.lock:
            self.calls.append(person_key)
        time.sleep(0.5)
        return self.real(person_key, actor, today)


def test_two_replicas_ticking_at_once_run_a_due_offboarding_once(
    tmp_path: Path, db_url: str
) -> None:
    with bot_board(tmp_path, db_url=db_url, staff=30, pupils=60) as bb:
        leader, person = leader_and_colleague(bb)
        bb.slack.add_user(LEADER, leader.email, name="leader")
        chat = bb.console(str(leader.email))
        chat.say(f"{person.name.display} gaat morgen uit dienst")
        assert chat.press("confirm", person.key)[0]["data"]["confirmed"] is True
        # a second replica: its own engine on the same database, its own runtime
        other_engine = make_engine(db_url)
        client = WebClient(token=bb.slack.bot_token, base_url=bb.slack.base_url)
        sync = SlowCountingSync(bb.runtime.services["sync"])
        bb.runtime.services["sync"] = sync
        other = BotRuntime(bb.config, session_factory(other_engine), slack_client=client,
                           services={"sync": sync}, clock=bb.clock)
        try:
            bb.slack.clear()
            bb.now = bb.now + timedelta(days=2)
            start = threading.Barrier(2)
            errors: list[BaseException] = []

            def tick(runtime: BotRuntime) -> None:
                try:
                    start.wait()
                    runtime.tick(bb.now)
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [threading.Thread(target=tick, args=(r,)) for r in (bb.runtime, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert errors == []
            assert sync.calls == [person.key]
            told = [c for c in bb.slack.calls("chat.postMessage")
                    if c.args["channel"] == "D0LEADER"]
            assert len(told) == 1 and "Klaar" in str(told[0].args["text"])
            # and later ticks on either replica do nothing more
            bb.runtime.tick(bb.now)
            other.tick(bb.now)
            assert sync.calls == [person.key]
            assert len([c for c in bb.slack.calls("chat.postMessage")
                        if c.args["channel"] == "D0LEADER"]) == 1
        finally:
            other.close()
            other_engine.dispose()


# -- correlation ids and refusals in Slack (one small board for the module) ----------------


@pytest.fixture(scope="module")
def slack_bb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotBoard]:
    with bot_board(Path(tmp_path_factory.mktemp("bot-runtime")), staff=30, pupils=60) as board:
        leader, _ = leader_and_colleague(board)
        board.slack.add_user(LEADER, leader.email, name="leader")
        yield board


class Lines(logging.Handler):
    """Log records as the production handler sees them (with its filter): message, thread,
    correlation id."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RedactingFilter())
        self.seen: list[tuple[str, str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), record.threadName or "",
                          getattr(record, "correlation_id", None)))


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("provisioner.bot")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def send(bb: BotBoard, request: tuple[bytes, dict[str, str]]) -> tuple[int, bytes]:
    status, _, body = bb.post(*request)
    assert bb.runtime.wait_idle()
    return status, body


def test_each_slack_interaction_logs_under_one_chat_correlation_id(
    slack_bb: BotBoard, lines: Lines
) -> None:
    ids = []
    for request in (slack_bb.requests.slash("/datalek", "laptop gestolen", user=LEADER),
                    slack_bb.requests.dm("stop", user=LEADER)):
        lines.seen.clear()
        send(slack_bb, request)
        threads = {thread for _, thread, _ in lines.seen}
        assert any(t.startswith("bot-listener") for t in threads), lines.seen  # the work
        assert any(not t.startswith("bot-listener") for t in threads), lines.seen  # the ack
        assert any(m.startswith("chat.turn") or m.startswith("chat.stopped")
                   for m, thread, _ in lines.seen if thread.startswith("bot-listener"))
        cids = {cid for _, _, cid in lines.seen}
        assert len(cids) == 1, lines.seen
        (cid,) = cids
        assert cid is not None and cid.startswith("chat-")
        ids.append(cid)
    assert ids[0] != ids[1]


def test_the_console_gives_each_message_a_chat_correlation_id(
    slack_bb: BotBoard, lines: Lines
) -> None:
    leader, _ = leader_and_colleague(slack_bb)
    slack_bb.console(str(leader.email)).say("hallo")
    assert lines.seen and all(str(cid).startswith("chat-") for _, _, cid in lines.seen)


@pytest.mark.parametrize(
    ("request_kind", "text", "words"),
    [
        ("slash", "/offboard|Jan de Vries leaves today", "I can't find you as a member of staff"),
        ("slash", "/databreach|", "I can't find you as a member of staff"),
        ("slash", "/datalek|ik ben een usb-stick kwijt", "ik vind je niet als medewerker"),
        ("dm", "Can the class photo go on the website?", "I can't find you as a member of staff"),
        ("dm", "Mag de foto van groep 5 op de website?", "ik vind je niet als medewerker"),
    ],
)
def test_an_unknown_person_is_refused_in_their_language(
    slack_bb: BotBoard, request_kind: str, text: str, words: str
) -> None:
    stranger = f"U0STR{abs(hash(text)) % 10_000}"
    slack_bb.slack.add_user(stranger, f"{stranger.lower()}@elsewhere.example")
    slack_bb.slack.clear()
    if request_kind == "slash":
        command, _, rest = text.partition("|")
        _, body = send(slack_bb, slack_bb.requests.slash(command, rest, user=stranger))
        answer = json.loads(body)["text"]
    else:
        send(slack_bb, slack_bb.requests.dm(text, user=stranger))
        answer = str(slack_bb.slack.calls("chat.postMessage")[-1].args["text"])
    assert words in answer


@pytest.mark.parametrize(
    "flags",
    [{"email_confirmed": False}, {"deleted": True}, {"is_bot": True}],
    ids=["unconfirmed-email", "deleted", "bot"],
)
def test_a_staff_members_address_on_an_untrusted_slack_account_is_refused(
    slack_bb: BotBoard, flags: dict[str, bool]
) -> None:
    leader, _ = leader_and_colleague(slack_bb)
    user = "U0X" + next(iter(flags)).upper().replace("_", "")[:8]
    slack_bb.slack.add_user(
        user, leader.email, email_confirmed=flags.get("email_confirmed", True),
        deleted=flags.get("deleted", False), is_bot=flags.get("is_bot", False),
    )
    slack_bb.slack.clear()
    status, body = send(slack_bb, slack_bb.requests.slash("/uitdienst", "Jan de Vries vandaag",
                                                          user=user))
    assert status == 200
    assert "niet als medewerker" in json.loads(body)["text"]
    assert [c.method for c in slack_bb.slack.calls()] == ["users.info"]  # nothing else
    with slack_bb.board.sessions()() as session:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.actor == f"chat:{user}")).scalars().all()
    assert [e.action for e in events] == ["chat.refused"]
    assert events[0].reason.startswith("unknown person")


class BrokenFlow:
    """A flow with a bug whose exception message holds what the person typed."""

    name = "broken"
    commands: tuple[str, ...] = ("/broken",)
    urgent = False

    def wants(self, text: str) -> bool:
        return True

    def accepts(self, text: str, state: dict[str, Any]) -> bool:
        return True

    def topic(self, ctx: FlowContext, state: dict[str, Any]) -> str:
        return "broken"

    def start(self, ctx: FlowContext, text: str) -> Turn:
        raise ValueError(f"could not read {text!r}")

    def answer(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        return self.start(ctx, text)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        return self.start(ctx, value)


def test_a_flow_failure_logs_its_type_and_correlation_id_not_its_message(
    slack_bb: BotBoard, caplog: pytest.LogCaptureFixture
) -> None:
    leader, _ = leader_and_colleague(slack_bb)
    caplog.set_level("INFO")
    chat = Console(slack_bb.config, slack_bb.board.sessions(), as_email=str(leader.email),
                   flows=[BrokenFlow()], services={})
    (reply,) = chat.say("het dossier van Xaviera Zwanenburg-Quist")
    incident = reply["data"]["error"]
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1
    message = failures[0].getMessage()
    assert "ValueError" in message and incident in message and " chat-" in message
    assert failures[0].exc_info is None  # no traceback: its text would repeat the message
    assert "Zwanenburg" not in "\n".join(r.getMessage() for r in caplog.records)


def test_socket_mode_requests_get_a_chat_correlation_id_too(
    slack_bb: BotBoard, lines: Lines
) -> None:
    from urllib.parse import parse_qsl

    from slack_bolt.adapter.socket_mode.internals import run_bolt_app
    from slack_sdk.socket_mode.request import SocketModeRequest

    body, _ = slack_bb.requests.slash("/datalek", "laptop gestolen", user=LEADER)
    request = SocketModeRequest(type="slash_commands", envelope_id="e-1",
                                payload=dict(parse_qsl(body.decode())))
    assert run_bolt_app(slack_bb.runtime.slack_app, request).status == 200
    assert slack_bb.runtime.wait_idle()
    assert any(thread.startswith("bot-listener") for _, thread, _ in lines.seen)
    cids = {cid for _, _, cid in lines.seen}
    assert len(cids) == 1 and str(next(iter(cids))).startswith("chat-"), lines.seen
