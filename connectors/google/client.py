"""The Google transport: auth, the one retry policy, paging, batches, pacing, dry-run.

Everything the Google target sends goes through :class:`GoogleClient`, with Google's own
libraries: google-auth's service-account credentials with ``subject=`` (domain-wide
delegation: the service account acts as the admin), google-auth-httplib2 to sign the
requests and google-api-python-client's discovery-built services and ``BatchHttpRequest``.
What it guarantees:

- every call runs under the project's one retry policy (:func:`connectors.retry.retry_policy`):
  throttling (403 ``rateLimitExceeded``/``userRateLimitExceeded``, 429) and 5xx refusals are
  retried with exponential backoff and full jitter, bounded in attempts and time;
- a write is never sent again once it may have reached Google: a lost answer or a write's
  500/502/504 raises :class:`OutcomeUnknown` (the HTTP underneath is
  :class:`connectors.google.http.SingleShotHttp`, not httplib2, which resends by itself);
  ``idempotent=True`` calls (``users.signOut``) may be resent;
- every error becomes a typed error in :mod:`connectors.google.errors`;
- in dry-run mode nothing but reads leaves the process (:class:`DryRunRejected`), batches
  included: the check is on every request as it is about to be sent;
- requests are paced below the project's per-user quota per minute, so a big first run is
  not throttled; batches of at most ``batch_size`` calls (Google recommends at most 50),
  each call counted;
- no key, token or personal data in an exception message or a log line (method ids only).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import google_auth_httplib2  # type: ignore[import-untyped]
import googleapiclient  # type: ignore[import-untyped]
import httplib2  # type: ignore[import-untyped]
from google.auth import exceptions as auth_errors
from google.oauth2 import service_account
from googleapiclient.discovery import build_from_document  # type: ignore[import-untyped]
from googleapiclient.errors import HttpError  # type: ignore[import-untyped]
from googleapiclient.http import BatchHttpRequest, HttpRequest  # type: ignore[import-untyped]

from connectors.google.errors import refusal, throttled, translate, transport_failure
from connectors.google.http import SingleShotHttp
from connectors.retry import retry_policy
from provisioner.errors import (
    ConnectorError,
    DryRunRejected,
    FatalError,
    OutcomeUnknown,
    TransientError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# The client library logs every request's URL at DEBUG (user keys, search values): never ours.
for _name in ("googleapiclient.discovery", "googleapiclient.http", "google_auth_httplib2"):
    logging.getLogger(_name).setLevel(logging.INFO)

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
SCOPE = "https://www.googleapis.com/auth/"
DIRECTORY_SCOPES = tuple(
    SCOPE + s
    for s in (
        "admin.directory.user",
        "admin.directory.orgunit",
        "admin.directory.group",
        "admin.directory.group.member",
    )
)
DRIVE_SCOPE = SCOPE + "drive"
LICENSING_SCOPE = SCOPE + "apps.licensing"
#: api -> (discovery document, batch path); Google's per-API batch endpoints
APIS = {
    "directory": ("admin.directory_v1", "batch/admin/directory_v1"),
    "drive": ("drive.v3", "batch/drive/v3"),
    "licensing": ("licensing.v1", "batch"),
}
Make = Callable[[Any], HttpRequest]


@dataclass(frozen=True)
class GoogleSettings:
    """As whom and where to reach Google, and how patiently."""

    key_info: Mapping[str, Any] = field(repr=False)  # the service account's JSON key
    subject: str  # the admin the service account acts as
    scopes: tuple[str, ...] = DIRECTORY_SCOPES
    root_url: str | None = None  # None: Google's own
    timeout: float = 30.0
    max_attempts: int = 8
    max_wait: float = 300.0
    quotas: Mapping[str, int] = field(
        default_factory=lambda: {"directory": 2400, "drive": 12000, "licensing": 2400}
    )
    batch_size: int = 50
    quota_window: float = 60.0  # the seconds a quota is counted over (Google: a minute)


class Pacer:
    """Keeps one API's requests below its quota per window (a token bucket, 95% of it)."""

    def __init__(self, quota: int, window: float, sleep: Callable[[float], None]) -> None:
        self.capacity = quota * 0.95
        self.rate = self.capacity / window
        self.level = self.capacity
        self.last = time.monotonic()
        self.sleep = sleep
        self.lock = threading.Lock()

    def take(self, count: int) -> None:
        needed = min(float(count), self.capacity)
        with self.lock:
            now = time.monotonic()
            self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
            self.last = now
            self.level -= needed
            wait = -self.level / self.rate if self.level < 0 else 0.0
        if wait > 0:
            self.sleep(wait)


class GoogleClient:
    """The Directory, Drive and Licensing APIs: typed errors, one retry policy, dry-run."""

    def __init__(
        self,
        settings: GoogleSettings,
        *,
        dry_run: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.dry_run = dry_run
        self._sleep = sleep
        try:
            self._credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                dict(settings.key_info), scopes=list(settings.scopes), subject=settings.subject
            )
        except (ValueError, KeyError) as exc:
            raise FatalError(
                f"the service account key cannot be used ({type(exc).__name__})"
            ) from None
        self._documents: dict[str, dict[str, Any]] = {}
        for api, (name, _) in APIS.items():
            document = json.loads((DOCUMENTS / f"{name}.json").read_text(encoding="utf-8"))
            if settings.root_url:
                document["rootUrl"] = settings.root_url.rstrip("/") + "/"
            self._documents[api] = document
        self._local = threading.local()
        self._pacers = {
            api: Pacer(quota, settings.quota_window, sleep)
            for api, quota in settings.quotas.items()
        }
        self._lock = threading.Lock()
        self._opened: list[SingleShotHttp] = []
        self.requests_sent = 0
        self.writes_sent = 0
        self.throttled = 0

    # -- single calls ----------------------------------------------------------------------

    def call(self, api: str, make: Make, *, idempotent: bool = False) -> Any:
        """One request (``make(service)`` builds it) under the retry policy; its JSON answer."""

        def attempt() -> Any:
            request = make(self._service(api))
            write = self._check(request)
            self._pacers[api].take(1)
            self._count(1, int(write))
            try:
                return request.execute(num_retries=0)
            except HttpError as exc:
                error = translate(
                    exc.status_code, exc.content, request.methodId, write=write and not idempotent
                )
                self._note(error)
                raise error from None
            except auth_errors.GoogleAuthError as exc:
                raise refusal(exc) from None
            except (httplib2.HttpLib2Error, OSError, ValueError) as exc:
                raise transport_failure(
                    exc, request.methodId, write=write and not idempotent
                ) from None

        return self._policy()(attempt)

    def pages(
        self, api: str, make: Callable[[Any, str | None], HttpRequest]
    ) -> Iterator[dict[str, Any]]:
        """Every page of a list call, following ``nextPageToken``; a repeated token is fatal."""
        seen: set[str] = set()
        token: str | None = None
        while True:
            page = self.call(api, functools.partial(_page, make, token))
            yield page
            token = page.get("nextPageToken")
            if not token:
                return
            if token in seen:
                raise FatalError("Google repeated a pageToken")
            seen.add(token)

    # -- batches ---------------------------------------------------------------------------

    def batch(self, api: str, makers: Sequence[Make]) -> list[Any]:
        """Send requests in batches of at most ``batch_size`` to the API's batch endpoint.
        One result per request, in order: its JSON answer, or the ConnectorError it ended
        with. Throttled and refused calls, and reads that failed on Google's side, are sent
        again (only those) under the retry policy; a batch whose answer is lost makes every
        write in it :class:`OutcomeUnknown`."""
        results: list[Any] = [None] * len(makers)
        size = max(1, min(self.settings.batch_size, 1000))
        for start in range(0, len(makers), size):
            chunk = list(range(start, min(start + size, len(makers))))
            state = _Round(chunk)
            try:
                self._policy()(functools.partial(self._send_round, api, makers, state))
            except DryRunRejected:
                raise
            except ConnectorError as exc:
                for n in state.pending:
                    state.done[n] = exc
            for n in chunk:
                results[n] = state.done.get(n)
        return results

    def _send_round(self, api: str, makers: Sequence[Make], state: _Round) -> None:
        service = self._service(api)
        answers: dict[str, tuple[Any, HttpError | None]] = {}

        def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
            answers[request_id] = (response, exception)

        base = self._documents[api]["rootUrl"] + APIS[api][1]
        batch = BatchHttpRequest(callback=collect, batch_uri=base)
        requests: dict[int, HttpRequest] = {}
        writes = 0
        for n in state.pending:
            request = makers[n](service)
            writes += self._check(request)
            requests[n] = request
            batch.add(request, request_id=str(n))
        self._pacers[api].take(len(requests))
        self._count(len(requests), writes)
        try:
            batch.execute(http=self._local.https[api])
        except HttpError as exc:
            error = translate(exc.status_code, exc.content, f"{api}.batch", write=False)
            self._note(error)
            raise error from None
        except auth_errors.GoogleAuthError as exc:
            raise refusal(exc) from None
        except (httplib2.HttpLib2Error, OSError, ValueError) as exc:
            error = transport_failure(exc, f"{api}.batch", write=writes > 0)
            if isinstance(error, OutcomeUnknown):
                for n, request in requests.items():
                    state.done[n] = error if request.method != "GET" else None
                state.pending = [n for n, r in requests.items() if r.method == "GET"]
                if not state.pending:
                    return
                error = transport_failure(exc, f"{api}.batch", write=False)
            raise error from None
        again: list[int] = []
        for n, request in requests.items():
            response, failure = answers.get(str(n), (None, None))
            if failure is None:
                state.done[n] = response
                continue
            error = translate(
                failure.status_code,
                failure.content,
                request.methodId,
                write=request.method != "GET",
            )
            self._note(error)
            if isinstance(error, TransientError):  # throttled, refused, a read's 5xx
                again.append(n)
            state.done[n] = error
        state.pending = again
        if again:
            raise TransientError(f"{api}.batch: {len(again)} calls throttled or refused")

    # -- internals -------------------------------------------------------------------------

    def _policy(self) -> Any:
        return retry_policy(self.settings.max_attempts, self.settings.max_wait, self._sleep)

    def _service(self, api: str) -> Any:
        """This thread's service object for ``api`` (httplib2 is not thread-safe)."""
        services: dict[str, Any] | None = getattr(self._local, "services", None)
        if services is None:
            services = self._local.services = {}
            self._local.https = {}
        if api not in services:
            single = SingleShotHttp(self.settings.timeout, trust_env=self.settings.root_url is None)
            with self._lock:
                self._opened.append(single)
            http = google_auth_httplib2.AuthorizedHttp(self._credentials, http=single)
            self._local.https[api] = http
            services[api] = build_from_document(copy.deepcopy(self._documents[api]), http=http)
        return services[api]

    def _check(self, request: HttpRequest) -> bool:
        """Is ``request`` a write? In dry-run mode a write stops here."""
        write = str(request.method).upper() != "GET"
        if write and self.dry_run:
            raise DryRunRejected(f"dry run: {request.methodId} not sent")
        return write

    def _count(self, requests: int, writes: int) -> None:
        with self._lock:
            self.requests_sent += requests
            self.writes_sent += writes

    def _note(self, error: ConnectorError) -> None:
        if throttled(error):
            with self._lock:
                self.throttled += 1

    def close(self) -> None:
        """Close the connections of every thread that used this client."""
        with self._lock:
            opened, self._opened = self._opened, []
        for http in opened:
            http.close()


def op(resource: str, method: str, **params: Any) -> Make:
    """What builds one request: ``op("users", "get", userKey=...)`` is
    ``service.users().get(userKey=...)``."""

    def make(service: Any) -> HttpRequest:
        return getattr(getattr(service, resource)(), method)(**params)

    return make


def pages_of(resource: str, method: str, **params: Any) -> Callable[[Any, str | None], HttpRequest]:
    """What builds each page's request of a list call, for :meth:`GoogleClient.pages`."""

    def make(service: Any, token: str | None) -> HttpRequest:
        return getattr(getattr(service, resource)(), method)(**params, pageToken=token)

    return make


def _page(make: Callable[[Any, str | None], HttpRequest], token: str | None, service: Any) -> Any:
    return make(service, token)


@dataclass
class _Round:
    """The calls of one batch still to be answered, and the answers so far."""

    pending: list[int]
    done: dict[int, Any] = field(default_factory=dict)
