"""Google error translation: the one place Google's answers, google-auth's refusals and
transport failures become the typed errors of :mod:`provisioner.errors`.

Google's error body is ``{"error": {"code", "message", "errors": [{"domain", "reason",
"message"}], "status"}}``. What the reason adds to the status: 403 ``rateLimitExceeded``,
``userRateLimitExceeded`` and ``quotaExceeded`` are throttling (retried with exponential
backoff, as Google documents), any other 403 is a missing right; 409 ``duplicate`` is an
object that exists; other 4xx reject this request's data; 429 and 503 are refusals; a
write's other 5xx may have been done (:class:`OutcomeUnknown`). E-mail addresses in
Google's messages are blanked: no personal data in a message or a log line.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from typing import Any

from connectors.http_status import REST_WRITE, Kind, classify
from provisioner.errors import ConnectorError, FatalError, OutcomeUnknown, TransientError

THROTTLING = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
ADDRESS = re.compile(r"[^\s@'\"]+@[^\s@'\"]+")


def reason_and_message(content: bytes | str | None) -> tuple[str, str]:
    """(reason, message) of a Google error body; ``("-", text)`` for anything else."""
    try:
        body: Any = json.loads(content or b"")
    except (ValueError, UnicodeDecodeError):
        return "-", ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        errors = error.get("errors") or [{}]
        reason = str((errors[0] or {}).get("reason") or error.get("status") or "-")
        return reason, str(error.get("message") or "")
    if isinstance(error, str):  # the OAuth endpoint: {"error": "...", "error_description"}
        return error, str(body.get("error_description") or "")
    return "-", ""


def translate(
    status: int, content: bytes | str | None, where: str, *, write: bool
) -> ConnectorError:
    """The typed error of one Google error answer to ``where`` (the method's id)."""
    reason, message = reason_and_message(content)
    text = f"{where}: Google {status} {reason}: {ADDRESS.sub('<address>', message)[:300]}"
    overrides: dict[int, Kind] = {}
    if status == 403 and reason in THROTTLING:
        overrides[403] = Kind.THROTTLED
    if status == 412 and reason == "conditionNotMet":
        overrides[412] = Kind.REJECTED  # "Domain not found.": not a matter of waiting
    verdict = classify(status, {}, family=REST_WRITE, overrides=overrides, write=write)
    if verdict.kind in (Kind.REDIRECT, Kind.PERMANENT):
        return FatalError(f"{text} (an answer the client cannot handle)")
    if verdict.kind is Kind.AMBIGUOUS:
        return OutcomeUnknown(f"{text}; the write may have been done: not sent again")
    return verdict.build(text)


def throttled(error: ConnectorError) -> bool:
    return isinstance(error, TransientError) and any(r in str(error) for r in THROTTLING)


#: Failures before a request left this process: a write that met one was not sent.
NOT_SENT = (ConnectionRefusedError, socket.gaierror)  # connectors.google.http.NotSent is one


def transport_failure(exc: BaseException, where: str, *, write: bool) -> ConnectorError:
    """A request that got no answer: a write that may have arrived is :class:`OutcomeUnknown`
    (never sent again), anything else transient."""
    name = type(exc).__name__
    if write and not isinstance(exc, NOT_SENT):
        return OutcomeUnknown(f"{where}: sent, but the answer was lost ({name}); not sent again")
    if isinstance(exc, TimeoutError | socket.timeout):
        return TransientError(f"{where}: Google did not answer in time ({name})")
    if isinstance(exc, http.client.HTTPException | OSError):
        return TransientError(f"{where}: the connection to Google failed ({name})")
    return TransientError(f"{where}: transport failure ({name})")


def refusal(exc: BaseException) -> ConnectorError:
    """google-auth could not get a token: a refused grant is fatal (the key, the delegation or
    the scopes), a token endpoint that did not answer is transient."""
    from google.auth import exceptions as auth_errors

    if isinstance(exc, auth_errors.TransportError):
        return TransientError(f"token endpoint unreachable ({type(exc).__name__})")
    args = getattr(exc, "args", ())
    detail = args[0] if args and isinstance(args[0], str) else type(exc).__name__
    return FatalError(
        "Google refused the service account's token (check the key, the domain-wide "
        f"delegation of its client id and the scopes): {ADDRESS.sub('<address>', detail)[:200]}"
    )
