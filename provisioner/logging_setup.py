"""Logs: JSON lines in production, readable lines in a terminal, never personal data or secrets.

- :func:`configure` sets up the root logger once per process. The format is JSON (one object
  per line, for journald, Docker and Kubernetes log collectors) when standard error is not a
  terminal or ``PROVISIONER_LOG_FORMAT=json``; ``PROVISIONER_LOG_FORMAT=text`` forces the
  readable one. ``PROVISIONER_LOG_LEVEL`` sets the level.
- A *correlation id* (:func:`correlation`) ties together every line of one sync run or one
  chat interaction: it lives in a :mod:`contextvars` variable, so concurrent requests in
  threads each keep their own, and a user who sees an error message with the id can be found
  in the log without their name being in it.
- :class:`RedactingFilter` scrubs what must never be logged, whatever the code passed in:
  e-mail addresses, credentials in URLs, bearer and Slack tokens, JWTs, Dutch citizen service
  numbers (BSN, 9 digits passing the eleven test) and every secret value this process read
  through :mod:`provisioner.secrets`, in every encoding :mod:`provisioner.redaction` knows.
  It works on the formatted message and on tracebacks.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from provisioner import secrets
from provisioner.redaction import redact

_correlation: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "provisioner_correlation_id", default=None
)

REDACTED = "[redacted]"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ in URLs (database URLs, proxies)
    (
        re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"),
        r"\g<scheme>" + REDACTED + "@",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"\bxox[abeposr]-[A-Za-z0-9-]+"), REDACTED),  # Slack bot/user tokens
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), REDACTED),  # Slack app-level tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),  # JWT
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|client_secret)=[^\s&;,]+"),
        r"\1=" + REDACTED,
    ),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[e-mail]"),
)
_NINE_DIGITS = re.compile(r"(?<![\d.])\d{9}(?![\d.])")


def _is_bsn(digits: str) -> bool:
    """The eleven test (elfproef) of a burgerservicenummer."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    return total % 11 == 0 and digits != "000000000"


def scrub(text: str) -> str:
    """The text without secrets and personal identifiers (see the module docstring)."""
    text = redact(text, secrets.known_values(), REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _NINE_DIGITS.sub(lambda m: "[bsn]" if _is_bsn(m.group(0)) else m.group(0), text)


def correlation_id() -> str | None:
    """The correlation id of the run or chat interaction being handled, if any."""
    return _correlation.get()


def new_correlation_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contextmanager
def correlation(value: str | None = None, *, prefix: str = "req") -> Iterator[str]:
    """Within this block every log line carries ``value`` (a new id when None)."""
    cid = value or new_correlation_id(prefix)
    token = _correlation.set(cid)
    try:
        yield cid
    finally:
        _correlation.reset(token)


class RedactingFilter(logging.Filter):
    """Scrubs each record's message and traceback and adds its ``correlation_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation.get()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, correlation id,
    and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = getattr(record, "correlation_id", None)
        if cid:
            body["correlation_id"] = cid
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(self.formatException(record.exc_info))
        if record.exc_text:
            body["exception"] = record.exc_text
        return json.dumps(body, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``15:02:11 INFO  provisioner.service [run-1a2b] message``: for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-5s %(name)s%(cid)s %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        cid = getattr(record, "correlation_id", None)
        record.cid = f" [{cid}]" if cid else ""
        return super().format(record)


LogFormat = Literal["json", "text", "auto"]


def choose_format(requested: str | None, is_tty: bool) -> Literal["json", "text"]:
    if requested in ("json", "text"):
        return requested  # type: ignore[return-value]
    return "text" if is_tty else "json"


class _StandardErrorHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged, not to the stream that was
    standard error when logging was configured: a process that swaps standard error (a test
    runner, a daemon that reopens its log) never logs into a closed stream."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


def configure(
    level: str | None = None, fmt: str | None = None, *, default_level: str = "WARNING"
) -> logging.Handler:
    """Route every log line through the redacting filter to standard error. Idempotent: a
    second call replaces the handler the first one installed. ``level``, else
    ``PROVISIONER_LOG_LEVEL``, else ``default_level``."""
    fmt = fmt or os.environ.get("PROVISIONER_LOG_FORMAT")
    level = level or os.environ.get("PROVISIONER_LOG_LEVEL") or default_level
    handler = _StandardErrorHandler()
    chosen = choose_format(fmt, sys.stderr.isatty())
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    handler.set_name("provisioner")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "provisioner":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic says "Context impl PostgresqlImpl." each time the schema version is looked at
    logging.getLogger("alembic.runtime.migration").setLevel(
        logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    )
    return handler
