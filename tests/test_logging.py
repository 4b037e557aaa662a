"""Structured logs: JSON lines or readable text, a correlation id, nothing personal or secret."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner import secrets
from provisioner.logging_setup import (
    JsonFormatter,
    RedactingFilter,
    TextFormatter,
    choose_format,
    configure,
    correlation,
    scrub,
)


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.logging_setup")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_correlation_id_of_the_run(
    capture: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = capture
    with correlation(prefix="nightly") as cid:
        logger.info("run %s finished: %d operations", "20261122-abc", 12)
    logger.info("outside")
    inside, outside = lines(stream)
    assert inside["message"] == "run 20261122-abc finished: 12 operations"
    assert inside["correlation_id"] == cid and cid.startswith("nightly-")
    assert inside["level"] == "info" and inside["logger"] == "test.logging_setup"
    assert "correlation_id" not in outside


def test_concurrent_interactions_keep_their_own_correlation_id(
    capture: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = capture
    barrier = threading.Barrier(2)

    def interaction(name: str) -> None:
        with correlation(f"chat-{name}"):
            barrier.wait()
            logger.info("handled %s", name)

    threads = [threading.Thread(target=interaction, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = {str(line["message"]): line["correlation_id"] for line in lines(stream)}
    assert got == {"handled a": "chat-a", "handled b": "chat-b"}


def test_personal_data_and_secrets_are_filtered_out(
    capture: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, stream = capture
    monkeypatch.setattr(secrets, "_known", set())
    secrets.remember("s3cr3t-client-value")
    logger.warning("mail to %s failed", "jan.devries@bestuur.nl")
    logger.warning("token s3cr3t-client-value rejected; Authorization: Bearer abc.def.ghijklmn")
    logger.warning("db postgresql://provisioner:hunter22@db:5432/provisioner down")
    logger.warning("slack xoxb-1234-5678-abcdef and BSN 111222333 in a record")
    try:
        raise ValueError("bad address piet@school.nl")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    for leaked in (
        "jan.devries",
        "s3cr3t-client-value",
        "abc.def",
        "hunter22",
        "xoxb-1234",
        "111222333",
        "piet@school.nl",
    ):
        assert leaked not in text, leaked
    assert "[e-mail]" in text and "[redacted]" in text and "[bsn]" in text
    assert "ValueError" in lines(stream)[-1]["exception"]  # type: ignore[operator]


def test_ordinary_numbers_stay() -> None:
    assert scrub("run 20261122 wrote 123456789 bytes") == "run 20261122 wrote 123456789 bytes"
    assert scrub("staff:100234 disabled") == "staff:100234 disabled"


def test_the_format_follows_the_terminal_unless_chosen() -> None:
    assert choose_format(None, is_tty=True) == "text"
    assert choose_format(None, is_tty=False) == "json"
    assert choose_format("json", is_tty=True) == "json"
    assert choose_format("text", is_tty=False) == "text"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.correlation_id = "run-1"
    assert TextFormatter().format(record).endswith("INFO  x [run-1] hello")


def test_secret_files_become_variables_and_are_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "_known", set())
    (tmp_path / "m365").write_text("graph-secret-value\n", encoding="utf-8")
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "PROVISIONER_SMTP_PASSWORD").write_text("smtp-password-value", encoding="utf-8")
    env = {
        "PROVISIONER_M365_CLIENT_SECRET_FILE": str(tmp_path / "m365"),
        "PROVISIONER_AFAS_TOKEN": "already-set-token",
        "PROVISIONER_AFAS_TOKEN_FILE": str(tmp_path / "missing-but-ignored"),
        "CREDENTIALS_DIRECTORY": str(creds),
    }
    loaded = secrets.load_secret_files(env)
    assert sorted(loaded) == ["PROVISIONER_M365_CLIENT_SECRET", "PROVISIONER_SMTP_PASSWORD"]
    assert env["PROVISIONER_M365_CLIENT_SECRET"] == "graph-secret-value"
    assert env["PROVISIONER_AFAS_TOKEN"] == "already-set-token"
    assert scrub("x graph-secret-value smtp-password-value already-set-token") == (
        "x [redacted] [redacted] [redacted]"
    )
    with pytest.raises(secrets.SecretFileError, match="PROVISIONER_X_FILE"):
        secrets.load_secret_files({"PROVISIONER_X_FILE": str(tmp_path / "nope")})


def test_the_database_password_comes_from_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PROVISIONER_DATABASE_PASSWORD": "pg-pass-word"}
    url = secrets.with_database_password("postgresql://provisioner@db:5432/provisioner", env)
    assert url == "postgresql://provisioner:pg-pass-word@db:5432/provisioner"
    kept = "postgresql://other:given@db/provisioner"
    assert secrets.with_database_password(kept, env) == kept


# -- a whole nightly run, worker threads included -------------------------------------------------


class _Lines(logging.Handler):
    """Every record as the JSON line production writes, with the thread that logged it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(RedactingFilter())
        self.lines: list[tuple[str, dict[str, object]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.threadName or "", json.loads(self.format(record))))


@pytest.mark.slow
def test_every_line_of_a_nightly_run_carries_its_correlation_id_also_from_worker_threads(
    tmp_path: Path,
) -> None:
    """The Microsoft 365 target writes 8 operations at once (the executor's worker threads):
    their lines (Graph requests, at DEBUG) carry the run's id like the engine's own."""
    from provisioner.app.demo.generator import generate_board
    from provisioner.app.service.nightly import run_nightly
    from provisioner.store.db import make_engine, session_factory, upgrade
    from tests.board import TODAY

    config = generate_board(tmp_path, today=TODAY, staff=24, pupils=60, m365_emulator=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'provisioner.db'}")
    upgrade(engine)
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        result = run_nightly(config, session_factory(engine), send_report=False)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        engine.dispose()
    assert result is not None and result.status == "applied", result

    messages = [str(line["message"]) for _, line in handler.lines]
    [start] = [i for i, m in enumerate(messages) if m == "nightly sync started"]
    [end] = [i for i, m in enumerate(messages) if m.startswith("nightly sync finished")]
    run = handler.lines[start : end + 1]
    cid = run[0][1]["correlation_id"]
    assert str(cid).startswith("nightly-")
    uncorrelated = [(t, line) for t, line in run if line.get("correlation_id") != cid]
    assert uncorrelated == []
    workers = {t for t, _ in run if t.startswith("ThreadPoolExecutor")}
    assert len(workers) > 1, sorted({t for t, _ in run})  # the parallel writes were logged


def test_log_lines_go_to_the_standard_error_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that swaps standard error after configuring logging (a test runner, a daemon
    that reopens its log) never logs into the old, perhaps closed, stream."""

    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler = configure("INFO", "text")
    try:
        first.close()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("provisioner.test").info("run finished")
        written = second.getvalue()
        assert "run finished" in written and "Logging error" not in written, written
    finally:
        logging.getLogger().removeHandler(handler)
