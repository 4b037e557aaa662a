"""Microsoft 365 with SharePoint document libraries (``sharepoint = true``): a
``LibraryTarget``.

A location's site comes with a Microsoft 365 group (``groupTypes`` ``Unified``, its key in
``mailNickname``) that gets no members; each access group's document library is a list with
template ``documentLibrary`` whose description carries ``provisioner:<key>``, shared with
exactly that group through an ``invite`` on the library's drive (see docs/m365.md).
"""

from __future__ import annotations

from connectors.m365.client import BatchRequest
from connectors.m365.target import LIBRARY_TAG, M365Target, group_nickname
from provisioner.errors import NotFoundError, RejectedError
from provisioner.targets import RemoteLibrary, RemoteSite


class M365LibraryTarget(M365Target):
    """:class:`M365Target` plus a SharePoint site per location and a document library per
    access group."""

    def create_site(self, key: str, display_name: str) -> str:
        """A location's site comes with a Microsoft 365 group that gets no members: nobody
        reaches a library through the site, only through the library's own grant."""
        created = self.client.post(
            "/groups",
            {
                "displayName": display_name,
                "description": f"Documents of {display_name}",
                "mailEnabled": True,
                "securityEnabled": False,
                "groupTypes": ["Unified"],
                "visibility": "Private",
                "mailNickname": group_nickname(key),
            },
        )
        if not created or "id" not in created:
            raise RejectedError("Graph created the site's group but returned no id")
        site = self.client.get(f"/groups/{created['id']}/sites/root", {"$select": "id"})
        return str(site["id"])

    def create_library(self, site_id: str, key: str, display_name: str, description: str) -> str:
        created = self.client.post(
            f"/sites/{site_id}/lists",
            {
                "displayName": display_name,
                "description": description,
                "list": {"template": "documentLibrary"},
            },
        )
        if not created or "id" not in created:
            raise RejectedError("Graph created the library but returned no id")
        drive = self.client.get(f"/sites/{site_id}/lists/{created['id']}/drive", {"$select": "id"})
        return str(drive["id"])

    def grant_library(self, library_id: str, group_id: str) -> None:
        self.client.post(
            f"/drives/{library_id}/root/invite",
            {
                "recipients": [{"objectId": group_id}],
                "roles": ["write"],
                "requireSignIn": True,
                "sendInvitation": False,
            },
        )

    def revoke_library(self, library_id: str, grant_id: str) -> None:
        self.client.delete(f"/drives/{library_id}/root/permissions/{grant_id}")

    def _read_libraries(
        self, site_groups: dict[str, str]
    ) -> tuple[list[RemoteSite], list[RemoteLibrary]]:
        sites: list[RemoteSite] = []
        found: list[tuple[str, str, str]] = []  # (library key, site key, drive id)
        for group_id, site_key in sorted(site_groups.items()):
            try:
                site = self.client.get(f"/groups/{group_id}/sites/root", {"$select": "id"})
            except NotFoundError:
                continue  # the group's site is still being made
            site_id = str(site["id"])
            sites.append(RemoteSite(site_id, site_key))
            lists = self.client.paged(
                f"/sites/{site_id}/lists", {"$select": "id,displayName,description,list"}
            )
            managed = [
                item for item in lists
                if str(item.get("description") or "").startswith(LIBRARY_TAG)
                and (item.get("list") or {}).get("template") == "documentLibrary"
            ]  # fmt: skip
            drives = self.client.batch(
                [
                    BatchRequest(
                        str(n), "GET", f"/sites/{site_id}/lists/{item['id']}/drive?$select=id"
                    )
                    for n, item in enumerate(managed)
                ]
            )
            for item, answer in zip(managed, drives, strict=True):
                if answer.error is not None:
                    raise answer.error
                key = str(item["description"])[len(LIBRARY_TAG) :]
                found.append((key, site_key, str(answer.body["id"])))
        permissions = self.client.batch(
            [
                BatchRequest(str(n), "GET", f"/drives/{drive_id}/root/permissions")
                for n, (_, _, drive_id) in enumerate(found)
            ]
        )
        libraries = []
        for (key, site_key, drive_id), listing in zip(found, permissions, strict=True):
            if listing.error is not None:
                raise listing.error
            grants = {}
            for permission in listing.body.get("value", []):
                if permission.get("inheritedFrom"):
                    continue  # the site's own owners: not ours to manage
                granted = permission.get("grantedToV2") or {}
                principal = (granted.get("group") or granted.get("user") or {}).get("id")
                if principal:
                    grants[str(permission["id"])] = str(principal)
            libraries.append(RemoteLibrary(drive_id, key, site_key, grants))
        return sites, libraries
