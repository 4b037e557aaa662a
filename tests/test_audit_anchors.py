"""Audit anchors: each finished run's chain head published off the box, and
``provisioner audit verify --anchors`` finding what someone with database rights did to the
trail behind the chain's back, on SQLite and PostgreSQL. Every attack is raw SQL, with the
append-only triggers put out of the way and back as a careful DBA would; each one passes the
plain ``audit verify`` first, to show that only the anchors give it away."""

from __future__ import annotations

import hashlib
import json
import mailbox
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.audit.anchors import Anchor, publish_to, read_anchors, run_anchor
from provisioner.audit.service import record
from provisioner.config import AuditConfig, ReportConfig
from provisioner.report.morning import ReportFacts, build_morning_report, gather, send_by_email
from provisioner.store.tables import AuditEvent, AuditHead, SyncRun
from tests.board import make_board

GENESIS = "0" * 64
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
BOARD = "Stichting Test"
_INSERT = (
    "INSERT INTO audit_events (seq, at, actor, action, target, object_key, run_id, reason,"
    " change, prev_hash, hash) VALUES (:seq, :at, :actor, :action, :target, :object_key,"
    " :run_id, :reason, :change, :prev_hash, :hash)"
)


# -- a trail with anchors, as the engine leaves it ------------------------------------------------


def _runs(engine: Engine, anchor_file: Path, runs: int = 3, events: int = 4) -> list[Anchor]:
    """``runs`` runs of ``events`` events each, finished as the engine finishes one: the
    head recorded with the run and its anchor appended to ``anchor_file``."""
    sessions = sessionmaker(engine)
    published = []
    for number in range(runs):
        run_id, begin = f"run-{number}", T0 + timedelta(hours=number)
        with sessions() as session:
            session.add(SyncRun(id=run_id, started_at=begin, status="running", actor="cron"))
            for i in range(events):
                record(
                    session,
                    actor=f"sync:{run_id}",
                    action="account.create",
                    target="directory",
                    object_key=f"staff:{100 * number + i}",
                    run_id=run_id,
                    reason="new employee",
                    change={"username": f"u{number}{i}"},
                    at=begin + timedelta(minutes=i + 1),
                )
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.status, run.finished_at = "applied", begin + timedelta(minutes=30)
            head = session.get(AuditHead, 1)
            run.audit_head = head.last_hash if head else None
            anchor = run_anchor(run, head)
            session.commit()
        assert anchor is not None
        assert publish_to(sessions, AuditConfig(anchor_file=anchor_file), anchor, board=BOARD) == []
        published.append(anchor)
    return published


def _verify(db_url: str, tmp_path: Path, *anchor_files: Path) -> tuple[int, dict[str, Any]]:
    """``provisioner audit verify --json [--anchors F ...]`` through the command line."""
    args = ["audit", "verify", "-c", str(tmp_path / "absent.toml"), "--json"]
    for path in anchor_files:
        args += ["--anchors", str(path)]
    result = CliRunner().invoke(app, args, env={"PROVISIONER_DATABASE_URL": db_url})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, body


def _problems(body: dict[str, Any]) -> str:
    return "\n".join(body["problems"])


# -- what someone with database rights does ---------------------------------------------------


def _as_dba(engine: Engine, *statements: tuple[str, dict[str, Any]]) -> None:
    """Run ``statements`` around the append-only triggers, and put the triggers back."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            saved = list(
                conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master "
                        "WHERE type = 'trigger' AND tbl_name = 'audit_events'"
                    )
                )
            )
            for name, _ in saved:
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        for sql, params in statements:
            conn.execute(text(sql), params)
        if engine.dialect.name == "sqlite":
            for _, sql in saved:
                conn.execute(text(sql))
        else:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)))


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _documented_hash(row: Any) -> str:
    """The hash as the service's docstring specifies it, computed independently."""
    fields = [
        row.seq,
        _naive_utc(row.at).isoformat(timespec="microseconds"),
        row.actor,
        row.action,
        row.target,
        row.object_key,
        row.run_id,
        row.reason,
        row.change,
        row.prev_hash,
    ]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _event(engine: Engine, seq: int, prev_hash: str, at: datetime, **fields: Any) -> dict[str, Any]:
    """INSERT parameters of a well-formed forged event, its hash computed correctly."""
    values: dict[str, Any] = {
        "seq": seq,
        "at": _naive_utc(at),
        "actor": "chat:U999",
        "action": "account.disable",
        "target": "directory",
        "object_key": "staff:9999",
        "run_id": None,
        "reason": "requested by the director",
        "change": "{}",
        "prev_hash": prev_hash,
    } | fields
    values["hash"] = _documented_hash(SimpleNamespace(**values))
    naive: datetime = values["at"]
    if engine.dialect.name == "sqlite":  # the text SQLAlchemy stores for a DateTime
        values["at"] = naive.isoformat(sep=" ", timespec="microseconds")
    else:
        values["at"] = naive.replace(tzinfo=UTC)
    return values


def _rewrite_from(engine: Engine, first: int) -> None:
    """Change event ``first`` and re-hash it and every event after it, audit_head and the
    heads the runs recorded too: a chain as consistent as the real one."""
    rows = _rows(engine)
    prev = rows[first - 2].hash if first > 1 else GENESIS
    statements: list[tuple[str, dict[str, Any]]] = []
    renamed: dict[str, str] = {}
    for row in rows[first - 1 :]:
        reason = "left the school" if row.seq == first else row.reason
        fields = {c: getattr(row, c) for c in ("actor", "action", "target", "object_key")}
        forged = _event(
            engine, row.seq, prev, row.at, **fields, run_id=row.run_id, reason=reason,
            change=row.change,
        )  # fmt: skip
        statements.append(
            (
                "UPDATE audit_events SET reason = :reason, prev_hash = :prev_hash, hash = :hash"
                " WHERE seq = :seq",
                forged,
            )
        )
        renamed[row.hash] = prev = forged["hash"]
    statements.append(("UPDATE audit_head SET last_hash = :h", {"h": prev}))
    for old, new in renamed.items():
        statements.append(
            (
                "UPDATE sync_runs SET audit_head = :new WHERE audit_head = :old",
                {"new": new, "old": old},
            )
        )
    _as_dba(engine, *statements)


def _cut_after(engine: Engine, last: int) -> None:
    """Remove every event after ``last``, rewind audit_head, and drop the runs that recorded
    a head that is gone."""
    rows = _rows(engine)
    kept = rows[last - 1].hash
    gone = [row.hash for row in rows[last:]]
    _as_dba(
        engine,
        ("DELETE FROM audit_events WHERE seq > :last", {"last": last}),
        ("UPDATE audit_head SET last_seq = :last, last_hash = :h", {"last": last, "h": kept}),
        *(("DELETE FROM sync_runs WHERE audit_head = :h", {"h": h}) for h in gone),
    )


@pytest.fixture
def anchor_file(engine: Engine, tmp_path: Path) -> Path:
    """Three finished runs of four events each (heads 4, 8, 12); the file of their anchors."""
    path = tmp_path / "anchors.jsonl"
    _runs(engine, path)
    return path


def _append_forged(engine: Engine, at: datetime) -> None:
    """A forged event 13 after the last run's head, audit_head updated to it."""
    forged = _event(engine, 13, _rows(engine)[-1].hash, at)
    _as_dba(
        engine,
        (_INSERT, forged),
        ("UPDATE audit_head SET last_seq = 13, last_hash = :h", {"h": forged["hash"]}),
    )


# -- a clean trail --------------------------------------------------------------------------------


def test_a_clean_trail_passes_against_its_anchors(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    anchor_file = tmp_path / "anchors.jsonl"
    published = _runs(engine, anchor_file)
    lines = [json.loads(line) for line in anchor_file.read_text(encoding="utf-8").splitlines()]
    assert [(body["seq"], body["run_id"]) for body in lines] == [
        (4, "run-0"),
        (8, "run-1"),
        (12, "run-2"),
    ]
    assert [body["sha256"] for body in lines] == [r.hash for r in _rows(engine)[3::4]]
    assert {body["board"] for body in lines} == {BOARD}
    assert lines[2]["at"].startswith("2026-03-02T03:30:00")

    with sessionmaker(engine)() as session:  # the chat bot goes on after the last run
        record(session, actor="chat:U1", action="consent.record", object_key="pupil:1")
        session.commit()
    code, body = _verify(db_url, tmp_path, anchor_file)
    assert (code, body["ok"], body["checked"], body["anchors"]) == (0, True, 13, 3)
    assert body["problems"] == []
    assert "event 13 was written after the last anchor (event 12, the head" in body["notes"][0]

    # the same heads as the morning report writes them, in any text
    report = tmp_path / "pasted.txt"
    report.write_text(
        "".join(f"> Stichting Test, run {a.run_id}:\n>   {a.line}\n" for a in published),
        encoding="utf-8",
    )
    assert _verify(db_url, tmp_path, report)[0] == 0


# -- the attacks ----------------------------------------------------------------------------------


def test_a_consistent_rewrite_from_some_event_on_is_found(
    engine: Engine, db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    _rewrite_from(engine, 6)
    assert _verify(db_url, tmp_path)[0] == 0  # the chain alone cannot tell

    code, body = _verify(db_url, tmp_path, anchor_file)
    problems = _problems(body)
    assert code == 1 and not body["ok"]
    assert "event 8 is not the event of the head published by run run-1 on" in problems
    assert "rewritten or replaced between event 5 and event 8" in problems
    assert "event 12 is not the event of" in problems
    assert "event 4 is not" not in problems  # the anchor before the rewrite still holds
    assert "run run-1 records head" in problems and "the run's record was changed" in problems


def test_a_tail_cut_with_the_head_rewound_is_found(
    engine: Engine, db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    _cut_after(engine, 6)
    assert _verify(db_url, tmp_path)[0] == 0

    code, body = _verify(db_url, tmp_path, anchor_file)
    problems = _problems(body)
    assert code == 1
    assert (
        "audit_head says event 6 was written last, but event 12 is the head published by run "
        "run-2 on 2026-03-02 03:30 UTC (anchors.jsonl line 3): the end of the trail was cut and "
        "audit_head rewound"
    ) in problems
    assert "event 8, the head published by run run-1 on" in problems
    assert "(and the 1 published after it), is no longer in the trail" in problems
    assert "run run-1, which published event 8 as its head" in problems
    assert "(sync_runs): its record was removed" in problems


def test_a_wiped_trail_is_found(
    engine: Engine, db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    reset = ("UPDATE audit_head SET last_seq = 0, last_hash = :g", {"g": GENESIS})
    if engine.dialect.name == "postgresql":
        # TRUNCATE fires no row trigger: no need even to touch the append-only trigger
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_events"))
            conn.execute(text(reset[0]), reset[1])
            conn.execute(text("DELETE FROM sync_runs"))
    else:
        _as_dba(engine, ("DELETE FROM audit_events", {}), reset, ("DELETE FROM sync_runs", {}))
    assert _verify(db_url, tmp_path)[:1] == (0,)

    code, body = _verify(db_url, tmp_path, anchor_file)
    assert code == 1 and body["checked"] == 0
    assert body["problems"][0] == (
        "the trail is empty, but 3 anchors were published, the last at event 12, the head "
        "published by run run-2 on 2026-03-02 03:30 UTC (anchors.jsonl line 3): the trail was "
        "wiped"
    )


def test_forged_events_appended_over_a_cut_with_the_head_updated_are_found(
    engine: Engine, db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    rows = _rows(engine)
    # Events 11 and 12 go; three forged ones take their place and one more, the head follows.
    prev, statements = rows[9].hash, []
    for seq in (11, 12, 13):
        forged = _event(engine, seq, prev, T0 + timedelta(hours=2, minutes=seq))
        statements.append((_INSERT, forged))
        prev = forged["hash"]
        if seq == 12:  # and run-2 now "saw" the forged head
            statements.append(
                ("UPDATE sync_runs SET audit_head = :h WHERE id = 'run-2'", {"h": prev})
            )
    _as_dba(
        engine,
        ("DELETE FROM audit_events WHERE seq > 10", {}),
        *statements,
        ("UPDATE audit_head SET last_seq = 13, last_hash = :h", {"h": prev}),
    )
    assert _verify(db_url, tmp_path)[0] == 0

    code, body = _verify(db_url, tmp_path, anchor_file)
    problems = _problems(body)
    assert code == 1
    assert "event 12 is not the event of the head published by run run-2" in problems
    assert "between event 9 and event 12" in problems


def test_a_forged_event_appended_after_the_last_anchor_but_dated_before_it_is_found(
    engine: Engine, db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    # "the account was disabled on request, two hours before the last run"
    _append_forged(engine, T0 + timedelta(minutes=90))
    assert _verify(db_url, tmp_path)[0] == 0

    code, body = _verify(db_url, tmp_path, anchor_file)
    assert code == 1
    assert body["problems"] == [
        "event 13 (account.disable) is dated 2026-03-02 02:30 UTC, yet comes after event 12, "
        "the head published by run run-2 on 2026-03-02 03:30 UTC (anchors.jsonl line 3): it "
        "was appended later with an earlier date"
    ]


def test_a_forged_event_dated_after_the_last_anchor_cannot_be_told_and_is_said_so(
    engine: Engine, db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    """The documented limit: an anchor covers what came before it, not what comes after."""
    _append_forged(engine, T0 + timedelta(hours=5))
    code, body = _verify(db_url, tmp_path, anchor_file)
    assert code == 0
    assert body["notes"] == [
        "event 13 was written after the last anchor (event 12, the head published by run "
        "run-2 on 2026-03-02 03:30 UTC (anchors.jsonl line 3)): an anchor covers only what "
        "came before it, so a forged event there dated after that anchor cannot be told from a "
        "real one"
    ]


def test_a_breach_notification_recorded_late_is_a_note_not_a_finding(
    engine: Engine, db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    with sessionmaker(engine)() as session:  # `breach notified --at` a day back
        record(
            session,
            actor="cli:fg",
            action="breach.notified",
            object_key="2026-001",
            at=T0 - timedelta(days=1),
        )
        session.commit()
    code, body = _verify(db_url, tmp_path, anchor_file)
    assert code == 0
    assert "event 13 (breach.notified) is dated 2026-03-01 01:00 UTC" in body["notes"][0]
    assert "recorded late, with a time given by hand" in body["notes"][0]


def test_anchors_that_disagree_are_a_finding(
    db_url: str, tmp_path: Path, anchor_file: Path
) -> None:
    other = tmp_path / "other.txt"
    other.write_text(f"Audit anchor: seq 8, sha256 {'ab' * 32}\n", encoding="utf-8")
    code, body = _verify(db_url, tmp_path, anchor_file, other)
    problems = _problems(body)
    assert code == 1 and body["anchors"] == 4
    assert "the anchors disagree about event 8" in problems
    assert "other.txt line 1" in problems


@pytest.mark.parametrize("attack", ["drop", "disable", "replace"])
def test_missing_append_only_triggers_fail_verify_with_and_without_anchors(
    engine: Engine, db_url: str, tmp_path: Path, attack: str
) -> None:
    anchor_file = tmp_path / "anchors.jsonl"
    _runs(engine, anchor_file, runs=1)
    assert _verify(db_url, tmp_path, anchor_file)[0] == 0
    sqlite = {
        "drop": ["DROP TRIGGER audit_events_no_update"],
        "disable": ["DROP TRIGGER audit_events_no_delete"],  # SQLite cannot disable one
        "replace": [
            "DROP TRIGGER audit_events_no_update",
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            "BEGIN SELECT 1; END",
        ],
    }
    postgresql = {
        "drop": ["DROP TRIGGER audit_events_append_only ON audit_events"],
        "disable": ["ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"],
        "replace": [
            "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN COALESCE(NEW, OLD); END $$"
        ],
    }
    with engine.begin() as conn:
        for statement in (sqlite if engine.dialect.name == "sqlite" else postgresql)[attack]:
            conn.execute(text(statement))
    how = {"drop": "is missing", "disable": "is disabled", "replace": "was replaced by one"}[attack]
    if engine.dialect.name == "sqlite" and attack == "disable":
        how = "audit_events_no_delete is missing: DELETE"
    for files in ((), (anchor_file,)):
        code, body = _verify(db_url, tmp_path, *files)
        assert code == 1, body
        assert how in _problems(body)
        assert "of audit events is no longer refused" in _problems(body)


# -- reading anchors back -------------------------------------------------------------------------


class _RawInbox:
    """An SMTP server keeping each message as it was delivered (transfer-encoded)."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(bytes(envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_heads_from_the_report_mailbox_are_read_and_checked(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    published = _runs(engine, tmp_path / "anchors.jsonl")
    inbox, port = _RawInbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = ReportConfig(
            email_to=["ict@bestuur.example"], smtp_host="127.0.0.1", smtp_port=port,
            smtp_security="none",
        )  # fmt: skip
        for anchor in published:
            facts = ReportFacts(
                board="Stichting Één", run_id=anchor.run_id, status="applied",
                audit_anchor=anchor.line,
            )  # fmt: skip
            report = build_morning_report(facts)
            assert report.text.endswith(anchor.line + "\n")
            assert report.blocks[-1]["elements"][0]["text"] == anchor.line
            send_by_email(report, settings)
    finally:
        controller.stop()
    assert len(inbox.raw) == 3
    export = mailbox.mbox(tmp_path / "reports.mbox")
    for raw in inbox.raw:
        export.add(message_from_bytes(raw))
    export.close()
    raw_export = (tmp_path / "reports.mbox").read_bytes()
    assert published[0].line.encode() not in raw_export  # encoded: a plain search misses it
    eml = tmp_path / "one.eml"
    eml.write_bytes(inbox.raw[1])

    anchors, notes = read_anchors([tmp_path / "reports.mbox", eml])
    assert [(a.seq, a.sha256) for a in anchors] == [(a.seq, a.sha256) for a in published]
    assert notes == []
    assert "reports.mbox message 1" in anchors[0].origin
    assert _verify(db_url, tmp_path, tmp_path / "reports.mbox")[0] == 0

    slack = tmp_path / "slack-export.json"
    slack.write_text(json.dumps([{"text": f"run report\n{a.line}"} for a in published]))
    assert len(read_anchors([slack])[0]) == 3

    _rewrite_from(engine, 10)
    code, body = _verify(db_url, tmp_path, tmp_path / "reports.mbox", eml)
    assert code == 1
    assert "event 12 is not the event of the head published (reports.mbox message 3" in (
        _problems(body)
    )


def test_an_unreadable_or_empty_anchor_file_exits_3(db_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here\n", encoding="utf-8")
    code, body = _verify(db_url, tmp_path, empty)
    assert code == 3 and "holds no audit anchors" in body["error"]
    code, body = _verify(db_url, tmp_path, tmp_path / "missing.jsonl")
    assert code == 3 and "cannot be read" in body["error"]


def test_the_anchor_file_is_only_appended_to_and_a_failure_lands_in_the_run(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "anchors.jsonl"
    path.write_bytes(b'{"seq":1,"sha256":"ab')  # a line a crash left unfinished
    sessions = sessionmaker(engine)
    anchor = Anchor(0, GENESIS, "r1", T0)
    assert publish_to(sessions, AuditConfig(anchor_file=path), anchor, board=BOARD) == []
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"seq":1,"sha256":"ab' and json.loads(lines[1])["run_id"] == "r1"
    assert read_anchors([path])[1] == ["anchors.jsonl line 1 is no readable anchor; skipped"]

    with sessions() as session:
        session.add(SyncRun(id="r1", started_at=T0, status="applied", actor="cron"))
        session.commit()
    nowhere = AuditConfig(anchor_file=tmp_path / "no-such-mount" / "anchors.jsonl")
    [failure] = publish_to(sessions, nowhere, anchor, board=BOARD)
    assert failure.startswith("the audit anchor (event 0) could not be appended to ")
    with sessions() as session:
        run = session.get(SyncRun, "r1")
        assert run is not None and run.problems == [failure]


# -- publishing from a real run ----------------------------------------------------------------


class _Collector(BaseHTTPRequestHandler):
    """An anchor collector: keeps each POSTed body, answers ``status``."""

    bodies: ClassVar[list[bytes]]
    status: ClassVar[int]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[type[_Collector], int]]:
    handler = type("Collector", (_Collector,), {"bodies": [], "status": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_each_finished_run_publishes_its_head_and_a_failure_is_reported_not_fatal(
    tmp_path: Path, collector: tuple[type[_Collector], int]
) -> None:
    handler, port = collector
    board = make_board(
        tmp_path,
        staff=24,
        pupils=60,
        extra_config=(
            f'[audit]\nanchor_file = "anchors.jsonl"\nanchor_url = "http://127.0.0.1:{port}/a"'
        ),
    )
    first = board.sync()
    assert first.status == "applied" and first.problems == []
    sessions = board.sessions()
    seq, sha = _head(sessions)
    lines = (tmp_path / "anchors.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and handler.bodies == [lines[0].encode()]
    published = json.loads(lines[0])
    assert published.pop("at") is not None
    assert published == {
        "seq": seq, "sha256": sha, "run_id": first.run_id, "board": board.config.board.name,
    }  # fmt: skip

    report = build_morning_report(gather(sessions, board.config, run_id=first.run_id))
    assert f"Audit anchor: seq {seq}, sha256 {sha}" in report.text
    (tmp_path / "report.txt").write_text(report.text, encoding="utf-8")
    verified = CliRunner().invoke(
        app,
        ["audit", "verify", "-c", str(board.config_path), "--anchors",
         str(tmp_path / "anchors.jsonl"), "--anchors", str(tmp_path / "report.txt")],
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output
    assert "against 1 published heads" in verified.output

    handler.status = 500  # the collector breaks: the run goes on and says so
    second = board.sync()
    assert second.status == "applied" and second.exit_code() == 0
    assert [p for p in second.problems if "audit anchor" in p] == [
        f"the audit anchor (event {_head(sessions)[0]}) could not be sent: "
        "127.0.0.1 answered HTTP 500"
    ]
    with sessions() as session:
        run = session.get(SyncRun, second.run_id)
        assert run is not None and any("answered HTTP 500" in p for p in run.problems)
    assert len((tmp_path / "anchors.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def _head(sessions: sessionmaker[Any]) -> tuple[int, str]:
    with sessions() as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        return head.last_seq, head.last_hash
