"""The bot's small parts: reading days, the language heuristic, Block Kit views and the fake
Slack Web API's documented behaviour (errors, 429 with Retry-After)."""

from __future__ import annotations

from datetime import date

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.blocks import parse_action_id, reply_blocks
from bot.conversation import Button, Reply
from bot.dates import find_day
from bot.language import choose_language, detect_language
from connectors.emulators.slack import SlackEmulator

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "day", "rest"),
    [
        ("Jan de Vries gaat per 1 december uit dienst", date(2026, 12, 1),
         "Jan de Vries gaat uit dienst"),
        ("vandaag", TODAY, ""),
        ("morgen", date(2026, 11, 23), ""),
        ("overmorgen", date(2026, 11, 24), ""),
        ("gisteren", date(2026, 11, 21), ""),
        ("today", TODAY, ""),
        ("tomorrow", date(2026, 11, 23), ""),
        ("31-12", date(2026, 12, 31), ""),
        ("per 31-12-2026", date(2026, 12, 31), ""),
        ("31/12/27", date(2027, 12, 31), ""),
        ("1 December", date(2026, 12, 1), ""),
        ("Piet leaves on December 1st", date(2026, 12, 1), "Piet leaves"),
        ("2027-01-15 Piet", date(2027, 1, 15), "Piet"),
        ("per 3 januari", date(2027, 1, 3), ""),  # past this year: next year
        ("per 15-11", date(2026, 11, 15), ""),  # a week ago: back-dated, not next year
    ],
)
def test_days_as_people_type_them(text: str, day: date, rest: str) -> None:
    found = find_day(text, TODAY)
    assert found is not None
    assert (found.day, found.rest) == (day, rest)


@pytest.mark.parametrize("text", ["Jan de Vries", "31-02", "groep 5b", "per 40-12"])
def test_no_day(text: str) -> None:
    assert find_day(text, TODAY) is None


def test_language_heuristic() -> None:
    assert detect_language("Jan de Vries gaat per 1 december uit dienst") == "nl"
    assert detect_language("Can the 7a class photo go in the newsletter?") == "en"
    assert detect_language("Jan de Vries 31-12") is None
    assert choose_language("Piet 31-12", "en", "nl") == "en"  # no signal: the conversation's
    assert choose_language("31-12", None, "nl") == "nl"


def test_blocks_render_facts_and_buttons_with_unique_action_ids() -> None:
    reply = Reply("*Hi*", facts=(("Wie", "Jan"),) * 12,
                  buttons=(Button("A", "pick", "staff:1"), Button("B", "pick", "staff:2")))
    blocks = reply_blocks(reply, "offboarding")
    assert [b["type"] for b in blocks] == ["section", "section", "section", "actions"]
    assert [len(b["fields"]) for b in blocks[1:3]] == [10, 2]
    ids = [e["action_id"] for e in blocks[3]["elements"]]
    assert len(set(ids)) == 2
    assert {parse_action_id(i) for i in ids} == {("offboarding", "pick")}


def test_emulator_errors_and_rate_limit() -> None:
    with SlackEmulator() as slack:
        slack.add_user("U1", "a@b.nl")
        client = WebClient(token=slack.bot_token, base_url=slack.base_url)
        assert client.users_info(user="U1")["user"]["profile"]["email"] == "a@b.nl"
        with pytest.raises(SlackApiError) as missing:
            client.users_info(user="U404")
        assert missing.value.response["error"] == "user_not_found"
        with pytest.raises(SlackApiError) as bad:
            WebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()
        assert bad.value.response["error"] == "invalid_auth"
        slack.rate_limit("chat.postMessage", times=1, retry_after=1)
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="D1", text="x")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["retry-after"] == "1"
        slack.rate_limit("chat.postMessage", times=1, retry_after=1)
        patient = WebClient(token=slack.bot_token, base_url=slack.base_url,
                            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
        assert patient.chat_postMessage(channel="D1", text="x")["ok"] is True
        assert [c.status for c in slack.calls("chat.postMessage")] == [429, 429, 200]
