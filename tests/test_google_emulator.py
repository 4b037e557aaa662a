"""The Google emulator's own promises: the token endpoint checks the JWT bearer grant and the
delegation as Google does, the batch endpoint keeps Google's limit, units with users cannot
be deleted, errors have Google's body, and the discovery-document check catches a request
or an answer that does not match the schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account

from connectors.emulators.google import SCOPES, GoogleEmulator
from connectors.emulators.google.discovery import Discovery

ADMIN = "admin@example.nl"
API = "/admin/directory/v1"


@pytest.fixture
def emulator() -> Iterator[GoogleEmulator]:
    with GoogleEmulator() as emulator:
        yield emulator


def token(emulator: GoogleEmulator, *, scopes: list[str], subject: str = ADMIN,
          info: dict[str, Any] | None = None) -> str:  # fmt: skip
    credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        info or emulator.service_account_info(), scopes=scopes, subject=subject
    )
    credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)


def call(emulator: GoogleEmulator, method: str, path: str, **kwargs: Any) -> httpx.Response:
    bearer = token(emulator, scopes=list(SCOPES.values()))
    headers = {"Authorization": f"Bearer {bearer}", **kwargs.pop("headers", {})}
    return httpx.request(method, emulator.root_url + path, headers=headers, **kwargs)


def test_a_jwt_signed_with_another_key_is_refused(emulator: GoogleEmulator) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()  # fmt: skip
    info = {**emulator.service_account_info(), "private_key": pem}
    with pytest.raises(RefreshError, match="invalid_grant"):
        token(emulator, scopes=[SCOPES["users"]], info=info)


def test_a_scope_that_was_not_delegated_is_refused(emulator: GoogleEmulator) -> None:
    emulator.delegated = {SCOPES["users"]}
    assert token(emulator, scopes=[SCOPES["users"]])
    with pytest.raises(RefreshError, match="unauthorized_client"):
        token(emulator, scopes=[SCOPES["users"], SCOPES["groups"]])
    with pytest.raises(RefreshError, match="unauthorized_client"):
        token(emulator, scopes=[SCOPES["users"]], subject="teacher@example.nl")


def test_errors_have_googles_body(emulator: GoogleEmulator) -> None:
    answer = call(emulator, "GET", f"{API}/users/nobody@example.nl")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == 404 and error["status"] == "NOT_FOUND"
    assert error["errors"] == [
        {"message": "Resource Not Found: userKey", "domain": "global", "reason": "notFound"}
    ]
    anonymous = httpx.get(emulator.root_url + f"{API}/users/nobody@example.nl")
    assert anonymous.status_code == 401


def test_a_unit_with_users_is_never_deleted(emulator: GoogleEmulator) -> None:
    unit = {"name": "07XY00", "parentOrgUnitPath": "/"}
    assert call(emulator, "POST", f"{API}/customer/my_customer/orgunits", json=unit).is_success
    user = {"primaryEmail": "a@example.nl", "password": "long enough", "orgUnitPath": "/07XY00",
            "name": {"givenName": "A", "familyName": "B"}}  # fmt: skip
    assert call(emulator, "POST", f"{API}/users", json=user).is_success
    refused = call(emulator, "DELETE", f"{API}/customer/my_customer/orgunits/07XY00")
    assert refused.status_code == 400
    assert "/07XY00" in emulator.directory.orgunits


def batch_body(parts: int) -> tuple[str, bytes]:
    lines = []
    for n in range(parts):
        lines += ["--b", "Content-Type: application/http", f"Content-ID: <x+{n}>", "",
                  f"GET {API}/users/{ADMIN} HTTP/1.1", "", ""]  # fmt: skip
    lines.append("--b--")
    return 'multipart/mixed; boundary="b"', "\r\n".join(lines).encode()


def test_a_batch_holds_at_most_a_thousand_calls(emulator: GoogleEmulator) -> None:
    kind, body = batch_body(3)
    answer = call(emulator, "POST", "/batch/admin/directory_v1", content=body,
                  headers={"Content-Type": kind})  # fmt: skip
    assert answer.status_code == 200 and answer.text.count("HTTP/1.1 200 OK") == 3
    kind, body = batch_body(1001)
    answer = call(emulator, "POST", "/batch/admin/directory_v1", content=body,
                  headers={"Content-Type": kind})  # fmt: skip
    assert answer.status_code == 400


def test_the_discovery_check_catches_what_does_not_match(emulator: GoogleEmulator) -> None:
    call(emulator, "GET", f"{API}/users", params={"customer": "my_customer", "maxResultz": "5"})
    user = {"primaryEmail": "b@example.nl", "password": "long enough", "nickname": "b",
            "name": {"givenName": "B", "familyName": "C"}}  # fmt: skip
    call(emulator, "POST", f"{API}/users", json=user)
    assert any("unknown parameter maxResultz" in v for v in emulator.violations)
    assert any("request.nickname: not in the schema" in v for v in emulator.violations)


def test_the_discovery_check_of_answers() -> None:
    discovery = Discovery()
    found = discovery.find("GET", f"{API}/groups/g")
    assert found is not None
    method, _ = found
    good = {"kind": "admin#directory#group", "id": "1", "directMembersCount": "3"}
    assert discovery.check_answer(method, 200, good) == []
    bad = {**good, "directMembersCount": 3, "members": []}
    problems = discovery.check_answer(method, 200, bad)
    assert any("directMembersCount: expected a string" in p for p in problems)
    assert any(".members: not in the schema" in p for p in problems)
    assert discovery.check_answer(method, 404, {"error": "no"})


def test_state_survives_a_restart(tmp_path: Any) -> None:
    state = tmp_path / "workspace.json"
    with GoogleEmulator(state_file=state) as first:
        user = {"primaryEmail": "c@example.nl", "password": "long enough",
                "name": {"givenName": "C", "familyName": "D"}}  # fmt: skip
        assert call(first, "POST", f"{API}/users", json=user).is_success
        key = first.service_account_info()["private_key"]
    with GoogleEmulator(state_file=state) as second:
        assert [u["primaryEmail"] for u in second.users()] == ["c@example.nl"]
        assert second.service_account_info()["private_key"] == key
        assert json.loads(state.read_text())["directory"]["users"]
