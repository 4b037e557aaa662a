"""Settings, recorded requests and the error type shared by the emulator's modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Fixed, visibly made-up sku ids (not Microsoft's), the same in every emulator run.
DEFAULT_SKUS: dict[str, str] = {
    "M365_A3_FACULTY": "e3a30000-0000-4000-8000-00000000fac3",
    "M365_A1_FACULTY": "e3a10000-0000-4000-8000-00000000fac1",
    "M365_A1_STUDENT": "e3a10000-0000-4000-8000-0000000057d1",
}

FAULT_KINDS = ("429", "503", "timeout", "drop")


@dataclass
class EmulatorSettings:
    """How the emulated tenant behaves. Times are seconds unless the name says otherwise."""

    tenant: str = "demo-tenant"
    client_id: str = "provisioner"
    client_secret: str = "demo-secret"
    page_size: int = 100  # default page of list and delta calls
    latency_ms: float = 0.0  # added to every request
    throttling: bool = True
    window_scale: float = 1.0  # multiplies the 10 s RU window and the 150 s write window
    budget_scale: float = 1.0  # multiplies RU and write budgets (never below 1)
    consistency_delay: float = 0.0  # a just-created object answers 404 this long
    fault_rate: float = 0.0  # share of requests (and inner $batch requests) given a fault
    faults: tuple[str, ...] = FAULT_KINDS
    timeout_seconds: float = 2.0  # how long a "timeout" fault holds the request before 504
    #: share of writes (and of ``$batch`` calls holding a write) that are applied and then
    #: answered by closing the connection: the answer is lost, the change is made
    lost_rate: float = 0.0
    seed: int = 7
    skus: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SKUS))

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if not 1 <= self.page_size <= 999:
            raise ValueError("page_size must be between 1 and 999")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator saw it (inner ``$batch`` requests are recorded too).

    ``path`` is decoded, starts with ``/v1.0`` for Graph calls and keeps the query.
    ``status`` is 0 for a dropped connection and -1 while the answer is not written yet; a
    write applied and then dropped (``fault="lost"``) keeps the status it was given.
    ``throttled`` means answered 429 by the throttle (an injected 429 has ``fault="429"``
    instead). ``early`` means the same request (method, path with query, canonical JSON body)
    arrived after it had been told to wait (429, or 503 with Retry-After) but before that
    wait was over. ``body`` is the parsed JSON body (token requests: the form without
    ``client_secret`` and ``client_assertion``).
    """

    at: float
    method: str
    path: str
    status: int
    in_batch: bool
    is_write: bool
    throttled: bool
    fault: str | None
    early: bool
    body: Any


class GraphError(Exception):
    """An error answer: ``{"error": {"code", "message", "innerError"}}`` with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass
class Reply:
    """An answer before it is written to the wire (or into a ``$batch`` response)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def not_found(object_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)
