"""Youforce transport: OAuth2 client credentials, the client-side pacer for the API's
calls-per-minute limit, ``value``/``nextLink`` paging, the one retry policy and the one error
translation. The mapping is :mod:`connectors.hr.youforce.source`, which keeps these names
importable."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from connectors.hr.youforce.config import YouforceSourceConfig
from connectors.oauth import OAuthClient, error_body, translate_answer, translate_failure
from connectors.retry import retry_policy
from provisioner.errors import ConnectorError, FatalError

MAX_ATTEMPTS = 6  # per call, the first included
MAX_WAIT = 300.0  # seconds one call may spend waiting to be retried


# -- error translation: the one place Youforce answers and transport failures become errors --


def translate(
    where: str, outcome: httpx.Response | httpx.HTTPError, secrets: Collection[str] = ()
) -> ConnectorError:
    """The typed error for a failed call: an error answer or a transport failure.

    401/403, ``invalid_client`` and 404 are fatal (credentials, rights or URL are wrong); 408,
    429, 5xx and timeouts are transient, with the server's ``Retry-After``; any other answer
    is fatal (a read-only client has nothing to skip). Every string in ``secrets`` is blanked.
    """
    if isinstance(outcome, httpx.HTTPError):
        return translate_failure("Youforce", where, outcome, secrets)
    return translate_answer(
        "Youforce",
        where,
        outcome,
        secrets,
        _error_detail,
        credentials_hint="check the client's credentials and API rights",
        url_hint="check base_url, and that the endpoint is enabled",
    )


def _error_detail(response: httpx.Response) -> tuple[str, str]:
    """(code, text) from an OAuth2, Apigee fault or plain ``message`` error body."""
    body = error_body(response)
    if isinstance(body, tuple):
        return body
    fault = body.get("fault")
    if isinstance(fault, dict):  # the API gateway (spike arrest, quota)
        detail = fault.get("detail")
        code = detail.get("errorcode") if isinstance(detail, dict) else None
        return str(code or ""), str(fault.get("faultstring") or "")[:200]
    return "", str(body.get("message") or "")[:200]


class CallPacer:
    """Keeps to ``per_minute`` calls in any 60 seconds, counting every call made.

    Each call starts at least ``60 / per_minute`` seconds after the previous one *ended*, so
    the server, which counts arrivals, never sees more than ``per_minute`` in a 60-second
    window, nor two calls closer than that interval (what a spike-arrest policy enforces).
    """

    def __init__(
        self, per_minute: int, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Sleep until the next call may start."""
        if self._next is not None:
            delay = self._next - self._clock()
            if delay > 0:
                self._sleep(delay)

    def done(self) -> None:
        """A call has ended (with an answer or without)."""
        self._next = self._clock() + self.interval


class YouforceClient(OAuthClient):
    """Auth, pacing, paging, retry and error translation for the Youforce IAM API.

    Use as a context manager around a read: the HTTP connection pool lives that long; the
    token and the pacer live as long as this object, so a second read reuses the token.
    """

    def __init__(
        self,
        config: YouforceSourceConfig,
        client_secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            token_url=config.token_url,
            client_id=config.client_id,
            client_secret=client_secret,
            translate=translate,
            ca_file=config.ca_file,
            token_form={"tenant_id": config.tenant_id} if config.tenant_id else None,
            transport=transport,
            clock=clock,
        )
        self.config = config
        self._sleep = sleep
        self._pacer = CallPacer(config.calls_per_minute, clock, sleep)
        self._base = config.base_url.rstrip("/")

    def list_all(self, path: str) -> list[Any]:
        """Every item of a list endpoint, following ``nextLink``; a repeated link is fatal."""
        url = self._base + path
        seen = {url}
        items: list[Any] = []
        retrying = retry_policy(MAX_ATTEMPTS, MAX_WAIT, self._sleep)
        while True:
            page = retrying(self.get_json, url, path)
            value = page.get("value", page.get("values")) if isinstance(page, dict) else None
            if not isinstance(value, list):
                raise FatalError(f"{path}: the answer has no 'value' list")
            items.extend(value)
            link = page.get("nextLink")
            if not link:
                return items
            if not isinstance(link, str):
                raise FatalError(f"{path}: 'nextLink' is not a link")
            url = self._follow(link)
            if url in seen:
                raise FatalError(f"{path}: the API repeated nextLink {url}; paging would not end")
            seen.add(url)

    def _follow(self, link: str) -> str:
        """``link`` on the configured scheme and host: the token is never sent elsewhere."""
        base = urlsplit(self._base)
        target = urlsplit(urljoin(self._base + "/", link))
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> httpx.Response:
        """Every call, the token request too, is paced to the API's limit."""
        self._pacer.wait()
        try:
            return super()._send(method, url, where, **kwargs)
        finally:
            self._pacer.done()
