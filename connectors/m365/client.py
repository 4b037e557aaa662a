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
  transport failures (timeouts, resets) in :func:`translate_failure` (both in
  :mod:`connectors.m365.errors`; auth in :mod:`connectors.m365.auth`, ``$batch`` requests
  in :mod:`connectors.m365.batch`; their names stay importable from here);
- in dry-run mode nothing but reads leaves the process (:class:`DryRunRejected`);
- no secret, token or password ever appears in an exception message or a log line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from connectors.m365.auth import (
    GRAPH_SCOPE,
    PUBLIC_CLOUD,
    GraphSettings,
    MsalTokens,
    TokenProvider,
)
from connectors.m365.auth import credential as _credential
from connectors.m365.batch import BATCH_LIMIT, BatchRequest, BatchResult
from connectors.m365.batch import chunks as _chunks
from connectors.m365.errors import (
    NOT_SENT,
    DeltaExpired,
    ambiguous_status,
    lost_answer,
    secrets_in,
    translate,
    translate_failure,
)
from connectors.m365.pacing import WritePacer
from connectors.retry import retry_policy
from provisioner.errors import (
    ConnectorError,
    DryRunRejected,
    FatalError,
    TransientError,
)
from provisioner.metrics import note_graph_throttled
from provisioner.targets import OutcomeUnknown

log = logging.getLogger(__name__)

__all__ = [
    "BATCH_LIMIT",
    "GRAPH_SCOPE",
    "NOT_SENT",
    "PUBLIC_CLOUD",
    "BatchRequest",
    "BatchResult",
    "DeltaExpired",
    "GraphClient",
    "GraphSettings",
    "MsalTokens",
    "TokenProvider",
    "_credential",
    "ambiguous_status",
    "lost_answer",
    "translate",
    "translate_failure",
]  # fmt: skip

T = TypeVar("T")
USER_AGENT = "school-provisioner"


#: How long after creating an object a 404 about it counts as "not replicated yet".
CONSISTENCY_WINDOW = 30.0


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
        window = settings.write_window if settings.write_quota > 0 else 0.0
        self._pacer = WritePacer(settings.write_quota, window, sleep=sleep)
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
        self._pacer.take(writes)
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
            self._pacer.give_back(writes)
        error = translate(
            response.status_code,
            _body(response),
            response.headers,
            where=where,
            redact=[*secrets_in(body), *self._secrets()],
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
        throttled = refused_writes = 0
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
                    redact=[*secrets_in(request.body), *client._secrets()],
                )
                if request.method.upper() != "GET" and ambiguous_status(status):
                    error = OutcomeUnknown(f"{error}; the write may have been done: not sent again")
            throttled += status == 429
            refused_writes += status == 429 and request.method.upper() != "GET"
            self.results[request.id] = BatchResult(request.id, status, body, error)
            if isinstance(error, TransientError):
                again.add(request.id)
                if error.retry_after is not None:
                    waits.append(error.retry_after)
        client._count_throttled(throttled)
        client._pacer.give_back(refused_writes)
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
