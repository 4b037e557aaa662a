"""The Google transport against the Google emulator: google-auth's delegated service account
talks to the emulator's token endpoint, throttling is retried (only what was throttled, in a
batch too), dry-run sends no write, a lost answer is never sent again, and every Google
error becomes a typed error without an address in its message."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.emulators.google import GoogleEmulator, GoogleEmulatorSettings
from connectors.google.client import DIRECTORY_SCOPES, GoogleClient, GoogleSettings, op
from connectors.google.errors import translate
from provisioner.errors import (
    AlreadyExistsError,
    DryRunRejected,
    FatalError,
    NotFoundError,
    OutcomeUnknown,
    RejectedError,
    TransientError,
)

ADMIN = "admin@example.nl"


def client_for(
    emulator: GoogleEmulator, *, dry_run: bool = False, subject: str = ADMIN, **settings: Any
) -> GoogleClient:
    config = GoogleSettings(
        emulator.service_account_info(), subject, root_url=emulator.root_url, **settings
    )
    return GoogleClient(config, dry_run=dry_run, sleep=lambda s: time.sleep(min(s, 0.2)))


def new_user(name: str) -> dict[str, Any]:
    return {
        "primaryEmail": f"{name}@example.nl",
        "password": "a-long-first-password",
        "name": {"givenName": "Zoë", "familyName": "Çelik"},
    }


@pytest.fixture
def emulator() -> Iterator[GoogleEmulator]:
    with GoogleEmulator() as emulator:
        yield emulator
    assert emulator.violations == []


def test_the_service_account_acts_as_the_admin_it_was_delegated(emulator: GoogleEmulator) -> None:
    client = client_for(emulator)
    created = client.call("directory", op("users", "insert", body=new_user("zoe.celik")))
    assert created["name"]["givenName"] == "Zoë"
    grants = [r for r in emulator.requests if r.path == "/token"]
    assert [g.body for g in grants] == [
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}
    ]


def test_a_subject_without_delegation_is_fatal_and_names_the_delegation(
    emulator: GoogleEmulator,
) -> None:
    client = client_for(emulator, subject="someone.else@example.nl")
    with pytest.raises(FatalError, match="delegation") as refused:
        client.call("directory", op("users", "list", customer="my_customer"))
    assert "someone.else" not in str(refused.value)


def test_a_scope_not_asked_for_is_refused_by_google(emulator: GoogleEmulator) -> None:
    client = client_for(emulator, scopes=DIRECTORY_SCOPES[:1])  # users only
    with pytest.raises(FatalError, match="insufficientPermissions"):
        client.call("directory", op("groups", "list", customer="my_customer"))


def test_pages_follow_the_page_token(emulator: GoogleEmulator) -> None:
    client = client_for(emulator)
    for n in range(4):
        client.call("directory", op("users", "insert", body=new_user(f"user{n}")))
    pages = list(
        client.pages(
            "directory",
            lambda s, token: s.users().list(customer="my_customer", maxResults=2, pageToken=token),
        )
    )
    assert [len(p["users"]) for p in pages] == [2, 2, 1]  # the admin is the fifth


def test_throttled_calls_are_retried_with_googles_error_body() -> None:
    settings = GoogleEmulatorSettings(directory_qpm=4, window_scale=0.02)
    with GoogleEmulator(settings) as emulator:
        client = client_for(emulator, quotas={"directory": 100000})  # no pacing: be throttled
        for n in range(10):
            client.call("directory", op("users", "insert", body=new_user(f"busy{n}")))
        refused = [r for r in emulator.requests if r.throttled]
        assert refused and client.throttled == len(refused)
        error = refused[0].answer["error"]
        assert (error["code"], error["errors"][0]["reason"], error["errors"][0]["domain"]) == (
            403, "userRateLimitExceeded", "usageLimits",
        )  # fmt: skip
        inserts = [r for r in emulator.writes() if not r.throttled]
        assert len(inserts) == 10 and len(emulator.users()) == 10
        assert emulator.violations == []


def test_a_batch_sends_again_only_what_was_throttled() -> None:
    settings = GoogleEmulatorSettings(directory_qpm=6, window_scale=0.02)
    with GoogleEmulator(settings) as emulator:
        client = client_for(emulator, quotas={"directory": 100000}, max_attempts=60)
        users = [
            client.call("directory", op("users", "insert", body=new_user(f"m{n}")))["id"]
            for n in range(8)
        ]
        group = client.call("directory", op("groups", "insert", body={"email": "g@example.nl"}))
        inserts = [
            op("members", "insert", groupKey=group["id"], body={"id": user}) for user in users
        ]
        results = client.batch("directory", inserts)
        assert [r["id"] for r in results] == users
        done = [r.body["id"] for r in emulator.requests
                if r.in_batch and r.status == 200 and r.path.endswith("/members")]  # fmt: skip
        assert sorted(done) == sorted(users)  # each member inserted exactly once
        assert any(r.throttled and r.in_batch for r in emulator.requests)


def test_dry_run_sends_no_write_single_or_batched(emulator: GoogleEmulator) -> None:
    client = client_for(emulator, dry_run=True)
    with pytest.raises(DryRunRejected):
        client.call("directory", op("users", "insert", body=new_user("never")))
    with pytest.raises(DryRunRejected):
        client.batch("directory", [op("users", "signOut", userKey=ADMIN)])
    assert client.call("directory", op("users", "list", customer="my_customer"))["users"]
    assert emulator.writes() == []


def test_a_lost_answer_is_reported_and_never_sent_again() -> None:
    with GoogleEmulator(GoogleEmulatorSettings(lost_rate=1.0)) as emulator:
        client = client_for(emulator)
        with pytest.raises(OutcomeUnknown, match=r"directory\.users\.insert"):
            client.call("directory", op("users", "insert", body=new_user("lost")))
        assert [u["primaryEmail"] for u in emulator.users()] == ["lost@example.nl"]
        group_body = {"email": "g@example.nl"}
        with pytest.raises(OutcomeUnknown):
            client.call("directory", op("groups", "insert", body=group_body))
        (group,) = emulator.groups()
        (user,) = emulator.users()
        member = op("members", "insert", groupKey=group["id"], body={"id": user["id"]})
        (result,) = client.batch("directory", [member])
        assert isinstance(result, OutcomeUnknown)
        assert emulator.members(group["id"]) == {user["id"]}
        assert len(emulator.writes()) == 3  # one each: nothing was sent twice


def test_google_errors_become_typed_errors(emulator: GoogleEmulator) -> None:
    client = client_for(emulator)
    with pytest.raises(NotFoundError):
        client.call("directory", op("users", "get", userKey="nobody@example.nl"))
    client.call("directory", op("users", "insert", body=new_user("twice")))
    with pytest.raises(AlreadyExistsError):
        client.call("directory", op("users", "insert", body=new_user("twice")))
    with pytest.raises(RejectedError):
        client.call("directory", op("users", "insert", body={**new_user("x"), "password": "short"}))


def body(status: int, reason: str, message: str) -> bytes:
    error = {"code": status, "message": message,
             "errors": [{"domain": "global", "reason": reason, "message": message}]}  # fmt: skip
    return json.dumps({"error": error}).encode()


@pytest.mark.parametrize(
    ("status", "reason", "write", "expected"),
    [
        (403, "userRateLimitExceeded", True, TransientError),
        (403, "rateLimitExceeded", False, TransientError),
        (429, "rateLimitExceeded", True, TransientError),
        (503, "backendError", True, TransientError),
        (500, "backendError", False, TransientError),
        (500, "backendError", True, OutcomeUnknown),
        (403, "forbidden", False, FatalError),
        (401, "authError", False, FatalError),
        (404, "notFound", True, NotFoundError),
        (409, "duplicate", True, AlreadyExistsError),
        (400, "invalid", True, RejectedError),
        (412, "conditionNotMet", True, RejectedError),
    ],
)
def test_one_translation_of_googles_answers(
    status: int, reason: str, write: bool, expected: type[Exception]
) -> None:
    error = translate(status, body(status, reason, "Invalid email: jan.devries@example.nl"),
                      "directory.users.insert", write=write)  # fmt: skip
    assert type(error) is expected
    assert "jan.devries" not in str(error) and "directory.users.insert" in str(error)
