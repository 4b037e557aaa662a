"""The Graph emulator, exercised over HTTPS with httpx and msal as a connector would."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msal  # type: ignore[import-untyped]
import pytest
import requests

from connectors.emulators.graph import EmulatorSettings, GraphEmulator

SCOPE = "https://graph.microsoft.com/.default"
MakeEmulator = Callable[..., GraphEmulator]


@pytest.fixture
def make_emulator() -> Iterator[MakeEmulator]:
    started: list[GraphEmulator] = []

    def make(state_file: Path | None = None, **settings: Any) -> GraphEmulator:
        emulator = GraphEmulator(EmulatorSettings(**settings), state_file=state_file).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emu(make_emulator: MakeEmulator) -> GraphEmulator:
    return make_emulator()


def token(emu: GraphEmulator) -> str:
    with httpx.Client(verify=_context(emu), trust_env=False) as http:
        answer = http.post(
            f"{emu.authority}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": emu.settings.client_id,
                "client_secret": emu.settings.client_secret,
                "scope": SCOPE,
            },
        )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _context(emu: GraphEmulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(emu.ca_file))


def graph(emu: GraphEmulator, bearer: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=emu.graph_url,
        verify=_context(emu),
        trust_env=False,
        timeout=10,
        headers={"Authorization": f"Bearer {bearer or token(emu)}"},
    )


def user_body(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "accountEnabled": True,
        "displayName": name.title(),
        "mailNickname": name,
        "userPrincipalName": f"{name}@school.example",
        "passwordProfile": {"password": "Xy-12345678", "forceChangePasswordNextSignIn": True},
        **extra,
    }


def create_user(c: httpx.Client, name: str, **extra: Any) -> str:
    answer = c.post("/users", json=user_body(name, **extra))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def create_group(c: httpx.Client, key: str) -> str:
    body = {
        "displayName": key,
        "description": "managed",
        "mailEnabled": False,
        "securityEnabled": True,
        "mailNickname": f"prov.{key}",
    }
    answer = c.post("/groups", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def bind(*ids: str) -> dict[str, list[str]]:
    return {
        "members@odata.bind": [
            f"https://graph.microsoft.com/v1.0/directoryObjects/{i}" for i in ids
        ]
    }


def assert_error(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["innerError"]["request-id"] == answer.headers["request-id"]
    assert error["innerError"]["date"]
    return dict(error)


def all_pages(c: httpx.Client, path: str, **params: str) -> tuple[list[dict[str, Any]], int]:
    page = c.get(path, params=params).json()
    items, pages = list(page["value"]), 1
    while "@odata.nextLink" in page:
        page = c.get(page["@odata.nextLink"]).json()
        items += page["value"]
        pages += 1
    return items, pages


def delta_round(c: httpx.Client, link: str, **params: str) -> tuple[list[dict[str, Any]], str]:
    page = c.get(link, params=params or None).json()
    items = list(page["value"])
    while "@odata.nextLink" in page:
        page = c.get(page["@odata.nextLink"]).json()
        items += page["value"]
    return items, str(page["@odata.deltaLink"])


# -- authentication -------------------------------------------------------------------------


def test_msal_gets_a_token_and_a_bad_secret_is_invalid_client(emu: GraphEmulator) -> None:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = str(emu.ca_file)

    def app(secret: str) -> Any:
        return msal.ConfidentialClientApplication(
            emu.settings.client_id,
            client_credential=secret,
            authority=emu.authority,
            instance_discovery=False,
            http_client=session,
        )

    good = app(emu.settings.client_secret)
    first = good.acquire_token_for_client(scopes=[SCOPE])
    assert first["token_type"] == "Bearer" and first["access_token"]
    assert first["token_source"] == "identity_provider"
    assert good.acquire_token_for_client(scopes=[SCOPE])["token_source"] == "cache"
    bad = app("wrong").acquire_token_for_client(scopes=[SCOPE])
    assert bad["error"] == "invalid_client" and bad["error_codes"] == [7000215]

    with graph(emu, bearer=first["access_token"]) as c:
        assert c.get("/users").status_code == 200
        c.headers.pop("Authorization")
        assert_error(c.get("/users"), 401, "InvalidAuthenticationToken")
        c.headers["Authorization"] = "Bearer forged"
        assert_error(c.get("/users"), 401, "InvalidAuthenticationToken")
    paths = [r.path for r in emu.requests]
    assert paths[0] == "/demo-tenant/v2.0/.well-known/openid-configuration"
    assert all("client_secret" not in (r.body or {}) for r in emu.requests if not r.in_batch)


# -- users ----------------------------------------------------------------------------------


def test_create_list_and_page_with_next_link(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(page_size=2)
    with graph(emu) as c:
        ids = [create_user(c, f"user{i}") for i in range(5)]
        items, pages = all_pages(c, "/users", **{"$select": "id"})
        assert [u["id"] for u in items] == ids and pages == 3
        items, pages = all_pages(c, "/users", **{"$select": "id", "$top": "4"})
        assert len(items) == 5 and pages == 2
        assert_error(c.get("/users", params={"$top": "1000"}), 400, "Request_BadRequest")
    assert {u["id"] for u in emu.users()} == set(ids)


def test_select_returns_only_selected_fields_plus_id(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        uid = create_user(c, "anna", employeeId="100001", employeeType="staff")
        [user] = c.get("/users", params={"$select": "employeeId,accountEnabled"}).json()["value"]
        assert user == {"id": uid, "employeeId": "100001", "accountEnabled": True}
        default = c.get(f"/users/{uid}").json()  # Graph's default set: no employeeId
        assert default["userPrincipalName"] == "anna@school.example"
        assert "employeeId" not in default and "accountEnabled" not in default
        assert_error(c.get("/users", params={"$select": "id,shoeSize"}), 400, "BadRequest")


def test_filter_on_employee_id_upn_and_group_nickname_prefix(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        anna = create_user(c, "anna", employeeId="100001")
        create_user(c, "bob", employeeId="100002")
        obrien = create_user(c, "obrien", employeeId="O'Brien-1")

        def found(path: str, expr: str) -> list[str]:
            answer = c.get(path, params={"$filter": expr, "$select": "id"})
            assert answer.status_code == 200, answer.text
            return [item["id"] for item in answer.json()["value"]]

        assert found("/users", "employeeId eq '100001'") == [anna]
        assert found("/users", "employeeId eq 'O''Brien-1'") == [obrien]
        assert found("/users", "userPrincipalName eq 'ANNA@school.example'") == [anna]
        assert found("/users", "employeeId eq '999'") == []
        managed = create_group(c, "loc_3a07XY00")
        c.post(
            "/groups",
            json={
                "displayName": "Staff room",
                "mailEnabled": False,
                "securityEnabled": True,
                "mailNickname": "staffroom",
            },
        )
        assert found("/groups", "startswith(mailNickname,'prov.')") == [managed]
        assert_error(
            c.get("/users", params={"$filter": "endswith(mail,'x')"}),
            400,
            "Request_UnsupportedQuery",
        )


def test_duplicate_upn_or_nickname_is_request_bad_request(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        create_user(c, "anna")
        body = user_body("anna2", userPrincipalName="Anna@school.example")
        error = assert_error(c.post("/users", json=body), 400, "Request_BadRequest")
        assert error["message"] == (
            "Another object with the same value for property userPrincipalName already exists."
        )
        error = assert_error(
            c.post("/users", json=user_body("anna2", mailNickname="anna")),
            400,
            "Request_BadRequest",
        )
        assert "property mailNickname already exists" in error["message"]
        bob = create_user(c, "bob")
        assert_error(
            c.patch(f"/users/{bob}", json={"mailNickname": "ANNA"}), 400, "Request_BadRequest"
        )
    assert len(emu.users()) == 2


def test_patch_and_soft_delete(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        uid = create_user(c, "anna")
        answer = c.patch(f"/users/{uid}", json={"accountEnabled": False, "jobTitle": "teacher"})
        assert answer.status_code == 204 and answer.content == b""
        shown = c.get(f"/users/{uid}", params={"$select": "accountEnabled,jobTitle"}).json()
        assert shown["accountEnabled"] is False and shown["jobTitle"] == "teacher"
        assert_error(c.patch(f"/users/{uid}", json={"shoeSize": 44}), 400, "Request_BadRequest")
        assert c.delete(f"/users/{uid}").status_code == 204
        assert_error(c.get(f"/users/{uid}"), 404, "Request_ResourceNotFound")
        assert_error(c.delete(f"/users/{uid}"), 404, "Request_ResourceNotFound")
        assert emu.users() == [] and [u["id"] for u in emu.deleted_users()] == [uid]
        create_user(c, "anna")  # the soft-deleted user no longer holds the name


def test_revoke_sign_in_sessions(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        uid = create_user(c, "anna")
        answer = c.post(f"/users/{uid}/revokeSignInSessions")
        assert answer.status_code == 200 and answer.json()["value"] is True
        c.post(f"/users/{uid}/revokeSignInSessions")
    assert emu.revoked(uid) == 2


def test_assign_license_needs_usage_location_and_a_known_sku(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        skus = {s["skuPartNumber"]: s["skuId"] for s in c.get("/subscribedSkus").json()["value"]}
        assert skus == emu.settings.skus
        uid = create_user(c, "anna")
        add = {
            "addLicenses": [{"skuId": skus["M365_A3_FACULTY"], "disabledPlans": []}],
            "removeLicenses": [],
        }
        error = assert_error(
            c.post(f"/users/{uid}/assignLicense", json=add), 400, "Request_BadRequest"
        )
        assert error["message"] == (
            "License assignment cannot be done for user with invalid usage location."
        )
        c.patch(f"/users/{uid}", json={"usageLocation": "NL"})
        unknown = {
            "addLicenses": [{"skuId": "00000000-0000-0000-0000-000000000000"}],
            "removeLicenses": [],
        }
        assert_error(c.post(f"/users/{uid}/assignLicense", json=unknown), 400, "Request_BadRequest")
        assert c.post(f"/users/{uid}/assignLicense", json=add).status_code == 200
        user = c.get(f"/users/{uid}", params={"$select": "assignedLicenses"}).json()
        assert [lic["skuId"] for lic in user["assignedLicenses"]] == [skus["M365_A3_FACULTY"]]
        used = {
            s["skuPartNumber"]: s["consumedUnits"] for s in c.get("/subscribedSkus").json()["value"]
        }
        assert used["M365_A3_FACULTY"] == 1 and used["M365_A1_STUDENT"] == 0


# -- groups and members ---------------------------------------------------------------------


def test_members_bind_is_all_or_nothing(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(page_size=7)
    with graph(emu) as c:
        gid = create_group(c, "class_3aK-1")
        users = [emu.add_user(userPrincipalName=f"p{i}@pupil.example") for i in range(22)]
        error = assert_error(
            c.patch(f"/groups/{gid}", json=bind(*users[:21])), 400, "Request_BadRequest"
        )
        assert "20" in error["message"]
        unknown = "11111111-2222-3333-4444-555555555555"
        answer = c.patch(f"/groups/{gid}", json=bind(users[0], unknown, users[1]))
        assert_error(answer, 404, "Request_ResourceNotFound")
        assert emu.members(gid) == set()
        assert c.patch(f"/groups/{gid}", json=bind(*users[:20])).status_code == 204
        assert emu.members(gid) == set(users[:20])
        answer = c.patch(f"/groups/{gid}", json=bind(users[21], users[0]))
        error = assert_error(answer, 400, "Request_BadRequest")
        assert "already exist" in error["message"] and users[21] not in emu.members(gid)
        members, pages = all_pages(c, f"/groups/{gid}/members", **{"$select": "id"})
        assert {m["id"] for m in members} == set(users[:20]) and pages == 3
        assert c.delete(f"/groups/{gid}/members/{users[0]}/$ref").status_code == 204
        assert_error(
            c.delete(f"/groups/{gid}/members/{users[0]}/$ref"), 404, "Request_ResourceNotFound"
        )
    assert emu.members(gid) == set(users[1:20])


# -- $batch -----------------------------------------------------------------------------------


def test_batch_limits_statuses_and_depends_on(emu: GraphEmulator) -> None:
    json_headers = {"Content-Type": "application/json"}
    with graph(emu) as c:
        too_many = [{"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]
        assert_error(c.post("/$batch", json={"requests": too_many}), 400, "BadRequest")
        anna = create_user(c, "anna")
        requests_ = [
            {
                "id": "1",
                "method": "POST",
                "url": "/users",
                "body": user_body("bob"),
                "headers": json_headers,
            },
            {"id": "2", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"},
            {
                "id": "3",
                "method": "PATCH",
                "url": f"/users/{anna}",
                "body": {"jobTitle": "x"},
                "headers": json_headers,
            },
            {
                "id": "4",
                "method": "PATCH",
                "url": f"/users/{anna}",
                "body": {"jobTitle": "y"},
                "headers": json_headers,
                "dependsOn": ["2"],
            },
            {
                "id": "5",
                "method": "GET",
                "url": f"/users/{anna}?$select=jobTitle",
                "dependsOn": ["3"],
            },
        ]
        answer = c.post("/$batch", json={"requests": requests_})
        assert answer.status_code == 200
        responses = {r["id"]: r for r in answer.json()["responses"]}
        assert {k: r["status"] for k, r in responses.items()} == {
            "1": 201,
            "2": 404,
            "3": 204,
            "4": 424,
            "5": 200,
        }
        assert responses["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
        assert responses["5"]["body"]["jobTitle"] == "x"
        assert responses["1"]["headers"]["Content-Type"].startswith("application/json")
        no_type = [
            {"id": "1", "method": "PATCH", "url": f"/users/{anna}", "body": {"jobTitle": "z"}}
        ]
        assert_error(c.post("/$batch", json={"requests": no_type}), 400, "BadRequest")
    inner = [r for r in emu.requests if r.in_batch]
    assert [r.status for r in inner] == [201, 404, 204, 424, 200]
    assert [r.is_write for r in inner] == [True, False, True, True, False]
    assert inner[4].path == f"/v1.0/users/{anna}?$select=jobTitle"
    outer = [r for r in emu.requests if r.path == "/v1.0/$batch"]
    assert [r.status for r in outer] == [400, 200, 400] and not any(r.is_write for r in outer)


# -- delta ------------------------------------------------------------------------------------


def test_user_delta_full_then_only_changes_and_removed(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(page_size=2)
    with graph(emu) as c:
        ids = [create_user(c, f"user{i}", employeeId=str(i)) for i in range(3)]
        items, link = delta_round(c, "/users/delta", **{"$select": "id,employeeId,accountEnabled"})
        assert [u["id"] for u in items] == ids and set(items[0]) == {
            "id",
            "employeeId",
            "accountEnabled",
        }
        assert delta_round(c, link)[0] == []
        c.patch(f"/users/{ids[1]}", json={"accountEnabled": False})
        c.delete(f"/users/{ids[2]}")
        new = create_user(c, "user9", employeeId="9")
        changes, link2 = delta_round(c, link)
        assert changes == [
            {"id": ids[1], "employeeId": "1", "accountEnabled": False},
            {"id": ids[2], "@removed": {"reason": "deleted"}},
            {"id": new, "employeeId": "9", "accountEnabled": True},
        ]
        assert delta_round(c, link2)[0] == []
        emu.expire_delta_tokens()
        gone = c.get(link2)
        assert_error(gone, 410, "syncStateNotFound")
        assert gone.headers["Location"].startswith(f"{emu.graph_url}/users/delta")
        assert "$select=id,employeeId,accountEnabled" in gone.headers["Location"]
        assert_error(
            c.get("/users/delta", params={"$deltatoken": "not-a-token"}), 410, "syncStateNotFound"
        )
        items, _ = delta_round(c, gone.headers["Location"])
        assert {u["id"] for u in items} == {ids[0], ids[1], new}


def test_group_delta_carries_member_additions_and_removals(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        a, b, d = (create_user(c, n) for n in ("anna", "bob", "dirk"))
        gid = create_group(c, "class_3aK-1")
        c.patch(f"/groups/{gid}", json=bind(a, b))
        items, link = delta_round(c, "/groups/delta", **{"$select": "id,displayName,members"})
        [group] = items
        assert group["displayName"] == "class_3aK-1"
        assert group["members@delta"] == [
            {"@odata.type": "#microsoft.graph.user", "id": a},
            {"@odata.type": "#microsoft.graph.user", "id": b},
        ]
        c.delete(f"/groups/{gid}/members/{a}/$ref")
        c.patch(f"/groups/{gid}", json=bind(d))
        [group], link = delta_round(c, link)
        assert group["members@delta"] == [
            {"@odata.type": "#microsoft.graph.user", "id": a, "@removed": {"reason": "deleted"}},
            {"@odata.type": "#microsoft.graph.user", "id": d},
        ]
        c.delete(f"/users/{b}")  # a deleted user leaves its groups
        [group], link = delta_round(c, link)
        assert group["members@delta"] == [
            {"@odata.type": "#microsoft.graph.user", "id": b, "@removed": {"reason": "deleted"}}
        ]
        assert delta_round(c, link)[0] == []


# -- throttling, consistency, faults --------------------------------------------------------


def test_throttle_answers_429_with_retry_after_then_admits(make_emulator: MakeEmulator) -> None:
    # 3,500 RU * 0.002 = 7 RU per 2 s: three GET /users (2 RU each) pass, the fourth does not
    emu = make_emulator(window_scale=0.2, budget_scale=0.002)
    with graph(emu) as c:
        statuses = [c.get("/users").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = c.get("/users")  # too soon: recorded as early
        assert_error(refused, 429, "TooManyRequests")
        assert int(refused.headers["Retry-After"]) >= 1
        millis = int(refused.headers["x-ms-retry-after-ms"])
        assert 0 < millis <= 1000
        time.sleep(millis / 1000)
        assert c.get("/users").status_code == 200
    graph_requests = [r for r in emu.requests if r.path.startswith("/v1.0")]
    assert [r.throttled for r in graph_requests] == [False] * 3 + [True, True, False]
    assert [r.early for r in graph_requests] == [False] * 4 + [True, False]


def test_write_budget_is_separate_and_slower(make_emulator: MakeEmulator) -> None:
    # writes: 3,000 * 0.001 = 3 per 1.5 s; RU: 3.5 per 0.1 s refill far faster
    emu = make_emulator(window_scale=0.01, budget_scale=0.001)
    uid = emu.add_user(userPrincipalName="anna@school.example")
    with graph(emu) as c:
        statuses = [
            c.patch(f"/users/{uid}", json={"jobTitle": str(i)}).status_code for i in range(4)
        ]
        assert statuses == [204, 204, 204, 429]
        refused = c.patch(f"/users/{uid}", json={"jobTitle": "x"})
        assert 200 < int(refused.headers["x-ms-retry-after-ms"]) <= 500
        time.sleep(0.12)  # the RU bucket is full again, the write bucket is not
        assert c.get(f"/users/{uid}").status_code == 200
        assert c.patch(f"/users/{uid}", json={"jobTitle": "y"}).status_code == 429


def test_early_means_same_method_path_and_body(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(fault_rate=1.0, faults=("429",), window_scale=0.1)  # 100 ms advice
    uid = emu.add_user(userPrincipalName="anna@school.example")
    with graph(emu) as c:
        c.patch(f"/users/{uid}", json={"jobTitle": "x", "department": "07XY00"})
        c.patch(f"/users/{uid}", json={"department": "07XY00", "jobTitle": "x"})  # same body
        c.patch(f"/users/{uid}", json={"jobTitle": "other"})  # another request
        c.get(f"/users/{uid}?$select=jobTitle")
        c.get(f"/users/{uid}?$select=department")  # another query: another request
        time.sleep(0.11)
        c.patch(f"/users/{uid}", json={"jobTitle": "x", "department": "07XY00"})
    graph_requests = [r for r in emu.requests if r.path.startswith("/v1.0")]
    assert [r.early for r in graph_requests] == [False, True, False, False, False, False]
    assert all(r.fault == "429" and r.status == 429 for r in graph_requests)


def test_batch_inner_requests_are_throttled_on_their_own(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(window_scale=0.2, budget_scale=0.002)
    with graph(emu) as c:
        batch = [{"id": str(i), "method": "GET", "url": "/users?$select=id"} for i in range(10)]
        answer = c.post("/$batch", json={"requests": batch})
        assert answer.status_code == 200
        statuses = [r["status"] for r in answer.json()["responses"]]
        assert statuses[:7] == [200] * 7 and set(statuses[7:]) == {429}
        throttled = answer.json()["responses"][7]
        assert int(throttled["headers"]["Retry-After"]) >= 1
        assert throttled["body"]["error"]["code"] == "TooManyRequests"
        time.sleep(int(throttled["headers"]["x-ms-retry-after-ms"]) / 1000)
        again = c.post("/$batch", json={"requests": batch[7:8]})
        assert again.json()["responses"][0]["status"] == 200
    inner = [r for r in emu.requests if r.in_batch]
    assert [r.throttled for r in inner] == [False] * 7 + [True] * 3 + [False]
    assert not any(r.early for r in inner)


def test_just_created_objects_answer_404_for_a_while(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(consistency_delay=0.3)
    with graph(emu) as c:
        uid = create_user(c, "anna")
        gid = create_group(c, "class_3aK-1")
        assert_error(c.get(f"/users/{uid}"), 404, "Request_ResourceNotFound")
        assert_error(
            c.patch(f"/users/{uid}", json={"jobTitle": "x"}), 404, "Request_ResourceNotFound"
        )
        assert_error(c.get(f"/groups/{gid}/members"), 404, "Request_ResourceNotFound")
        assert [u["id"] for u in c.get("/users").json()["value"]] == [uid]
        time.sleep(0.35)
        assert c.get(f"/users/{uid}").status_code == 200
        assert c.patch(f"/groups/{gid}", json=bind(uid)).status_code == 204


@pytest.mark.parametrize("kind", ["429", "503", "timeout", "drop"])
def test_injected_faults(make_emulator: MakeEmulator, kind: str) -> None:
    emu = make_emulator(fault_rate=1.0, faults=(kind,), timeout_seconds=0.2, window_scale=0.1)
    with graph(emu) as c:  # the token endpoint is never faulted
        started = time.monotonic()
        if kind == "drop":
            with pytest.raises(httpx.TransportError):
                c.get("/users")
        else:
            answer = c.get("/users")
            expected = {
                "429": (429, "TooManyRequests"),
                "503": (503, "ServiceUnavailable"),
                "timeout": (504, "GatewayTimeout"),
            }[kind]
            assert_error(answer, *expected)
            if kind != "timeout":
                assert answer.headers["Retry-After"] == "1"
                assert answer.headers["x-ms-retry-after-ms"] == "100"
            else:
                assert time.monotonic() - started >= 0.2
    [record] = [r for r in emu.requests if r.path.startswith("/v1.0")]
    assert record.fault == kind and not record.throttled
    assert record.status == {"429": 429, "503": 503, "timeout": 504, "drop": 0}[kind]


def test_faults_inside_a_batch_are_per_request(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(fault_rate=0.5, faults=("503", "drop"), seed=3)
    with graph(emu) as c:
        batch = [{"id": str(i), "method": "GET", "url": "/users?$select=id"} for i in range(20)]
        for _ in range(20):
            try:
                answer = c.post("/$batch", json={"requests": batch})
            except httpx.TransportError:
                continue
            if answer.status_code == 200:
                break
        else:
            pytest.fail("no batch got through")
        statuses = {r["status"] for r in answer.json()["responses"]}
        assert statuses == {200, 503}  # a dropped connection cannot happen inside a batch
    inner_faults = {r.fault for r in emu.requests if r.in_batch}
    assert inner_faults == {None, "503"}


def test_latency_is_added_to_every_request(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(latency_ms=150)
    with graph(emu) as c:
        started = time.monotonic()
        c.get("/users")
        assert time.monotonic() - started >= 0.15


# -- persistence ------------------------------------------------------------------------------


def test_state_persists_across_stop_and_start(tmp_path: Path) -> None:
    state = tmp_path / "tenant.json"
    with GraphEmulator(state_file=state) as first, graph(first) as c:
        uid = create_user(c, "anna", usageLocation="NL", employeeId="100001")
        gid = create_group(c, "class_3aK-1")
        c.patch(f"/groups/{gid}", json=bind(uid))
        c.post(f"/users/{uid}/revokeSignInSessions")
        _, link = delta_round(c, "/users/delta", **{"$select": "id,employeeId"})
        old_url = first.graph_url
    assert state.exists() and "Xy-12345678" not in state.read_text()  # no password kept
    with GraphEmulator(state_file=state) as second, graph(second) as c:
        assert [u["id"] for u in second.users()] == [uid]
        assert second.members(gid) == {uid} and second.revoked(uid) == 1
        found = c.get("/users", params={"$filter": "employeeId eq '100001'", "$select": "id"})
        assert [u["id"] for u in found.json()["value"]] == [uid]
        assert_error(c.post("/users", json=user_body("anna")), 400, "Request_BadRequest")
        assert delta_round(c, link.replace(old_url, second.graph_url))[0] == []


def test_one_member_is_added_by_reference_and_not_twice(emu: GraphEmulator) -> None:
    with graph(emu) as client:
        uid = client.post("/users", json=user_body("anne")).json()["id"]
        group = {
            "displayName": "G",
            "mailNickname": "prov.g",
            "securityEnabled": True,
            "mailEnabled": False,
        }
        gid = client.post("/groups", json=group).json()["id"]
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{uid}"}
        assert client.post(f"/groups/{gid}/members/$ref", json=ref).status_code == 204
        assert emu.members(gid) == {uid}
        again = client.post(f"/groups/{gid}/members/$ref", json=ref)
        assert again.status_code == 400 and "already exist" in again.json()["error"]["message"]
        missing = {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/nobody"}
        assert client.post(f"/groups/{gid}/members/$ref", json=missing).status_code == 404


def test_the_emulator_runs_as_its_own_process_and_reports_what_it_saw() -> None:
    import json as _json
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.emulators.graph", "--no-throttling"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = _json.loads(process.stdout.readline())
        context = ssl.create_default_context(cafile=info["ca_file"])
        with httpx.Client(verify=context, trust_env=False, timeout=10) as http:
            token = http.post(
                info["authority"] + "/oauth2/v2.0/token",
                data={"grant_type": "client_credentials", "client_id": info["client_id"],
                      "client_secret": info["client_secret"], "scope": SCOPE},
            ).json()["access_token"]  # fmt: skip
            headers = {"Authorization": f"Bearer {token}"}
            created = http.post(
                info["graph_url"] + "/users", json=user_body("anne"), headers=headers
            )
            assert created.status_code == 201
            assert http.get(info["url"] + "/_emulator/summary").json()["users"] == 1
            seen = http.get(info["url"] + "/_emulator/requests").json()["value"]
            assert [(r["method"], r["path"], r["status"]) for r in seen][-1] == (
                "POST",
                "/v1.0/users",
                201,
            )
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_request_costs_follow_microsofts_table_of_base_costs() -> None:
    from connectors.emulators.graph.throttle import cost

    assert cost("GET", ["subscribedSkus"], {}) == (3, 0)
    assert cost("GET", ["subscribedSkus"], {"$select": "skuId"}) == (2, 0)
    assert cost("GET", ["groups", "g1", "members"], {}) == (3, 0)
    assert cost("GET", ["users"], {"$select": "id"}) == (1, 0)
    assert cost("POST", ["users"], {}) == (1, 1)
    assert cost("PATCH", ["groups", "g1"], {}) == (1, 1)
