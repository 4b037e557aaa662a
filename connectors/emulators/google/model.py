"""Settings, Google's error bodies and the recorded requests shared by the Google emulator."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: Google's ``status`` text for each HTTP code of an error body (google.rpc.Code names).
STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

DIRECTORY_QPM = 2400  # Admin SDK: queries per minute per user per project (Google's default)
DRIVE_QPM = 12000  # Drive API: queries per minute per user (Google's documented default)
LICENSING_QPM = 2400  # Enterprise License Manager: taken as the Admin SDK's


@dataclass
class GoogleEmulatorSettings:
    """How the emulated Workspace behaves. Times in seconds unless the name says otherwise."""

    customer_id: str = "C03demo01"
    domains: tuple[str, ...] = ("example.nl", "leerling.example.nl")
    admin: str = "admin@example.nl"  # the super admin the service account may impersonate
    client_email: str = "provisioner@school-provisioner.iam.gserviceaccount.com"
    latency_ms: float = 0.0
    throttling: bool = True
    directory_qpm: int = DIRECTORY_QPM
    drive_qpm: int = DRIVE_QPM
    licensing_qpm: int = LICENSING_QPM
    window_scale: float = 1.0  # multiplies the 60 s quota window (tests run it faster)
    consistency_delay: float = 0.0  # a new user is missing from lists and member inserts
    lost_rate: float = 0.0  # share of writes applied, then answered by a dropped connection
    fault_rate: float = 0.0  # share of calls given a 503 or a 500 (server.FAULTS)
    seed: int = 7
    #: licence SKUs the customer holds, per product (Google Workspace for Education)
    skus: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"101031": ("1010310008", "1010310009", "1010310010")}
    )
    validate: bool = True  # check every request and answer against the discovery documents


class GoogleError(Exception):
    """An error answer in Google's JSON error format."""

    def __init__(self, status: int, reason: str, message: str, *, domain: str = "global") -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.reason, self.message, self.domain)


def error_body(status: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    """``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}``."""
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": STATUS_TEXT.get(status, "UNKNOWN"),
        }
    }


def not_found(what: str) -> GoogleError:
    return GoogleError(404, "notFound", f"Resource Not Found: {what}")


def invalid(what: str) -> GoogleError:
    return GoogleError(400, "invalid", f"Invalid Input: {what}")


def duplicate(message: str = "Entity already exists.") -> GoogleError:
    return GoogleError(409, "duplicate", message)


@dataclass
class RecordedRequest:
    """One request the emulator answered (inner batch requests too). ``path`` is decoded,
    without the query; ``query`` holds the parameters; ``status`` 0 is a dropped connection;
    ``lost``: applied, then the answer was dropped; ``fault``: the injected 503 or 500."""

    at: float
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    answer: Any
    in_batch: bool
    is_write: bool
    throttled: bool = False
    lost: bool = False
    fault: str | None = None


def parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise GoogleError(400, "parseError", "Parse Error") from None
