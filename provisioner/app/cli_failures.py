"""How a command fails: one line, one JSON object with ``--json``, an exit code; no traceback.

Exit codes: 1 a run met an error (a source or target unreachable or throttled past every
retry, a database error), 3 the configuration or an input file cannot be used (also refused
credentials and unusable addresses: :class:`FatalError`), 4 refused because another run holds
a target (:class:`LockHeld`), which is no failure and leaves no run record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click
import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from provisioner.errors import ConfigError, ConnectorError, FatalError
from provisioner.execution.locks import LockHeld

err = Console(stderr=True)

#: Exit code of a run refused because another run holds a target (or the nightly job).
EXIT_BUSY = 4
log = logging.getLogger("provisioner.app.cli")


def failure(exc: BaseException) -> tuple[str, int, str]:
    """(status, exit code, one-line cause) of an error a run can meet."""
    if isinstance(exc, LockHeld):
        return "busy", EXIT_BUSY, str(exc)
    if isinstance(exc, ConfigError):
        return "failed", 3, _one_line(str(exc))
    if isinstance(exc, FatalError):  # refused credentials, a wrong address or certificate
        return "failed", 3, _one_line(str(exc))
    if isinstance(exc, ConnectorError):  # unreachable, or throttled past every retry
        return "failed", 1, _one_line(str(exc))
    if isinstance(exc, ArgumentError):  # an unusable database URL
        return "failed", 3, f"the database URL cannot be used: {_one_line(str(exc))}"
    if isinstance(exc, SQLAlchemyError):
        orig = exc.orig if isinstance(exc, DBAPIError) else None
        cause = orig if isinstance(orig, BaseException) else exc
        return "failed", 1, f"the state store cannot be used: {_first_line(cause)}"
    if isinstance(exc, OSError):
        return "failed", 1, f"{type(exc).__name__}: {_one_line(str(exc))}"
    where = "PROVISIONER_LOG_LEVEL=DEBUG logs where"
    return "failed", 1, f"unexpected {type(exc).__name__}: {_one_line(str(exc))} ({where})"


def _one_line(text: str, limit: int = 1000) -> str:
    line = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _first_line(exc: BaseException) -> str:
    lines = [part.strip() for part in str(exc).splitlines() if part.strip()]
    return _one_line(lines[0] if lines else type(exc).__name__)


@contextmanager
def clean_failures(as_json: bool) -> Iterator[None]:
    """Every error a command meets ends in one line (and one JSON object with ``--json``) and
    an exit code, never a traceback: 1 for a run's error, 3 for configuration, 4 busy."""
    try:
        yield
    except (typer.Exit, typer.Abort, click.exceptions.ClickException):
        raise
    except Exception as exc:
        status, code, cause = failure(exc)
        log.debug("%s", cause, exc_info=True)  # where it happened: only at level DEBUG
        if as_json:
            print(json.dumps({"status": status, "error": cause, "exit_code": code}))
        label = "[yellow]Busy:[/yellow]" if code == EXIT_BUSY else "[red]Cannot continue:[/red]"
        err.print(f"{label} {escape(cause)}", soft_wrap=True, highlight=False)
        raise typer.Exit(code) from exc
