"""Shared drives (``shared_drives = true``): a ``LibraryTarget`` as SharePoint's libraries are.

A location's site is a shared drive named ``<location> (<BRIN6>)``, with no members of its
own but the admin who made it (its organizer); each access group's library is a folder in it
(``appProperties.provisionerKey`` carries the group's key) shared with exactly that group
(a ``writer`` permission on the folder). Memberships are flat, so one grant per folder
implements the whole hierarchy. A permission on a folder that is not the drive's own
(``permissionDetails[].inherited``) and not the group's is drift: the planner revokes it.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Sequence
from typing import Any

from connectors.google.client import op
from connectors.google.licences import GoogleLicensedTarget
from connectors.google.target import GoogleTarget
from provisioner.errors import NotFoundError, RejectedError
from provisioner.targets import RemoteGroup, RemoteLibrary, RemoteSite

FOLDER = "application/vnd.google-apps.folder"
KEY_PROPERTY = "provisionerKey"
SITE_NAME = re.compile(r"\(([0-9]{2}[A-Z]{2}[0-9]{2})\)$")


class GoogleDriveTarget(GoogleTarget):
    """:class:`GoogleTarget` plus a shared drive per location and a folder per access group."""

    def create_site(self, key: str, display_name: str) -> str:
        brin = key.partition(":")[2]
        body = {"name": f"{display_name[:80]} ({brin})"}
        request_id = str(uuid.uuid4())  # the same on every retry: Google makes it once
        created = self.client.call(
            "drive",
            lambda s: s.drives().create(requestId=request_id, body=body),
            idempotent=True,
        )
        if not isinstance(created, dict) or "id" not in created:
            raise RejectedError("Google created the shared drive but returned no id")
        return str(created["id"])

    def create_library(self, site_id: str, key: str, display_name: str, description: str) -> str:
        body = {
            "name": display_name,
            "mimeType": FOLDER,
            "parents": [site_id],
            "description": description,
            "appProperties": {KEY_PROPERTY: key},
        }
        created = self.client.call(
            "drive", lambda s: s.files().create(body=body, supportsAllDrives=True, fields="id")
        )
        if not isinstance(created, dict) or "id" not in created:
            raise RejectedError("Google created the folder but returned no id")
        return str(created["id"])

    def grant_library(self, library_id: str, group_id: str) -> None:
        address = self.groups_.address_of(group_id)
        body = {"type": "group", "role": "writer", "emailAddress": address}
        self.client.call(
            "drive",
            lambda s: s.permissions().create(
                fileId=library_id, body=body, supportsAllDrives=True, sendNotificationEmail=False
            ),
        )

    def revoke_library(self, library_id: str, grant_id: str) -> None:
        with contextlib.suppress(NotFoundError):  # gone already
            self.client.call(
                "drive",
                op(
                    "permissions",
                    "delete",
                    fileId=library_id,
                    permissionId=grant_id,
                    supportsAllDrives=True,
                ),
            )

    def _read_libraries(
        self, groups: Sequence[RemoteGroup]
    ) -> tuple[list[RemoteSite], list[RemoteLibrary]]:
        by_address = {self.groups_.address(g.key): g.remote_id for g in groups if g.key}
        sites: list[RemoteSite] = []
        for page in self.client.pages(
            "drive",
            lambda s, token: s.drives().list(
                pageSize=100, useDomainAdminAccess=True, pageToken=token
            ),
        ):
            for drive in page.get("drives") or []:
                match = SITE_NAME.search(str(drive.get("name") or ""))
                if match:
                    sites.append(RemoteSite(str(drive["id"]), f"site:{match.group(1)}"))
        folders: list[tuple[dict[str, Any], str]] = []
        for site in sites:
            folders += [(f, site.key) for f in self._folders(site.remote_id)]
        listings = self.client.batch(
            "drive",
            [
                op(
                    "permissions",
                    "list",
                    fileId=folder["id"],
                    supportsAllDrives=True,
                    fields="permissions(id,type,emailAddress,role,permissionDetails)",
                )
                for folder, _ in folders
            ],
        )
        libraries = []
        for (folder, site_key), listing in zip(folders, listings, strict=True):
            if isinstance(listing, Exception):
                raise listing
            grants = {}
            for permission in listing.get("permissions") or []:
                details = permission.get("permissionDetails") or []
                if details and all(d.get("inherited") for d in details):
                    continue  # the drive's own organizer: not ours to manage
                address = str(permission.get("emailAddress") or "").lower()
                grants[str(permission["id"])] = by_address.get(address, str(permission["id"]))
            key = str((folder.get("appProperties") or {})[KEY_PROPERTY])
            libraries.append(RemoteLibrary(str(folder["id"]), key, site_key, grants))
        return sites, libraries

    def _folders(self, drive_id: str) -> list[dict[str, Any]]:
        query = f"'{drive_id}' in parents and mimeType = '{FOLDER}' and trashed = false"
        found: list[dict[str, Any]] = []
        for page in self.client.pages(
            "drive",
            lambda s, token: s.files().list(
                corpora="drive",
                driveId=drive_id,
                includeItemsFromAllDrives=True,
                supportsAllDrives=True,
                q=query,
                pageSize=1000,
                pageToken=token,
                fields="nextPageToken,files(id,name,appProperties)",
            ),
        ):
            found += [
                f for f in page.get("files") or [] if KEY_PROPERTY in (f.get("appProperties") or {})
            ]
        return found


class GoogleDriveLicensedTarget(GoogleDriveTarget, GoogleLicensedTarget):
    """Shared drives and licences both."""
