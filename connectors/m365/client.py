"""Microsoft Graph transport: auth, HTTP, the one retry policy and the one error translation.

Everything the M365 target sends to Graph goes through :class:`GraphClient`. It holds no
provisioning logic. What it guarantees:

- app-only tokens from msal (client secret or certificate), refreshed once on a 401;
- every request carries ``x-ms-throttle-priority: low`` and its own ``client-request-id``;
- one tenacity policy (:func:`retry_policy`) retries :class:`TransientError` only, waiting
  exactly ``Retry-After`` when Graph gives it, else exponential backoff with full jitter,
  bounded in attempts and in time;
- a write is never sent again once it may have reached Graph: a timeout or a dropped
  connection after sending, or a 500/502/504 answer, raises :class:`OutcomeUnknown` (the
  executor verifies by the object's key). Only a write that provably did not arrive
  (connection refused, 429, 503, a just-created object's 404) is retried;
- every Graph answer that is not a success becomes a typed error in :func:`translate`;
  transport failures (timeouts, resets) in :func:`translate_failure` just below it;
- in dry-run mode nothing but reads leaves the process (:class:`DryRunRejected`);
- no secret, token or password ever appears in an exception message or a log line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import msal  # type: ignore[import-untyped]
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from connectors.http_status import REST_WRITE, Kind, classify
from connectors.retry import retry_policy
from provisioner.errors import (
    ConnectorError,
    DryRunRejected,
    FatalError,
    NotFoundError,
    TransientError,
)
from provisioner.metrics import note_graph_throttled
from provisioner.redaction import redact as redact_text
from provisioner.targets import OutcomeUnknown

log = logging.getLogger(__name__)

PUBLIC_CLOUD = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
BATCH_LIMIT = 20  # Graph answers 400 to a $batch with more requests
USER_AGENT = "school-provisioner"

T = TypeVar("T")
TokenProvider = Callable[[bool], str]
"""Returns a bearer token; called with ``True`` after a 401 to get a fresh one, not a cached one."""


class DeltaExpired(NotFoundError):
    """The delta link is unknown or too old (410 Gone): read everything again."""

    def __init__(self, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.location = location


@dataclass(frozen=True)
class GraphSettings:
    """Where and as whom to reach Graph, and how patiently."""

    tenant: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: Path | None = None  # PEM with the private key and the certificate
    authority_host: str = PUBLIC_CLOUD
    graph_url: str = "https://graph.microsoft.com/v1.0"
    ca_file: Path | None = None  # trust this CA (the emulator); None = system trust
    timeout: float = 30.0
    max_attempts: int = 8
    max_wait: float = 300.0  # total seconds one request may spend waiting to retry
    concurrency: int = 4  # parallel $batch calls at most


#: How long after creating an object a 404 about it counts as "not replicated yet".
CONSISTENCY_WINDOW = 30.0


@dataclass(frozen=True)
class BatchRequest:
    """One request inside a ``$batch``; ``url`` is relative to the version (``/users/{id}``)."""

    id: str
    method: str
    url: str
    body: Any = None
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchResult:
    """The final answer to one :class:`BatchRequest`; ``status`` 0 means no answer came back."""

    id: str
    status: int
    body: Any
    error: ConnectorError | None


# -- error translation: the one place Graph answers become typed errors ----------------------


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


def _secrets_in(body: Any) -> list[str]:
    """Values of keys named like a password or secret anywhere in a request body."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str) and re.search(r"password|secret", str(key), re.I):
                found.append(value)
            else:
                found.extend(_secrets_in(value))
    elif isinstance(body, list):
        for value in body:
            found.extend(_secrets_in(value))
    return found


# -- the one retry policy ---------------------------------------------------------------------


# -- auth -------------------------------------------------------------------------------------


class MsalTokens:
    """App-only tokens from msal with an in-memory cache; msal errors become FatalError."""

    def __init__(self, settings: GraphSettings) -> None:
        self._settings = settings
        self._credential = _credential(settings)
        self._app: Any = None
        self._session: Any = None
        self._lock = threading.Lock()

    def __call__(self, refresh: bool) -> str:
        """A bearer token; with ``refresh`` the cached one is dropped first."""
        secret = self._settings.client_secret or ""
        with self._lock:
            try:
                app = self._application()
                if refresh:
                    cache = app.token_cache
                    for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                        cache.remove_at(item)
                result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
            except requests.RequestException as exc:
                raise TransientError(
                    redact_text(f"token endpoint unreachable ({type(exc).__name__})", [secret])
                ) from None
            except ValueError as exc:  # msal: authority not https, discovery failed
                raise FatalError(redact_text(f"msal could not start: {exc}", [secret])) from None
        if not isinstance(result, dict) or "access_token" not in result:
            result = result if isinstance(result, dict) else {}
            error = result.get("error", "unknown_error")
            description = str(result.get("error_description", "")).splitlines()[0:1]
            text = f"token request refused: {error}: {' '.join(description)}"
            raise FatalError(redact_text(text, [secret]))
        return str(result["access_token"])

    def close(self) -> None:
        """Close msal's HTTP session if this object made one."""
        if self._session is not None:
            self._session.close()

    def _application(self) -> Any:
        if self._app is None:
            s = self._settings
            host = s.authority_host.rstrip("/")
            kwargs: dict[str, Any] = {}
            if host != PUBLIC_CLOUD:
                kwargs["instance_discovery"] = False
            if s.ca_file is not None:
                # REQUESTS_CA_BUNDLE would silently override msal's ``verify``: own session.
                session = requests.Session()
                session.trust_env = False
                session.verify = str(s.ca_file)
                self._session = kwargs["http_client"] = session
            self._app = msal.ConfidentialClientApplication(
                s.client_id,
                client_credential=self._credential,
                authority=f"{host}/{s.tenant}",
                token_cache=msal.TokenCache(),
                timeout=s.timeout,
                **kwargs,
            )
        return self._app


def _credential(settings: GraphSettings) -> str | dict[str, str]:
    """msal's ``client_credential``: the secret, or private key and thumbprint from a PEM."""
    if settings.certificate_path is not None:
        try:
            pem = settings.certificate_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise FatalError(f"cannot read the certificate file: {type(exc).__name__}") from None
        blocks = [
            (m.group(1), m.group(0))
            for m in re.finditer(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", pem, re.S)
        ]
        keys = [text for kind, text in blocks if "PRIVATE KEY" in kind]
        certs = [text for kind, text in blocks if kind == "CERTIFICATE"]
        if not keys or not certs:
            raise FatalError("the certificate file needs a private key and a certificate (PEM)")
        try:
            cert = x509.load_pem_x509_certificate(certs[0].encode("ascii"))
        except ValueError:
            raise FatalError("the certificate in the certificate file cannot be read") from None
        return {"private_key": keys[0], "thumbprint": cert.fingerprint(hashes.SHA1()).hex()}
    if settings.client_secret:
        return settings.client_secret
    raise FatalError("Graph settings need a client_secret or a certificate_path")


# -- the client -------------------------------------------------------------------------------


class GraphClient:
    """Graph over HTTPS: typed errors, one retry policy, dry-run at the transport."""

    def __init__(
        self,
        settings: GraphSettings,
        *,
        dry_run: bool = False,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        token_provider: TokenProvider | None = None,
    ) -> None:
        self.settings = settings
        self.dry_run = dry_run
        self._created: dict[str, float] = {}  # id -> when this client created it
        self.requests_sent = 0
        self.writes_sent = 0
        self.throttled = 0
        self._sleep = sleep
        self._lock = threading.Lock()
        self._msal: MsalTokens | None = None
        if token_provider is None:
            self._msal = token_provider = MsalTokens(settings)
        self._tokens: TokenProvider = token_provider
        self._token: str | None = None
        self._base = settings.graph_url.rstrip("/")
        parts = urlsplit(self._base)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path
        verify = ssl.create_default_context(
            cafile=str(settings.ca_file) if settings.ca_file else None
        )
        self._http = httpx.Client(
            timeout=settings.timeout,
            verify=verify,
            transport=transport,
            # proxies from the environment only for the real cloud, never for a test transport
            trust_env=settings.ca_file is None and transport is None,
            headers={"User-Agent": USER_AGENT, "x-ms-throttle-priority": "low"},
        )

    # -- public calls -------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET one resource or one page."""
        response = self._call(lambda rid: self._exchange("GET", path, rid, params=params))
        return _object(response, f"GET {self._where(path)}")

    def paged(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink``; a repeated link is fatal."""
        seen: set[str] = set()
        page = self.get(path, params)
        while True:
            yield from page.get("value", [])
            link = page.get("@odata.nextLink")
            if not link:
                return
            self._check_new_link(str(link), seen)
            page = self.get(str(link))

    def delta(
        self, path: str, params: Mapping[str, str] | None, delta_link: str | None
    ) -> tuple[list[dict[str, Any]], str]:
        """All items of one delta round (from ``delta_link`` if given) and the next deltaLink.

        Raises :class:`DeltaExpired` when Graph no longer knows the link: start a full round.
        """
        seen: set[str] = set()
        page = self.get(delta_link) if delta_link else self.get(path, params)
        items: list[dict[str, Any]] = []
        while True:
            items.extend(page.get("value", []))
            if page.get("@odata.nextLink"):
                link = str(page["@odata.nextLink"])
                self._check_new_link(link, seen)
                page = self.get(link)
            elif page.get("@odata.deltaLink"):
                return items, str(page["@odata.deltaLink"])
            else:
                raise FatalError(
                    f"GET {self._where(path)}: a delta page without next or delta link"
                )

    def post(self, path: str, body: Any) -> dict[str, Any] | None:
        """POST; the created object (201) or the answer's JSON, None for an empty answer."""
        response = self._call(lambda rid: self._exchange("POST", path, rid, body=body))
        if response.status_code == 204 or not response.content:
            return None
        return _object(response, f"POST {self._where(path)}")

    def patch(self, path: str, body: Any) -> None:
        """PATCH (204)."""
        self._call(lambda rid: self._exchange("PATCH", path, rid, body=body))

    def delete(self, path: str) -> None:
        """DELETE (204)."""
        self._call(lambda rid: self._exchange("DELETE", path, rid))

    def batch(self, requests: Sequence[BatchRequest]) -> list[BatchResult]:
        """Send any number of requests as ``$batch`` calls of at most 20, ``concurrency`` at once.

        Inner answers 429/503/504 are sent again (only those, with their failed dependants) after
        the longest inner Retry-After, under the same retry policy. One result per request, in
        input order; an error that outlasts the policy is in its result's ``error``. An outer
        FatalError or RejectedError is raised.
        """
        ids = [r.id for r in requests]
        if len(set(ids)) != len(ids):
            raise ValueError("batch request ids must be unique")
        self._refuse_writes("POST", "/$batch", sum(r.method.upper() != "GET" for r in requests))
        rounds = [_BatchRound(self, chunk) for chunk in _chunks(requests)]
        if not rounds:
            return []
        workers = max(1, min(self.settings.concurrency, len(rounds)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="graph-batch") as pool:
            # Each round runs in a copy of the caller's context: its log lines keep the run's
            # correlation id.
            futures = [
                pool.submit(contextvars.copy_context().run, self._run_round, r) for r in rounds
            ]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        results = {rid: res for r in rounds for rid, res in r.results.items()}
        return [results[i] for i in ids]

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()
        if self._msal is not None:
            self._msal.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------------------

    def _call(self, attempt: Callable[[str], T]) -> T:
        """Run one logical request under the retry policy; the client-request-id stays the same."""
        request_id = str(uuid.uuid4())
        policy = retry_policy(self.settings.max_attempts, self.settings.max_wait, self._sleep)
        return policy(attempt, request_id)

    def _exchange(
        self,
        method: str,
        path: str,
        request_id: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        writes: int | None = None,
    ) -> httpx.Response:
        """One attempt: send, refresh the token once on 401, return a 2xx or raise typed."""
        method = method.upper()
        writes = (0 if method == "GET" else 1) if writes is None else writes
        where = f"{method} {self._where(path)}"
        self._refuse_writes(method, path, writes)
        url = self._url(path)
        response: httpx.Response | None = None
        for refresh in (False, True):
            token = self._bearer(refresh)
            headers = {"Authorization": f"Bearer {token}", "client-request-id": request_id}
            try:
                response = self._http.request(
                    method, url, params=params, json=body, headers=headers
                )
            except httpx.HTTPError as exc:
                if writes and not isinstance(exc, NOT_SENT):
                    raise lost_answer(exc, where) from exc
                raise translate_failure(exc, where) from exc
            finally:
                with self._lock:
                    self.requests_sent += 1
                    self.writes_sent += writes
            log.debug("%s -> %s (%s)", where, response.status_code, request_id)
            if response.status_code != 401:
                break
        assert response is not None
        if response.is_success:
            if response.status_code == 201:
                self._note_created(response)
            return response
        if response.status_code == 404 and self._mentions_new_object(path, body):
            # Eventual consistency: an object created moments ago may not have reached the
            # replica that answered. Retried by the one policy, like any transient answer.
            raise TransientError(f"{where}: just created, not yet visible", retry_after=0.5)
        if response.status_code == 429:
            self._count_throttled(1)
        error = translate(
            response.status_code,
            _body(response),
            response.headers,
            where=where,
            redact=[*_secrets_in(body), *self._secrets()],
        )
        if writes and ambiguous_status(response.status_code):
            raise OutcomeUnknown(f"{error}; the write may have been done: not sent again")
        raise error

    def _note_created(self, response: httpx.Response) -> None:
        created = _body(response)
        if isinstance(created, dict) and isinstance(created.get("id"), str):
            now = time.monotonic()
            with self._lock:
                self._created = {
                    k: t for k, t in self._created.items() if now - t < CONSISTENCY_WINDOW
                }
                self._created[created["id"]] = now

    def _mentions_new_object(self, path: str, body: Any) -> bool:
        now = time.monotonic()
        with self._lock:
            young = [k for k, t in self._created.items() if now - t < CONSISTENCY_WINDOW]
        if not young:
            return False
        text = path + (json.dumps(body) if body is not None else "")
        return any(object_id in text for object_id in young)

    def _bearer(self, refresh: bool) -> str:
        token = self._tokens(refresh)
        self._token = token
        return token

    def _secrets(self) -> list[str]:
        return [s for s in (self.settings.client_secret, self._token) if s]

    def _refuse_writes(self, method: str, path: str, writes: int) -> None:
        """Dry-run stops here: nothing that writes is ever sent."""
        if self.dry_run and writes:
            raise DryRunRejected(f"dry run: {method} {self._where(path)} not sent ({writes} write)")

    def _url(self, path: str) -> str:
        """Absolute URL of a path or link; links to another host are refused (the token)."""
        if path.startswith(("https://", "http://")):
            if not path.startswith(self._origin + "/"):
                raise FatalError(f"Graph link to another host refused: {urlsplit(path).netloc}")
            return path
        return f"{self._base}/{path.lstrip('/')}"

    def _where(self, path: str) -> str:
        """The path without query, for messages and logs (no filter values, no tokens)."""
        return urlsplit(path).path if "://" in path else path.split("?", 1)[0]

    def _relative(self, url: str) -> str:
        """A batch URL relative to the version (``/users/{id}``)."""
        if url.startswith(self._base):
            url = url[len(self._base) :]
        elif url.startswith(self._origin):
            url = url[len(self._origin) :].removeprefix(self._base_path)
        return "/" + url.lstrip("/")

    def _check_new_link(self, link: str, seen: set[str]) -> None:
        if link in seen:
            raise FatalError(f"GET {self._where(link)}: Graph repeated an @odata.nextLink")
        seen.add(link)

    def _run_round(self, batch_round: _BatchRound) -> None:
        try:
            self._call(batch_round.send_once)
        except TransientError as exc:  # outlasted the policy: the rest keep their last answer
            for request in batch_round.pending:
                batch_round.results.setdefault(request.id, BatchResult(request.id, 0, None, exc))
        except OutcomeUnknown as exc:  # the $batch was sent and its answer lost
            for request in batch_round.pending:
                lost: ConnectorError = (
                    TransientError(f"POST /$batch: no answer ({exc})")
                    if request.method.upper() == "GET"
                    else OutcomeUnknown(
                        f"{request.method.upper()} {self._where(request.url)}: {exc}"
                    )
                )
                batch_round.results[request.id] = BatchResult(request.id, 0, None, lost)

    def _count_throttled(self, n: int) -> None:
        with self._lock:
            self.throttled += n
        note_graph_throttled(n)  # the Prometheus counter of provisioner serve


class _InnerRetry(TransientError):
    """Some inner answers of a $batch were transient: send those again."""


class _BatchRound:
    """One chunk of at most 20 requests and what Graph answered so far."""

    def __init__(self, client: GraphClient, requests: list[BatchRequest]) -> None:
        self.client = client
        self.pending = requests
        self.results: dict[str, BatchResult] = {}

    def send_once(self, request_id: str) -> None:
        """POST the pending requests; raise _InnerRetry when some must be sent again."""
        client = self.client
        pending_ids = {r.id for r in self.pending}
        payload = {"requests": [self._inner(r, pending_ids) for r in self.pending]}
        writes = sum(r.method.upper() != "GET" for r in self.pending)
        response = client._exchange("POST", "/$batch", request_id, body=payload, writes=writes)
        answers = {
            str(a.get("id")): a
            for a in _object(response, "POST /$batch").get("responses", [])
            if isinstance(a, dict)
        }
        again: set[str] = set()
        waits: list[float] = []
        throttled = 0
        for request in self.pending:
            answer = answers.get(request.id)
            if answer is None:
                raise FatalError(f"POST /$batch: no answer for request {request.id}")
            status = int(answer.get("status", 0))
            headers = answer.get("headers") or {}
            body = answer.get("body")
            error: ConnectorError | None = None
            if not 200 <= status < 300:
                error = translate(
                    status,
                    body,
                    headers,
                    where=f"{request.method.upper()} {client._where(request.url)}",
                    redact=[*_secrets_in(request.body), *client._secrets()],
                )
                if request.method.upper() != "GET" and ambiguous_status(status):
                    error = OutcomeUnknown(f"{error}; the write may have been done: not sent again")
            throttled += status == 429
            self.results[request.id] = BatchResult(request.id, status, body, error)
            if isinstance(error, TransientError):
                again.add(request.id)
                if error.retry_after is not None:
                    waits.append(error.retry_after)
        client._count_throttled(throttled)
        grew = True
        while grew:  # a failed dependency (424) of a request sent again goes again too
            grew = False
            for request in self.pending:
                if (
                    request.id not in again
                    and self.results[request.id].status == 424
                    and again.intersection(request.depends_on)
                ):
                    again.add(request.id)
                    grew = True
        self.pending = [r for r in self.pending if r.id in again]
        if self.pending:
            raise _InnerRetry(
                f"POST /$batch: {len(self.pending)} inner requests to send again",
                max(waits) if waits else None,
            )

    def _inner(self, request: BatchRequest, pending_ids: set[str]) -> dict[str, Any]:
        inner: dict[str, Any] = {
            "id": request.id,
            "method": request.method.upper(),
            "url": self.client._relative(request.url),
        }
        if request.body is not None:
            inner["body"] = request.body
            inner["headers"] = {"Content-Type": "application/json"}
        depends = [d for d in request.depends_on if d in pending_ids]
        if depends:
            inner["dependsOn"] = depends
        return inner


def _chunks(requests: Sequence[BatchRequest]) -> list[list[BatchRequest]]:
    """Chunks of at most 20 in input order, keeping each request with what it depends on."""
    position = {r.id: n for n, r in enumerate(requests)}
    root = list(range(len(requests)))

    def find(n: int) -> int:
        while root[n] != n:
            root[n] = root[root[n]]
            n = root[n]
        return n

    for n, request in enumerate(requests):
        for dep in request.depends_on:
            if dep not in position:
                raise ValueError(f"batch request {request.id} depends on unknown {dep}")
            root[find(n)] = find(position[dep])
    groups: dict[int, list[BatchRequest]] = {}
    for n, request in enumerate(requests):
        groups.setdefault(find(n), []).append(request)
    chunks: list[list[BatchRequest]] = []
    for group in groups.values():  # in order of each group's first request
        if len(group) > BATCH_LIMIT:
            raise ValueError(f"more than {BATCH_LIMIT} batch requests depend on each other")
        if not chunks or len(chunks[-1]) + len(group) > BATCH_LIMIT:
            chunks.append([])
        chunks[-1].extend(group)
    return chunks


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def _object(response: httpx.Response, where: str) -> dict[str, Any]:
    body = _body(response)
    if not isinstance(body, dict):
        raise FatalError(f"{where}: Graph answered {response.status_code} without a JSON object")
    return body
