"""One HTTP status -> error classification per transport family, with vendor overrides.

Every HTTP connector turns an error answer into one of the typed errors of
:mod:`provisioner.errors`. What a status means depends on the kind of transport, not on the
vendor, so the tables live here, once:

- :data:`READ`: read-only sources (AFAS, Youforce, Somtoday, ParnasSys, Magister). Nothing is
  skipped: 401/403, 404 and any other 4xx are fatal; 408, 429 and 5xx transient.
- :data:`REST_WRITE`: a JSON API that is written to (Microsoft Graph): 404 not found, 409
  conflict, 410 gone, other 4xx reject this request's data; 412, 429 and 5xx transient.
- :data:`SOAP_WRITE`: SOAP writes to a SIS (Somtoday HRM, Magister): 401/403/404 fatal,
  408/429/503 refused (transient), any other 5xx may have been done.

A vendor that differs passes ``overrides`` (status -> :class:`Kind`), e.g. AFAS, which treats
408 as an unexpected answer and a 500 as a functional error of the request. What is decided
from an answer's *body* (a SOAP fault, an OAuth ``invalid_client``, Graph's "same value for
property") stays in the vendor's translation, which then picks the overrides.

With ``write=True`` a 5xx other than a refusal (503, or what the table calls throttled) says
nothing about whether the write was done: :class:`~provisioner.errors.OutcomeUnknown`, which
the retry policy never resends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from connectors.retry import retry_after
from provisioner.errors import (
    AlreadyExistsError,
    ConnectorError,
    FatalError,
    NotFoundError,
    OutcomeUnknown,
    RejectedError,
    TransientError,
)


class Kind(StrEnum):
    """What an answer's status says, before it becomes an error class."""

    THROTTLED = "throttled"  # 429: come back after Retry-After
    TRANSIENT = "transient"  # 408, 503, other 5xx on reads: try again later
    AUTH = "auth"  # 401, 403: credentials or rights
    NOT_FOUND = "not_found"  # 404
    CONFLICT = "conflict"  # 409: it exists already
    GONE = "gone"  # 410
    REJECTED = "rejected"  # this request's data (400, other 4xx on a write API)
    REDIRECT = "redirect"  # 3xx: never followed
    AMBIGUOUS = "ambiguous"  # a write's 5xx: it may have been done
    PERMANENT = "permanent"  # anything else: retrying cannot help


@dataclass(frozen=True)
class Family:
    """A transport family's table: exact statuses first, then the defaults by class."""

    name: str
    exact: Mapping[int, Kind]
    client: Kind  # any other 4xx
    server: Kind  # any other 5xx
    errors: Mapping[Kind, type[ConnectorError]]
    #: 5xx statuses that refuse a write (never ambiguous with ``write=True``)
    refusals: frozenset[int] = field(default_factory=lambda: frozenset({503}))


_TRANSIENT = {Kind.THROTTLED: TransientError, Kind.TRANSIENT: TransientError}

READ = Family(
    name="read",
    exact={401: Kind.AUTH, 403: Kind.AUTH, 404: Kind.NOT_FOUND, 408: Kind.TRANSIENT,
           429: Kind.THROTTLED},
    client=Kind.PERMANENT,
    server=Kind.TRANSIENT,
    errors={**_TRANSIENT, Kind.AMBIGUOUS: OutcomeUnknown},
)  # fmt: skip

REST_WRITE = Family(
    name="rest-write",
    exact={400: Kind.REJECTED, 401: Kind.AUTH, 403: Kind.AUTH, 404: Kind.NOT_FOUND,
           409: Kind.CONFLICT, 410: Kind.GONE, 412: Kind.TRANSIENT, 429: Kind.THROTTLED},
    client=Kind.REJECTED,
    server=Kind.TRANSIENT,
    errors={**_TRANSIENT, Kind.NOT_FOUND: NotFoundError, Kind.GONE: NotFoundError,
            Kind.CONFLICT: AlreadyExistsError, Kind.REJECTED: RejectedError,
            Kind.AMBIGUOUS: OutcomeUnknown},
)  # fmt: skip

SOAP_WRITE = Family(
    name="soap-write",
    exact={401: Kind.AUTH, 403: Kind.AUTH, 404: Kind.NOT_FOUND, 408: Kind.TRANSIENT,
           429: Kind.THROTTLED, 503: Kind.TRANSIENT},
    client=Kind.PERMANENT,
    server=Kind.AMBIGUOUS,
    errors={**_TRANSIENT, Kind.AMBIGUOUS: OutcomeUnknown},
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """The classification of one answer: its kind, the error class to raise, and the
    seconds the server asked to wait (``Retry-After``), if any."""

    status: int
    kind: Kind
    error: type[ConnectorError]
    retry_after: float | None

    @property
    def transient(self) -> bool:
        return issubclass(self.error, TransientError)

    def build(self, message: str) -> ConnectorError:
        """The error to raise, with the vendor's own message."""
        if issubclass(self.error, TransientError):
            return self.error(message, self.retry_after)
        return self.error(message)


def kind_of(status: int, family: Family, overrides: Mapping[int, Kind] | None = None) -> Kind:
    """The kind of a status in a family, the vendor's ``overrides`` first."""
    if overrides and status in overrides:
        return overrides[status]
    if status in family.exact:
        return family.exact[status]
    if 300 <= status < 400:
        return Kind.REDIRECT
    if 400 <= status < 500:
        return family.client
    if status >= 500:
        return family.server
    return Kind.PERMANENT  # 1xx, 2xx: not an error the client can handle


def classify(
    status: int,
    headers: Mapping[str, str],
    *,
    family: Family,
    overrides: Mapping[int, Kind] | None = None,
    write: bool = False,
) -> Verdict:
    """Classify an error answer. ``write``: the request was a write, so a 5xx that is no
    refusal (503, 429, 408 or a vendor override) means the write may have been done."""
    kind = kind_of(status, family, overrides)
    refused = status in family.refusals or kind is Kind.THROTTLED
    if write and status >= 500 and not refused and not (overrides and status in overrides):
        kind = Kind.AMBIGUOUS
    error = family.errors.get(kind, FatalError)
    wait = retry_after(headers) if issubclass(error, TransientError) else None
    return Verdict(status, kind, error, wait)
