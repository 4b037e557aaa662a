"""Graph error translation: the one place Graph answers and transport failures become the
typed errors of :mod:`provisioner.errors` (status classes from :mod:`connectors.http_status`,
Graph's own 400s and 410 here), with every secret of the request blanked."""

from __future__ import annotations

import re
import ssl
from collections.abc import Collection, Mapping
from typing import Any

import httpx

from connectors.http_status import REST_WRITE, Kind, classify
from provisioner.errors import ConnectorError, FatalError, NotFoundError, TransientError
from provisioner.redaction import redact as redact_text
from provisioner.targets import OutcomeUnknown


class DeltaExpired(NotFoundError):
    """The delta link is unknown or too old (410 Gone): read everything again."""

    def __init__(self, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.location = location


def translate(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    where: str = "",
    redact: Collection[str] = (),
) -> ConnectorError:
    """Turn a Graph error answer into the typed error the caller acts on.

    ``where`` (method and path, no query) prefixes the message; every string in ``redact``
    (secrets, passwords of the request) is blanked out of it. The request body never goes in.
    """
    code, detail = _graph_error(body)
    message = redact_text(f"{where + ': ' if where else ''}Graph {status} {code}: {detail}", redact)
    verdict = classify(status, headers, family=REST_WRITE, overrides=_overrides(code, detail))
    if verdict.kind is Kind.GONE:
        return DeltaExpired(message, _header(headers, "Location"))
    if verdict.kind in (Kind.REDIRECT, Kind.PERMANENT):
        return FatalError(f"{message} (not an error status: the client cannot handle this answer)")
    return verdict.build(message)


def _overrides(code: str, detail: str) -> dict[int, Kind]:
    """Graph's 400s that say more in their body: an expired delta link, an existing object."""
    lowered = detail.lower()
    if code.lower() in {"syncstatenotfound", "resyncrequired"}:
        return {400: Kind.GONE}
    if (
        "another object with the same value for property" in lowered
        or "added object references already exist" in lowered
    ):
        return {400: Kind.CONFLICT}
    return {}


def translate_failure(exc: httpx.HTTPError, where: str = "") -> ConnectorError:
    """Turn a transport failure (no answer from Graph) into a typed error."""
    prefix = f"{where}: " if where else ""
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FatalError(f"{prefix}bad Graph URL: {exc}")
    if isinstance(exc, httpx.ConnectError) and isinstance(
        exc.__context__ or exc.__cause__, ssl.SSLCertVerificationError
    ):
        return FatalError(f"{prefix}the server's TLS certificate is not trusted (ca_file?): {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"{prefix}Graph did not answer in time ({type(exc).__name__})")
    return TransientError(f"{prefix}connection to Graph failed ({type(exc).__name__}: {exc})")


#: Transport failures that happen before a request leaves: a write that met one can be resent.
NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


def ambiguous_status(status: int) -> bool:
    """An answer that does not say whether a write was done (500, 502, 504...). 503 and 429
    are refusals: Graph did not take the request and says when to come back."""
    return classify(status, {}, family=REST_WRITE, write=True).kind is Kind.AMBIGUOUS


def lost_answer(exc: httpx.HTTPError, where: str = "") -> OutcomeUnknown:
    """A write that was (or may have been) sent and got no answer."""
    prefix = f"{where}: " if where else ""
    return OutcomeUnknown(
        f"{prefix}sent, but the answer was lost ({type(exc).__name__}); not sent again"
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = httpx.Headers(dict(headers)).get(name)
    return None if value is None else str(value)


def _graph_error(body: Any) -> tuple[str, str]:
    """(code, message) of a Graph error body ``{"error": {"code", "message"}}``."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return str(error.get("code") or "-"), str(error.get("message") or "")
    if isinstance(body, str):
        return "-", body.strip()[:200]
    return "-", ""


def secrets_in(body: Any) -> list[str]:
    """Values of keys named like a password or secret anywhere in a request body."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str) and re.search(r"password|secret", str(key), re.I):
                found.append(value)
            else:
                found.extend(secrets_in(value))
    elif isinstance(body, list):
        for value in body:
            found.extend(secrets_in(value))
    return found
