"""The loopback HTTPS server: identity endpoints, Graph routing, ``$batch``, faults, records."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import ipaddress
import json
import math
import os
import random
import secrets
import shutil
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from connectors.emulators.loopback import Answer, LoopbackEmulator, LoopbackServer, json_answer

if TYPE_CHECKING:
    from connectors.m365.client import GraphSettings

from .model import EmulatorSettings, GraphError, RecordedRequest, Reply, bad_request
from .sharepoint import (
    DRIVE_DEFAULT,
    DRIVE_READABLE,
    LIST_DEFAULT,
    LIST_READABLE,
    PERMISSION_DEFAULT,
    PERMISSION_READABLE,
    SITE_DEFAULT,
    SITE_READABLE,
    SharePoint,
    invalid_request,
    show,
)
from .tenant import (
    GROUP_DEFAULT,
    GROUP_FILTERABLE,
    GROUP_READABLE,
    USER_DEFAULT,
    USER_FILTERABLE,
    USER_READABLE,
    Tenant,
    is_unified,
    parse_filter,
    parse_select,
    project,
    public,
)
from .throttle import WRITE_METHODS, Throttle, cost

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TOKEN_LIFETIME = 3599
BATCH_LIMIT = 20
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
PENDING = -1  # status of a recorded request whose answer is not written yet
EXPIRED_DELTA = (
    "The sync state generation is not found. The delta token is expired and data must be "
    "synchronized again."
)


def _encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


def _signature(method: str, target: str, body: Any) -> str:
    """Method, path and query (relative to /v1.0, decoded) and canonical JSON body."""
    canonical = "" if body is None else json.dumps(body, sort_keys=True, separators=(",", ":"))
    return f"{method} {unquote(target)} {canonical}"


def _write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Graph emulator throwaway CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "server.pem", "key.pem"))
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


class GraphEmulator(LoopbackEmulator):
    """A Microsoft Graph v1.0 subset (see docs/m365.md) on loopback HTTPS.

    ``with GraphEmulator(settings) as emu:`` starts it; point msal at ``emu.authority``
    (``instance_discovery=False``, trusting ``emu.ca_file``) and Graph calls at
    ``emu.graph_url``. Every request is in ``emu.requests``.
    """

    def __init__(
        self, settings: EmulatorSettings | None = None, state_file: Path | None = None
    ) -> None:
        self.settings = settings or EmulatorSettings()
        self.state_file = state_file
        domain = f"{self.settings.tenant.lower()}.onmicrosoft.com"
        host = f"{self.settings.tenant.lower()}.sharepoint.com"
        self.tenant = Tenant(self.settings.skus, domain)
        self.sharepoint = SharePoint(host)
        if state_file is not None and state_file.exists():
            data = json.loads(state_file.read_text(encoding="utf-8"))
            self.tenant = Tenant.from_json(data, self.settings.skus, domain)
            self.sharepoint = SharePoint.from_json(data.get("sharepoint"), host)
        self.throttle = Throttle(
            self.settings.window_scale, self.settings.budget_scale, self.settings.throttling
        )
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._rng = random.Random(self.settings.seed)
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        # request signature -> (when Retry-After was given, the earliest proper retry)
        self._not_before: dict[str, tuple[float, float]] = {}
        self._cert_dir: Path | None = None
        self._url: str | None = None
        self._ca_file: Path | None = None

    # -- life cycle --------------------------------------------------------------------------

    def start(self, port: int = 0) -> GraphEmulator:
        if self._server is not None:
            return self
        self._cert_dir = Path(tempfile.mkdtemp(prefix="graph-emulator-"))
        self._ca_file, cert_file, key_file = _write_certificates(self._cert_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self._server = LoopbackServer(
            self._respond,
            name="graph-emulator",
            server_version="GraphEmulator",
            ssl_context=context,
        ).start(port)
        self._url = self._server.url
        return self

    def stop(self) -> None:
        """Stop serving; with a ``state_file``, save the tenant to it (JSON)."""
        super().stop()
        if self.state_file is not None:
            with self._lock:
                state = {**self.tenant.to_json(), "sharepoint": self.sharepoint.to_json()}
                text = json.dumps(state, sort_keys=True)
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.state_file)
        if self._cert_dir is not None:
            shutil.rmtree(self._cert_dir, ignore_errors=True)
            self._cert_dir = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator is not started")
        return self._url

    @property
    def authority(self) -> str:
        return f"{self.url}/{self.settings.tenant}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    @property
    def ca_file(self) -> Path:
        if self._ca_file is None:
            raise RuntimeError("the emulator is not started")
        return self._ca_file

    def client_settings(self, base: GraphSettings | None = None, **tuning: Any) -> GraphSettings:
        """How a :class:`GraphClient` reaches this emulator: its tenant, app registration,
        URLs and CA, on top of ``base`` (a board's settings) and ``tuning`` (timeouts...)."""
        from connectors.m365.client import GraphSettings

        reach: dict[str, Any] = {
            "tenant": self.settings.tenant,
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
            "authority_host": self.url,
            "graph_url": self.graph_url,
            "ca_file": self.ca_file,
        }
        return dataclasses.replace(
            base or GraphSettings(tenant="", client_id=""), **{**reach, **tuning}
        )

    # -- direct set-up and inspection (not over HTTP) ----------------------------------------

    def add_user(self, **fields: Any) -> str:
        """Create a user as if made by hand (no consistency delay); returns its id."""
        if "userPrincipalName" not in fields:
            raise ValueError("add_user needs userPrincipalName")
        nickname = str(fields["userPrincipalName"]).split("@")[0]
        body = {"accountEnabled": True, "mailNickname": nickname, **fields}
        body.setdefault("displayName", body["mailNickname"])
        with self._lock:
            try:
                return str(self.tenant.create_user(body, born=None, strict=False)["id"])
            except GraphError as exc:
                raise ValueError(exc.message) from exc

    def add_group(self, **fields: Any) -> str:
        """Create a security group as if made by hand; returns its id. With
        ``groupTypes=["Unified"]`` a Microsoft 365 group, with its team site."""
        unified = "Unified" in (fields.get("groupTypes") or [])
        body = {"mailEnabled": unified, "securityEnabled": not unified, **fields}
        body.setdefault("displayName", body.get("mailNickname"))
        with self._lock:
            try:
                return str(self._create_group(body, born=None, now=0.0, delay=0.0)["id"])
            except GraphError as exc:
                raise ValueError(exc.message) from exc

    def add_member(self, group_id: str, user_id: str) -> None:
        with self._lock:
            try:
                self.tenant.add_member(group_id, user_id)
            except GraphError as exc:
                raise ValueError(exc.message) from exc

    def users(self) -> list[dict[str, Any]]:
        with self._lock:
            return [public(u) for u in self.tenant.users.values()]

    def deleted_users(self) -> list[dict[str, Any]]:
        with self._lock:
            return [public(u) for u in self.tenant.deleted_users.values()]

    def groups(self) -> list[dict[str, Any]]:
        with self._lock:
            return [public(g) for g in self.tenant.groups.values()]

    def members(self, group_id: str) -> set[str]:
        with self._lock:
            return set(self.tenant.members[group_id])

    def access(self, user_id: str, drive_id: str) -> str | None:
        """The strongest role ("write" > "read") the user has on the library (drive): granted
        to the user or to a group the user is a direct member of; else None."""
        with self._lock:
            return self.sharepoint.access(self.tenant, user_id, drive_id)

    def drives(self) -> list[dict[str, Any]]:
        """Every document library: ``id`` (the drive), ``siteId``, ``listId``,
        ``displayName``, ``description``."""
        with self._lock:
            return self.sharepoint.drive_rows()

    def revoked(self, user_id: str) -> int:
        with self._lock:
            return self.tenant.revocations.get(user_id, 0)

    def expire_delta_tokens(self) -> None:
        """Every delta link (and delta nextLink) handed out so far answers 410 from now on."""
        with self._lock:
            self.tenant.epoch += 1

    # -- request handling --------------------------------------------------------------------

    def _respond(self, method: str, target: str, message: Message, raw: bytes) -> Answer | None:
        lowered = {k.lower(): v for k, v in message.items()}
        reply = self._handle(method, target, lowered, raw)
        if reply is None:  # an injected dropped connection
            return None
        return json_answer(reply.status, reply.body, reply.headers, JSON_TYPE)

    def _handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> Reply | None:
        at = time.monotonic()
        if self.settings.latency_ms > 0:
            time.sleep(self.settings.latency_ms / 1000)
        path = urlsplit(target).path
        if path.startswith("/_emulator/"):
            return self._inspect(method, path)
        if path == "/v1.0" or path.startswith("/v1.0/"):
            return self._graph(method, target[len("/v1.0") :], headers, raw, at)
        return self._identity(method, path, raw, at)

    def _inspect(self, method: str, path: str) -> Reply:
        """For a test or benchmark in another process: what this emulator saw (not recorded,
        not throttled; loopback only)."""
        with self._lock:
            if method == "GET" and path == "/_emulator/requests":
                rows = [{**dataclasses.asdict(r), "body": None} for r in self.requests]
                return Reply(200, {"value": rows})
            if method == "GET" and path == "/_emulator/summary":
                return Reply(
                    200, {"users": len(self.tenant.users), "groups": len(self.tenant.groups)}
                )
        return Reply(404, {"error": {"code": "NotFound", "message": path}})

    def _record(self, slot: int | None, **fields: Any) -> None:
        record = RecordedRequest(**fields)
        if slot is None:
            self.requests.append(record)
        else:
            self.requests[slot] = record

    def _reserve(self, at: float, method: str, path: str, body: Any, in_batch: bool) -> int:
        self.requests.append(
            RecordedRequest(at, method, path, PENDING, in_batch, False, False, None, False, body)
        )
        return len(self.requests) - 1

    # identity platform

    def _identity(self, method: str, path: str, raw: bytes, at: float) -> Reply:
        tenant = self.settings.tenant
        form: dict[str, str] = {}
        if method == "POST":
            parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
            form = {k: v[0] for k, v in parsed.items()}
        if method == "GET" and path == f"/{tenant}/v2.0/.well-known/openid-configuration":
            base = self.authority
            reply = Reply(
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "code id_token", "token"],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_post",
                        "private_key_jwt",
                        "client_secret_basic",
                    ],
                    "tenant_region_scope": "EU",
                },
            )
        elif method == "POST" and path == f"/{tenant}/oauth2/v2.0/token":
            reply = self._token(form)
        elif path.split("/")[1:2] != [tenant]:
            reply = self._aad_error(400, "invalid_tenant", 90002, "Tenant not found.")
        else:
            reply = self._aad_error(404, "invalid_request", 900561, "Endpoint not found.")
        redacted = {k: v for k, v in form.items() if k not in ("client_secret", "client_assertion")}
        with self._lock:
            self._record(
                None,
                at=at,
                method=method,
                path=path,
                status=reply.status,
                in_batch=False,
                is_write=False,
                throttled=False,
                fault=None,
                early=False,
                body=redacted or None,
            )
        return reply

    def _token(self, form: dict[str, str]) -> Reply:
        settings = self.settings
        if form.get("grant_type") != "client_credentials":
            return self._aad_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        if form.get("client_id") != settings.client_id:
            return self._aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{settings.tenant}'.",
            )
        secret = form.get("client_secret")
        assertion = form.get("client_assertion") and form.get("client_assertion_type") == (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        )
        if secret is None and not assertion:
            return self._aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        if secret is not None and not hmac.compare_digest(
            secret.encode(), settings.client_secret.encode()
        ):
            return self._aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app "
                f"'{settings.client_id}'.",
            )
        if GRAPH_SCOPE not in form.get("scope", "").split():
            return self._aad_error(
                400, "invalid_scope", 1002012, "The provided value for scope is not valid."
            )
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + TOKEN_LIFETIME
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": token,
            },
        )

    def _aad_error(self, status: int, error: str, code: int, description: str) -> Reply:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return Reply(
            status,
            {
                "error": error,
                "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation "
                f"ID: {correlation} Timestamp: {stamp}",
                "error_codes": [code],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"{self.url}/error?code={code}",
            },
        )

    # Graph

    def _graph(
        self, method: str, target: str, headers: dict[str, str], raw: bytes, at: float
    ) -> Reply | None:
        """``target`` is the path after ``/v1.0`` with its query."""
        request_id = str(uuid.uuid4())
        try:
            body: Any = json.loads(raw) if raw.strip() else None
            body_ok = True
        except ValueError:
            body, body_ok = raw.decode("utf-8", "replace"), False
        path, query = urlsplit(target).path, urlsplit(target).query
        is_write = method in WRITE_METHODS and path != "/$batch"
        signature = _signature(method, target, body)
        with self._lock:
            slot = self._reserve(at, method, "/v1.0" + unquote(target), body, False)
            early = self._is_early(signature, at)
            fault = self._pick_fault(inner=False)
            lost = fault is None and self._loses_answer(method, path, body)
        record = {
            "at": at,
            "method": method,
            "path": "/v1.0" + unquote(target),
            "in_batch": False,
            "is_write": is_write,
            "fault": fault,
            "early": early,
            "body": body,
        }
        if fault == "drop":
            with self._lock:
                self._record(slot, status=0, throttled=False, **record)
            return None
        if fault == "timeout":
            time.sleep(self.settings.timeout_seconds)
        throttled = False
        with self._lock:
            if fault is not None:
                reply = self._fault_reply(fault, signature, request_id)
            else:
                reply, throttled = self._authorized(
                    method, path, query, headers, body, body_ok, signature, request_id, at
                )
            if lost and 200 <= reply.status < 300:  # applied; the answer never leaves
                self._record(slot, status=reply.status, throttled=throttled, **record)
                self.requests[slot] = dataclasses.replace(self.requests[slot], fault="lost")
                return None
            self._record(slot, status=reply.status, throttled=throttled, **record)
        reply.headers["request-id"] = request_id
        reply.headers["client-request-id"] = headers.get("client-request-id", request_id)
        return reply

    def _authorized(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: Any,
        body_ok: bool,
        signature: str,
        request_id: str,
        arrival: float,
    ) -> tuple[Reply, bool]:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        problem = None
        if not token:
            problem = "Access token is empty."
        elif self._tokens.get(token, 0.0) < time.monotonic():
            problem = "Access token validation failure. Invalid audience or expired token."
        if problem is not None:
            error = GraphError(401, "InvalidAuthenticationToken", problem)
            return self._error(error, request_id), False
        if path == "/$batch":
            try:
                if method != "POST":
                    raise self._not_allowed()
                return self._batch(body if body_ok else None, request_id, arrival), False
            except GraphError as exc:
                return self._error(exc, request_id), False
        return self._call(method, path, query, body, body_ok, signature, request_id)

    def _call(
        self,
        method: str,
        path: str,
        query: str,
        body: Any,
        body_ok: bool,
        signature: str,
        request_id: str,
    ) -> tuple[Reply, bool]:
        """Throttle, then route one Graph request (top-level or inside a batch)."""
        segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        units, writes = cost(method, segments, params)
        now = time.monotonic()
        wait = self.throttle.take(now, units, writes, self.tenant.user_count())
        if wait > 0.0:
            error = GraphError(
                429,
                "TooManyRequests",
                "Too many requests: the application's resource unit or write budget for this "
                "tenant is exhausted. Retry after the given delay.",
                self._retry_headers(wait, signature, now),
            )
            return self._error(error, request_id), True
        try:
            if not body_ok:
                raise bad_request(
                    "Unable to read JSON request payload. Please ensure Content-Type header is "
                    "set and payload is of valid JSON format.",
                    code="BadRequest",
                )
            reply = self._route(method, segments, params, body)
        except GraphError as exc:
            reply = self._error(exc, request_id)
        reply.headers["x-ms-resource-unit"] = str(units)
        return reply, False

    def _error(self, exc: GraphError, request_id: str) -> Reply:
        body = {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "innerError": {
                    "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                },
            }
        }
        return Reply(exc.status, body, dict(exc.headers))

    def _retry_headers(self, wait: float, signature: str, now: float) -> dict[str, str]:
        """``Retry-After`` in whole seconds; with ``window_scale`` < 1 also the exact ms.

        ``x-ms-retry-after-ms`` is an emulator extension (Graph sends only ``Retry-After``)
        so tests with shrunken windows need not wait whole seconds.
        """
        seconds = max(1, math.ceil(wait))
        headers = {"Retry-After": str(seconds)}
        advised = float(seconds)
        if self.settings.window_scale < 1.0:
            millis = max(1, math.ceil(wait * 1000))
            headers["x-ms-retry-after-ms"] = str(millis)
            advised = millis / 1000
        self._not_before[signature] = (now, now + advised)
        return headers

    def _is_early(self, signature: str, arrival: float) -> bool:
        """Did this request come back after being told to wait, but before the wait was over?

        A request that arrived before the Retry-After was given (a concurrent duplicate, or
        a twin in the same batch) is no retry, so never early.
        """
        entry = self._not_before.get(signature)
        if entry is None or arrival <= entry[0]:
            return False
        if arrival < entry[1]:
            return True
        del self._not_before[signature]
        return False

    def _pick_fault(self, inner: bool) -> str | None:
        if self.settings.fault_rate <= 0.0 or self._rng.random() >= self.settings.fault_rate:
            return None
        kinds = [k for k in self.settings.faults if not (inner and k == "drop")]
        return self._rng.choice(kinds) if kinds else None

    def _loses_answer(self, method: str, path: str, body: Any) -> bool:
        """Should this write be applied and then answered by a closed connection?"""
        if self.settings.lost_rate <= 0.0 or method not in WRITE_METHODS:
            return False
        if path == "/$batch":
            inner = body.get("requests") if isinstance(body, dict) else None
            if not isinstance(inner, list) or not any(
                isinstance(r, dict) and str(r.get("method", "")).upper() in WRITE_METHODS
                for r in inner
            ):
                return False
        return self._rng.random() < self.settings.lost_rate

    def _fault_reply(self, fault: str, signature: str, request_id: str) -> Reply:
        now = time.monotonic()
        advice = max(0.001, self.settings.window_scale)  # one (scaled) second
        if fault == "429":
            error = GraphError(
                429,
                "TooManyRequests",
                "Too many requests. Retry after the given delay.",
                self._retry_headers(advice, signature, now),
            )
        elif fault == "503":
            error = GraphError(
                503,
                "ServiceUnavailable",
                "The service is temporarily unavailable.",
                self._retry_headers(advice, signature, now),
            )
        else:
            error = GraphError(504, "GatewayTimeout", "The request timed out at the gateway.")
        return self._error(error, request_id)

    @staticmethod
    def _not_allowed() -> GraphError:
        return GraphError(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )

    # $batch

    def _batch(self, body: Any, request_id: str, arrival: float) -> Reply:
        """Run the inner requests in order; ``arrival`` is when the batch arrived."""
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            raise bad_request("Invalid batch payload format.", code="BadRequest")
        requests: list[Any] = body["requests"]
        if len(requests) > BATCH_LIMIT:
            raise bad_request(
                f"Number of batch requests {len(requests)} exceeds the maximum of {BATCH_LIMIT}.",
                code="BadRequest",
            )
        seen: set[str] = set()
        for request in requests:
            self._check_inner(request, seen)
        statuses: dict[str, int] = {}
        responses: list[dict[str, Any]] = []
        for request in requests:
            rid, method, url = str(request["id"]), str(request["method"]).upper(), request["url"]
            target = url if url.startswith("/") else "/" + url
            inner_body = request.get("body")
            signature = _signature(method, target, inner_body)
            at = time.monotonic()
            early = self._is_early(signature, arrival)
            fault: str | None = None
            throttled = False
            if any(not 200 <= statuses[str(d)] < 300 for d in request.get("dependsOn") or []):
                reply = self._error(
                    GraphError(
                        424, "FailedDependency", "A request this request depends on failed."
                    ),
                    request_id,
                )
            else:
                fault = self._pick_fault(inner=True)
                if fault is not None:
                    reply = self._fault_reply(fault, signature, request_id)
                else:
                    parts = urlsplit(target)
                    reply, throttled = self._call(
                        method, parts.path, parts.query, inner_body, True, signature, request_id
                    )
            statuses[rid] = reply.status
            self._record(
                None,
                at=at,
                method=method,
                path="/v1.0" + unquote(target),
                status=reply.status,
                in_batch=True,
                is_write=method in WRITE_METHODS,
                throttled=throttled,
                fault=fault,
                early=early,
                body=inner_body,
            )
            answer: dict[str, Any] = {"id": rid, "status": reply.status, "headers": reply.headers}
            if reply.body is not None:
                reply.headers.setdefault("Content-Type", JSON_TYPE)
                answer["body"] = reply.body
            responses.append(answer)
        return Reply(200, {"responses": responses})

    @staticmethod
    def _check_inner(request: Any, seen: set[str]) -> None:
        if not isinstance(request, dict) or not all(k in request for k in ("id", "method", "url")):
            raise bad_request("Invalid batch payload format.", code="BadRequest")
        rid = str(request["id"])
        if not rid or rid in seen:
            raise bad_request(
                f"Batch request id '{rid}' is missing or repeated.", code="BadRequest"
            )
        if str(request["method"]).upper() not in {"GET", *WRITE_METHODS}:
            raise bad_request(f"Invalid method in batch request id : {rid}.", code="BadRequest")
        if not isinstance(request["url"], str) or "://" in request["url"]:
            raise bad_request(
                f"Invalid URL in batch request id : {rid}: it must be relative.", code="BadRequest"
            )
        depends = request.get("dependsOn") or []
        if not isinstance(depends, list) or any(str(d) not in seen for d in depends):
            raise bad_request(
                f"Request id {rid} depends on a request that is not before it in the batch.",
                code="BadRequest",
            )
        headers = {str(k).lower() for k in (request.get("headers") or {})}
        if request.get("body") is not None and "content-type" not in headers:
            raise bad_request(
                f"Write request id : {rid} does not contain Content-Type header or body.",
                code="BadRequest",
            )
        seen.add(rid)

    # routing

    def _route(self, method: str, segments: list[str], query: dict[str, str], body: Any) -> Reply:
        tenant, now, delay = self.tenant, time.monotonic(), self.settings.consistency_delay
        graph = self.graph_url

        def allow(*methods: str) -> None:
            if method not in methods:
                raise self._not_allowed()

        match segments:
            case ["users"]:
                allow("GET", "POST")
                if method == "GET":
                    return self._list("users", "/users", list(tenant.users.values()), query)
                user = tenant.create_user(body, born=now)
                reply = project(user, None, USER_DEFAULT)
                return Reply(201, {"@odata.context": f"{graph}/$metadata#users/$entity", **reply})
            case ["users" | "groups" as kind, "delta" | "microsoft.graph.delta"]:
                allow("GET")
                return self._delta(kind, query)
            case ["users", key]:
                allow("GET", "PATCH", "DELETE")
                user = tenant.user(key, now, delay)
                if method == "GET":
                    select = parse_select(query.get("$select"), USER_READABLE, "user")
                    shown = project(user, select, USER_DEFAULT)
                    return Reply(
                        200, {"@odata.context": f"{graph}/$metadata#users/$entity", **shown}
                    )
                if method == "PATCH":
                    tenant.update_user(user, body)
                else:
                    tenant.delete_user(user)
                return Reply(204)
            case ["users", key, "revokeSignInSessions"]:
                allow("POST")
                tenant.revoke(tenant.user(key, now, delay))
                return Reply(
                    200, {"@odata.context": f"{graph}/$metadata#Edm.Boolean", "value": True}
                )
            case ["users", key, "assignLicense"]:
                allow("POST")
                user = tenant.user(key, now, delay)
                tenant.assign_license(user, body)
                shown = project(user, None, USER_DEFAULT)
                return Reply(200, {"@odata.context": f"{graph}/$metadata#users/$entity", **shown})
            case ["groups"]:
                allow("GET", "POST")
                if method == "GET":
                    return self._list("groups", "/groups", list(tenant.groups.values()), query)
                group = self._create_group(body, born=now, now=now, delay=delay)
                shown = project(group, None, GROUP_DEFAULT)
                return Reply(201, {"@odata.context": f"{graph}/$metadata#groups/$entity", **shown})
            case ["groups", gid]:
                allow("GET", "PATCH")
                group = tenant.group(gid, now, delay)
                if method == "GET":
                    select = parse_select(query.get("$select"), GROUP_READABLE, "group")
                    shown = project(group, select, GROUP_DEFAULT)
                    return Reply(
                        200, {"@odata.context": f"{graph}/$metadata#groups/$entity", **shown}
                    )
                tenant.update_group(group, body, now, delay)
                return Reply(204)
            case ["groups", gid, "members"]:
                allow("GET")
                group = tenant.group(gid, now, delay)
                return self._list(
                    "members", f"/groups/{gid}/members", tenant.member_users(group["id"]), query
                )
            case ["groups", gid, "members", "$ref"]:
                allow("POST")  # add one member: {"@odata.id": ".../directoryObjects/{id}"}
                reference = body.get("@odata.id") if isinstance(body, dict) else None
                if not isinstance(reference, str):
                    raise bad_request("Missing '@odata.id' in the request body.")
                tenant.add_member_ref(tenant.group(gid, now, delay), reference, now, delay)
                return Reply(204)
            case ["groups", gid, "members", uid, "$ref"]:
                allow("DELETE")
                tenant.remove_member(tenant.group(gid, now, delay), uid, now, delay)
                return Reply(204)
            case ["subscribedSkus"]:
                allow("GET")
                skus = tenant.subscribed_skus(self.settings.tenant)
                return Reply(
                    200, {"@odata.context": f"{graph}/$metadata#subscribedSkus", "value": skus}
                )
        answer = self._route_sharepoint(method, segments, query, body)
        if answer is not None:
            return answer
        segment = segments[0] if segments else ""
        raise bad_request(f"Resource not found for the segment '{segment}'.", code="BadRequest")

    def _create_group(
        self, body: Any, born: float | None, now: float, delay: float
    ) -> dict[str, Any]:
        """A group; a Microsoft 365 (Unified) group gets its team site with it."""
        group = self.tenant.create_group(body, born=born, now=now, delay=delay)
        if is_unified(group):
            self.sharepoint.create_site(group, born)
        return group

    def _route_sharepoint(
        self, method: str, segments: list[str], query: dict[str, str], body: Any
    ) -> Reply | None:
        """Sites, lists, drives and drive-root permissions; None for any other path."""
        sharepoint, now, delay = self.sharepoint, time.monotonic(), self.settings.consistency_delay
        graph = self.graph_url

        def allow(*methods: str) -> None:
            if method not in methods:
                raise self._not_allowed()

        def entity(
            context: str,
            obj: dict[str, Any],
            readable: frozenset[str],
            default: tuple[str, ...],
            type_name: str,
        ) -> Reply:
            select = parse_select(query.get("$select"), readable, type_name)
            shown = show(obj, select, default)
            return Reply(200, {"@odata.context": f"{graph}/$metadata#{context}", **shown})

        match segments:
            case ["groups", gid, "sites", "root"]:
                allow("GET")
                group = self.tenant.group(gid, now, delay)
                site = sharepoint.group_site(group["id"], now, delay)
                return entity("sites/$entity", site, SITE_READABLE, SITE_DEFAULT, "site")
            case ["sites", site_id]:
                allow("GET")
                site = sharepoint.site(site_id, now, delay)
                return entity("sites/$entity", site, SITE_READABLE, SITE_DEFAULT, "site")
            case ["sites", site_id, "lists"]:
                allow("GET", "POST")
                site = sharepoint.site(site_id, now, delay)
                context = f"sites('{site_id}')/lists"
                if method == "GET":
                    select = parse_select(query.get("$select"), LIST_READABLE, "list")
                    return self._page(
                        f"/sites/{site_id}/lists",
                        sharepoint.site_lists(site),
                        query,
                        lambda lst: show(lst, select, LIST_DEFAULT),
                        context,
                    )
                lst = sharepoint.create_list(site, body, born=now)
                return Reply(
                    201,
                    {
                        "@odata.context": f"{graph}/$metadata#{context}/$entity",
                        **show(lst, None, LIST_DEFAULT),
                    },
                )
            case ["sites", site_id, "lists", list_id]:
                allow("GET")
                site = sharepoint.site(site_id, now, delay)
                lst = sharepoint.site_list(site, list_id, now, delay)
                context = f"sites('{site_id}')/lists/$entity"
                return entity(context, lst, LIST_READABLE, LIST_DEFAULT, "list")
            case ["sites", site_id, "lists", list_id, "drive"]:
                allow("GET")
                site = sharepoint.site(site_id, now, delay)
                lst = sharepoint.site_list(site, list_id, now, delay)
                drive = sharepoint.list_drive(lst, now, delay)
                return entity("drives/$entity", drive, DRIVE_READABLE, DRIVE_DEFAULT, "drive")
            case ["drives", drive_id, "root", "permissions"]:
                allow("GET")
                drive = sharepoint.drive(drive_id, now, delay)
                select = parse_select(query.get("$select"), PERMISSION_READABLE, "permission")
                values = [
                    show(p, select, PERMISSION_DEFAULT) for p in sharepoint.permissions(drive)
                ]
                context = f"drives('{drive_id}')/root/permissions"
                return Reply(
                    200, {"@odata.context": f"{graph}/$metadata#{context}", "value": values}
                )
            case ["drives", drive_id, "root", "invite"]:
                allow("POST")
                drive = sharepoint.drive(drive_id, now, delay)
                made = sharepoint.invite(drive, body, self.tenant, now, delay)
                context = "Collection(microsoft.graph.permission)"
                return Reply(
                    200,
                    {
                        "@odata.context": f"{graph}/$metadata#{context}",
                        "value": [show(p, None, PERMISSION_DEFAULT) for p in made],
                    },
                )
            case ["drives", drive_id, "root", "permissions", perm_id]:
                allow("DELETE")
                drive = sharepoint.drive(drive_id, now, delay)
                sharepoint.delete_permission(drive, perm_id)
                return Reply(204)
        return None

    def _list(
        self, kind: str, path: str, objects: list[dict[str, Any]], query: dict[str, str]
    ) -> Reply:
        """One page of users, groups or a group's members, with $select, $filter and $top."""
        is_group = kind == "groups"
        readable = GROUP_READABLE if is_group else USER_READABLE
        default = GROUP_DEFAULT if is_group else USER_DEFAULT
        select = parse_select(query.get("$select"), readable, "group" if is_group else "user")
        raw_top = query.get("$top", str(self.settings.page_size))
        if not raw_top.isdigit() or not 1 <= int(raw_top) <= 999:
            raise bad_request(
                f"Invalid page size specified: '{raw_top}'. Must be between 1 and 999 inclusive.",
                code="Request_BadRequest",
            )
        top = int(raw_top)
        if "$filter" in query:
            check = parse_filter(
                query["$filter"], GROUP_FILTERABLE if is_group else USER_FILTERABLE
            )
            objects = [o for o in objects if check(o)]
        keys = list(range(len(objects))) if kind == "members" else [o["_n"] for o in objects]
        start = 0
        if "$skiptoken" in query:
            token = _decode(query["$skiptoken"])
            if token is None or not isinstance(token.get("after"), int):
                raise bad_request("The specified skip token is invalid.", code="BadRequest")
            start = next((i for i, k in enumerate(keys) if k > token["after"]), len(keys))
        page = objects[start : start + top]
        values = [project(o, select, default) for o in page]
        if kind == "members":
            values = [{"@odata.type": "#microsoft.graph.user", **v} for v in values]
        context = "directoryObjects" if kind == "members" else kind
        out: dict[str, Any] = {"@odata.context": f"{self.graph_url}/$metadata#{context}"}
        if start + top < len(objects):
            params = {**query, "$skiptoken": _encode({"after": keys[start + top - 1]})}
            out["@odata.nextLink"] = f"{self.graph_url}{path}?{self._query(params)}"
        out["value"] = values
        return Reply(200, out)

    def _page(
        self,
        path: str,
        objects: list[dict[str, Any]],
        query: dict[str, str],
        render: Callable[[dict[str, Any]], dict[str, Any]],
        context: str,
    ) -> Reply:
        """One page of a SharePoint collection (ordered by ``_n``) with ``$top`` and
        ``@odata.nextLink``; ``$filter`` is not supported there."""
        if "$filter" in query:
            raise invalid_request("The $filter query option is not supported on this collection.")
        raw_top = query.get("$top", str(self.settings.page_size))
        if not raw_top.isdigit() or not 1 <= int(raw_top) <= 999:
            raise invalid_request(f"Invalid page size specified: '{raw_top}'.")
        top, keys = int(raw_top), [int(o["_n"]) for o in objects]
        start = 0
        if "$skiptoken" in query:
            token = _decode(query["$skiptoken"])
            if token is None or not isinstance(token.get("after"), int):
                raise invalid_request("The specified skip token is invalid.")
            start = next((i for i, k in enumerate(keys) if k > token["after"]), len(keys))
        out: dict[str, Any] = {"@odata.context": f"{self.graph_url}/$metadata#{context}"}
        if start + top < len(objects):
            params = {**query, "$skiptoken": _encode({"after": keys[start + top - 1]})}
            out["@odata.nextLink"] = f"{self.graph_url}{path}?{self._query(params)}"
        out["value"] = [render(o) for o in objects[start : start + top]]
        return Reply(200, out)

    @staticmethod
    def _query(params: dict[str, str]) -> str:
        return urlencode(params, quote_via=quote, safe="$,'()")

    def _delta(self, kind: str, query: dict[str, str]) -> Reply:
        tenant = self.tenant
        type_name = "user" if kind == "users" else "group"
        readable = USER_READABLE if kind == "users" else GROUP_READABLE | {"members"}
        token_text = query.get("$deltatoken") or query.get("$skiptoken")
        after: tuple[int, str] | None = None
        if token_text is not None:
            token = _decode(token_text)
            if (
                token is None
                or token.get("i") != tenant.instance
                or token.get("e") != tenant.epoch
                or token.get("k") != kind
            ):
                select = token.get("sel") if token is not None else None
                location = f"{self.graph_url}/{kind}/delta"
                if isinstance(select, list) and select:
                    location += "?" + self._query({"$select": ",".join(map(str, select))})
                raise GraphError(410, "syncStateNotFound", EXPIRED_DELTA, {"Location": location})
            since, select = int(token["s"]), token.get("sel")
            if "$deltatoken" in query:
                upto = tenant.seq
            else:
                upto, after = int(token["u"]), (int(token["a"][0]), str(token["a"][1]))
        else:
            if "$filter" in query:
                raise GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.")
            select = parse_select(query.get("$select"), readable, type_name)
            since, upto = 0, tenant.seq
        items, last = tenant.delta_page(kind, since, upto, after, self.settings.page_size, select)
        base = {"i": tenant.instance, "e": tenant.epoch, "k": kind, "sel": select}
        out: dict[str, Any] = {"@odata.context": f"{self.graph_url}/$metadata#{kind}"}
        if last is not None:
            link = _encode({**base, "s": since, "u": upto, "a": list(last)})
            out["@odata.nextLink"] = f"{self.graph_url}/{kind}/delta?$skiptoken={link}"
        else:
            out["@odata.deltaLink"] = (
                f"{self.graph_url}/{kind}/delta?$deltatoken={_encode({**base, 's': upto})}"
            )
        out["value"] = items
        return Reply(200, out)
