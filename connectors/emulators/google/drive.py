"""The Drive API v3 subset for shared drives: drives (created idempotently by ``requestId``),
folders in them, and permissions. A folder's permission list shows the drive's own members
as inherited (``permissionDetails[].inherited``) next to the folder's own; a permission's id
is the principal's (a group's permission id is the same on every file). The creating admin
is the drive's organizer. Without ``supportsAllDrives=true`` a shared drive's items are not
found, as in Drive."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from .directory import Directory, page_offset, page_token
from .model import GoogleError

FOLDER = "application/vnd.google-apps.folder"
ROLES = ("organizer", "fileOrganizer", "writer", "commenter", "reader")


def _file_not_found(file_id: str) -> GoogleError:
    return GoogleError(404, "notFound", f"File not found: {file_id}.")


def _true(query: dict[str, str], name: str) -> bool:
    return query.get(name, "false").lower() == "true"


class Drive:
    """Shared drives, their folders and permissions."""

    def __init__(self, directory: Directory, admin: str) -> None:
        self.directory = directory
        self.admin = admin
        self.drives: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, str] = {}  # requestId -> drive id
        self.files: dict[str, dict[str, Any]] = {}
        self.permissions: dict[str, dict[str, dict[str, Any]]] = {}  # file or drive id -> ...

    def _id(self, seed: str, length: int) -> str:
        return (
            "0A"
            + hashlib.sha1(f"{seed}{len(self.files)}{len(self.drives)}".encode()).hexdigest()[
                :length
            ]
        )

    def create_drive(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        request_id = query.get("requestId")
        if not request_id:
            raise GoogleError(400, "required", "Required parameter: requestId")
        if request_id in self.requests:
            return self.drives[self.requests[request_id]]
        if not isinstance(body, dict) or not body.get("name"):
            raise GoogleError(400, "required", "Required: name")
        drive_id = self._id(request_id, 17)
        drive = {
            "kind": "drive#drive",
            "id": drive_id,
            "name": str(body["name"]),
            "createdTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "hidden": False,
        }
        self.drives[drive_id] = drive
        self.requests[request_id] = drive_id
        owner = self.directory.user(self.admin)
        self.permissions[drive_id] = {
            owner["id"]: {
                "kind": "drive#permission",
                "id": owner["id"],
                "type": "user",
                "role": "organizer",
                "emailAddress": owner["primaryEmail"],
            }
        }
        return drive

    def list_drives(self, query: dict[str, str]) -> dict[str, Any]:
        found = sorted(self.drives.values(), key=lambda d: d["id"])
        size = min(int(query.get("pageSize", "10")), 100)
        start = page_offset(query.get("pageToken"), "drives")
        page = found[start : start + size]
        answer: dict[str, Any] = {"kind": "drive#driveList", "drives": page}
        if start + size < len(found):
            answer["nextPageToken"] = page_token(start + size, "drives")
        return answer

    def get_drive(self, drive_id: str) -> dict[str, Any]:
        if drive_id not in self.drives:
            raise GoogleError(404, "notFound", f"Shared drive not found: {drive_id}")
        return self.drives[drive_id]

    def delete_drive(self, drive_id: str) -> None:
        self.get_drive(drive_id)
        if any(f["driveId"] == drive_id for f in self.files.values()):
            raise GoogleError(
                403,
                "cannotDeleteNonemptyDrive",
                "The shared drive cannot be deleted because it contains items.",
            )
        del self.drives[drive_id]
        self.permissions.pop(drive_id, None)

    def create_file(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or body.get("mimeType") != FOLDER:
            raise GoogleError(400, "invalid", "Only folders are emulated.")
        parents = body.get("parents") or []
        if len(parents) != 1:
            raise GoogleError(400, "invalid", "A folder needs exactly one parent.")
        parent = parents[0]
        drive_id = parent if parent in self.drives else self.files.get(parent, {}).get("driveId")
        if drive_id is None or not _true(query, "supportsAllDrives"):
            raise _file_not_found(parent)
        file_id = self._id(f"{parent}{body.get('name')}", 30)
        folder = {
            "kind": "drive#file",
            "id": file_id,
            "name": str(body.get("name") or "Untitled"),
            "mimeType": FOLDER,
            "driveId": drive_id,
            "parents": [parent],
            "trashed": False,
        }
        for field in ("description", "appProperties"):
            if field in body:
                folder[field] = body[field]
        self.files[file_id] = folder
        self.permissions[file_id] = {}
        return folder

    def list_files(self, query: dict[str, str]) -> dict[str, Any]:
        drive_id = query.get("driveId")
        if drive_id is not None and (
            query.get("corpora") != "drive"
            or not _true(query, "supportsAllDrives")
            or not _true(query, "includeItemsFromAllDrives")
        ):
            raise GoogleError(
                403,
                "teamDriveAccessRequired",
                "The driveId parameter needs corpora=drive, supportsAllDrives and "
                "includeItemsFromAllDrives.",
            )
        match = _files_query(query.get("q", ""))
        found = [
            f
            for f in sorted(self.files.values(), key=lambda f: f["id"])
            if (drive_id is None or f["driveId"] == drive_id) and match(f)
        ]
        size = min(int(query.get("pageSize", "100")), 1000)
        scope = f"files:{drive_id}:{query.get('q', '')}"
        start = page_offset(query.get("pageToken"), scope)
        page = found[start : start + size]
        answer: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": page,
        }
        if start + size < len(found):
            answer["nextPageToken"] = page_token(start + size, scope)
        return answer

    def _item(self, file_id: str, query: dict[str, str]) -> str:
        if file_id in self.drives or (file_id in self.files and _true(query, "supportsAllDrives")):
            return file_id
        raise _file_not_found(file_id)

    def create_permission(self, file_id: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        target = self._item(file_id, query)
        if not isinstance(body, dict) or body.get("type") not in ("user", "group"):
            raise GoogleError(400, "invalid", "Invalid permission type.")
        if body.get("role") not in ROLES:
            raise GoogleError(400, "invalid", "Invalid permission role.")
        kind, principal = body["type"], str(body.get("emailAddress") or "").lower()
        owner = self.directory.address_owner(principal)
        if owner is None or owner[0] != kind:
            raise GoogleError(400, "invalid", f"Invalid email address: {principal}")
        permission = {
            "kind": "drive#permission",
            "id": owner[1],
            "type": kind,
            "role": body["role"],
            "emailAddress": principal,
        }
        self.permissions[target][owner[1]] = permission
        return self._shown(permission, target, inherited=False)

    def list_permissions(self, file_id: str, query: dict[str, str]) -> dict[str, Any]:
        target = self._item(file_id, query)
        shown = []
        if target in self.files:
            drive_id = self.files[target]["driveId"]
            shown += [self._shown(p, target, True) for p in self.permissions[drive_id].values()]
        shown += [self._shown(p, target, False) for p in self.permissions[target].values()]
        return {"kind": "drive#permissionList", "permissions": shown}

    def delete_permission(self, file_id: str, permission_id: str, query: dict[str, str]) -> None:
        target = self._item(file_id, query)
        if permission_id not in self.permissions[target]:
            raise GoogleError(404, "notFound", f"Permission not found: {permission_id}.")
        del self.permissions[target][permission_id]

    def _shown(self, permission: dict[str, Any], target: str, inherited: bool) -> dict[str, Any]:
        shown = dict(permission)
        if target in self.files:
            detail: dict[str, Any] = {
                "permissionType": "file" if not inherited else "member",
                "role": permission["role"],
                "inherited": inherited,
            }
            if inherited:
                detail["inheritedFrom"] = self.files[target]["driveId"]
            shown["permissionDetails"] = [detail]
        return shown

    def to_json(self) -> dict[str, Any]:
        return {
            "drives": self.drives,
            "requests": self.requests,
            "files": self.files,
            "permissions": self.permissions,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.drives, self.requests = data["drives"], data["requests"]
        self.files, self.permissions = data["files"], data["permissions"]


def _files_query(q: str) -> Any:
    """Drive's ``q``, the clauses used here: ``'ID' in parents``, ``mimeType = '...'``,
    ``trashed = false``, joined with ``and``."""
    wanted: list[tuple[str, Any]] = []
    for clause in [c.strip() for c in re.split(r"\band\b", q) if c.strip()]:
        if m := re.fullmatch(r"'([^']+)'\s+in\s+parents", clause):
            wanted.append(("parents", m.group(1)))
        elif m := re.fullmatch(r"mimeType\s*=\s*'([^']+)'", clause):
            wanted.append(("mimeType", m.group(1)))
        elif m := re.fullmatch(r"trashed\s*=\s*(true|false)", clause):
            wanted.append(("trashed", m.group(1) == "true"))
        else:
            raise GoogleError(400, "invalid", "Invalid Value")

    def match(item: dict[str, Any]) -> bool:
        return all(
            value in item["parents"] if field == "parents" else item[field] == value
            for field, value in wanted
        )

    return match
