"""The HTTP endpoint of ``provisioner serve``: health, readiness, metrics and Slack's events.

Python's own ``ThreadingHTTPServer``: four routes, one thread per request, no framework and
no extra dependency. Slack's HTTP mode needs an answer within 3 seconds, which a thread per
request gives while a sync runs in the background (200 requests at once are acknowledged
with a p99 well under 300 ms while the nightly run applies: ``benchmarks/bot.py``; the
listen backlog takes such a burst, and the bot runtime answers before it works);
everything else here is a probe or a scrape. (A board that exposes the endpoint to the
internet puts its usual reverse proxy with TLS in front; Socket Mode needs no inbound
connection at all.)

- ``GET /healthz``: 200 while the process's own threads are alive (liveness);
- ``GET /readyz``: 200 when the database answers and its schema is this release's (readiness);
- ``GET /metrics``: Prometheus text format;
- ``POST /slack/events``: handed to the bot runtime (signature checked there).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from bot.slack_gate import chat_correlation_id
from provisioner.logging_setup import correlation

log = logging.getLogger("provisioner.http")
MAX_BODY = 1_000_000  # Slack payloads are small; refuse anything absurd


class SlackHttpHandler(Protocol):
    def handle_http(
        self, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]: ...


class Probes(Protocol):
    def healthy(self) -> tuple[bool, str]: ...

    def ready(self) -> tuple[bool, str]: ...


def make_server(
    host: str,
    port: int,
    probes: Probes,
    slack: Callable[[], SlackHttpHandler | None],
) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0: a free one; see ``server.server_port``)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "provisioner"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.command, format % args)

        def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _text(self, status: int, text: str) -> None:
            self._send(status, (text + "\n").encode(), {"Content-Type": "text/plain"})

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                ok, why = probes.healthy()
                self._text(200 if ok else 503, why)
            elif path == "/readyz":
                ok, why = probes.ready()
                self._text(200 if ok else 503, why)
            elif path == "/metrics":
                self._send(200, generate_latest(REGISTRY), {"Content-Type": CONTENT_TYPE_LATEST})
            else:
                self._text(404, "not found")

        do_HEAD = do_GET

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != "/slack/events":
                self._text(404, "not found")
                return
            runtime = slack()
            if runtime is None:
                self._text(404, "the Slack bot is not configured")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._text(413, "too large")
                return
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            with correlation(chat_correlation_id()):
                try:
                    status, reply_headers, reply = runtime.handle_http(body, headers)
                except Exception:
                    log.exception("the bot could not handle a Slack request")
                    status, reply_headers, reply = 500, {"Content-Type": "text/plain"}, b""
            self._send(status, reply, reply_headers)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        # Slack sends bursts (a class's worth of button presses at once): the listen backlog
        # takes them all instead of the socket module's 5, which resets the rest.
        request_queue_size = 1024

    return Server((host, port), Handler)


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    return thread
