"""The audit trail: append, verify (tampering is found), redaction and show, on both databases."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import sessionmaker

from provisioner.audit.service import AuditInput, record, record_many, show, verify
from provisioner.store.tables import AuditEvent, AuditHead, SyncRun

GENESIS = "0" * 64
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _documented_hash(row: Any) -> str:
    """The hash as the module docstring specifies it, computed independently."""
    at = _naive_utc(row.at)
    fields = [
        row.seq,
        at.isoformat(timespec="microseconds"),
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


def _fill(engine: Engine, count: int = 5) -> None:
    with sessionmaker(engine)() as session:
        for i in range(1, count + 1):
            record(
                session,
                actor="sync:run-1",
                action="account.create",
                target="entra",
                object_key=f"staff:{1000 + i}",
                run_id="run-1",
                reason=f"new employee {i}",
                change={"username": f"user{i}", "groups": ["teachers"]},
                at=T0 + timedelta(minutes=i),
            )
        session.commit()


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)))


def _tamper(engine: Engine, *statements: tuple[str, dict[str, Any]]) -> None:
    """Run ``statements`` around the append-only triggers, as a DBA could."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        for sql, params in statements:
            conn.execute(text(sql), params)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def _verify(engine: Engine) -> tuple[bool, int, str]:
    with sessionmaker(engine)() as session:
        result = verify(session)
    return result.ok, result.checked, "\n".join(result.problems)


_INSERT = (
    "INSERT INTO audit_events (seq, at, actor, action, target, object_key, run_id, reason,"
    " change, prev_hash, hash) VALUES (:seq, :at, :actor, :action, :target, :object_key,"
    " :run_id, :reason, :change, :prev_hash, :hash)"
)


def _forged(engine: Engine, seq: int, prev_hash: str, **overrides: Any) -> dict[str, Any]:
    """Parameters for a forged event, with a correctly computed hash of its own."""
    values: dict[str, Any] = {
        "seq": seq,
        "at": datetime(2026, 3, 2, 1, 33, 30),
        "actor": "chat:U999",
        "action": "account.disable",
        "target": "entra",
        "object_key": "staff:9999",
        "run_id": None,
        "reason": "forged",
        "change": "{}",
        "prev_hash": prev_hash,
    } | overrides
    values["hash"] = _documented_hash(SimpleNamespace(**values))
    naive_utc: datetime = values["at"]
    if engine.dialect.name == "sqlite":  # the text SQLAlchemy stores for a DateTime
        values["at"] = naive_utc.isoformat(sep=" ", timespec="microseconds")
    else:
        values["at"] = naive_utc.replace(tzinfo=UTC)
    return values


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def test_an_empty_trail_verifies(engine: Engine) -> None:
    assert _verify(engine) == (True, 0, "")


def test_a_chain_of_events_verifies_and_links_up(engine: Engine) -> None:
    _fill(engine, 5)
    rows = _rows(engine)
    assert [row.seq for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    assert all(_documented_hash(row) == row.hash for row in rows)
    with engine.connect() as conn:
        head = conn.execute(text("SELECT last_seq, last_hash FROM audit_head")).one()
    assert tuple(head) == (5, rows[-1].hash)
    assert _verify(engine) == (True, 5, "")


def test_record_leaves_the_commit_to_the_caller(engine: Engine) -> None:
    with sessionmaker(engine)() as session:
        record(session, actor="chat:U123", action="offboard.request", object_key="staff:1")
        session.rollback()
    assert _rows(engine) == []
    assert _verify(engine) == (True, 0, "")

    with sessionmaker(engine)() as session:
        session.add(SyncRun(id="r1", started_at=T0, status="running", actor="cron"))
        event = record(session, actor="sync:r1", action="run.start", run_id="r1")
        assert event.seq == 1
        session.commit()
    assert len(_rows(engine)) == 1
    assert _verify(engine) == (True, 1, "")


def test_a_non_utc_time_is_stored_as_utc_and_hashes_the_same_after_reading(
    engine: Engine,
) -> None:
    if engine.dialect.name == "postgresql":
        # A board's server in Amsterdam hands timestamps back as +01:00/+02:00.
        @event.listens_for(engine, "connect")
        def _amsterdam(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'Europe/Amsterdam'")
            dbapi_connection.commit()

    amsterdam = timezone(timedelta(hours=2))
    with sessionmaker(engine)() as session:
        record(
            session,
            actor="chat:U123",
            action="consent.record",
            change={"é": "ü", "n": 1},
            at=datetime(2026, 6, 1, 9, 0, 0, 123456, tzinfo=amsterdam),
        )
        session.commit()
    (row,) = _rows(engine)
    if engine.dialect.name == "postgresql":
        assert row.at.utcoffset() == timedelta(hours=2)
    assert _naive_utc(row.at) == datetime(2026, 6, 1, 7, 0, 0, 123456)
    assert row.change == '{"n":1,"é":"ü"}'
    assert _documented_hash(row) == row.hash
    assert _verify(engine) == (True, 1, "")


def test_an_edited_row_fails_verification(engine: Engine) -> None:
    _fill(engine, 5)
    _tamper(engine, ("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 3", {}))
    ok, checked, problems = _verify(engine)
    assert not ok
    assert checked == 5
    assert "event 3 was changed after it was written (hash mismatch)" in problems


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(engine: Engine) -> None:
    _fill(engine, 5)
    row = _rows(engine)[2]
    # Whoever edits event 3 also recomputes its hash; only event 4's link gives it away.
    forged = _forged(
        engine,
        3,
        row.prev_hash,
        at=_naive_utc(row.at),
        actor="chat:U999",
        action=row.action,
        target=row.target,
        object_key=row.object_key,
        run_id=row.run_id,
        reason="nothing to see",
        change=row.change,
    )
    _tamper(
        engine,
        (
            "UPDATE audit_events SET reason = :reason, actor = :actor, hash = :hash WHERE seq = 3",
            forged,
        ),
    )
    ok, _, problems = _verify(engine)
    assert not ok
    assert problems == (
        "event 4 does not follow event 3 (prev_hash mismatch): an event was inserted, "
        "removed or rewritten there"
    )


def test_a_deleted_middle_row_fails_verification(engine: Engine) -> None:
    _fill(engine, 5)
    _tamper(engine, ("DELETE FROM audit_events WHERE seq = 3", {}))
    ok, checked, problems = _verify(engine)
    assert not ok
    assert checked == 4
    assert "event 3 is missing" in problems


def test_an_inserted_row_fails_verification(engine: Engine) -> None:
    _fill(engine, 5)
    rows = _rows(engine)
    # Make room after event 2 and slip a well-formed event in.
    _tamper(
        engine,
        ("UPDATE audit_events SET seq = seq + 100 WHERE seq >= 3", {}),
        ("UPDATE audit_events SET seq = seq - 99 WHERE seq >= 100", {}),
        (_INSERT, _forged(engine, 3, rows[1].hash)),
        ("UPDATE audit_head SET last_seq = 6", {}),
    )
    ok, checked, problems = _verify(engine)
    assert not ok
    assert checked == 6
    assert "event 4 does not follow event 3" in problems


def test_a_row_added_at_the_end_behind_the_services_back_fails(engine: Engine) -> None:
    _fill(engine, 3)
    rows = _rows(engine)
    _tamper(engine, (_INSERT, _forged(engine, 4, rows[-1].hash)))
    ok, _, problems = _verify(engine)
    assert not ok
    assert "audit_head says event 3 was written last" in problems


def test_a_deleted_last_row_fails_verification(engine: Engine) -> None:
    _fill(engine, 5)
    _tamper(engine, ("DELETE FROM audit_events WHERE seq = 5", {}))
    ok, checked, problems = _verify(engine)
    assert not ok
    assert checked == 4
    assert "the trail ends at event 4, but audit_head says event 5 was written last" in problems


def test_a_run_head_missing_from_the_chain_fails_verification(engine: Engine) -> None:
    _fill(engine, 3)
    rows = _rows(engine)
    with sessionmaker(engine)() as session:
        session.add_all(
            [
                SyncRun(
                    id="r-early", started_at=T0, status="applied", actor="x", audit_head=GENESIS
                ),
                SyncRun(id="r-none", started_at=T0, status="failed", actor="x", audit_head=None),
                SyncRun(
                    id="r-1", started_at=T0, status="applied", actor="x", audit_head=rows[1].hash
                ),
            ]
        )
        session.commit()
    assert _verify(engine) == (True, 3, "")

    # A careful forger rewrites event 2 and re-hashes everything after it, audit_head too:
    # the chain is consistent again, but run r-1's recorded head is gone.
    prev = rows[0].hash
    statements: list[tuple[str, dict[str, Any]]] = []
    new_hash = ""
    for row in rows[1:]:
        forged = _forged(
            engine,
            row.seq,
            prev,
            at=_naive_utc(row.at),
            actor=row.actor,
            action=row.action,
            target=row.target,
            object_key=row.object_key,
            run_id=row.run_id,
            reason="rewritten" if row.seq == 2 else row.reason,
            change=row.change,
        )
        statements.append(
            (
                "UPDATE audit_events SET reason = :reason, prev_hash = :prev_hash, hash = :hash"
                " WHERE seq = :seq",
                forged,
            )
        )
        prev = new_hash = forged["hash"]
    statements.append(("UPDATE audit_head SET last_hash = :h", {"h": new_hash}))
    _tamper(engine, *statements)

    ok, _, problems = _verify(engine)
    assert not ok
    assert f"run r-1 recorded audit head {rows[1].hash[:12]}" in problems
    assert "r-early" not in problems and "r-none" not in problems
    assert problems.count("\n") == 0  # that is the only finding


def test_a_bogus_run_head_fails_verification(engine: Engine) -> None:
    _fill(engine, 2)
    with sessionmaker(engine)() as session:
        session.add(
            SyncRun(id="r9", started_at=T0, status="applied", actor="x", audit_head="f" * 64)
        )
        session.commit()
    ok, _, problems = _verify(engine)
    assert not ok
    assert "run r9 recorded audit head ffffffffffff" in problems


def test_secrets_are_redacted_at_any_depth(engine: Engine) -> None:
    change = {
        "username": "j.devries",
        "password": "hunter2-a",
        "Wachtwoord": "hunter2-b",
        "account": {
            "apiKey": "hunter2-c",
            "client_secret": "hunter2-d",
            "settings": [{"refresh_token": "hunter2-e"}, {"passphrase": "hunter2-f"}],
            "ssh_key": "hunter2-g",
            "credentials": {"user": "hunter2-h"},
            "apikey": "hunter2-i",
        },
        "group_key": "group:teachers",
        "object_key": "staff:1234",
        "mail": "j.devries@school.example",
    }
    with sessionmaker(engine)() as session:
        written = record(session, actor="sync:r1", action="account.create", change=change)
        session.commit()
        stored = json.loads(written.change)
    (row,) = _rows(engine)
    assert "hunter2" not in row.change
    assert stored == {
        "username": "j.devries",
        "password": "[redacted]",
        "Wachtwoord": "[redacted]",
        "account": {
            "apiKey": "[redacted]",
            "client_secret": "[redacted]",
            "settings": [{"refresh_token": "[redacted]"}, {"passphrase": "[redacted]"}],
            "ssh_key": "[redacted]",
            "credentials": "[redacted]",
            "apikey": "[redacted]",
        },
        "group_key": "group:teachers",
        "object_key": "staff:1234",
        "mail": "j.devries@school.example",
    }
    assert change["password"] == "hunter2-a"  # the caller's mapping is not changed
    assert _verify(engine) == (True, 1, "")


def test_show_filters_by_person_period_and_action(engine: Engine) -> None:
    with sessionmaker(engine)() as session:

        def add(minute: int, actor: str, action: str, key: str | None) -> None:
            at = T0 + timedelta(minutes=minute)
            record(session, actor=actor, action=action, object_key=key, at=at)

        add(0, "sync:r1", "account.create", "staff:1234")
        add(10, "sync:r1", "account.create", "staff:5678")
        add(20, "chat:U123", "offboard.request", "staff:1234")
        add(30, "sync:r2", "account.disable", "staff:1234")
        add(40, "chat:U123", "consent.record", "pupil:77")
        session.commit()

    def minutes(events: list[AuditEvent]) -> list[int]:
        return [round((_naive_utc(e.at) - _naive_utc(T0)) / timedelta(minutes=1)) for e in events]

    with sessionmaker(engine)() as session:
        assert minutes(show(session)) == [40, 30, 20, 10, 0]
        assert minutes(show(session, person="staff:1234")) == [30, 20, 0]
        assert minutes(show(session, person="chat:U123")) == [40, 20]
        assert minutes(show(session, person="nobody")) == []
        # since inclusive, until exclusive
        period = show(session, since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30))
        assert minutes(period) == [20, 10]
        # the same period given in Amsterdam summer time, and naive (= UTC)
        cest = timezone(timedelta(hours=2))
        since = (T0 + timedelta(minutes=10)).astimezone(cest)
        assert minutes(show(session, since=since, until=since + timedelta(minutes=20))) == [20, 10]
        naive = (T0 + timedelta(minutes=10)).replace(tzinfo=None)
        assert minutes(show(session, since=naive)) == [40, 30, 20, 10]
        assert minutes(show(session, person="staff:1234", since=T0 + timedelta(minutes=1))) == [
            30,
            20,
        ]
        assert minutes(show(session, action="account.create")) == [10, 0]
        assert minutes(show(session, limit=2)) == [40, 30]
        with pytest.raises(ValueError):
            show(session, limit=0)


def test_concurrent_writers_make_one_unbroken_chain(engine: Engine) -> None:
    threads = 2
    per_thread = 50
    factory = sessionmaker(engine)
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(name: str) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait()
                for i in range(per_thread):
                    with factory() as session:
                        record(session, actor=name, action="test.append", reason=str(i))
                        session.commit()
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        return run

    workers = [threading.Thread(target=writer(f"sync:w{n}")) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a writer hung"
    assert not errors, errors
    total = threads * per_thread
    assert _verify(engine) == (True, total, "")
    with factory() as session:
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        assert list(seqs) == list(range(1, total + 1))
        head = session.get(AuditHead, 1)
        assert head is not None and head.last_seq == total
        actors = session.scalars(select(AuditEvent.actor)).all()
        assert sorted(actors) == sorted(
            f"sync:w{n}" for n in range(threads) for _ in range(per_thread)
        )


def test_record_refuses_missing_or_overlong_fields(engine: Engine) -> None:
    with sessionmaker(engine)() as session:
        with pytest.raises(ValueError, match="actor"):
            record(session, actor="", action="x")
        with pytest.raises(ValueError, match="object_key is longer than 200"):
            record(session, actor="chat:U1", action="x", object_key="k" * 201)
    assert _verify(engine) == (True, 0, "")


def test_record_many_appends_a_batch_in_order(engine: Engine) -> None:
    with sessionmaker(engine)() as session:
        record(session, actor="chat:U1", action="offboard.request", object_key="staff:1")
        assert record_many(session, []) == []
        batch = record_many(
            session,
            [
                AuditInput(actor="sync:r1", action="create_account", object_key=f"staff:{n}")
                for n in (2, 3, 4)
            ]
            + [AuditInput(actor="sync:r1", action="set_password", change={"password": "hunter2"})],
        )
        assert [e.seq for e in batch] == [2, 3, 4, 5]
        record(session, actor="chat:U1", action="offboard.cancel", object_key="staff:1")
        session.commit()
    rows = _rows(engine)
    assert [(r.seq, r.object_key) for r in rows[:4]] == [
        (1, "staff:1"),
        (2, "staff:2"),
        (3, "staff:3"),
        (4, "staff:4"),
    ]
    assert rows[4].change == '{"password":"[redacted]"}'
    assert _verify(engine) == (True, 6, "")
