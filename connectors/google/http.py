"""The HTTP underneath Google's client libraries: httplib2's interface, httpx's transport.

google-api-python-client and google-auth-httplib2 speak to an ``httplib2.Http``. httplib2
sends a request again by itself when a connection breaks before the answer (whatever its
``RETRIES`` says): a write that reached Google would be made twice. :class:`SingleShotHttp`
keeps that interface and sends each request exactly once; a failure says whether the request
provably never left (:class:`NotSent`: the connection could not be made) or may have arrived
(:class:`NoAnswer`). Whether to try again is the one retry policy's decision, never this
layer's.
"""

from __future__ import annotations

from typing import Any

import httplib2  # type: ignore[import-untyped]
import httpx


class NotSent(httplib2.HttpLib2Error, ConnectionRefusedError):  # type: ignore[misc]
    """The request never left: the connection could not be made."""


class NoAnswer(httplib2.HttpLib2Error, ConnectionResetError):  # type: ignore[misc]
    """The request was (or may have been) sent, and no answer came."""


class SingleShotHttp:
    """``httplib2.Http.request`` over one ``httpx.Client``, without resending."""

    def __init__(self, timeout: float, *, trust_env: bool) -> None:
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, trust_env=trust_env, follow_redirects=False)

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = 0,
        connection_type: Any = None,
        **kwargs: Any,
    ) -> tuple[httplib2.Response, bytes]:
        content = body.encode() if isinstance(body, str) else body
        try:
            answer = self._client.request(method, uri, content=content, headers=headers or {})
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotSent(type(exc).__name__) from None
        except httpx.HTTPError as exc:
            raise NoAnswer(type(exc).__name__) from None
        info = {name.lower(): value for name, value in answer.headers.items()}
        info["status"] = str(answer.status_code)
        response = httplib2.Response(info)
        response.reason = answer.reason_phrase
        return response, answer.content

    def close(self) -> None:
        self._client.close()
