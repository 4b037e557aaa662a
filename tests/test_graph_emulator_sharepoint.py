"""The Graph emulator's SharePoint part, over HTTPS as a connector would use it: team sites of
Microsoft 365 groups, document libraries, their drives, grants by invite, and access()."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.emulators.graph import EmulatorSettings, GraphEmulator

SCOPE = "https://graph.microsoft.com/.default"
JSON = {"Content-Type": "application/json"}
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


def graph(emu: GraphEmulator) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(emu.ca_file))
    with httpx.Client(verify=context, trust_env=False) as http:
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
    return httpx.Client(
        base_url=emu.graph_url,
        verify=context,
        trust_env=False,
        timeout=10,
        headers={"Authorization": f"Bearer {answer.json()['access_token']}"},
    )


def assert_error(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    assert error["innerError"]["request-id"] == answer.headers["request-id"]
    return dict(error)


def site_group_body(nickname: str, **extra: Any) -> dict[str, Any]:
    return {
        "displayName": f"Site {nickname}",
        "description": "documents",
        "mailEnabled": True,
        "securityEnabled": False,
        "groupTypes": ["Unified"],
        "visibility": "Private",
        "mailNickname": nickname,
        **extra,
    }


def security_group_body(nickname: str) -> dict[str, Any]:
    return {
        "displayName": nickname,
        "mailEnabled": False,
        "securityEnabled": True,
        "mailNickname": nickname,
    }


def make_site(c: httpx.Client, nickname: str = "prov.site.07XY00") -> tuple[str, str]:
    """(group id, site id) of a new Microsoft 365 group."""
    created = c.post("/groups", json=site_group_body(nickname))
    assert created.status_code == 201, created.text
    site = c.get(f"/groups/{created.json()['id']}/sites/root", params={"$select": "id"})
    assert site.status_code == 200, site.text
    return str(created.json()["id"]), str(site.json()["id"])


def make_library(c: httpx.Client, site_id: str, name: str, key: str) -> tuple[str, str]:
    """(list id, drive id) of a new document library."""
    body = {
        "displayName": name,
        "description": f"provisioner:{key}",
        "list": {"template": "documentLibrary"},
    }
    created = c.post(f"/sites/{site_id}/lists", json=body)
    assert created.status_code == 201, created.text
    list_id = str(created.json()["id"])
    drive = c.get(f"/sites/{site_id}/lists/{list_id}/drive", params={"$select": "id"})
    assert drive.status_code == 200, drive.text
    return list_id, str(drive.json()["id"])


def invite(c: httpx.Client, drive_id: str, object_id: str, role: str = "write") -> httpx.Response:
    return c.post(
        f"/drives/{drive_id}/root/invite",
        json={
            "recipients": [{"objectId": object_id}],
            "roles": [role],
            "requireSignIn": True,
            "sendInvitation": False,
        },
    )


def permissions(c: httpx.Client, drive_id: str) -> list[dict[str, Any]]:
    answer = c.get(f"/drives/{drive_id}/root/permissions")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["value"])


# -- groups and sites -------------------------------------------------------------------------


def test_a_unified_group_gets_a_team_site_and_a_security_group_none(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        created = c.post("/groups", json=site_group_body("prov.site.07XY00"))
        assert created.status_code == 201, created.text
        group = created.json()
        assert group["groupTypes"] == ["Unified"] and group["mailEnabled"] is True
        assert group["mail"] == "prov.site.07XY00@demo-tenant.onmicrosoft.com"
        assert group["visibility"] == "Private"
        site = c.get(f"/groups/{group['id']}/sites/root").json()
        host, site_guid, web_guid = site["id"].split(",")
        assert host == "demo-tenant.sharepoint.com" and len(site_guid) == len(web_guid) == 36
        assert site["displayName"] == "Site prov.site.07XY00"
        assert site["name"] == "prov.site.07XY00"
        assert site["webUrl"] == "https://demo-tenant.sharepoint.com/sites/prov.site.07XY00"
        assert c.get(f"/sites/{site['id']}").json()["webUrl"] == site["webUrl"]
        selected = c.get(f"/groups/{group['id']}/sites/root", params={"$select": "id"}).json()
        assert {k for k in selected if not k.startswith("@")} == {"id"}
        security = c.post("/groups", json=security_group_body("prov.loc_3a07XY00")).json()
        assert security["groupTypes"] == [] and security["mail"] is None
        assert_error(c.get(f"/groups/{security['id']}/sites/root"), 404, "itemNotFound")
        assert_error(c.get("/groups/nobody/sites/root"), 404, "Request_ResourceNotFound")
        assert_error(c.get(f"/sites/{host},{web_guid},{site_guid}"), 404, "itemNotFound")


def test_invalid_group_kinds_are_rejected_as_graph_does(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        not_mail = c.post("/groups", json=site_group_body("a", mailEnabled=False))
        assert "mail-enabled" in assert_error(not_mail, 400, "Request_BadRequest")["message"]
        mail_security = {**security_group_body("b"), "mailEnabled": True}
        assert_error(c.post("/groups", json=mail_security), 400, "Request_BadRequest")
        dynamic = site_group_body("c", groupTypes=["Unified", "DynamicMembership"])
        assert_error(c.post("/groups", json=dynamic), 400, "Request_BadRequest")
        hidden = {**security_group_body("d"), "visibility": "HiddenMembership"}
        assert_error(c.post("/groups", json=hidden), 400, "Request_BadRequest")
        gid = c.post("/groups", json=site_group_body("site")).json()["id"]
        twin = c.post("/groups", json=site_group_body("SITE"))
        assert "proxyAddresses" in assert_error(twin, 400, "Request_BadRequest")["message"]
        convert = c.patch(f"/groups/{gid}", json={"groupTypes": []})
        assert_error(convert, 400, "Request_BadRequest")
        not_mail_any_more = c.patch(f"/groups/{gid}", json={"mailEnabled": False})
        assert_error(not_mail_any_more, 400, "Request_BadRequest")
        assert c.patch(f"/groups/{gid}", json={"description": "x"}).status_code == 204
    assert len(emu.groups()) == 1 and len(emu.drives()) == 1  # nothing half-made


# -- libraries ----------------------------------------------------------------------------------


def test_libraries_are_created_listed_paged_and_unique_by_name(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        _, site_id = make_site(c)
        _, other_site = make_site(c, "prov.site.08AB00")
        first = c.get(f"/sites/{site_id}/lists").json()["value"]
        assert [(x["displayName"], x["name"]) for x in first] == [
            ("Documents", "Shared Documents")
        ]  # every team site has its default library
        body = {
            "displayName": "Zorg (IB)",
            "description": "provisioner:loc:07XY00:care",
            "list": {"template": "documentLibrary"},
        }
        created = c.post(f"/sites/{site_id}/lists", json=body)
        assert created.status_code == 201, created.text
        library = created.json()
        assert library["list"]["template"] == "documentLibrary"
        assert library["description"] == "provisioner:loc:07XY00:care"
        assert library["webUrl"].startswith("https://demo-tenant.sharepoint.com/sites/")
        again = c.post(f"/sites/{site_id}/lists", json={**body, "displayName": "zorg (ib)"})
        assert_error(again, 409, "nameAlreadyExists")
        documents = c.post(f"/sites/{site_id}/lists", json={**body, "displayName": "Documents"})
        assert_error(documents, 409, "nameAlreadyExists")
        assert c.post(f"/sites/{other_site}/lists", json=body).status_code == 201  # per site
        for n in range(3):
            make_library(c, site_id, f"Groep {n}", f"class:K-07XY00-{n}")
        page = c.get(f"/sites/{site_id}/lists", params={"$top": "2"}).json()
        names = [x["displayName"] for x in page["value"]]
        while "@odata.nextLink" in page:
            page = c.get(page["@odata.nextLink"]).json()
            names += [x["displayName"] for x in page["value"]]
        assert names == ["Documents", "Zorg (IB)", "Groep 0", "Groep 1", "Groep 2"]
        fields = "id,displayName,description,list"
        selected = c.get(f"/sites/{site_id}/lists", params={"$select": fields}).json()["value"]
        assert all(set(x) == {"id", "displayName", "description", "list"} for x in selected)
        one = c.get(f"/sites/{site_id}/lists/{library['id']}").json()
        assert one["displayName"] == "Zorg (IB)"
        assert_error(c.get(f"/sites/{other_site}/lists/{library['id']}"), 404, "itemNotFound")
        bad_select = c.get(f"/sites/{site_id}/lists", params={"$select": "nope"})
        assert_error(bad_select, 400, "BadRequest")
        assert_error(c.post(f"/sites/{site_id}/lists", json={"list": {}}), 400, "invalidRequest")


def test_the_drive_of_a_library_and_none_for_a_generic_list(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        _, site_id = make_site(c)
        list_id, drive_id = make_library(c, site_id, "Zorg (IB)", "loc:07XY00:care")
        drive = c.get(f"/sites/{site_id}/lists/{list_id}/drive").json()
        assert drive["id"] == drive_id and drive_id.startswith("b!")
        assert drive["driveType"] == "documentLibrary" and drive["name"] == "Zorg (IB)"
        generic = c.post(f"/sites/{site_id}/lists", json={"displayName": "Tasks"}).json()
        assert generic["list"]["template"] == "genericList"
        assert_error(c.get(f"/sites/{site_id}/lists/{generic['id']}/drive"), 404, "itemNotFound")
        assert_error(c.get("/drives/b!nothing/root/permissions"), 404, "itemNotFound")
        assert_error(c.get("/drives/not-a-drive/root/permissions"), 400, "invalidRequest")
    rows = {row["id"]: row for row in emu.drives()}
    assert rows[drive_id] == {
        "id": drive_id,
        "siteId": site_id,
        "listId": list_id,
        "displayName": "Zorg (IB)",
        "description": "provisioner:loc:07XY00:care",
    }
    assert len(rows) == 2  # and the site's "Documents"


# -- grants and access ----------------------------------------------------------------------------


def test_invite_a_group_once_delete_it_and_access_follows(emu: GraphEmulator) -> None:
    anna = emu.add_user(userPrincipalName="anna@school.example")
    bob = emu.add_user(userPrincipalName="bob@school.example")
    carl = emu.add_user(userPrincipalName="carl@school.example")
    care = emu.add_group(mailNickname="prov.care")
    other = emu.add_group(mailNickname="prov.other")
    emu.add_member(care, anna)
    emu.add_member(other, bob)
    with graph(emu) as c:
        _, site_id = make_site(c)
        _, drive_id = make_library(c, site_id, "Zorg (IB)", "loc:07XY00:care")
        [owner] = permissions(c, drive_id)
        assert owner["roles"] == ["owner"] and owner["inheritedFrom"]
        assert "group" not in owner["grantedToV2"] and "user" not in owner["grantedToV2"]
        assert emu.access(anna, drive_id) is None
        made = invite(c, drive_id, care)
        assert made.status_code == 200, made.text
        [grant] = made.json()["value"]
        assert grant["roles"] == ["write"] and "inheritedFrom" not in grant
        assert grant["grantedToV2"]["group"]["id"] == care
        assert grant["grantedToV2"]["group"]["displayName"] == "prov.care"
        again = invite(c, drive_id, care)
        assert again.status_code == 200 and [p["id"] for p in again.json()["value"]] == [
            grant["id"]
        ]
        assert [p["id"] for p in permissions(c, drive_id)] == [owner["id"], grant["id"]]
        assert emu.access(anna, drive_id) == "write"  # a member of the granted group
        assert emu.access(bob, drive_id) is None  # a member of another group
        assert emu.access(carl, drive_id) is None  # no group at all
        assert emu.access("nobody", drive_id) is None
        direct = invite(c, drive_id, bob, "read").json()["value"][0]
        assert direct["grantedToV2"]["user"]["id"] == bob and direct["roles"] == ["read"]
        assert emu.access(bob, drive_id) == "read"
        widened = invite(c, drive_id, care, "read").json()["value"]
        assert [(p["id"], p["roles"]) for p in widened] == [(grant["id"], ["read", "write"])]
        assert emu.access(anna, drive_id) == "write"  # the strongest role counts
        assert c.delete(f"/drives/{drive_id}/root/permissions/{grant['id']}").status_code == 204
        assert emu.access(anna, drive_id) is None
        assert [p["id"] for p in permissions(c, drive_id)] == [owner["id"], direct["id"]]
        gone = c.delete(f"/drives/{drive_id}/root/permissions/{grant['id']}")
        assert_error(gone, 404, "itemNotFound")
        unknown = invite(c, drive_id, "00000000-0000-0000-0000-000000000000")
        assert_error(unknown, 404, "itemNotFound")
        assert_error(invite(c, drive_id, care, "owner"), 400, "invalidRequest")
        assert len(permissions(c, drive_id)) == 2  # failed invites grant nothing
        c.delete(f"/drives/{drive_id}/root/permissions/{direct['id']}")
        assert invite(c, drive_id, other, "write").status_code == 200
        assert invite(c, drive_id, bob, "read").status_code == 200
        assert emu.access(bob, drive_id) == "write"  # through the group, beating the direct read


def test_the_sites_owner_permission_cannot_be_deleted(emu: GraphEmulator) -> None:
    with graph(emu) as c:
        _, site_id = make_site(c)
        _, drive_id = make_library(c, site_id, "Zorg (IB)", "loc:07XY00:care")
        [owner] = permissions(c, drive_id)
        refused = c.delete(f"/drives/{drive_id}/root/permissions/{owner['id']}")
        assert "inherited" in assert_error(refused, 403, "accessDenied")["message"]
        assert [p["id"] for p in permissions(c, drive_id)] == [owner["id"]]


# -- $batch, costs, consistency, persistence -------------------------------------------------


def test_the_calls_work_inside_batch_with_their_costs_and_are_recorded(
    emu: GraphEmulator,
) -> None:
    care = emu.add_group(mailNickname="prov.care")
    with graph(emu) as c:
        group_id, site_id = make_site(c)
        _, drive_id = make_library(c, site_id, "Zorg (IB)", "loc:07XY00:care")
        body = {"displayName": "Groep 5b", "list": {"template": "documentLibrary"}}
        grant = {"recipients": [{"objectId": care}], "roles": ["read"]}
        requests = [
            {"id": "1", "method": "GET", "url": f"/groups/{group_id}/sites/root?$select=id"},
            {"id": "2", "method": "POST", "url": f"/sites/{site_id}/lists", "body": body,
             "headers": JSON},
            {"id": "3", "method": "POST", "url": f"/sites/{site_id}/lists", "body": body,
             "headers": JSON},
            {"id": "4", "method": "POST", "url": f"/drives/{drive_id}/root/invite",
             "body": grant, "headers": JSON},
            {"id": "5", "method": "GET", "url": f"/drives/{drive_id}/root/permissions",
             "dependsOn": ["4"]},
            {"id": "6", "method": "GET", "url": f"/sites/{site_id}/lists?$select=id,list"},
        ]  # fmt: skip
        answer = c.post("/$batch", json={"requests": requests})
        assert answer.status_code == 200, answer.text
        by_id = {r["id"]: r for r in answer.json()["responses"]}
        assert {k: r["status"] for k, r in by_id.items()} == {
            "1": 200, "2": 201, "3": 409, "4": 200, "5": 200, "6": 200,
        }  # fmt: skip
        assert by_id["1"]["body"]["id"] == site_id
        assert by_id["3"]["body"]["error"]["code"] == "nameAlreadyExists"
        assert len(by_id["5"]["body"]["value"]) == 2
        assert len(by_id["6"]["body"]["value"]) == 3
        units = {k: r["headers"]["x-ms-resource-unit"] for k, r in by_id.items()}
        assert units == {"1": "1", "2": "1", "3": "1", "4": "1", "5": "2", "6": "1"}
    inner = [
        (r.method, r.path.split("?")[0].split("/")[-1], r.is_write, r.status)
        for r in emu.requests
        if r.in_batch
    ]
    assert inner == [
        ("GET", "root", False, 200),
        ("POST", "lists", True, 201),
        ("POST", "lists", True, 409),
        ("POST", "invite", True, 200),
        ("GET", "permissions", False, 200),
        ("GET", "lists", False, 200),
    ]


def test_sharepoint_calls_are_throttled_like_the_rest(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(budget_scale=6 / 3500)  # 6 RU per 10 s
    with graph(emu) as c:
        group_id = c.post("/groups", json=site_group_body("prov.site.x")).json()["id"]  # 1 RU
        statuses = [c.get(f"/groups/{group_id}/sites/root").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]  # 2 RU each: 1 + 2 + 2 leaves 1
        assert c.get(f"/groups/{group_id}/sites/root", params={"$select": "id"}).status_code == 200
    assert [r.throttled for r in emu.requests if r.path.startswith("/v1.0")] == [
        False, False, False, True, False,
    ]  # fmt: skip


def test_just_created_sites_libraries_and_groups_answer_404_for_a_while(
    make_emulator: MakeEmulator,
) -> None:
    emu = make_emulator(consistency_delay=0.3)
    settled = emu.add_group(mailNickname="prov.settled")
    with graph(emu) as c:
        group_id = c.post("/groups", json=site_group_body("prov.site.y")).json()["id"]
        assert_error(c.get(f"/groups/{group_id}/sites/root"), 404, "Request_ResourceNotFound")
        [site_id] = {row["siteId"] for row in emu.drives()}
        assert_error(c.get(f"/sites/{site_id}"), 404, "itemNotFound")
        time.sleep(0.35)
        assert c.get(f"/groups/{group_id}/sites/root").status_code == 200
        library = {"displayName": "Zorg", "list": {"template": "documentLibrary"}}
        list_id = c.post(f"/sites/{site_id}/lists", json=library).json()["id"]
        listed = [x["id"] for x in c.get(f"/sites/{site_id}/lists").json()["value"]]
        assert list_id in listed  # a collection shows it at once, like /users
        assert_error(c.get(f"/sites/{site_id}/lists/{list_id}"), 404, "itemNotFound")
        assert_error(c.get(f"/sites/{site_id}/lists/{list_id}/drive"), 404, "itemNotFound")
        [drive_id] = [row["id"] for row in emu.drives() if row["listId"] == list_id]
        assert_error(invite(c, drive_id, settled), 404, "itemNotFound")  # the drive is new
        time.sleep(0.35)
        fresh = c.post("/groups", json=security_group_body("prov.fresh")).json()["id"]
        assert_error(invite(c, drive_id, fresh), 404, "itemNotFound")  # the group is new
        perm = invite(c, drive_id, settled).json()["value"][0]["id"]
        assert [p["id"] for p in permissions(c, drive_id)][1:] == [perm]  # a grant is there
        assert c.delete(f"/drives/{drive_id}/root/permissions/{perm}").status_code == 204
        time.sleep(0.35)
        assert invite(c, drive_id, fresh).status_code == 200


def test_state_persists_across_stop_and_start(tmp_path: Path) -> None:
    state = tmp_path / "tenant.json"
    with GraphEmulator(state_file=state) as first, graph(first) as c:
        anna = first.add_user(userPrincipalName="anna@school.example")
        care = first.add_group(mailNickname="prov.care")
        first.add_member(care, anna)
        group_id, site_id = make_site(c)
        list_id, drive_id = make_library(c, site_id, "Zorg (IB)", "loc:07XY00:care")
        grant = invite(c, drive_id, care).json()["value"][0]
        assert first.access(anna, drive_id) == "write"
    saved = json.loads(state.read_text())
    assert drive_id in saved["sharepoint"]["drives"]
    with GraphEmulator(state_file=state) as second, graph(second) as c:
        assert second.access(anna, drive_id) == "write"
        assert c.get(f"/groups/{group_id}/sites/root").json()["id"] == site_id
        assert c.get(f"/sites/{site_id}/lists/{list_id}/drive").json()["id"] == drive_id
        assert [p["id"] for p in permissions(c, drive_id)][1:] == [grant["id"]]
        assert [p["id"] for p in invite(c, drive_id, care).json()["value"]] == [grant["id"]]
        duplicate = {"displayName": "Zorg (IB)", "list": {"template": "documentLibrary"}}
        assert_error(c.post(f"/sites/{site_id}/lists", json=duplicate), 409, "nameAlreadyExists")
        assert c.delete(f"/drives/{drive_id}/root/permissions/{grant['id']}").status_code == 204
        assert second.access(anna, drive_id) is None
    del saved["sharepoint"]  # a state file from before SharePoint still loads
    state.write_text(json.dumps(saved))
    with GraphEmulator(state_file=state) as third:
        assert third.drives() == [] and len(third.groups()) == 2


def test_add_group_can_make_a_site_for_test_set_up(emu: GraphEmulator) -> None:
    group_id = emu.add_group(mailNickname="prov.site.handmade", groupTypes=["Unified"])
    [row] = emu.drives()
    assert row["displayName"] == "Documents" and row["description"] == ""
    with graph(emu) as c:
        site = c.get(f"/groups/{group_id}/sites/root").json()
        assert site["id"] == row["siteId"] and site["displayName"] == "prov.site.handmade"
