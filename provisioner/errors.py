"""One error taxonomy for every connector, ordered by what the caller should do.

Each connector translates its protocol's errors (HTTP status, LDAP result code, SOAP fault)
into these in exactly one place. Catch the most specific first.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class: something a source or target could not do."""


class TransientError(ConnectorError):
    """Try again later (throttled, timeout, 503); ``retry_after``: seconds, if the server said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknown(ConnectorError):
    """A write was sent but its answer never came (timeout, dropped connection, a 500/502/504
    after sending): it may or may not have reached the target. A transport raises this instead
    of sending the write again; the executor verifies against the target by the object's
    stable key (as after a crash) and resends only what provably did not land. Deliberately
    not a :class:`TransientError`: the one retry policy must not resend it.
    """


class NotFoundError(ConnectorError):
    """The object is not there (a stale link, or deleted by hand)."""


class AlreadyExistsError(ConnectorError):
    """An object with this key or name exists already: adopt it instead of failing."""


class RejectedError(ConnectorError):
    """The target refused this object's data: skip it, report it, go on with the rest."""


class FatalError(ConnectorError):
    """Authentication or configuration is wrong: stop this target for this run."""


class DryRunRejected(ConnectorError):
    """A write was attempted in dry-run mode and stopped at the transport."""


class ConfigError(Exception):
    """The configuration or an input file cannot be used at all (exit code 3)."""
