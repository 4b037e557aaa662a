"""Reading a JSON API behind OAuth2 client credentials (Youforce, Somtoday, ...).

One place for what such sources share: the httpx client's life cycle, the token (fetched,
reused until shortly before it expires, renewed once when the API refuses it), a GET that
returns JSON, and the translation of failed calls into the typed errors, with every secret
blanked from the message. Retrying is not done here: callers wrap calls in the one policy of
:mod:`connectors.retry`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from connectors.http_status import READ, Kind, classify
from provisioner.errors import ConnectorError, FatalError, TransientError
from provisioner.redaction import redact

TIMEOUT = 30.0  # seconds per HTTP call
TOKEN_MARGIN = 30.0  # renew a token this long before it expires (at most 10% of its life)
DEFAULT_TOKEN_LIFE = 300.0  # when the token answer has no usable expires_in

#: (code, text) read from an error answer's body, in the API's own shape
ErrorDetail = Callable[[httpx.Response], tuple[str, str]]
Translate = Callable[[str, "httpx.Response | httpx.HTTPError", Collection[str]], ConnectorError]


def error_body(response: httpx.Response) -> dict[str, Any] | tuple[str, str]:
    """An error answer's JSON object, for the vendor to read its own fields; or, when the
    answer says it all already, its ``(code, text)``: a body that is not JSON (its first 200
    characters), not an object (nothing), or an RFC 6749 OAuth2 error (``error`` and its
    description)."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return "", " ".join(response.text.split())[:200]
    if not isinstance(body, dict):
        return "", ""
    if isinstance(body.get("error"), str):  # RFC 6749 token errors
        return body["error"], str(body.get("error_description") or "")[:200]
    return body


def translate_failure(
    system: str, where: str, exc: httpx.HTTPError, secrets: Collection[str]
) -> ConnectorError:
    """A call that got no answer: a bad URL or an untrusted certificate is fatal (retrying
    cannot help), a timeout or a broken connection transient."""
    name = type(exc).__name__
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FatalError(redact(f"{where}: bad {system} URL ({exc})", secrets))
    if isinstance(exc, httpx.ConnectError) and isinstance(
        exc.__context__ or exc.__cause__, ssl.SSLCertVerificationError
    ):
        return FatalError(f"{where}: the server's TLS certificate is not trusted (ca_file?)")
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"{where}: {system} did not answer in time ({name})")
    return TransientError(
        redact(f"{where}: connection to {system} failed ({name}: {exc})", secrets)
    )


def translate_answer(
    system: str,
    where: str,
    response: httpx.Response,
    secrets: Collection[str],
    detail: ErrorDetail,
    *,
    credentials_hint: str,
    url_hint: str,
) -> ConnectorError:
    """An error answer: ``invalid_client``, 401/403 and 404 are fatal (credentials, rights or
    URL are wrong); 408, 429 and 5xx transient with the server's ``Retry-After``; any other
    answer fatal (a read-only client has nothing to skip)."""
    status = response.status_code
    code, text = detail(response)
    said = f"{code}: {text}" if code and text else code or text
    message = redact(
        f"{where}: {system} answered {status}" + (f" ({said})" if said else ""), secrets
    )
    if code == "invalid_client":
        return FatalError(
            redact(f"{where}: the client id or client secret was refused (invalid_client)", secrets)
        )
    verdict = classify(status, response.headers, family=READ)
    hints = {
        Kind.AUTH: credentials_hint,
        Kind.NOT_FOUND: url_hint,
        Kind.REDIRECT: "redirects are not followed (check the URL)",
    }
    hint = hints.get(verdict.kind)
    return verdict.build(f"{message}: {hint}" if hint else message)


class OAuthClient:
    """GETs of JSON from an API behind OAuth2 client credentials; use it in a ``with``."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        translate: Translate,
        ca_file: Path | None = None,
        token_params: Mapping[str, str] | None = None,
        token_form: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``token_params``: extra query parameters of the token request; ``token_form``:
        extra fields of its form, after ``grant_type``, ``client_id`` and ``client_secret``
        (Visma Connect's ``tenant_id``)."""
        self._token_url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self._translate = translate
        self._ca_file = ca_file
        self._token_params = dict(token_params or {})
        self._token_form = dict(token_form or {})
        self._transport = transport
        self._clock = clock
        self._token: str | None = None
        self._token_valid_until = 0.0
        self._http: httpx.Client | None = None

    def __enter__(self) -> Self:
        verify: ssl.SSLContext | bool = True
        if self._ca_file is not None:
            verify = ssl.create_default_context(cafile=str(self._ca_file))
        self._http = httpx.Client(
            transport=self._transport,
            timeout=TIMEOUT,
            verify=verify,
            headers={"User-Agent": "school-provisioner", "Accept": "application/json"},
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def get_json(self, url: str, where: str, params: Mapping[str, Any] | None = None) -> Any:
        """One GET with a bearer token; a refused cached token is renewed once."""
        token, fresh = self._bearer()
        response = self._send("GET", url, where, params=params, headers=_bearer_header(token))
        if response.status_code == 401 and not fresh:  # an expired or revoked token
            self._token = None
            token, _ = self._bearer()
            response = self._send("GET", url, where, params=params, headers=_bearer_header(token))
        if not response.is_success:
            raise self._translate(where, response, self._secrets())
        return _json(response, where)

    def _bearer(self) -> tuple[str, bool]:
        """(token, whether it was just fetched); fetched when there is none or it expires."""
        now = self._clock()
        if self._token is not None and now < self._token_valid_until:
            return self._token, False
        where = "token request"
        response = self._send(
            "POST",
            self._token_url,
            where,
            params=self._token_params or None,
            data={
                **self._token_form,
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._secret,
            },
        )
        if not response.is_success:
            raise self._translate(where, response, self._secrets())
        body = _json(response, where)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalError(f"{where}: the answer has no access_token")
        life = body.get("expires_in")
        try:
            seconds = float(life) if life is not None else DEFAULT_TOKEN_LIFE
        except (TypeError, ValueError):
            seconds = DEFAULT_TOKEN_LIFE
        self._token = token
        self._token_valid_until = now + seconds - min(TOKEN_MARGIN, seconds / 10)
        return token, True

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call; a transport failure becomes a typed error here."""
        if self._http is None:
            raise RuntimeError(f"{type(self).__name__} used outside 'with'")
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise self._translate(where, exc, self._secrets()) from None

    def _secrets(self) -> list[str]:
        return [s for s in (self._secret, self._token) if s]


def _bearer_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(response: httpx.Response, where: str) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        raise FatalError(f"{where}: the answer is not JSON") from None
