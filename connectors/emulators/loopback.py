"""The loopback HTTP(S) server the emulators share: they answer requests, this serves them.

    server = LoopbackServer(respond, name="afas-emulator", server_version="AfasEmulator")
    server.start()  # 127.0.0.1, a free port unless one is given; a background thread
    ...  # requests to server.url go to respond(method, target, headers, body)
    server.stop()

HTTP/1.1 with keep-alive; each request is handled in a daemon thread of its own. The answer
leaves in one write (headers and body buffered: no delayed-ACK stalls), with its
``Content-Length`` added. ``respond`` returns ``None`` to close the connection unanswered (a
dropped connection; sleep first for a timeout). With an ``ssl.SSLContext`` the server speaks
HTTPS, the handshake done in the request's thread. Nothing is logged: resets and aborted
requests or handshakes are the client's business. An emulator subclasses
:class:`LoopbackEmulator` (``stop`` and ``with``) and answers with :func:`json_answer`.
"""

from __future__ import annotations

import csv
import json
import ssl
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self, cast
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"
PYTHON = f"Python/{sys.version.split()[0]}"  # the Server header's usual second word
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Answer:
    """What to write back: the status, headers in order (``Content-Length`` comes last, from
    ``body``) and the body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def json_answer(
    status: int, body: Any, headers: Mapping[str, str], content_type: str = JSON_TYPE
) -> Answer:
    """``body`` as JSON after ``headers`` (and a ``Content-Type`` unless they have one); a
    ``None`` body as no body and no ``Content-Type``."""
    payload = b"" if body is None else json.dumps(body).encode()
    wire = dict(headers)
    if payload:
        wire.setdefault("Content-Type", content_type)
    return Answer(status, wire, payload)


def soap_fault(code: str, text: str, status: int = 500) -> Answer:
    """A SOAP 1.1 fault answer; ``code`` uses the envelope's ``soap`` prefix (``soap:Client``)."""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}">'
        f"<soap:Body><soap:Fault><faultcode>{escape(code)}</faultcode>"
        f"<faultstring>{escape(text)}</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    )
    return Answer(status, {"Content-Type": XML_TYPE}, body.encode())


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file to seed an emulator from (none when there is no file), values
    stripped; columns without a header are left out."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            {k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)
        ]


# (method, target: the path with its query, headers, body) -> the answer; None: drop it.
Respond = Callable[[str, str, Message, bytes], Answer | None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write (no delayed-ACK stalls)
    disable_nagle_algorithm = True
    respond: Respond

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        answer = self.respond(self.command, self.path, self.headers, body)
        if answer is None:  # a dropped connection: close without a word
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets, aborted requests and handshakes are the client's business


class _Startable(ABC):
    """``with`` is ``start``, then ``stop`` at the end."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LoopbackServer(_Startable):
    """Serves ``respond`` on 127.0.0.1 from a background thread between start and stop.

    Only ``methods`` reach ``respond``; others answer 501 as :mod:`http.server` does. The
    ``Server`` header is ``server_version``, a space and ``sys_version``.
    """

    def __init__(
        self,
        respond: Respond,
        *,
        name: str,
        server_version: str,
        sys_version: str = "",
        methods: Iterable[str] = METHODS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        attributes: dict[str, Any] = {f"do_{method}": _Handler._serve for method in methods}
        attributes.update(
            respond=staticmethod(respond), server_version=server_version, sys_version=sys_version
        )
        self._handler = cast(type[_Handler], type("Handler", (_Handler,), attributes))
        self.name = name
        self.ssl_context = ssl_context
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> LoopbackServer:
        """Listen on ``port`` (0: a free one) and serve; nothing when already serving."""
        if self._server is None:
            server = _Server((LOOPBACK, port), self._handler)
            if self.ssl_context is not None:
                server.socket = self.ssl_context.wrap_socket(
                    server.socket, server_side=True, do_handshake_on_connect=False
                )
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop
                name=self.name,
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; nothing when not serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def host(self) -> str:
        return str(self._address()[0])

    @property
    def port(self) -> int:
        return int(self._address()[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, or ``https://`` with an SSL context."""
        scheme = "http" if self.ssl_context is None else "https"
        return f"{scheme}://{self.host}:{self.port}"

    def _address(self) -> tuple[Any, ...]:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        return tuple(self._server.server_address)


def json_side_channel(
    answer: Callable[[str, str, dict[str, str]], Any], name: str
) -> LoopbackServer:
    """A started plain-HTTP loopback server for a harness's cheap questions to an emulator it
    hosts (the benchmarks' side channels): ``answer(method, path, query)`` returns a JSON-able
    value; an exception is a 500 with its class and message."""

    def respond(method: str, target: str, headers: Message, body: bytes) -> Answer:
        parts = urlsplit(target)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        try:
            return json_answer(200, answer(method, parts.path, query), {})
        except Exception as exc:  # a question the host cannot answer
            return json_answer(500, {"error": f"{type(exc).__name__}: {exc}"}, {})

    return LoopbackServer(respond, name=name, server_version=name).start()


class LoopbackEmulator(_Startable):
    """``stop`` and ``with`` for an emulator whose ``start`` puts its server in ``_server``."""

    _server: LoopbackServer | None = None

    @property
    def root_url(self) -> str:
        """``http(s)://127.0.0.1:<port>`` of the running server."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server.url

    @property
    def url(self) -> str:
        """The URL a client's configuration gives (an emulator under a path overrides it)."""
        return self.root_url

    def serve(
        self,
        respond: Respond,
        *,
        name: str,
        server_version: str,
        methods: Iterable[str] = ("GET", "POST"),
        port: int = 0,
    ) -> None:
        """Serve ``respond`` on ``port`` (0: a free one), with ``Server: <server_version>
        Python/<version>``; nothing when already serving. For ``start``."""
        if self._server is None:
            self._server = LoopbackServer(
                respond, name=name, server_version=server_version, sys_version=PYTHON,
                methods=methods,
            ).start(port)  # fmt: skip

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
