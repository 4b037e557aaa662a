"""GraphClient against hand-written Graph answers (httpx.MockTransport), no network, no sleeping.

Covers the status-to-error table, the one retry policy (Retry-After exactly, else bounded
jittered backoff, bounded attempts and time), the token refresh on 401, paging and delta
links, $batch chunking and inner retries, dry-run at the transport, and secrets kept out of
every error text.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msal  # type: ignore[import-untyped]
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from connectors.m365 import client as client_module
from connectors.m365.client import (
    BatchRequest,
    DeltaExpired,
    GraphClient,
    GraphSettings,
    MsalTokens,
    translate,
)
from provisioner.errors import (
    AlreadyExistsError,
    ConnectorError,
    DryRunRejected,
    FatalError,
    NotFoundError,
    RejectedError,
    TransientError,
)

GRAPH = "https://graph.test/v1.0"
SECRET = "client-s3cr3t-do-not-show"
PASSWORD = "Initial-P@ssw0rd-42"

Handler = Callable[[httpx.Request], httpx.Response]


def error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": "r"}}}
    return httpx.Response(status, json=body, headers=headers)


class Recorder:
    """A fake Graph: records every request, answers with the handler; thread-safe."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.bodies: list[Any] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            self.bodies.append(json.loads(request.content) if request.content else None)
        return self.handler(request)


class Tokens:
    """A token source that hands out tok-1, tok-2, ... and records refresh requests."""

    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.current = "tok-1"

    def __call__(self, refresh: bool) -> str:
        self.calls.append(refresh)
        if refresh:
            self.current = f"tok-{int(self.current[4:]) + 1}"
        return self.current


def make(
    handler: Handler, *, dry_run: bool = False, **settings: Any
) -> tuple[GraphClient, Recorder, list[float], Tokens]:
    recorder = Recorder(handler)
    waits: list[float] = []
    tokens = Tokens()
    client = GraphClient(
        GraphSettings(
            tenant="t", client_id="app", client_secret=SECRET, graph_url=GRAPH, **settings
        ),
        dry_run=dry_run,
        transport=httpx.MockTransport(recorder),
        sleep=waits.append,
        token_provider=tokens,
    )
    return client, recorder, waits, tokens


@pytest.fixture
def ok_graph() -> Iterator[tuple[GraphClient, Recorder, list[float], Tokens]]:
    made = make(lambda r: httpx.Response(200, json={"id": "1"}))
    yield made
    made[0].close()


# -- the status-code to error table -----------------------------------------------------------

DUPLICATE = "Another object with the same value for property userPrincipalName already exists."
MEMBER = (
    "One or more added object references already exist for the following modified "
    "properties: 'members'."
)

TABLE: list[tuple[str, httpx.Response, type[ConnectorError], float | None]] = [
    (
        "400 plain",
        error(400, "Request_BadRequest", "Invalid value for usageLocation"),
        RejectedError,
        None,
    ),
    ("400 duplicate", error(400, "Request_BadRequest", DUPLICATE), AlreadyExistsError, None),
    ("400 member exists", error(400, "Request_BadRequest", MEMBER), AlreadyExistsError, None),
    ("401", error(401, "InvalidAuthenticationToken", "Access token is empty."), FatalError, None),
    ("403", error(403, "Authorization_RequestDenied", "Insufficient privileges"), FatalError, None),
    (
        "404",
        error(404, "Request_ResourceNotFound", "Resource 'x' does not exist"),
        NotFoundError,
        None,
    ),
    ("409", error(409, "Conflict", "conflict"), AlreadyExistsError, None),
    (
        "410",
        error(410, "resyncRequired", "delta token expired", Location=GRAPH + "/users/delta"),
        DeltaExpired,
        None,
    ),
    (
        "400 syncStateNotFound",
        error(400, "syncStateNotFound", "The sync state generation is not found."),
        DeltaExpired,
        None,
    ),
    ("412", error(412, "PreconditionFailed", "etag"), TransientError, None),
    (
        "429 Retry-After",
        error(429, "TooManyRequests", "throttled", **{"Retry-After": "7"}),
        TransientError,
        7.0,
    ),
    ("429 no Retry-After", error(429, "TooManyRequests", "throttled"), TransientError, None),
    (
        "429 ms",
        error(429, "TooManyRequests", "t", **{"Retry-After": "2", "x-ms-retry-after-ms": "1250"}),
        TransientError,
        1.25,
    ),
    ("503", error(503, "ServiceUnavailable", "busy", **{"Retry-After": "3"}), TransientError, 3.0),
    ("504", error(504, "GatewayTimeout", "slow"), TransientError, None),
    ("500", error(500, "InternalServerError", "oops"), TransientError, None),
    ("502 text", httpx.Response(502, text="<html>bad gateway</html>"), TransientError, None),
]


@pytest.mark.parametrize(("status", "answer", "kind", "wait"), TABLE, ids=[r[0] for r in TABLE])
def test_translate_table(
    status: str, answer: httpx.Response, kind: type[ConnectorError], wait: float | None
) -> None:
    err = translate(
        answer.status_code,
        answer.json() if "json" in answer.headers.get("content-type", "") else answer.text,
        answer.headers,
        where="GET /users",
    )
    assert type(err) is kind
    assert str(err).startswith("GET /users: Graph ")
    if isinstance(err, TransientError):
        assert err.retry_after == wait
    if isinstance(err, DeltaExpired) and answer.status_code == 410:
        assert err.location == GRAPH + "/users/delta"


def test_translate_message_has_code_and_message() -> None:
    err = translate(400, {"error": {"code": "Request_BadRequest", "message": "Bad thing"}}, {})
    assert "Request_BadRequest" in str(err) and "Bad thing" in str(err)


def test_retry_after_http_date() -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    stamp = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    err = translate(429, {}, {"Retry-After": stamp})
    assert isinstance(err, TransientError) and err.retry_after is not None
    assert 25 <= err.retry_after <= 31


@pytest.mark.parametrize(("status", "answer", "kind", "wait"), TABLE, ids=[r[0] for r in TABLE])
def test_client_raises_table_error(
    status: str, answer: httpx.Response, kind: type[ConnectorError], wait: float | None
) -> None:
    client, recorder, _, _ = make(lambda r: answer, max_attempts=1)
    with pytest.raises(kind):
        client.get("/users")
    assert len(recorder.requests) == (2 if answer.status_code == 401 else 1)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
    ],
    ids=["read timeout", "connect timeout", "connection refused", "reset", "dropped"],
)
def test_transport_failures_are_transient(failure: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    client, recorder, waits, _ = make(handler, max_attempts=3)
    with pytest.raises(TransientError) as caught:
        client.get("/users")
    assert caught.value.retry_after is None
    assert len(recorder.requests) == 3 and len(waits) == 2


# -- the retry policy -------------------------------------------------------------------------


def answers(*responses: httpx.Response) -> Handler:
    """Answer with these in turn, then the last one forever."""
    queue = list(responses)
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def test_retry_after_honoured_exactly() -> None:
    client, recorder, waits, _ = make(
        answers(
            error(429, "TooManyRequests", "t", **{"Retry-After": "3"}),
            error(503, "ServiceUnavailable", "t", **{"Retry-After": "5"}),
            error(
                429, "TooManyRequests", "t", **{"Retry-After": "1", "x-ms-retry-after-ms": "250"}
            ),
            httpx.Response(200, json={"id": "u1"}),
        )
    )
    assert client.get("/users/u1") == {"id": "u1"}
    assert waits == [3.0, 5.0, 0.25]
    assert client.requests_sent == 4 and client.throttled == 2 and client.writes_sent == 0
    ids = {r.headers["client-request-id"] for r in recorder.requests}
    assert len(ids) == 1  # one logical request keeps its id over retries


def test_backoff_with_jitter_is_bounded_without_retry_after() -> None:
    client, _, waits, _ = make(
        answers(error(503, "ServiceUnavailable", "busy")), max_attempts=12, max_wait=10_000
    )
    with pytest.raises(TransientError):
        client.get("/users")
    assert len(waits) == 11
    for n, wait in enumerate(waits, start=1):
        assert 0 <= wait <= min(60.0, 2.0 ** (n - 1))
    assert len(set(waits)) > 1  # jittered, not a fixed schedule


def test_stops_after_max_attempts() -> None:
    client, recorder, waits, _ = make(answers(error(504, "GatewayTimeout", "slow")), max_attempts=5)
    with pytest.raises(TransientError):
        client.get("/users")
    assert len(recorder.requests) == 5 and len(waits) == 4


def test_stops_when_time_budget_would_be_exceeded() -> None:
    client, recorder, waits, _ = make(
        answers(error(429, "TooManyRequests", "t", **{"Retry-After": "100"})), max_wait=250
    )
    with pytest.raises(TransientError) as caught:
        client.get("/users")
    assert waits == [100.0, 100.0]  # a third wait would pass 250 s: give up, don't send early
    assert len(recorder.requests) == 3 and client.throttled == 3
    assert caught.value.retry_after == 100.0


def test_permanent_errors_are_not_retried() -> None:
    client, recorder, waits, _ = make(answers(error(404, "Request_ResourceNotFound", "gone")))
    with pytest.raises(NotFoundError):
        client.delete("/users/u1")
    assert len(recorder.requests) == 1 and waits == []


# -- auth ---------------------------------------------------------------------------------------


def test_401_refreshes_the_token_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok-1":
            return error(401, "InvalidAuthenticationToken", "Lifetime validation failed")
        return httpx.Response(200, json={"id": "u1"})

    client, recorder, _, tokens = make(handler)
    assert client.get("/users/u1") == {"id": "u1"}
    assert tokens.calls == [False, True]
    assert [r.headers["Authorization"] for r in recorder.requests] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]


def test_401_twice_is_fatal_and_not_retried() -> None:
    client, recorder, waits, tokens = make(answers(error(401, "InvalidAuthenticationToken", "no")))
    with pytest.raises(FatalError) as caught:
        client.get("/users")
    assert tokens.calls == [False, True] and len(recorder.requests) == 2 and waits == []
    assert "tok-" not in str(caught.value)


def test_headers_on_every_request(
    ok_graph: tuple[GraphClient, Recorder, list[float], Tokens],
) -> None:
    client, recorder, _, _ = ok_graph
    client.get("/users/u1")
    client.patch("/users/u1", {"jobTitle": "docent"})
    for request in recorder.requests:
        assert request.headers["x-ms-throttle-priority"] == "low"
        assert request.headers["Authorization"] == "Bearer tok-1"
    ids = [r.headers["client-request-id"] for r in recorder.requests]
    assert len(set(ids)) == 2
    assert str(recorder.requests[0].url) == GRAPH + "/users/u1"
    assert client.writes_sent == 1 and client.requests_sent == 2


def test_msal_error_is_fatal_without_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class FakeApp:
        def __init__(self, client_id: str, **kwargs: Any) -> None:
            seen.update(kwargs, client_id=client_id)
            self.token_cache = kwargs["token_cache"]

        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
            seen["scopes"] = scopes
            return {
                "error": "invalid_client",
                "error_description": f"AADSTS7000215: Invalid client secret provided: {SECRET}",
                "error_codes": [7000215],
            }

    monkeypatch.setattr(msal, "ConfidentialClientApplication", FakeApp)
    settings = GraphSettings(
        tenant="tenant-1", client_id="app", client_secret=SECRET, authority_host="https://idp.test"
    )
    tokens = MsalTokens(settings)
    with pytest.raises(FatalError) as caught:
        tokens(False)
    text = str(caught.value)
    assert "invalid_client" in text and "AADSTS7000215" in text and SECRET not in text
    assert seen["authority"] == "https://idp.test/tenant-1"
    assert seen["instance_discovery"] is False
    assert seen["client_credential"] == SECRET
    assert seen["scopes"] == ["https://graph.microsoft.com/.default"]
    assert SECRET not in repr(settings)


def test_certificate_credential(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provisioner")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "app.pem"
    path.write_text(key_pem + cert.public_bytes(serialization.Encoding.PEM).decode())
    credential = client_module._credential(
        GraphSettings(tenant="t", client_id="app", certificate_path=path)
    )
    assert credential == {
        "private_key": key_pem.strip(),
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),
    }
    with pytest.raises(FatalError):
        client_module._credential(GraphSettings(tenant="t", client_id="app"))


# -- paging and delta ---------------------------------------------------------------------------


def pages(links: dict[str, dict[str, Any]]) -> Handler:
    """Serve whole URLs (query included) from a table."""

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url in links:
            return httpx.Response(200, json=links[url])
        return error(404, "Request_ResourceNotFound", url)

    return handler


def test_paging_over_three_pages() -> None:
    client, recorder, _, _ = make(
        pages(
            {
                GRAPH + "/users?%24top=2": {
                    "value": [{"id": "1"}, {"id": "2"}],
                    "@odata.nextLink": GRAPH + "/users?$skiptoken=a",
                },
                GRAPH + "/users?$skiptoken=a": {
                    "value": [{"id": "3"}, {"id": "4"}],
                    "@odata.nextLink": GRAPH + "/users?$skiptoken=b",
                },
                GRAPH + "/users?$skiptoken=b": {"value": [{"id": "5"}]},
            }
        )
    )
    assert [u["id"] for u in client.paged("/users", {"$top": "2"})] == ["1", "2", "3", "4", "5"]
    assert len(recorder.requests) == 3


def test_paging_fails_on_a_repeated_next_link() -> None:
    loop = GRAPH + "/users?$skiptoken=same"
    client, recorder, _, _ = make(
        pages(
            {
                GRAPH + "/users": {"value": [{"id": "1"}], "@odata.nextLink": loop},
                loop: {"value": [{"id": "2"}], "@odata.nextLink": loop},
            }
        )
    )
    with pytest.raises(FatalError, match="repeated"):
        list(client.paged("/users"))
    assert len(recorder.requests) == 2


def test_paging_refuses_a_link_to_another_host() -> None:
    client, recorder, _, _ = make(
        pages({GRAPH + "/users": {"value": [], "@odata.nextLink": "https://evil.test/v1.0/x"}})
    )
    with pytest.raises(FatalError, match="another host"):
        list(client.paged("/users"))
    assert len(recorder.requests) == 1


def test_delta_round_then_changes_then_expired() -> None:
    delta_1 = GRAPH + "/users/delta?$deltatoken=one"
    delta_2 = GRAPH + "/users/delta?$deltatoken=two"
    table = {
        GRAPH + "/users/delta?%24select=id": {
            "value": [{"id": "1"}],
            "@odata.nextLink": GRAPH + "/users/delta?$skiptoken=p2",
        },
        GRAPH + "/users/delta?$skiptoken=p2": {"value": [{"id": "2"}], "@odata.deltaLink": delta_1},
        delta_1: {
            "value": [{"id": "2", "@removed": {"reason": "deleted"}}],
            "@odata.deltaLink": delta_2,
        },
    }
    serve = pages(table)

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == GRAPH + "/users/delta?$deltatoken=old":
            return error(410, "resyncRequired", "expired", Location=GRAPH + "/users/delta")
        return serve(request)

    client, _, _, _ = make(handler)
    items, link = client.delta("/users/delta", {"$select": "id"}, None)
    assert [i["id"] for i in items] == ["1", "2"] and link == delta_1
    items, link = client.delta("/users/delta", {"$select": "id"}, link)
    assert items == [{"id": "2", "@removed": {"reason": "deleted"}}] and link == delta_2
    with pytest.raises(DeltaExpired) as caught:
        client.delta("/users/delta", {"$select": "id"}, GRAPH + "/users/delta?$deltatoken=old")
    assert isinstance(caught.value, NotFoundError)
    assert caught.value.location == GRAPH + "/users/delta"


# -- $batch -------------------------------------------------------------------------------------


class BatchGraph:
    """Answers $batch calls; ``throttle`` maps an inner id to how many times it answers 429."""

    def __init__(self, throttle: dict[str, int] | None = None, retry_after: str = "4") -> None:
        self.throttle = dict(throttle or {})
        self.retry_after = retry_after
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1.0/$batch" and request.method == "POST"
        inner = json.loads(request.content)["requests"]
        assert len(inner) <= 20
        responses = []
        for item in inner:
            with self.lock:
                left = self.throttle.get(item["id"], 0)
                self.throttle[item["id"]] = left - 1
            if left > 0:
                responses.append(
                    {
                        "id": item["id"],
                        "status": 429,
                        "headers": {"Retry-After": self.retry_after},
                        "body": {"error": {"code": "TooManyRequests", "message": "slow down"}},
                    }
                )
            elif item["url"].endswith("/missing"):
                responses.append(
                    {
                        "id": item["id"],
                        "status": 404,
                        "body": {"error": {"code": "Request_ResourceNotFound", "message": "no"}},
                    }
                )
            else:
                responses.append({"id": item["id"], "status": 200, "body": {"echo": item["url"]}})
        responses.reverse()  # Graph does not promise any order
        return httpx.Response(200, json={"responses": responses})


def test_batch_45_requests_in_3_calls_with_inner_retry() -> None:
    graph = BatchGraph(throttle={"7": 1})
    client, recorder, waits, _ = make(graph)
    requests = [BatchRequest(str(n), "GET", f"/users/u{n}") for n in range(45)]
    results = client.batch(requests)
    sizes = sorted(len(b["requests"]) for b in recorder.bodies)
    assert sizes == [1, 5, 20, 20]  # three chunks, then only the throttled one again
    retried = [b["requests"] for b in recorder.bodies if len(b["requests"]) == 1]
    assert retried == [[{"id": "7", "method": "GET", "url": "/users/u7"}]]
    assert waits == [4.0]
    assert [r.id for r in results] == [str(n) for n in range(45)]
    assert all(r.status == 200 and r.error is None for r in results)
    assert results[7].body == {"echo": "/users/u7"}
    assert client.throttled == 1 and client.requests_sent == 4


def test_batch_keeps_final_errors_per_request() -> None:
    graph = BatchGraph(throttle={"b": 99}, retry_after="2")
    client, recorder, waits, _ = make(graph, max_attempts=3)
    results = client.batch(
        [
            BatchRequest("a", "DELETE", f"{GRAPH}/groups/g/members/missing"),
            BatchRequest("b", "POST", "/groups/g/members/$ref", {"@odata.id": "x"}),
            BatchRequest("c", "PATCH", "/users/u1", {"jobTitle": "docent"}),
        ]
    )
    assert [r.status for r in results] == [404, 429, 200]
    assert isinstance(results[0].error, NotFoundError)
    assert isinstance(results[1].error, TransientError) and results[1].error.retry_after == 2.0
    assert results[2].error is None
    assert waits == [2.0, 2.0] and len(recorder.requests) == 3
    first = recorder.bodies[0]["requests"]
    assert first[0]["url"] == "/groups/g/members/missing"
    assert first[1]["headers"] == {"Content-Type": "application/json"}
    assert client.writes_sent == 3 + 1 + 1


def test_batch_resends_a_failed_dependant_with_its_dependency() -> None:
    state = {"calls": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["calls"] += 1
        inner = json.loads(request.content)["requests"]
        if state["calls"] == 1:
            return httpx.Response(
                200,
                json={
                    "responses": [
                        {"id": "1", "status": 429, "headers": {"Retry-After": "1"}},
                        {
                            "id": "2",
                            "status": 424,
                            "body": {"error": {"code": "FailedDependency", "message": "dep"}},
                        },
                        {"id": "3", "status": 204},
                    ]
                },
            )
        assert [i["id"] for i in inner] == ["1", "2"] and inner[1]["dependsOn"] == ["1"]
        return httpx.Response(
            200, json={"responses": [{"id": "1", "status": 201}, {"id": "2", "status": 204}]}
        )

    client, _, waits, _ = make(handler)
    results = client.batch(
        [
            BatchRequest("1", "POST", "/groups", {"displayName": "g"}),
            BatchRequest("2", "PATCH", "/groups/x", {"description": "d"}, depends_on=("1",)),
            BatchRequest("3", "DELETE", "/users/u1"),
        ]
    )
    assert [r.status for r in results] == [201, 204, 204] and waits == [1.0]


def test_batch_outer_throttle_is_retried() -> None:
    graph = BatchGraph()
    responses = [error(429, "TooManyRequests", "t", **{"Retry-After": "6"})]

    def handler(request: httpx.Request) -> httpx.Response:
        return responses.pop() if responses else graph(request)

    client, recorder, waits, _ = make(handler)
    results = client.batch([BatchRequest("1", "GET", "/users/u1")])
    assert results[0].status == 200 and waits == [6.0] and len(recorder.requests) == 2


def test_batch_chunks_keep_dependencies_together() -> None:
    graph = BatchGraph()
    client, recorder, _, _ = make(graph)
    requests = [BatchRequest(str(n), "GET", f"/users/u{n}") for n in range(19)]
    requests += [
        BatchRequest("a", "POST", "/groups", {"displayName": "g"}),
        BatchRequest("b", "GET", "/groups/a", depends_on=("a",)),
    ]
    client.batch(requests)
    chunks = [[i["id"] for i in b["requests"]] for b in recorder.bodies]
    assert sorted(chunks, key=len) == [["a", "b"], [str(n) for n in range(19)]]


# -- dry-run -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.post("/users", {"passwordProfile": {"password": PASSWORD}}),
        lambda c: c.patch("/users/u1", {"accountEnabled": False}),
        lambda c: c.delete("/users/u1"),
        lambda c: c.post("/users/u1/revokeSignInSessions", None),
        lambda c: c.batch(
            [BatchRequest("1", "GET", "/users/u1"), BatchRequest("2", "DELETE", "/users/u2")]
            + [BatchRequest(str(n), "GET", "/users") for n in range(3, 40)]
        ),
    ],
    ids=["post", "patch", "delete", "action", "batch with a write"],
)
def test_dry_run_sends_no_write(call: Callable[[GraphClient], Any]) -> None:
    client, recorder, _, tokens = make(lambda r: httpx.Response(200, json={}), dry_run=True)
    with pytest.raises(DryRunRejected) as caught:
        call(client)
    assert recorder.requests == [] and tokens.calls == []
    assert PASSWORD not in str(caught.value)
    assert client.requests_sent == 0 and client.writes_sent == 0


def test_dry_run_still_reads() -> None:
    client, recorder, _, _ = make(BatchGraph(), dry_run=True)
    results = client.batch([BatchRequest("1", "GET", "/users/u1")])
    assert results[0].status == 200 and len(recorder.requests) == 1


# -- no secrets in errors --------------------------------------------------------------------------


def test_no_secret_token_or_password_in_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        echo = f"bad request {body} token {request.headers['Authorization']} {SECRET}"
        return error(400, "Request_BadRequest", echo)

    client, _, _, _ = make(handler)
    with pytest.raises(RejectedError) as caught:
        client.post(
            "/users",
            {"userPrincipalName": "a@b", "passwordProfile": {"password": PASSWORD}},
        )
    text = str(caught.value)
    assert "Request_BadRequest" in text
    for secret in (PASSWORD, SECRET, "tok-1"):
        assert secret not in text

    client, _, _, _ = make(
        lambda r: httpx.Response(
            200,
            json={
                "responses": [
                    {
                        "id": "1",
                        "status": 400,
                        "body": {
                            "error": {
                                "code": "Request_BadRequest",
                                "message": f"weak password {PASSWORD}",
                            }
                        },
                    }
                ]
            },
        )
    )
    [result] = client.batch(
        [BatchRequest("1", "POST", "/users", {"passwordProfile": {"password": PASSWORD}})]
    )
    assert isinstance(result.error, RejectedError) and PASSWORD not in str(result.error)


# -- against the Graph emulator, for real (HTTPS, msal, the emulator's throttling) ---------------


class TestAgainstEmulator:
    """The client with real msal tokens against ``connectors.emulators.graph`` on loopback."""

    @pytest.fixture
    def emu(self, request: pytest.FixtureRequest) -> Iterator[Any]:
        module = pytest.importorskip("connectors.emulators.graph")
        settings = getattr(request, "param", {})
        emulator = module.GraphEmulator(module.EmulatorSettings(window_scale=0.01, **settings))
        emulator.start()
        yield emulator
        emulator.stop()

    @staticmethod
    def client(emu: Any, secret: str | None = None, **settings: Any) -> GraphClient:
        if secret is not None:
            settings["client_secret"] = secret
        return GraphClient(emu.client_settings(**{"timeout": 10, **settings}))

    def test_msal_token_paging_delta_and_batch(self, emu: Any) -> None:
        ids = [emu.add_user(userPrincipalName=f"u{n}@school.test") for n in range(25)]
        with self.client(emu) as client:
            users = list(client.paged("/users", {"$top": "10", "$select": "id,userPrincipalName"}))
            assert sorted(u["id"] for u in users) == sorted(ids)
            assert client.requests_sent == 3  # three pages of 10, 10 and 5

            items, link = client.delta("/users/delta", {"$select": "id"}, None)
            assert len(items) == 25
            group = client.post(
                "/groups",
                {
                    "displayName": "K-5b",
                    "mailEnabled": False,
                    "securityEnabled": True,
                    "mailNickname": "prov.class_3aK-5b",
                },
            )
            assert group is not None
            bind = "https://graph.microsoft.com/v1.0/directoryObjects/"
            for part in (ids[:20], ids[20:]):
                client.patch(
                    f"/groups/{group['id']}", {"members@odata.bind": [bind + u for u in part]}
                )
            assert emu.members(group["id"]) == set(ids)
            results = client.batch(
                [
                    BatchRequest(str(n), "DELETE", f"/groups/{group['id']}/members/{uid}/$ref")
                    for n, uid in enumerate(ids[:20])
                ]
                + [
                    BatchRequest(f"p{n}", "PATCH", f"/users/{uid}", {"jobTitle": "docent"})
                    for n, uid in enumerate(ids[20:])
                ]
                + [BatchRequest("gone", "GET", "/users/00000000-0000-0000-0000-000000000000")]
            )
            assert [r.status for r in results[:-1]] == [204] * 25
            assert isinstance(results[-1].error, NotFoundError)
            assert emu.members(group["id"]) == set(ids[20:])
            titles = {u["id"]: u.get("jobTitle") for u in emu.users()}
            assert [titles[uid] for uid in ids[20:]] == ["docent"] * 5

            new = emu.add_user(userPrincipalName="late@school.test")
            items, link = client.delta("/users/delta", {"$select": "id"}, link)
            assert {i["id"] for i in items} == {new, *ids[20:]}  # created and patched since
            emu.expire_delta_tokens()
            with pytest.raises(DeltaExpired):
                client.delta("/users/delta", {"$select": "id"}, link)
        graph_requests = [r for r in emu.requests if r.path.startswith("/v1.0")]
        assert not any(r.early for r in emu.requests)
        assert len(graph_requests) > 0

    @pytest.mark.parametrize("emu", [{"fault_rate": 0.3, "faults": ("429", "503")}], indirect=True)
    def test_faults_are_retried_never_early(self, emu: Any) -> None:
        ids = [emu.add_user(userPrincipalName=f"f{n}@school.test") for n in range(30)]
        with self.client(emu, max_attempts=20) as client:
            users = list(client.paged("/users", {"$top": "5", "$select": "id"}))
            results = client.batch(
                [
                    BatchRequest(str(n), "PATCH", f"/users/{uid}", {"jobTitle": "docent"})
                    for n, uid in enumerate(ids)
                ]
            )
        assert sorted(u["id"] for u in users) == sorted(ids)
        assert [r.status for r in results] == [204] * 30
        assert client.throttled > 0
        assert any(r.fault for r in emu.requests)
        assert not any(r.early for r in emu.requests)

    def test_wrong_secret_is_fatal_and_secret_free(self, emu: Any) -> None:
        with self.client(emu, secret=SECRET) as client, pytest.raises(FatalError) as caught:
            client.get("/users")
        assert "invalid_client" in str(caught.value) and SECRET not in str(caught.value)
