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
from typing import Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from provisioner.errors import ConfigError, ConnectorError, FatalError
from provisioner.execution.locks import LockHeld
from provisioner.i18n import N_, cli_language, tr

err = Console(stderr=True)

#: Exit code of a run refused because another run holds a target (or the nightly job).
EXIT_BUSY = 4
log = logging.getLogger("provisioner.app.cli")


class Unusable(ConfigError):
    """A configuration or input error a command finds, its message a catalogue sentence:
    English in the JSON answer and the log, the user's language at the terminal."""

    def __init__(self, message: str, /, **values: Any) -> None:
        super().__init__(tr("en", message, **values))
        self.message = message
        self.values = values

    def text(self, language: str) -> str:
        return tr(language, self.message, **self.values)


def failure(exc: BaseException) -> tuple[str, int, str]:
    """(status, exit code, one-line cause) of an error a run can meet."""
    status, code, message, values = _failure(exc)
    return status, code, tr("en", message, **values)


def _failure(exc: BaseException) -> tuple[str, int, str, dict[str, str]]:
    """(status, exit code, the cause's message id and its values)."""
    if isinstance(exc, LockHeld):
        return "busy", EXIT_BUSY, "{cause}", {"cause": str(exc)}
    if isinstance(exc, ConfigError | FatalError):  # FatalError: refused credentials, address
        return "failed", 3, "{cause}", {"cause": _one_line(str(exc))}
    if isinstance(exc, ConnectorError):  # unreachable, or throttled past every retry
        return "failed", 1, "{cause}", {"cause": _one_line(str(exc))}
    if isinstance(exc, ArgumentError):  # an unusable database URL
        message = N_("the database URL cannot be used: {cause}")
        return "failed", 3, message, {"cause": _one_line(str(exc))}
    if isinstance(exc, SQLAlchemyError):
        orig = exc.orig if isinstance(exc, DBAPIError) else None
        cause = orig if isinstance(orig, BaseException) else exc
        message = N_("the state store cannot be used: {cause}")
        return "failed", 1, message, {"cause": _first_line(cause)}
    if isinstance(exc, OSError):
        return (
            "failed",
            1,
            "{kind}: {cause}",
            {"kind": type(exc).__name__, "cause": _one_line(str(exc))},
        )
    message = N_("unexpected {kind}: {cause} (PROVISIONER_LOG_LEVEL=DEBUG logs where)")
    return "failed", 1, message, {"kind": type(exc).__name__, "cause": _one_line(str(exc))}


def _human_cause(exc: BaseException, language: str) -> str:
    """The cause in the user's language (the JSON answer keeps it in English)."""
    if isinstance(exc, Unusable):
        return _one_line(exc.text(language))
    _status, _code, message, values = _failure(exc)
    return tr(language, message, **values)


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
        language = cli_language()
        if code == EXIT_BUSY:
            label = "[yellow]" + tr(language, "Busy:") + "[/yellow]"
        else:
            label = "[red]" + tr(language, "Cannot continue:") + "[/red]"
        human = _human_cause(exc, language)
        err.print(f"{label} {escape(human)}", soft_wrap=True, highlight=False)
        raise typer.Exit(code) from exc
