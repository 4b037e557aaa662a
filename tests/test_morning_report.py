"""The morning report: the pure builder, the facts read from a real run, and sending it to the
Slack emulator and a local SMTP server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from connectors.emulators.slack import SlackEmulator
from connectors.reference.target import ReferenceTarget
from provisioner.app.wiring import build_sources, target_settings
from provisioner.errors import RejectedError
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.privacy.breach import BreachFacts
from provisioner.privacy.breaches import BreachRegister
from provisioner.report.morning import (
    Deadline,
    ReportFacts,
    build_morning_report,
    deliver,
    gather,
    reason_kind,
)
from provisioner.targets import AccountSpec
from provisioner.tasks import ManualTasks
from tests.board import TODAY, Board, make_board

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
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
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
        board = make_board(
            tmp_path, staff=24, pupils=60, extra_config=report_config(slack, port), language="en"
        )
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
        body = mail.get_content()  # decoded, whatever the transfer encoding
        assert run.run_id in body and "What changed" in body
        text = post.args["text"] + str(post.args.get("blocks")) + body
        for row in people:
            assert row["family_name"] not in text
            assert f"staff:{row['employee_number']}" not in text
        assert "@" + board.config.board.domain not in text


def test_report_morning_command_shows_the_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from provisioner.app.cli import app

    board = make_board(tmp_path, staff=24, pupils=60, language="en")
    run = board.sync()
    result = CliRunner().invoke(
        app, ["report", "morning", "-c", str(board.config_path), "--run", run.run_id]
    )
    assert result.exit_code == 0, result.output
    assert run.run_id in result.output
    assert "What changed" in result.output


def test_a_dutch_board_reads_its_report_in_dutch(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from provisioner.app.cli import app

    board = make_board(tmp_path, staff=24, pupils=60)  # the demo board: board.language "nl"
    assert board.config.board.language == "nl"
    run = board.sync()
    result = CliRunner().invoke(
        app, ["report", "morning", "-c", str(board.config_path), "--run", run.run_id]
    )
    assert result.exit_code == 0, result.output
    assert f"Provisioner {board.config.board.name}: uitgevoerd ({run.run_id})" in result.output
    assert "Wat is er veranderd:" in result.output and "aangemaakt" in result.output
    assert "What changed" not in result.output and "created" not in result.output


# -- the facts read from a real store (SQLite and PostgreSQL) -----------------------------------


class _Refusing(ReferenceTarget):
    """The reference directory, refusing one person's account with a message that names them
    (as Graph's messages do): the report may say 'rejected', never the message."""

    def __init__(self, path: Path, refused: str, message: str) -> None:
        super().__init__("directory", path)
        self.refused, self.message = refused, message

    def create_account(self, spec: AccountSpec) -> str:
        if spec.key == self.refused:
            raise RejectedError(self.message)
        return super().create_account(spec)


def _sync(board: Board, target: ReferenceTarget) -> RunReport:
    config = board.config
    try:
        engine = Engine(
            config,
            board.sessions(),
            build_sources(config),
            [target],
            target_settings=target_settings(config),
        )
        return engine.sync(SyncRequest(today=TODAY))
    finally:
        target.close()


def test_the_facts_of_real_runs_failures_drift_a_stop_and_breach_deadlines(
    tmp_path: Path, db_url: str
) -> None:
    board = make_board(tmp_path, db_url, staff=24, pupils=60, language="en")
    rows = board.hr_rows()
    refused = next(r for r in rows if r["employee_number"] == board.teacher_number())
    key = f"staff:{refused['employee_number']}"
    message = f"the name {refused['given_name']} {refused['family_name']} is not allowed"

    first = _sync(board, _Refusing(board.directory, key, message))
    assert first.status == "partial" and first.failed >= 1  # the account, its memberships

    # someone adds an account by hand to a group the provisioner manages: drift
    by_hand = board.target()
    group = next(g for g in by_hand.groups.values() if g.key and g.members)
    stranger = by_hand.seed_account(
        AccountSpec("", "stranger", "Stranger by hand", "Stranger", "Hand", True)
    )
    by_hand.seed_group_member(group.remote_id, stranger)
    by_hand.close()
    second = _sync(board, _Refusing(board.directory, key, message))
    assert second.status == "partial" and second.failed >= 1

    # the HR export comes in with most of the staff missing: the source guard stops the run
    board.write_hr(rows[:3])
    stopped = _sync(board, board.target())
    assert stopped.status == "stopped"

    sessions = board.sessions()
    reported = datetime.now(UTC)
    breach = BreachRegister(sessions).report(
        BreachFacts(
            narrative=f"laptop of {refused['family_name']} stolen with pupils' marks",
            kind="stolen_device",
            data_categories=("learning_results",),
            subjects_are_children=True,
            encrypted=False,
            discovered_at=reported - timedelta(hours=2),
        ),
        reporter="chat:U1",
        now=reported,
    )
    config = board.config  # deadlines_within_days: 7 (the default)

    facts = gather(sessions, config, run_id=second.run_id, now=reported + timedelta(hours=1))
    assert facts.status == "partial"
    assert facts.failures == {"directory": {"rejected": 1}}
    assert facts.outcomes["directory"]["rejected"] == 1
    assert facts.drift_repaired == {"directory": 1}
    assert facts.stop_reasons == []
    due = {(d.breach_id, d.kind) for d in facts.deadlines}
    assert (breach.id, "authority") in due and (breach.id, "privacy_officer") in due
    assert all(d.due_at <= reported + timedelta(days=7) for d in facts.deadlines)
    text = build_morning_report(facts).text
    assert "directory: 1 (1 rejected)" in text
    assert "Drift repaired:\n  directory: 1 changed by hand, put back" in text
    assert f"Details: provisioner runs show {second.run_id}" in text
    assert f"{breach.id} authority: due " in text
    assert "Stopped by the safety gate" not in text

    latest = gather(sessions, config, now=reported + timedelta(hours=1))  # the newest run
    assert latest.run_id == stopped.run_id and latest.status == "stopped"
    [reason] = latest.stop_reasons
    assert "hr.staff" in reason and "fewer" in reason
    assert latest.drift_repaired == {} and latest.failures == {}
    stop_text = build_morning_report(latest).text
    assert reason in stop_text
    assert f"provisioner sync --approve {stopped.run_id}" in stop_text
    assert "Drift repaired" not in stop_text

    # the first run's report: a failure, no drift yet
    assert gather(sessions, config, run_id=first.run_id).drift_repaired == {}

    # nothing personal in any of them: no names, person keys, addresses or the breach's story
    for report_text in (text, stop_text):
        for row in rows:
            assert row["family_name"] not in report_text
            assert f"staff:{row['employee_number']}" not in report_text
        assert "stolen" not in report_text and "Stranger" not in report_text
        assert "@" not in report_text


def test_drift_repaired_is_left_out_when_there_was_none() -> None:
    report = build_morning_report(facts(drift_repaired={"m365": 0}))
    assert "Drift" not in report.text
    report = build_morning_report(facts(drift_repaired={"ad": 2, "m365": 1}))
    assert "Drift repaired:\n  ad: 2 changed by hand, put back\n  m365: 1 changed by hand" in (
        report.text
    )


# -- photo consent: the yearly reminder and forms the board has not described ------------------


def test_the_consent_section_is_counts_and_locations_only() -> None:
    line = "Yearly reminder for 2026-2027 not recorded by 01 October at: 07XY01"
    report = build_morning_report(facts(consent=[line]))
    assert "Photo consent:" in report.text and line in report.text
    assert "Photo consent" not in build_morning_report(facts()).text


def _consent_board(tmp_path: Path, consent: str) -> tuple[Any, Any]:
    from provisioner.app.config import load_config
    from provisioner.store.db import make_engine, session_factory, upgrade
    from tests.test_consent_cli import CONFIG
    from tests.test_consent_world import fill_consents, fill_directory

    path = tmp_path / "provisioner.toml"
    text = CONFIG.replace('default_mechanism = "opt_in"\n', consent)
    path.write_text(text.replace("[board]\n", '[board]\nlanguage = "en"\n', 1), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'provisioner.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    fill_directory(sessions)
    fill_consents(sessions)
    return load_config(path), sessions


def test_locations_without_the_yearly_reminder_after_the_due_date(tmp_path: Path) -> None:
    from provisioner.privacy.consent_reminders import Reminder, record_reminder

    config, sessions = _consent_board(tmp_path, 'default_mechanism = "opt_in"\n')
    september = datetime(2026, 9, 30, 6, 0, tzinfo=UTC)
    assert gather(sessions, config, now=september).consent == []  # not due yet
    october = datetime(2026, 10, 2, 6, 0, tzinfo=UTC)
    (line,) = gather(sessions, config, now=october).consent
    assert "Yearly reminder for 2026-2027 not recorded by 01 October at: 07XY00, 07XY01" in line
    with sessions.begin() as session:
        record_reminder(session, Reminder("07XY00", "2026-2027", date(2026, 9, 12)),
                        actor="admin:test", source="command")  # fmt: skip
    (line,) = gather(sessions, config, now=october).consent
    assert line.split(" at: ")[1].startswith("07XY01 ")
    report = build_morning_report(gather(sessions, config, now=october))
    assert "consent reminder" in report.text and "Sanne" not in report.text
    with sessions.begin() as session:
        record_reminder(session, Reminder("07XY01", "2026-2027", date(2026, 10, 2)),
                        actor="admin:test", source="command")  # fmt: skip
    assert gather(sessions, config, now=october).consent == []
    # a new school year asks again
    assert gather(sessions, config, now=datetime(2027, 10, 5, tzinfo=UTC)).consent != []


def test_the_due_date_is_configurable(tmp_path: Path) -> None:
    config, sessions = _consent_board(
        tmp_path, 'default_mechanism = "opt_in"\nreminder_due = "11-15"\n'
    )
    assert gather(sessions, config, now=datetime(2026, 11, 1, tzinfo=UTC)).consent == []
    (line,) = gather(sessions, config, now=datetime(2026, 11, 16, tzinfo=UTC)).consent
    assert "by 15 November" in line


def test_consents_that_count_as_no_because_the_form_is_not_described(tmp_path: Path) -> None:
    config, sessions = _consent_board(tmp_path, "")  # an upgraded board: no default_mechanism
    lines = gather(sessions, config, now=datetime(2026, 9, 2, tzinfo=UTC)).consent
    (line,) = lines
    assert "'yes' answers do not say how consent was asked and count as no" in line
    assert "07XY00, 07XY01" in line and 'default_mechanism = "opt_in"' in line
    count = int(line.split(" ")[0])
    assert count > 100  # every granted answer of the 5b world
