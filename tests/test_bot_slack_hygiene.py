"""What the Slack front end does with what it is handed: names from HR escaped for mrkdwn,
requests with a malformed timestamp or from another workspace refused, Slack's redeliveries
handled once; and the configuration truth behind it (``config check``, ``/readyz``).

Signed requests from ``SlackRequests`` go through ``BotRuntime.handle_http`` against the fake
Slack Web API, as in the other bot tests."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks import escape_mrkdwn, fallback_text, reply_blocks, unescape_mrkdwn
from bot.conversation import Reply
from bot.once import first_time
from bot.runtime import BotRuntime
from connectors.emulators.slack import TEAM_ID, Call
from provisioner.app.bot_services import default_services
from provisioner.app.service.app import ServeOptions, Service
from provisioner.config import Config
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent, ChatAction, Override
from tests.board import make_board
from tests.slack_harness import SIGNING_SECRET, BotBoard, bot_board, leader_and_colleague

LEADER = "U0LEADER"
OTHER_TEAM = "T0OTHERTEAM"
MARKUP = "<!channel> <@U0BOSS> <https://evil.example|klik hier> & Co"
SLACK_VARIABLES = ("PROVISIONER_SLACK_BOT_TOKEN", "PROVISIONER_SLACK_SIGNING_SECRET",
                   "PROVISIONER_SLACK_APP_TOKEN")


def send(bb: BotBoard, request: tuple[bytes, dict[str, str]]) -> tuple[int, bytes]:
    status, _, body = bb.post(*request)
    assert bb.runtime.wait_idle()
    return status, body


def mrkdwn_texts(call: Call) -> list[str]:
    """Every text of a call that Slack reads as mrkdwn: the fallback and the blocks'."""
    found = [str(call.args.get("text", ""))]
    for block in call.args.get("blocks") or []:
        if block.get("type") == "section":
            if block.get("text", {}).get("type") == "mrkdwn":
                found.append(block["text"]["text"])
            found.extend(f["text"] for f in block.get("fields", []) if f["type"] == "mrkdwn")
    return found


def buttons(call: Call) -> list[dict[str, Any]]:
    return [e for b in call.args.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]]


def audit_count(bb: BotBoard, actor: str) -> int:
    with bb.board.sessions()() as session:
        return int(session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == actor)
        ).scalar_one())


@pytest.fixture(scope="module")
def bb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotBoard]:
    with bot_board(Path(tmp_path_factory.mktemp("hygiene")), staff=30, pupils=60) as board:
        leader, _ = leader_and_colleague(board)
        board.slack.add_user(LEADER, leader.email, name="leader")
        yield board


# -- 1. escaping for mrkdwn -------------------------------------------------------------------


def test_a_name_with_slack_markup_reaches_asker_and_central_office_escaped(
    tmp_path: Path,
) -> None:
    with bot_board(tmp_path, staff=30, pupils=60) as board:
        leader, person = leader_and_colleague(board)
        board.slack.add_user(LEADER, leader.email, name="leader")
        number = person.key.removeprefix("staff:")
        board.board.edit_hr(number, lambda row: {**row, "given_name": "Xaviera",
                                                 "prefix": "", "family_name": MARKUP})
        board.board.sync()
        renamed = board.directory().staff(person.key)
        assert renamed is not None and renamed.name.display == f"Xaviera {MARKUP}"

        typed = f"Xaviera {MARKUP} gaat morgen uit dienst"  # pasted from HR
        send(board, board.requests.slash("/uitdienst", escape_mrkdwn(typed),  # as Slack sends
                                         user=LEADER))
        summary = board.slack.calls("response_url")[-1]
        confirm = next(b for b in buttons(summary) if ":confirm:" in b["action_id"])
        board.slack.clear()
        send(board, board.requests.action(confirm["action_id"], confirm["value"], user=LEADER))
        to_office = [c for c in board.slack.calls("chat.postMessage")
                     if c.args["channel"] == "DCENTRAL"]
        assert to_office  # the central office's tasks
        shown = mrkdwn_texts(summary) + [t for c in to_office for t in mrkdwn_texts(c)]
        escaped = "&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|klik hier&gt; &amp; Co"
        assert any(escaped in text for text in mrkdwn_texts(summary))
        assert any(escaped in text for c in to_office for text in mrkdwn_texts(c))
        for text in shown:
            assert "<!" not in text and "<@" not in text and "<http" not in text, text
            assert "& " not in text, text


def test_every_mrkdwn_text_is_escaped_once_and_cut_between_escapes() -> None:
    reply = Reply("a <b> & c", facts=(("<naam>", "x & <y>"),))
    blocks = reply_blocks(reply, None)
    assert blocks[0]["text"]["text"] == "a &lt;b&gt; &amp; c" == fallback_text(reply)
    assert blocks[1]["fields"][0]["text"] == "*&lt;naam&gt;*\nx &amp; &lt;y&gt;"
    assert fallback_text(Reply("&amp;")) == "&amp;amp;"  # shown as typed, not as "&"
    for typed in (MARKUP, "&lt; is typed &amp;", "a <b> & c"):
        assert unescape_mrkdwn(escape_mrkdwn(typed)) == typed  # what Slack sends, read back
    long = fallback_text(Reply("x" * 2998 + "<>"))
    assert long == "x" * 2998  # not "...&l": half an escape would show as text
    assert len(fallback_text(Reply("<" * 1000))) <= 3000


# -- 2. request hygiene -----------------------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "-12", "１２３", None],
                         ids=["letters", "empty", "float", "negative", "fullwidth", "missing"])
def test_a_malformed_timestamp_is_401_never_500(
    bb: BotBoard, timestamp: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body, headers = bb.requests.dm("Geheim verhaal over Zwanenburg", user=LEADER)
    headers = dict(headers)
    if timestamp is None:
        del headers["X-Slack-Request-Timestamp"]
    else:
        headers["X-Slack-Request-Timestamp"] = timestamp
    bb.slack.clear()
    status, _ = send(bb, (body, headers))
    assert status == 401
    assert bb.slack.calls() == []
    assert "Zwanenburg" not in caplog.text  # the body is never logged


def test_a_wrong_signature_is_401_and_its_body_is_not_logged(
    bb: BotBoard, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body, headers = bb.requests.dm("Geheim verhaal over Zwanenburg", user=LEADER)
    assert send(bb, (body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64}))[0] == 401
    stale = int(headers["X-Slack-Request-Timestamp"]) - 600
    assert send(bb, bb.requests.dm("hallo", user=LEADER, timestamp=stale))[0] == 401
    assert "Zwanenburg" not in caplog.text


def test_requests_from_another_workspace_reach_nothing_and_log_only_the_fact(
    bb: BotBoard, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    other = bb.requests.for_team(OTHER_TEAM)
    audited = audit_count(bb, f"chat:{LEADER}")
    bb.slack.clear()
    for request in (other.slash("/uitdienst", "Jan de Vries vandaag", user=LEADER),
                    other.dm("Mag de foto van groep 5 op de website?", user=LEADER),
                    other.action("offboarding:confirm:0", "staff:100001", user=LEADER)):
        status, body = send(bb, request)
        assert (status, body) == (200, b"")
    assert bb.slack.calls() == []  # not even users.info: nobody was looked up
    assert audit_count(bb, f"chat:{LEADER}") == audited
    ignored = [r for r in caplog.records if "another workspace" in r.getMessage()]
    assert len(ignored) == 3
    assert all(LEADER not in r.getMessage() and OTHER_TEAM not in r.getMessage()
               for r in caplog.records)
    # the board's own workspace (auth.test of the bot token) is answered as ever
    status, body = send(bb, bb.requests.slash("/datalek", "", user=LEADER))
    assert status == 200 and bb.slack.calls("users.info")


def runtime_with(bb: BotBoard, config: Config, client: WebClient,
                 monkeypatch: pytest.MonkeyPatch) -> BotRuntime:
    monkeypatch.setenv("PROVISIONER_SLACK_SIGNING_SECRET", SIGNING_SECRET)
    sessions = bb.board.sessions()
    return BotRuntime(config, sessions, slack_client=client, clock=bb.clock,
                      services=default_services(config, sessions))


def test_the_configured_workspace_wins_and_auth_test_is_not_asked(
    bb: BotBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = bb.config
    slack = config.bot.slack.model_copy(update={"team_id": OTHER_TEAM})
    config = config.model_copy(update={"bot": config.bot.model_copy(update={"slack": slack})})
    client = WebClient(token=bb.slack.bot_token, base_url=bb.slack.base_url)
    bb.slack.clear()
    runtime = runtime_with(bb, config, client, monkeypatch)
    try:
        assert bb.slack.calls("auth.test") == []
        own = bb.requests.slash("/datalek", "", user=LEADER)  # the token's team: not ours
        status, _, body = runtime.handle_http(*own)
        assert (status, body) == (200, b"")
        assert bb.slack.calls("users.info") == []
        status, _, _ = runtime.handle_http(
            *bb.requests.for_team(OTHER_TEAM).slash("/datalek", "", user=LEADER))
        assert runtime.wait_idle()
        assert status == 200 and bb.slack.calls("users.info")
    finally:
        runtime.close()


def test_when_auth_test_fails_no_workspace_is_refused_and_one_warning_is_logged(
    bb: BotBoard, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = WebClient(token=bb.slack.bot_token, base_url=bb.slack.base_url)
    bb.slack.rate_limit("auth.test", times=1)  # Slack says no, once, at start
    runtime = runtime_with(bb, bb.config, client, monkeypatch)
    try:
        bb.slack.clear()
        for _ in range(2):
            status, _, _ = runtime.handle_http(
                *bb.requests.for_team(OTHER_TEAM).slash("/datalek", "", user=LEADER))
            assert status == 200
        assert runtime.wait_idle()
        assert bb.slack.calls("users.info")  # it went on to who is asking: nothing refused
        warnings = [r for r in caplog.records if "auth.test failed" in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
        assert "another workspace" not in caplog.text
    finally:
        runtime.close()


# -- 3. redeliveries ---------------------------------------------------------------------------


def test_a_redelivered_direct_message_is_acknowledged_and_not_handled_again(
    bb: BotBoard,
) -> None:
    bb.slack.clear()
    first = bb.requests.dm("stop", user=LEADER)
    event_id = json.loads(first[0])["event_id"]
    retry = bb.requests.redeliver(first, retry_num=1, reason="http_timeout")
    assert retry[1]["X-Slack-Retry-Num"] == "1"
    # the retry arrives while the first delivery is still being handled
    assert bb.post(*first)[0] == 200
    assert bb.post(*retry)[0] == 200
    assert bb.runtime.wait_idle()
    status, body = send(bb, bb.requests.redeliver(first, retry_num=2))
    assert (status, body) == (200, b"")
    replies = [c for c in bb.slack.calls("chat.postMessage") if c.args["channel"] == "D0LEADER"]
    assert len(replies) == 1
    with bb.board.sessions()() as session:
        row = session.get(ChatAction, f"slack-event:{event_id}")
        assert row is not None and row.actor == f"chat:{LEADER}"


def test_a_redelivered_button_press_is_handled_once(tmp_path: Path) -> None:
    with bot_board(tmp_path, staff=30, pupils=60) as board:
        leader, person = leader_and_colleague(board)
        board.slack.add_user(LEADER, leader.email, name="leader")
        send(board, board.requests.slash(
            "/uitdienst", f"{person.name.display} gaat morgen uit dienst", user=LEADER))
        confirm = next(b for b in buttons(board.slack.calls("response_url")[-1])
                       if ":confirm:" in b["action_id"])
        press = board.requests.action(confirm["action_id"], confirm["value"], user=LEADER)
        board.slack.clear()
        send(board, press)
        seen = [c.method for c in board.slack.calls()]
        assert "response_url" in seen
        status, body = send(board, board.requests.redeliver(press))
        assert (status, body) == (200, b"")
        assert [c.method for c in board.slack.calls()] == seen  # nothing more was said
        with board.board.sessions()() as session:
            assert session.execute(select(func.count()).select_from(Override)).scalar_one() == 1


def race(sessions: sessionmaker[Session], key: str) -> list[bool]:
    """Two threads record ``key`` at the same moment; their answers."""
    start = threading.Barrier(2)
    answers: list[bool] = []
    errors: list[BaseException] = []

    def insert() -> None:
        try:
            start.wait()
            answers.append(first_time(sessions, key, "chat:U1"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=insert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return answers


def test_first_time_is_true_once_of_two_threads_at_the_same_moment(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    try:
        assert first_time(sessions, "slack-event:Ev1", "chat:U1", {"n": 1}) is True
        assert first_time(sessions, "slack-event:Ev1", "chat:U2") is False
        with sessions() as session:
            row = session.get(ChatAction, "slack-event:Ev1")
            assert row is not None and (row.actor, row.result) == ("chat:U1", {"n": 1})
        for n in range(10):
            assert sorted(race(sessions, f"slack-event:race{n}")) == [False, True]
    finally:
        engine.dispose()


# -- 4. configuration truth --------------------------------------------------------------------


@pytest.fixture
def no_slack_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in SLACK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name + "_FILE", raising=False)
    return monkeypatch


def config_check(config_path: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "provisioner", "config", "check", "-c", str(config_path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )
    return result.returncode, " ".join((result.stdout + result.stderr).split())  # unwrapped


@pytest.mark.parametrize(
    ("bot", "code", "words"),
    [
        ('[bot]\ncentral_office = ["ict@bestuur.example"]\n', 3, "bot.privacy_officers"),
        ('[bot.slack]\napi_url = "http://127.0.0.1:9/api/"\n', 3, "bot.privacy_officers"),
        ('[bot]\nprivacy_officers = ["fg@bestuur.example"]\n', 0, "is fine"),
        ("", 0, "is fine"),
    ],
    ids=["bot-without-officer", "bot-slack-only", "bot-with-officer", "no-bot"],
)
def test_config_check_fails_when_the_bot_is_on_without_a_privacy_officer(
    tmp_path: Path, no_slack_env: pytest.MonkeyPatch, bot: str, code: int, words: str
) -> None:
    board = make_board(tmp_path, staff=24, pupils=60, extra_config=bot)
    status, output = config_check(board.config_path)
    assert status == code, output
    assert words in output
    if code:
        assert "privacy officer" in output


def test_config_check_names_the_missing_slack_variable_not_the_secret(
    tmp_path: Path, no_slack_env: pytest.MonkeyPatch
) -> None:
    board = make_board(tmp_path, staff=24, pupils=60,
                       extra_config='[bot]\nprivacy_officers = ["fg@bestuur.example"]\n')
    token = "xoxb-1234-very-secret-token"
    status, output = config_check(board.config_path, {"PROVISIONER_SLACK_BOT_TOKEN": token})
    assert status == 3, output
    assert "bot.slack" in output and "PROVISIONER_SLACK_SIGNING_SECRET" in output
    assert token not in output


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize(
    ("env", "slack_extra", "status", "names"),
    [
        ({"PROVISIONER_SLACK_BOT_TOKEN": "xoxb-secret-1"}, "", 503,
         ["PROVISIONER_SLACK_SIGNING_SECRET"]),
        ({"PROVISIONER_SLACK_SIGNING_SECRET": "secret-2-value"}, "", 503,
         ["PROVISIONER_SLACK_BOT_TOKEN"]),
        ({"PROVISIONER_SLACK_BOT_TOKEN": "xoxb-secret-4",
          "PROVISIONER_SLACK_SIGNING_SECRET": "secret-4-value"},
         'app_token_file = "missing-app-token"\n', 503, ["PROVISIONER_SLACK_APP_TOKEN"]),
        ({"PROVISIONER_SLACK_BOT_TOKEN": "xoxb-secret-5",
          "PROVISIONER_SLACK_SIGNING_SECRET": "secret-5-value"}, "", 200, []),
        ({}, "", 200, []),
    ],
    ids=["token-only", "secret-only", "socket-without-app-token",
         "complete", "slack-off"],
)
def test_readyz_is_503_naming_the_variable_while_slack_credentials_are_incomplete(
    tmp_path: Path, no_slack_env: pytest.MonkeyPatch, env: dict[str, str], slack_extra: str,
    status: int, names: list[str],
) -> None:
    for name, value in env.items():
        no_slack_env.setenv(name, value)
    board = make_board(tmp_path, staff=24, pupils=60, extra_config=(
        "[schedule]\nenabled = false\n\n"
        '[bot]\nprivacy_officers = ["fg@bestuur.example"]\n\n'
        f'[bot.slack]\nteam_id = "{TEAM_ID}"\napi_url = "http://127.0.0.1:9/api/"\n'
        f"{slack_extra}"
    ))
    service = Service(board.config_path, ServeOptions(host="127.0.0.1", port=0, migrate=True))
    try:
        service.start()
        answer_status, answer = get(f"http://127.0.0.1:{service.port}/readyz")
    finally:
        service.stop()
    assert answer_status == status, answer
    for name in names:
        assert name in answer
    if status == 200:
        assert answer == "ready\n"
    for value in env.values():
        assert value not in answer
