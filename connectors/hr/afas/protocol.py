"""The AFAS Profit protocol: the AfasToken (its XML, the ``Authorization`` header, every form
to blank) and the translation of GetConnector answers and transport failures into typed
errors. The client and the mapping are :mod:`connectors.hr.afas.source`, which keeps these
names importable."""

from __future__ import annotations

import base64
import re
import ssl
from collections.abc import Collection

import httpx

from connectors.http_status import READ, Kind, classify
from provisioner.errors import ConnectorError, FatalError, TransientError
from provisioner.redaction import redact

# -- the token ---------------------------------------------------------------------------------


def token_xml(raw: str) -> str:
    """The AfasToken XML: ``raw`` as given, or bare token data wrapped in the XML."""
    raw = raw.strip()
    if raw.startswith("<token>"):
        return raw
    return f"<token><version>1</version><data>{raw}</data></token>"


def authorization(token: str) -> str:
    """The ``Authorization`` header value: ``AfasToken <base64 of the token XML>``."""
    encoded = base64.b64encode(token_xml(token).encode("utf-8")).decode("ascii")
    return f"AfasToken {encoded}"


def token_forms(token: str) -> list[str]:
    """Every form of the token that must never appear in a message."""
    xml = token_xml(token)
    forms = [token.strip(), xml, authorization(token).split(" ", 1)[1]]
    match = re.search(r"<data>(.*?)</data>", xml, re.S)
    if match and match.group(1).strip():
        forms.append(match.group(1).strip())
    return [form for form in forms if form]


# -- error translation: the one place AFAS answers and transport failures become typed errors


def translate(
    outcome: httpx.Response | httpx.HTTPError,
    connector: str,
    *,
    token_env: str | None = None,
    redact: Collection[str] = (),
) -> ConnectorError:
    """Turn a failed GetConnector call (an error answer or no answer) into a typed error.

    401/403: the token was refused or the address is not allowed (FatalError); 404: the
    GetConnector does not exist (FatalError); 400 and other 4xx: FatalError with AFAS's
    message. 500 is, by AFAS's documentation, a functional error of the request, answered
    with ``{"externalMessage", "errorNumber", "profitLogReference"}`` (bad skip/take, an
    unknown field, "Out of memory" for too large a page): FatalError with the message and the
    log reference, except "Command timeout expired" (AFAS's 15-minute limit), which is
    transient. 429, 502-504, timeouts and broken connections: TransientError, waiting
    ``Retry-After``, or the ``retry_after`` of a 503 body. Every form of the token in
    ``redact`` is blanked out of the message.
    """
    where = f"AFAS GetConnector '{connector}'"
    if isinstance(outcome, httpx.HTTPError):
        exc = outcome
        if isinstance(exc, httpx.UnsupportedProtocol):
            error: ConnectorError = FatalError(f"{where}: bad base_url ({exc})")
        elif isinstance(exc, httpx.ConnectError) and isinstance(
            exc.__context__ or exc.__cause__, ssl.SSLCertVerificationError
        ):
            error = FatalError(f"{where}: the server's TLS certificate is not trusted (ca_file?)")
        elif isinstance(exc, httpx.TimeoutException):
            error = TransientError(f"{where}: AFAS did not answer in time ({type(exc).__name__})")
        else:
            error = TransientError(f"{where}: connection failed ({type(exc).__name__}: {exc})")
        return _redacted(error, redact)

    status = outcome.status_code
    detail = _afas_message(outcome)
    said = f": {detail}" if detail else ""
    verdict = classify(status, outcome.headers, family=READ, overrides=_overrides(status, detail))
    if verdict.kind is Kind.AUTH:
        env = f" in {token_env}" if token_env else ""
        error = FatalError(
            f"{where}: the AfasToken was refused (HTTP {status}){said}. Check the token{env} "
            "(expired or replaced?) and that this GetConnector is added to the token's "
            "App Connector"
        )
    elif verdict.kind is Kind.NOT_FOUND:
        error = FatalError(
            f"{where} does not exist (HTTP 404){said}. Check the connector name in the "
            "configuration and that the GetConnector is imported in Profit"
        )
    elif verdict.kind is Kind.REJECTED and status == 500:
        hint = ""
        if "out of memory" in detail.casefold() or "string space" in detail.casefold():
            hint = ". Lower page_size: AFAS could not hold this page"
        error = FatalError(f"{where}: AFAS could not process the request (HTTP 500){said}{hint}")
    elif verdict.transient:
        wait = verdict.retry_after
        if wait is None:
            wait = _body_retry_after(outcome)
        error = TransientError(f"{where}: HTTP {status}{said}", wait)
    elif verdict.kind is Kind.REJECTED:
        error = FatalError(f"{where}: AFAS refused the request (HTTP 400){said}")
    else:
        error = FatalError(f"{where}: unexpected answer HTTP {status}{said}")
    return _redacted(error, redact)


def _overrides(status: int, detail: str) -> dict[int, Kind]:
    """AFAS's own meanings: 400 refuses the request, 408 is unexpected, and a 500 is a
    functional error of the request unless it is the 15-minute "Command timeout expired"."""
    overrides = {400: Kind.REJECTED, 408: Kind.PERMANENT}
    if status == 500 and "timeout" not in detail.casefold():
        overrides[500] = Kind.REJECTED
    return overrides


def _afas_message(response: httpx.Response) -> str:
    """AFAS's own words: ``externalMessage`` (+ ``profitLogReference``) or ``message``."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return "" if not text or text.startswith("<") else " ".join(text.split())[:200]
    if not isinstance(body, dict):
        return ""
    message = str(body.get("externalMessage") or body.get("message") or "").strip()
    reference = body.get("profitLogReference")
    if message and reference:
        message += f" (Profit log reference {reference})"
    return " ".join(message.split())[:500]


def _body_retry_after(response: httpx.Response) -> float | None:
    """The ``retry_after`` (seconds) of a 503 body, as AFAS sends it during maintenance."""
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("retry_after") if isinstance(body, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _redacted(error: ConnectorError, secrets: Collection[str]) -> ConnectorError:
    text = str(error)
    clean = redact(text, secrets)
    if clean == text:
        return error
    if isinstance(error, TransientError):
        return TransientError(clean, error.retry_after)
    return type(error)(clean)
