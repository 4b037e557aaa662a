"""``provisioner report checklist``: the figures of the privacy checklist match the runs, tasks,
reminders, breaches and agreements that produced them.

The runs are real syncs of a small generated board on the reference directory. An account is
disabled at the moment the journal records it applied (the real clock), so the board is
generated for today and the leavers' last working days lie a known number of days before
today: the gaps (1, 3 and 10 days) are known whatever day the suite runs. In the first days
of a school year some of those days fall in the previous year; the expectations keep only
the days of the year the report is about.
"""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from connectors.reference.target import ReferenceTarget
from provisioner.app.cli import app
from provisioner.app.demo.generator import generate_board
from provisioner.app.wiring import build_sources, target_settings
from provisioner.errors import RejectedError
from provisioner.execution.engine import Engine, SyncRequest, today_in_amsterdam
from provisioner.privacy.breach import AMSTERDAM, BreachFacts
from provisioner.privacy.breaches import BreachRegister
from provisioner.privacy.consent_reminders import school_year_of
from provisioner.store.tables import AuditEvent, AuditHead
from provisioner.targets import AccountSpec
from provisioner.tasks import ManualTasks
from tests.board import Board

runner = CliRunner()

AGREEMENTS = """
[processing.agreements.hr]
processor = "Visma Raet"
signed_on = 2020-01-15

[processing.agreements.directory]
processor = "Reference Directory B.V."
"""


class _RefusingDisable(ReferenceTarget):
    """The reference directory, refusing to disable one person's account."""

    def __init__(self, path: Path, refused: str) -> None:
        super().__init__("directory", path)
        self.refused = refused

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        if not enabled and self.accounts[remote_id].key == self.refused:
            raise RejectedError("the directory refused to disable this account")
        super().set_enabled(remote_id, enabled)


def _without_agreements(text: str) -> str:
    """The generated configuration without its own [processing.agreements.*] tables."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.startswith("[processing.agreements.")
        if not skipping:
            kept.append(line)
    return "".join(kept)


def _board(folder: Path, db_url: str, today: date, language: str = "en") -> Board:
    config_path = generate_board(folder, today=today, staff=40, pupils=60)
    text = _without_agreements(config_path.read_text(encoding="utf-8"))
    text = text.replace("[board]\n", f'[board]\nlanguage = "{language}"\n', 1)
    config_path.write_text(AGREEMENTS + "\n" + text, encoding="utf-8")
    return Board(folder, config_path, db_url)


def _cli(board: Board, *args: str) -> Any:
    env = {"PROVISIONER_DATABASE_URL": board.db_url, "PROVISIONER_LANGUAGE": "en"}
    return runner.invoke(app, [*args, "-c", str(board.config_path)], env=env)


def _sync(board: Board, today: date) -> str:
    result = _cli(board, "sync", "--as-of", today.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    run_id: str = json.loads(result.stdout)["run_id"]
    return run_id


def _sync_refusing(board: Board, today: date, refused: str) -> str:
    config = board.config
    target = _RefusingDisable(board.directory, refused)
    try:
        engine = Engine(
            config, board.sessions(), build_sources(config), [target],
            target_settings=target_settings(config),
        )  # fmt: skip
        report = engine.sync(SyncRequest(today=today))
    finally:
        target.close()
    assert report.status == "partial", report.status
    return report.run_id


def _leave(board: Board, number: str, last_day: date) -> None:
    def end(row: dict[str, str]) -> dict[str, str]:
        return row | {"end_date": last_day.isoformat()}

    board.edit_hr(number, end)


def _checklist(board: Board, *args: str) -> dict[str, Any]:
    result = _cli(board, "report", "checklist", "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _line(data: dict[str, Any], number: int) -> dict[str, Any]:
    line: dict[str, Any] = next(x for x in data["lines"] if x["number"] == number)
    return line


def test_the_figures_match_the_runs_tasks_and_registers_that_produced_them(
    tmp_path: Path, db_url: str
) -> None:
    today = today_in_amsterdam()
    board = _board(tmp_path, db_url, today)
    config = board.config
    year = school_year_of(config, today)

    def in_year(day: date) -> bool:
        return school_year_of(config, day) == year

    first_run = _sync(board, today)
    a, b, c, d = board.ordinary_teachers()[:4]

    # someone adds an account by hand to a group the provisioner manages: drift
    by_hand = board.target()
    group = next(g for g in by_hand.groups.values() if g.key and g.members)
    stranger = by_hand.seed_account(
        AccountSpec("", "stranger", "Stranger by hand", "Stranger", "Hand", True)
    )
    by_hand.seed_group_member(group.remote_id, stranger)
    by_hand.close()

    # two leavers: one the day before (on time), one three days back (late)
    _leave(board, a, today - timedelta(days=1))
    _leave(board, b, today - timedelta(days=3))
    second_run = _sync(board, today)
    assert second_run != first_run

    # a back-dated leaver (ten days) and one whose account the directory refuses to disable
    _leave(board, c, today - timedelta(days=10))
    _leave(board, d, today - timedelta(days=2))
    third_run = _sync_refusing(board, today, f"staff:{d}")

    gaps = {a: (1, second_run), b: (3, second_run), c: (10, third_run)}
    counted = {n: g for n, g in gaps.items() if in_year(today - timedelta(days=g[0]))}
    failed_counted = in_year(today - timedelta(days=2))

    data = _checklist(board, "--on", today.isoformat())
    assert data["school_year"] == year and data["language"] == "en"
    [network] = [p for p in _line(data, 9)["parts"] if p["title"] == "Accounts in directory"]
    numbers = network["numbers"]
    assert numbers["leavers"] == len(counted) + (1 if failed_counted else 0)
    assert numbers["disabled"] == len(counted)
    days = [g for g, _ in counted.values()]
    assert numbers["median_days"] == (statistics.median(days) if days else None)
    assert numbers["worst_days"] == (max(days) if days else None)
    late = {(f"staff:{n}", g, run) for n, (g, run) in counted.items() if g > 1}
    assert {(x["person"], x["days"], x["run"]) for x in numbers["late"]} == late
    if failed_counted:
        assert numbers["not_disabled"] == [{"person": f"staff:{d}", "failed_runs": [third_run]}]
        assert f"staff:{d}: not disabled; failed in run {third_run}." in network["exceptions"]
    if counted == gaps:  # the usual case: every leaver in this school year
        assert numbers["median_days"] == 3 and numbers["worst_days"] == 10
        assert network["figures"][1].startswith(
            "From the last working day to disabled: median 3 days, worst 10 days"
        )
        assert network["exceptions"][:2] == [
            f"staff:{c}: disabled 10 days after the last working day (run {third_run}).",
            f"staff:{b}: disabled 3 days after the last working day (run {second_run}).",
        ]
    assert _line(data, 9)["verdict"] == ("not_ok" if late or failed_counted else "ok")

    # no SIS staff target and no Microsoft 365 target: nothing to evidence there
    assert _line(data, 8)["verdict"] == "no_evidence"
    assert _line(data, 10)["verdict"] == "no_evidence"

    # the document hierarchy: three full runs reached the directory, one repair of drift
    [hierarchy] = _line(data, 19)["parts"]
    assert hierarchy["numbers"] == {"runs": 3, "repaired": 1, "failed": 0, "failed_runs": []}
    assert _line(data, 19)["verdict"] == "ok"

    # processor agreements: hr signed; directory not signed; sis and consent missing
    [agreements] = _line(data, 11)["parts"]
    assert agreements["numbers"] == {"systems": 4, "present": 1, "missing": ["sis", "consent"]}
    assert "hr (hr-csv): Visma Raet, signed on 15 January 2020." in agreements["figures"]
    assert (
        "directory (reference): the agreement with Reference Directory B.V. is not signed."
        in agreements["exceptions"]
    )
    assert _line(data, 11)["verdict"] == "not_ok"

    # every other line is for the school, with its paragraph
    school = [x for x in data["lines"] if x["verdict"] == "school"]
    assert len(school) == 18 and data["counts"]["school"] == 18
    assert _line(data, 26)["paragraph"] == "§14" and _line(data, 14)["verdict"] == "school"

    # the report was built from the store's head; --json writes nothing and records nothing
    with board.sessions()() as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        assert data["audit_head"] == {"seq": head.last_seq, "sha256": head.last_hash}
    assert data["files"] == {}


def test_tasks_reminders_and_breach_deadlines_are_counted_n_of_n(
    tmp_path: Path, db_url: str
) -> None:
    today = today_in_amsterdam()
    board = _board(tmp_path, db_url, today)
    config = board.config
    _sync(board, today)
    sessions = board.sessions()
    tasks = ManualTasks(sessions)

    def task(kind: str, system: str, due: date, person: str | None = "staff:100020") -> int:
        return tasks.open(
            kind=kind, system=system, title="t", instructions="i", assignee="central_office",
            origin="chat:U1", actor="chat:U1", person_key=person, due_on=due,
        ).id  # fmt: skip

    # portals without an API: due today and done (on time), due two days ago and done today
    # (two days late), due yesterday and open (overdue), due in five days (open, in time)
    on_time = task("portal_access", "mijn-vensters", today)
    late = task("portal_access", "schooldossier-inspectie", today - timedelta(days=2))
    overdue = task("portal_access", "mijn-vensters", today - timedelta(days=1), "staff:100021")
    waiting = task("portal_access", "mijn-vensters", today + timedelta(days=5), "staff:100022")
    tasks.complete(on_time, actor="chat:U2")
    tasks.complete(late, actor="chat:U2")
    # retention: a pupil file due yesterday and done today (late); camera footage due later
    pupil_file = task("retention_pupil_file", "parnassys", today - timedelta(days=1), None)
    tasks.complete(pupil_file, actor="chat:U3")
    task("retention_camera", "nvr", today + timedelta(days=3), None)

    # the yearly reminder, at one of the locations
    first, *others = [loc.brin6 for loc in config.locations]
    result = _cli(board, "consent", "reminder", "--location", first, "--sent-on", today.isoformat())
    assert result.exit_code == 0, result.output

    # breaches discovered early today: the FG told at once (two) or 30 hours on (late by 6);
    # the AP told 80 hours on (late by 8), or not yet and not yet due (not judged)
    register = BreachRegister(sessions)
    start = datetime.combine(today, time(0, 30), tzinfo=AMSTERDAM)

    def breach(told_officer: bool, authority: bool, offset: int) -> str:
        found = start + timedelta(minutes=offset)
        facts = BreachFacts(
            narrative="<b>laptop</b> met cijfers gestolen", kind="stolen_device",
            data_categories=("learning_results",), subjects_are_children=True,
            encrypted=False, discovered_at=found,
        )  # fmt: skip
        entry = register.report(
            facts, reporter="chat:U1", now=found, privacy_officer_told=told_officer
        )
        register.correct(
            entry.id, actor="chat:FG", decision={"notify_authority": authority},
            reason="decided", now=found + timedelta(hours=1),
        )  # fmt: skip
        return entry.id

    b1 = breach(True, True, 0)
    register.mark_notified(b1, party="authority", at=start + timedelta(hours=80), actor="chat:FG")
    b2 = breach(False, False, 10)
    register.mark_notified(
        b2, party="privacy_officer", at=start + timedelta(minutes=10, hours=30), actor="chat:FG"
    )
    breach(True, True, 20)  # the AP not told yet: due in three days

    data = _checklist(board, "--on", today.isoformat())

    [portals] = [p for p in _line(data, 9)["parts"] if p["title"].startswith("Manual tasks")]
    due = {on_time: today, late: today - timedelta(days=2), overdue: today - timedelta(days=1),
           waiting: today + timedelta(days=5)}  # fmt: skip
    year = school_year_of(config, today)
    counted = {t for t, day in due.items() if school_year_of(config, day) == year}
    assert portals["numbers"] == {
        "tasks": len(counted),
        "done_on_time": 1,
        "done_late": [late] if late in counted else [],
        "open_overdue": [overdue] if overdue in counted else [],
        "open": len(counted & {overdue, waiting}),
    }
    if late in counted:
        assert (
            f"Task {late} (schooldossier-inspectie, staff:100020; chat:U1): done 2 days late."
            in portals["exceptions"]
        )

    retention = {p["title"]: p["numbers"] for p in _line(data, 6)["parts"]}
    assert retention["Retention tasks: camera"]["open_overdue"] == []
    if school_year_of(config, today - timedelta(days=1)) == year:
        assert retention["Retention tasks: pupil_file"]["done_late"] == [pupil_file]
    assert _line(data, 7)["parts"] == _line(data, 6)["parts"]

    [_, reminders] = _line(data, 12)["parts"]
    assert reminders["numbers"]["sent"] == 1 and reminders["numbers"]["missing"] == others
    due_day = date.fromisoformat(reminders["numbers"]["due"])
    assert reminders["verdict"] == ("not_ok" if today >= due_day else "no_evidence")

    [breaches] = _line(data, 27)["parts"]
    assert breaches["numbers"] == {
        "breaches": 3,
        "privacy_officer": {"met": 2, "of": 3},
        "authority": {"met": 0, "of": 1},
    }
    assert breaches["figures"][1] == "Reported to the FG within 24 hours: 2 of 3."
    assert f"{b2}: the FG told 6 hours late." in breaches["exceptions"]
    assert f"{b1}: the AP told 8 hours late." in breaches["exceptions"]
    assert _line(data, 27)["verdict"] == "not_ok"
    text = json.dumps(data)
    assert "laptop" not in text  # the breach's story stays in the register


def test_files_are_recorded_in_the_trail_with_their_hash_and_the_head_they_were_built_from(
    tmp_path: Path, sqlite_url: str
) -> None:
    import hashlib

    today = today_in_amsterdam()
    board = _board(tmp_path / "board", sqlite_url, today)
    _sync(board, today)
    with board.sessions()() as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        seq, sha = head.last_seq, head.last_hash
    html = tmp_path / "checklist.html"
    result = _cli(board, "report", "checklist", "--html", str(html))
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert f"Audit anchor: seq {seq}, sha256 {sha}" in page
    with board.sessions()() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "checklist.built")
        ).one()
    assert event.seq == seq + 1 and event.prev_hash == sha
    change = json.loads(event.change)
    assert change["audit_head"] == {"seq": seq, "sha256": sha}
    assert change["files"] == {"checklist.html": hashlib.sha256(html.read_bytes()).hexdigest()}
    # the page holds the anchor line, so the trail can be checked against it
    verify = _cli(board, "audit", "verify", "--anchors", str(html), "--json")
    assert verify.exit_code == 0, verify.output
    assert json.loads(verify.stdout)["anchors"] == 1
