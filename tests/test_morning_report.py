"""The morning report: the pure builder, the facts read from a real run, and sending it to the
Slack emulator and a local SMTP server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.slack_emulator import SlackEmulator
from provisioner.report.morning import (
    Deadline,
    ReportFacts,
    build_morning_report,
    deliver,
    gather,
    reason_kind,
)
from provisioner.tasks import ManualTasks
from tests.board import make_board

RUN = "20261122-050001-abc123"


def facts(**changes: Any) -> ReportFacts:
    base: dict[str, Any] = {
        "board": "Stichting Test",
        "run_id": RUN,
        "status": "partial",
        "started_at": datetime(2026, 11, 22, 4, 0, tzinfo=UTC),
        "finished_at": datetime(2026, 11, 22, 4, 3, tzinfo=UTC),
        "outcomes": {"m365": {"created": 3, "disabled": 1, "failed": 2}},
        "failures": {"m365": {"rejected": 2}},
    }
    base.update(changes)
    return ReportFacts(**base)


def test_the_report_says_what_changed_and_what_failed_in_counts() -> None:
    report = build_morning_report(facts())
    assert RUN in report.subject and "partial" in report.subject
    assert "m365: 3 created, 1 disabled" in report.text
    assert "m365: 2 (2 rejected)" in report.text
    assert f"provisioner runs show {RUN}" in report.text
    assert "05:00" in report.text  # local time (CET) of a 04:00 UTC start
    assert report.blocks[0]["type"] == "header"
    assert any("What changed" in b["text"]["text"] for b in report.blocks[1:])


def test_a_stopped_run_says_how_to_approve_it() -> None:
    reason = "60 accounts would be disabled in m365; the limit is 50."
    report = build_morning_report(facts(status="stopped", stop_reasons=[reason], outcomes={}))
    assert reason in report.text
    assert f"provisioner sync --approve {RUN}" in report.text
    assert "Nothing was changed" in report.text


def test_a_quiet_night_says_nothing_changed_and_leaves_empty_parts_out() -> None:
    report = build_morning_report(facts(status="applied", outcomes={}, failures={}))
    assert "Nothing: every target was in step." in report.text
    assert "What failed" not in report.text
    assert "Manual tasks" not in report.text
    assert "approve" not in report.text


def test_tasks_and_breach_deadlines_are_counts_and_ids() -> None:
    due = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    report = build_morning_report(
        facts(
            open_tasks={("12AB00", "parnassys"): 2, ("board", "ministry portal"): 1},
            deadlines=[Deadline("DL-2026-0001", "authority", due)],
            deadlines_within=timedelta(days=7),
        )
    )
    assert "3 open" in report.text
    assert "12AB00 parnassys: 2" in report.text
    assert "DL-2026-0001 authority: due 2026-11-23 14:00" in report.text
    assert "next 7 days" in report.text


def test_reasons_are_reported_by_kind_only() -> None:
    assert reason_kind("rejected: userPrincipalName jan.devries@bestuur.nl is taken") == "rejected"
    assert reason_kind("temporarily unavailable: 503") == "temporarily unavailable"
    assert reason_kind("Jan de Vries could not be found") == "other"
    assert reason_kind("staff:100234: odd") == "other"


# -- from a real run ----------------------------------------------------------------------------


def _smtp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _smtp_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def report_config(slack: SlackEmulator, smtp_port: int) -> str:
    return f"""
[report]
slack_channel = "C0REPORTS"
email_to = ["ict@bestuur.example"]
email_from = "provisioner@bestuur.example"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
smtp_security = "none"

[bot.slack]
api_url = "{slack.base_url}"
"""


def test_the_report_of_a_real_run_reaches_slack_and_mail_without_names(
    tmp_path: Path, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    with SlackEmulator() as slack:
        monkeypatch.setenv("PROVISIONER_SLACK_BOT_TOKEN", slack.bot_token)
        board = make_board(tmp_path, staff=24, pupils=60, extra_config=report_config(slack, port))
        run = board.sync()
        sessions = board.sessions()
        ManualTasks(sessions).open(
            kind="sis_account",
            system="parnassys",
            title="Maak een account",
            instructions="In ParnasSys",
            assignee="location_leader",
            origin="test",
            actor="test",
            person_key="staff:100001",
            location=board.config.locations[0].brin6,
        )
        facts = gather(sessions, board.config, now=datetime.now(UTC))
        report = build_morning_report(facts)
        delivered = deliver(board.config, report)

        assert delivered == {"slack": "sent", "email": "sent"}
        assert facts.run_id == run.run_id
        created = sum(c.get("created", 0) for c in facts.outcomes.values())
        planned = sum(
            n for t in run.targets for op, n in t.counts.items() if op.startswith("create_")
        )
        assert created == planned > 0
        assert f"{board.config.locations[0].brin6} parnassys: 1" in report.text

        [post] = slack.calls("chat.postMessage")
        assert post.args["channel"] == "C0REPORTS"
        assert run.run_id in post.args["text"]
        for _ in range(50):  # the SMTP server hands the message over on its own thread
            if inbox.messages:
                break
            time.sleep(0.1)
        [mail] = inbox.messages
        assert run.run_id in mail["Subject"]
        assert mail["To"] == "ict@bestuur.example"

        # nothing personal: no name or work address of anyone on the board, no person keys
        people = board.hr_rows()
        text = post.args["text"] + str(post.args.get("blocks")) + mail.get_payload()
        for row in people:
            assert row["family_name"] not in text
            assert f"staff:{row['employee_number']}" not in text
        assert "@" + board.config.board.domain not in text


def test_report_morning_command_shows_the_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from provisioner.cli import app

    board = make_board(tmp_path, staff=24, pupils=60)
    run = board.sync()
    result = CliRunner().invoke(
        app, ["report", "morning", "-c", str(board.config_path), "--run", run.run_id]
    )
    assert result.exit_code == 0, result.output
    assert run.run_id in result.output
    assert "What changed" in result.output
