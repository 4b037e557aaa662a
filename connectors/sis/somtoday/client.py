"""Somtoday Connect transport: OAuth2 client credentials per organisation, paging, the one retry
policy and the one error translation. The mapping is :mod:`connectors.sis.somtoday.source`,
which keeps these names importable."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import httpx

from connectors.oauth import OAuthClient, error_body, translate_answer, translate_failure
from connectors.retry import retry_policy
from connectors.sis.somtoday.config import SomtodaySourceConfig
from provisioner.errors import ConnectorError, FatalError

VESTIGINGEN = "/connect/vestiging"
MAX_AMOUNT = 200  # Somtoday's largest page
MAX_ATTEMPTS = 6
MAX_WAIT = 300.0


# -- error translation: the one place Somtoday answers and transport failures become errors --


def translate(
    where: str, outcome: httpx.Response | httpx.HTTPError, secrets: Collection[str] = ()
) -> ConnectorError:
    """The typed error for a failed call: an error answer or a transport failure.

    ``invalid_client``, 401/403 (also: "access expires before the peilschooljaar") and 404 are
    fatal; 408, 429, 5xx and timeouts transient, with the server's ``Retry-After``; any other
    answer is fatal (a read-only client has nothing to skip). Every secret is blanked.
    """
    if isinstance(outcome, httpx.HTTPError):
        return translate_failure("Somtoday", where, outcome, secrets)
    return translate_answer(
        "Somtoday",
        where,
        outcome,
        secrets,
        _error_detail,
        credentials_hint="check the client's credentials, the organisation and that the "
        "school authorised this koppeling",
        url_hint="check api_url and the organisation",
    )


def _error_detail(response: httpx.Response) -> tuple[str, str]:
    """(code, text) from an OAuth2 error or Somtoday's ``{code, problem, clarification}``."""
    body = error_body(response)
    if isinstance(body, tuple):
        return body
    problem = str(body.get("problem") or "")
    clarification = str(body.get("clarification") or "")
    text = f"{problem}; {clarification}" if problem and clarification else problem or clarification
    return "", text[:200]


# -- the transport ----------------------------------------------------------------------------


class SomtodayClient(OAuthClient):
    """Token, paging, retry and error translation for Somtoday Connect (one organisation)."""

    def __init__(
        self,
        config: SomtodaySourceConfig,
        client_secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        page_size: int = MAX_AMOUNT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= page_size <= MAX_AMOUNT:
            raise ValueError(f"page_size must be 1 to {MAX_AMOUNT}")
        super().__init__(
            token_url=config.token_url,
            client_id=config.client_id,
            client_secret=client_secret,
            translate=translate,
            ca_file=config.ca_file,
            token_params={"organisation": config.organisation},  # a token per organisation
            transport=transport,
            clock=clock,
        )
        self.config = config
        self.page_size = page_size
        self._sleep = sleep
        self._base = config.api_url.rstrip("/")

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """One GET of ``path`` (under ``api_url``), retried by the one policy."""
        retrying = retry_policy(MAX_ATTEMPTS, MAX_WAIT, self._sleep)
        return retrying(self.get_json, self._base + path, path, dict(params or {}))

    def vestigingen(self) -> list[Any]:
        """Every vestiging the client may read (``/connect/vestiging``)."""
        answer = self.get(VESTIGINGEN)
        listed = answer.get("vestigingen") if isinstance(answer, dict) else None
        if not isinstance(listed, list):
            raise FatalError(f"{VESTIGINGEN}: the answer has no 'vestigingen' list")
        return listed

    def list_all(
        self, path: str, key: str, params: Mapping[str, str | int] | None = None
    ) -> list[Any]:
        """Every item of the list ``key`` of a paged endpoint, until a short page."""
        items: list[Any] = []
        offset = 0
        previous: Any = None
        while True:
            page = self.get(path, {**(params or {}), "offset": offset, "amount": self.page_size})
            value = page.get(key) if isinstance(page, dict) else None
            if not isinstance(value, list):
                raise FatalError(f"{path}: the answer has no '{key}' list")
            if value and value == previous:
                raise FatalError(f"{path}: offset {offset} repeated the previous page")
            items.extend(value)
            if len(value) < self.page_size:
                return items
            previous = value
            offset += len(value)
