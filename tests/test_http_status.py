"""connectors.http_status: the status -> error table of each transport family, overrides."""

from __future__ import annotations

import pytest

from connectors.http_status import READ, REST_WRITE, SOAP_WRITE, Kind, classify
from provisioner.errors import (
    AlreadyExistsError,
    ConnectorError,
    FatalError,
    NotFoundError,
    OutcomeUnknown,
    RejectedError,
    TransientError,
)

Row = tuple[int, Kind, type[ConnectorError]]

READ_TABLE: list[Row] = [
    (301, Kind.REDIRECT, FatalError),
    (400, Kind.PERMANENT, FatalError),
    (401, Kind.AUTH, FatalError),
    (403, Kind.AUTH, FatalError),
    (404, Kind.NOT_FOUND, FatalError),
    (408, Kind.TRANSIENT, TransientError),
    (409, Kind.PERMANENT, FatalError),
    (422, Kind.PERMANENT, FatalError),
    (429, Kind.THROTTLED, TransientError),
    (500, Kind.TRANSIENT, TransientError),
    (503, Kind.TRANSIENT, TransientError),
    (504, Kind.TRANSIENT, TransientError),
    (200, Kind.PERMANENT, FatalError),
]

GRAPH_READ_TABLE: list[Row] = [
    (302, Kind.REDIRECT, FatalError),
    (400, Kind.REJECTED, RejectedError),
    (401, Kind.AUTH, FatalError),
    (403, Kind.AUTH, FatalError),
    (404, Kind.NOT_FOUND, NotFoundError),
    (409, Kind.CONFLICT, AlreadyExistsError),
    (410, Kind.GONE, NotFoundError),
    (412, Kind.TRANSIENT, TransientError),
    (413, Kind.REJECTED, RejectedError),
    (424, Kind.REJECTED, RejectedError),
    (429, Kind.THROTTLED, TransientError),
    (500, Kind.TRANSIENT, TransientError),
    (502, Kind.TRANSIENT, TransientError),
    (503, Kind.TRANSIENT, TransientError),
    (504, Kind.TRANSIENT, TransientError),
]

SOAP_WRITE_TABLE: list[Row] = [
    (401, Kind.AUTH, FatalError),
    (404, Kind.NOT_FOUND, FatalError),
    (400, Kind.PERMANENT, FatalError),
    (408, Kind.TRANSIENT, TransientError),
    (429, Kind.THROTTLED, TransientError),
    (503, Kind.TRANSIENT, TransientError),
    (500, Kind.AMBIGUOUS, OutcomeUnknown),
    (502, Kind.AMBIGUOUS, OutcomeUnknown),
    (504, Kind.AMBIGUOUS, OutcomeUnknown),
]


@pytest.mark.parametrize(("status", "kind", "error"), READ_TABLE)
def test_read_sources_skip_nothing(status: int, kind: Kind, error: type[ConnectorError]) -> None:
    verdict = classify(status, {}, family=READ)
    assert (verdict.kind, verdict.error) == (kind, error)


@pytest.mark.parametrize(("status", "kind", "error"), GRAPH_READ_TABLE)
def test_rest_reads(status: int, kind: Kind, error: type[ConnectorError]) -> None:
    verdict = classify(status, {}, family=REST_WRITE)
    assert (verdict.kind, verdict.error) == (kind, error)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(500, Kind.AMBIGUOUS), (502, Kind.AMBIGUOUS), (504, Kind.AMBIGUOUS),
     (503, Kind.TRANSIENT), (429, Kind.THROTTLED), (400, Kind.REJECTED)],
)  # fmt: skip
def test_a_rest_write_that_met_a_5xx_may_have_landed(status: int, kind: Kind) -> None:
    verdict = classify(status, {}, family=REST_WRITE, write=True)
    assert verdict.kind is kind
    assert (verdict.error is OutcomeUnknown) == (kind is Kind.AMBIGUOUS)


@pytest.mark.parametrize(("status", "kind", "error"), SOAP_WRITE_TABLE)
def test_soap_writes(status: int, kind: Kind, error: type[ConnectorError]) -> None:
    verdict = classify(status, {}, family=SOAP_WRITE, write=True)
    assert (verdict.kind, verdict.error) == (kind, error)


def test_retry_after_is_read_for_transient_answers_only() -> None:
    throttled = classify(429, {"Retry-After": "7"}, family=READ)
    refused = classify(401, {"Retry-After": "7"}, family=READ)

    assert throttled.retry_after == 7.0 and refused.retry_after is None
    error = throttled.build("GET /x: throttled")
    assert isinstance(error, TransientError) and error.retry_after == 7.0
    assert str(error) == "GET /x: throttled"


def test_a_vendor_override_wins_over_the_family_also_for_a_write() -> None:
    """AFAS: 408 is an unexpected answer, a 500 a functional error of the request."""
    overrides = {408: Kind.PERMANENT, 500: Kind.REJECTED}

    assert classify(408, {}, family=READ, overrides=overrides).error is FatalError
    assert classify(500, {}, family=READ, overrides=overrides).kind is Kind.REJECTED
    assert classify(500, {}, family=READ, overrides=overrides, write=True).error is FatalError
    assert classify(502, {}, family=READ, overrides=overrides).error is TransientError
