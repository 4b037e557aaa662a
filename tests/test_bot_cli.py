"""``provisioner bot console`` through the command line (typer's CliRunner): typed numbers
are button presses only where the question does not want a typed answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.privacy.breaches import BreachRegister
from tests.slack_harness import BotBoard, bot_board


@pytest.fixture(scope="module")
def bb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotBoard]:
    with bot_board(Path(tmp_path_factory.mktemp("bot-cli")), staff=30, pupils=60) as board:
        yield board


def console(bb: BotBoard, email: str, lines: list[str]) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        app,
        ["bot", "console", "--as", email, "--json", "-c", str(bb.board.config_path)],
        input="".join(line + "\n" for line in lines),
        env={"PROVISIONER_DATABASE_URL": bb.board.db_url},
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_a_typed_count_in_the_breach_intake_is_the_count_not_a_button(bb: BotBoard) -> None:
    reporter = bb.staff_with_role("teacher")
    replies = console(bb, str(reporter.email), [
        "/datalek Ik ben een usb-stick kwijt met cijferlijsten",
        "net",  # discovered: just now
        "2",  # how many people? (buttons: [1] Weet ik niet, [2] Meld nu) -> two people
        "nee",  # special categories: no
        "#2",  # BSN: the second button, "Nee"
        "4",  # encrypted? a yes/no question: a bare number is its button, "Meld nu"
    ])
    steps = [r["data"].get("step") for r in replies]
    assert steps[:5] == ["discovered_at", "subjects_count", "special_categories",
                         "national_id_number", "encrypted"]
    count_question = replies[1]
    assert count_question["expects_text"] is True
    assert [b["label"] for b in count_question["buttons"]] == ["Weet ik niet", "Meld nu"]
    assert replies[2]["expects_text"] is False  # a yes/no question
    assert steps[5] == "reported"  # filed by "4" (Meld nu), not by "2"
    breach = BreachRegister(bb.board.sessions()).get(str(replies[5]["data"]["breach_id"]))
    assert breach.facts.subjects_count == 2
    assert breach.facts.special_categories is False
    assert breach.facts.national_id_number is False
    assert breach.facts.encrypted is None  # "Meld nu" was pressed, nothing answered


def test_a_number_beyond_the_buttons_is_a_message(bb: BotBoard) -> None:
    leader = bb.staff_with_role("location_leader")
    replies = console(bb, str(leader.email), ["/datalek laptop gestolen", "#9"])
    assert replies[-1]["data"].get("step") != "reported"
