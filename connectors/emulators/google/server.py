"""The Google emulator's HTTP side: the OAuth token endpoint (JWT bearer grant, RFC 7523, as
google-auth's service-account credentials with ``subject=`` send it), routing of the
Directory, Drive and Licensing calls, the batch endpoints (multipart/mixed), per-user quotas
with Google's error bodies, latency, lost answers, the record of every request and the
discovery-schema check of every request and answer."""

from __future__ import annotations

import base64
import json
import random
import secrets
import threading
import time
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connectors.emulators.loopback import Answer, LoopbackEmulator, json_answer

from .directory import Directory
from .discovery import Discovery
from .drive import Drive
from .licensing import Licensing
from .model import GoogleEmulatorSettings, GoogleError, RecordedRequest, error_body, parse_json

SCOPE = "https://www.googleapis.com/auth/"
SCOPES = {
    "users": SCOPE + "admin.directory.user",
    "orgunits": SCOPE + "admin.directory.orgunit",
    "groups": SCOPE + "admin.directory.group",
    "members": SCOPE + "admin.directory.group.member",
    "drive": SCOPE + "drive",
    "licensing": SCOPE + "apps.licensing",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BATCH_LIMIT = 1000
#: Injected faults: 503 refuses (nothing done); 500 refuses a read, and answers a write that
#: was done (the ambiguous answer a client must not resend).
FAULTS = ("503", "500")
TOKEN_LIFETIME = 3599
#: google-auth signs the assertion for Google's token endpoint whatever ``token_uri`` says
AUDIENCES = ("https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Quota:
    """A per-minute quota as a token bucket: ``per_minute`` at most in any window."""

    def __init__(self, per_minute: int, window: float) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / window
        self.level = self.capacity
        self.last: float | None = None

    def take(self, now: float) -> bool:
        if self.last is not None:
            self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
        self.last = now
        if self.level >= 1.0 - 1e-9:
            self.level -= 1.0
            return True
        return False


class GoogleEmulator(LoopbackEmulator):
    """Google Workspace (Directory, Drive, Licensing) on loopback HTTP.

    ``with GoogleEmulator() as emu:`` starts it; ``emu.service_account_info()`` is a key file
    whose ``token_uri`` is the emulator's; ``emu.root_url + "/"`` is the APIs' rootUrl.
    """

    def __init__(
        self, settings: GoogleEmulatorSettings | None = None, state_file: Path | None = None
    ) -> None:
        self.settings = s = settings or GoogleEmulatorSettings()
        self.state_file = state_file
        self.directory = Directory(s.customer_id, s.domains, s.consistency_delay, time.monotonic)
        self.drive = Drive(self.directory, s.admin)
        self.licensing = Licensing(self.directory, s.skus)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(20)
        self.delegated = set(SCOPES.values())  # what the admin granted the client id
        if state_file is not None and state_file.exists():
            self._load(json.loads(state_file.read_text(encoding="utf-8")))
        if not any(u["primaryEmail"] == s.admin for u in self.directory.users.values()):
            self._seed_admin()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.http_calls = 0  # HTTP requests to the APIs (a batch is one)
        self.discovery = Discovery() if s.validate else None
        self._lock = threading.RLock()
        self._rng = random.Random(s.seed)
        self._tokens: dict[str, tuple[str, frozenset[str], float]] = {}
        window = 60.0 * s.window_scale
        self._quotas: dict[tuple[str, str], Quota] = {}
        self._quota_sizes = {
            "directory": s.directory_qpm,
            "drive": s.drive_qpm,
            "licensing": s.licensing_qpm,
        }
        self._window = window

    def _seed_admin(self) -> None:
        self.directory.insert_user(
            {
                "primaryEmail": self.settings.admin,
                "password": secrets.token_urlsafe(16),
                "name": {"givenName": "Beheer", "familyName": "Bestuur"},
            }
        )
        admin = self.directory.user(self.settings.admin)
        admin["isAdmin"] = True
        self.directory.born[admin["id"]] = 0.0

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> GoogleEmulator:
        self.serve(
            self._respond,
            name="google-emulator",
            server_version="ESF",
            methods=("GET", "POST", "PUT", "PATCH", "DELETE"),
        )
        return self

    def stop(self) -> None:
        super().stop()
        self.save()

    def save(self) -> None:
        if self.state_file is None:
            return
        with self._lock:
            data = {
                "directory": self.directory.to_json(),
                "drive": self.drive.to_json(),
                "licences": self.licensing.assigned,
                "key": self._key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
                "key_id": self.key_id,
            }
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(self.state_file)

    def _load(self, data: dict[str, Any]) -> None:
        self.directory.load(data["directory"])
        self.drive.load(data["drive"])
        self.licensing.assigned = data["licences"]
        key = serialization.load_pem_private_key(data["key"].encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._key, self.key_id = key, data["key_id"]

    @property
    def token_uri(self) -> str:
        return self.root_url + "/token"

    def service_account_info(self) -> dict[str, str]:
        """A service account key file (JSON) as the Cloud console hands it out."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": "school-provisioner",
            "private_key_id": self.key_id,
            "private_key": pem,
            "client_email": self.settings.client_email,
            "client_id": "108000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
        }

    # -- inspection ------------------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(u)
                for u in self.directory.users.values()
                if u["primaryEmail"] != self.settings.admin
            ]

    def groups(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(g) for g in self.directory.groups.values()]

    def members(self, group_id: str) -> set[str]:
        with self._lock:
            return set(self.directory.members.get(group_id, {}))

    def sign_outs(self, user_id: str) -> int:
        return self.directory.sign_outs.get(user_id, 0)

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.is_write and r.path != "/token"]

    # -- HTTP ------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, headers: Message, raw: bytes) -> Answer | None:
        if self.settings.latency_ms:
            time.sleep(self.settings.latency_ms / 1000)
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if path == "/token" and method == "POST":
            return self._token(raw)
        with self._lock:
            self.http_calls += 1
        try:
            identity = self._identity(headers)
        except GoogleError as exc:
            return json_answer(exc.status, exc.body(), {})
        if path.startswith("/batch/") and method == "POST":
            return self._batch(path, headers, raw, identity)
        try:
            body = parse_json(raw)
        except GoogleError as exc:
            return json_answer(exc.status, exc.body(), {})
        status, answer, lost = self._one(method, path, query, body, identity, in_batch=False)
        if lost:
            return None
        return json_answer(status, answer, {"Vary": "Origin, X-Origin, Referer"})

    def _identity(self, headers: Message) -> tuple[str, frozenset[str]]:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise GoogleError(401, "required", "Login Required.")
        with self._lock:
            found = self._tokens.get(auth[7:])
        if found is None or found[2] < time.monotonic():
            raise GoogleError(401, "authError", "Invalid Credentials")
        return found[0], found[1]

    def _one(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        identity: tuple[str, frozenset[str]],
        *,
        in_batch: bool,
    ) -> tuple[int, Any, bool]:
        """Answer one API call: (status, body, lost)."""
        write = method in WRITES
        api = (
            "drive"
            if path.startswith("/drive/")
            else ("licensing" if path.startswith("/apps/licensing/") else "directory")
        )
        with self._lock:
            throttled = self.settings.throttling and not self._quota(api, identity[0])
            lost = False
            fault = self._fault()
            if throttled:
                error = _rate_limited(api)
                status, answer = error.status, error.body()
            elif fault == "503" or (fault == "500" and not write):
                error = GoogleError(int(fault), "backendError", "Backend Error")
                status, answer = error.status, error.body()  # refused: nothing was done
            else:
                try:
                    self._check_scope(api, path, identity[1])
                    status, answer = self._route(method, path, query, body)
                except GoogleError as exc:
                    status, answer = exc.status, exc.body()
                if fault == "500" and status < 300:  # a write done, answered as an error
                    status, answer = 500, GoogleError(500, "backendError", "Backend Error").body()
                lost = write and status < 300 and self._rng.random() < self.settings.lost_rate
            record = RecordedRequest(
                time.monotonic(),
                method,
                path,
                query,
                body,
                status,
                answer,
                in_batch,
                write,
                throttled,
                lost,
                None if throttled else fault,
            )
            self.requests.append(record)
            if self.discovery is not None:
                found, problems = self.discovery.check_request(method, path, query, body)
                if found is not None:
                    problems += self.discovery.check_answer(found, status, answer)
                self.violations.extend(problems)
        return status, answer, lost

    def _fault(self) -> str | None:
        """An injected fault for this call, or None (``fault_rate``, from the seeded RNG)."""
        if self.settings.fault_rate and self._rng.random() < self.settings.fault_rate:
            return self._rng.choice(FAULTS)
        return None

    def _quota(self, api: str, user: str) -> bool:
        bucket = self._quotas.get((api, user))
        if bucket is None:
            bucket = self._quotas[(api, user)] = Quota(self._quota_sizes[api], self._window)
        return bucket.take(time.monotonic())

    def _check_scope(self, api: str, path: str, scopes: frozenset[str]) -> None:
        if api == "directory":
            segments = path.split("/")
            name = (
                "orgunits"
                if "orgunits" in segments
                else ("members" if "members" in segments else segments[4])
            )
            wanted = {SCOPES.get(name, ""), SCOPES["groups"] if name == "members" else ""}
        else:
            wanted = {SCOPES[api]}
        if not scopes & (wanted - {""}):
            raise GoogleError(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        d, s = self.directory, path.strip("/").split("/")
        if s[:3] == ["admin", "directory", "v1"]:
            s = s[3:]
            if s[0] == "users":
                if len(s) == 1:
                    if method == "GET":
                        return 200, d.list_users(query)
                    if method == "POST":
                        return 200, d.insert_user(body)
                elif len(s) == 2:
                    if method == "GET":
                        return 200, d.show_user(d.user(s[1]), query.get("projection", "basic"))
                    if method in ("PATCH", "PUT"):
                        return 200, d.patch_user(s[1], body)
                    if method == "DELETE":
                        uid = d.user(s[1])["id"]
                        d.delete_user(s[1])
                        self.licensing.forget_user(uid)
                        return 204, None
                elif len(s) == 3 and s[2] == "signOut" and method == "POST":
                    d.sign_out(s[1])
                    return 204, None
            elif s[0] == "customer" and len(s) >= 3 and s[2] == "orgunits":
                if s[1] not in ("my_customer", d.customer_id):
                    raise GoogleError(400, "badRequest", "Bad Request")
                if len(s) == 3:
                    if method == "GET":
                        return 200, d.list_orgunits(query)
                    if method == "POST":
                        return 200, d.insert_orgunit(body)
                else:
                    unit = "/".join(s[3:])
                    if method == "GET":
                        return 200, d.orgunits[d.orgunit_path(unit)]
                    if method in ("PATCH", "PUT"):
                        return 200, d.patch_orgunit(unit, body)
                    if method == "DELETE":
                        d.delete_orgunit(unit)
                        return 204, None
            elif s[0] == "groups":
                if len(s) == 1:
                    if method == "GET":
                        return 200, d.list_groups(query)
                    if method == "POST":
                        return 200, d.insert_group(body)
                elif len(s) == 2:
                    if method == "GET":
                        return 200, d.group(s[1])
                    if method in ("PATCH", "PUT"):
                        return 200, d.patch_group(s[1], body)
                    if method == "DELETE":
                        d.delete_group(s[1])
                        return 204, None
                elif len(s) == 3 and s[2] == "members":
                    if method == "GET":
                        return 200, d.list_members(s[1], query)
                    if method == "POST":
                        return 200, d.insert_member(s[1], body)
                elif len(s) == 4 and s[2] == "members" and method == "DELETE":
                    d.delete_member(s[1], s[3])
                    return 204, None
        elif s[:2] == ["drive", "v3"]:
            return self._route_drive(method, s[2:], query, body)
        elif s[:3] == ["apps", "licensing", "v1"] and len(s) >= 5 and s[3] == "product":
            product, rest = s[4], s[5:]
            if rest == ["users"] and method == "GET":
                return 200, self.licensing.list_for_product(product, query)
            if len(rest) == 3 and rest[0] == "sku" and rest[2] == "user" and method == "POST":
                return 200, self.licensing.insert(product, rest[1], body)
            if len(rest) == 4 and rest[0] == "sku" and rest[2] == "user" and method == "GET":
                return 200, self.licensing.get(product, rest[1], rest[3])
            if len(rest) == 4 and rest[0] == "sku" and rest[2] == "user" and method == "DELETE":
                self.licensing.delete(product, rest[1], rest[3])
                return 200, {}  # the discovery document answers ``Empty``: {}
        raise GoogleError(404, "notFound", "Not Found")

    def _route_drive(
        self, method: str, s: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        drive = self.drive
        if s == ["drives"]:
            if method == "GET":
                return 200, drive.list_drives(query)
            if method == "POST":
                return 200, drive.create_drive(query, body)
        if len(s) == 2 and s[0] == "drives":
            if method == "GET":
                return 200, drive.get_drive(s[1])
            if method == "DELETE":
                drive.delete_drive(s[1])
                return 204, None
        if s == ["files"]:
            if method == "GET":
                return 200, drive.list_files(query)
            if method == "POST":
                return 200, drive.create_file(query, body)
        if len(s) == 3 and s[0] == "files" and s[2] == "permissions":
            if method == "GET":
                return 200, drive.list_permissions(s[1], query)
            if method == "POST":
                return 200, drive.create_permission(s[1], query, body)
        if len(s) == 4 and s[0] == "files" and s[2] == "permissions" and method == "DELETE":
            drive.delete_permission(s[1], s[3], query)
            return 204, None
        raise GoogleError(404, "notFound", "Not Found")

    # -- the token endpoint ----------------------------------------------------------------

    def _token(self, raw: bytes) -> Answer:
        form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
        self.requests.append(
            RecordedRequest(
                time.monotonic(),
                "POST",
                "/token",
                {},
                {"grant_type": form.get("grant_type")},
                200,
                None,
                False,
                False,
            )
        )
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _oauth_error("unsupported_grant_type", "Invalid grant_type: ")
        try:
            header_b64, claims_b64, signature_b64 = form.get("assertion", "").split(".")
            header, claims = json.loads(_b64(header_b64)), json.loads(_b64(claims_b64))
            self._key.public_key().verify(
                _b64(signature_b64),
                f"{header_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature):
            return _oauth_error("invalid_grant", "Invalid JWT Signature.")
        now = time.time()
        if header.get("alg") != "RS256" or header.get("kid") != self.key_id:
            return _oauth_error("invalid_grant", "Invalid JWT Signature.")
        if claims.get("iss") != self.settings.client_email or claims.get("aud") not in AUDIENCES:
            return _oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived token")
        if not claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0) + 300:
            return _oauth_error(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe.",
            )
        scopes = frozenset(str(claims.get("scope", "")).split())
        subject = claims.get("sub")
        if not subject or not scopes:
            return _oauth_error(
                "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        if subject != self.settings.admin or not scopes <= self.delegated:
            return _oauth_error(
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client "
                "not authorized for any of the scopes requested.",
            )
        token = "ya29.emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (subject, scopes, time.monotonic() + TOKEN_LIFETIME)
        return json_answer(
            200, {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}, {}
        )

    # -- batch -----------------------------------------------------------------------------

    def _batch(
        self, path: str, headers: Message, raw: bytes, identity: tuple[str, frozenset[str]]
    ) -> Answer | None:
        content_type = headers.get("Content-Type", "")
        if path not in ("/batch/admin/directory_v1", "/batch/drive/v3", "/batch"):
            return json_answer(404, error_body(404, "notFound", "Not Found"), {})
        if not content_type.startswith("multipart/mixed"):
            return json_answer(400, error_body(400, "badRequest", "Bad Request"), {})
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        parts = list(message.iter_parts())
        if len(parts) > BATCH_LIMIT:
            return json_answer(
                400,
                error_body(400, "badRequest", f"A batch may hold at most {BATCH_LIMIT} calls."),
                {},
            )
        boundary = "batch_" + secrets.token_hex(12)
        out, lost = [], False
        for part in parts:
            payload = part.get_payload(decode=True)
            raw_part = payload if isinstance(payload, bytes) else b""
            method, target, body = _inner_request(raw_part)
            inner = urlsplit(target)
            query = {k: v[-1] for k, v in parse_qs(inner.query).items()}
            try:
                parsed = parse_json(body)
                status, answer, was_lost = self._one(
                    method, unquote(inner.path), query, parsed, identity, in_batch=True
                )
            except GoogleError as exc:
                status, answer, was_lost = exc.status, exc.body(), False
            lost = lost or was_lost
            content_id = str(part.get("Content-ID", "<x+0>")).replace("<", "<response-", 1)
            payload = b"" if answer is None else json.dumps(answer).encode()
            head = f"HTTP/1.1 {status} {_reason(status)}\r\nContent-Length: {len(payload)}\r\n"
            if payload:
                head += "Content-Type: application/json; charset=UTF-8\r\n"
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: {content_id}\r\n\r\n"
                f"{head}\r\n".encode()
                + payload
                + b"\r\n"
            )
        if lost:
            return None
        data = b"".join(out) + f"--{boundary}--\r\n".encode()
        return Answer(200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, data)


def _inner_request(payload: bytes) -> tuple[str, str, bytes]:
    head, _, body = payload.replace(b"\r\n", b"\n").partition(b"\n\n")
    request_line = head.split(b"\n", 1)[0].decode()
    method, target, *_ = request_line.split(" ")
    return method, target, body.strip()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _rate_limited(api: str) -> GoogleError:
    if api == "drive":
        return GoogleError(
            403, "userRateLimitExceeded", "User rate limit exceeded.", domain="usageLimits"
        )
    service = "admin.googleapis.com" if api == "directory" else "licensing.googleapis.com"
    return GoogleError(
        403,
        "userRateLimitExceeded",
        f"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' "
        f"of service '{service}' for consumer 'project_number:108000000000'.",
        domain="usageLimits",
    )


def _oauth_error(error: str, description: str) -> Answer:
    return json_answer(
        400 if error != "unauthorized_client" else 401,
        {"error": error, "error_description": description},
        {},
    )
