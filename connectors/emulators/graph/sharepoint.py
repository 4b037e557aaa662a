"""SharePoint for the emulator: group team sites, document libraries, their drives and grants.

Plain data, no HTTP, like :mod:`.tenant`: every rule fails with :class:`GraphError` using the
SharePoint error codes of Graph (``itemNotFound``, ``invalidRequest``, ``nameAlreadyExists``,
``accessDenied``). The caller holds the emulator's lock around every call.

- A Microsoft 365 (Unified) group gets a team site when it is made: id
  ``<host>,<site guid>,<web guid>``, ``webUrl`` ``https://<host>/sites/<mailNickname>``, and
  the default library "Documents" (URL name "Shared Documents").
- A library (``documentLibrary`` list) has one drive, ``b!`` + base64url of the guids.
- A drive root's permissions: the site's owner permission (a SharePoint group, role
  ``owner``, ``inheritedFrom`` set; it cannot be deleted) and the grants made by ``invite``.
  A grant is per principal: its id is the base64url of the principal's SharePoint login name,
  so inviting the same group again answers the same permission (with any new role added).

Consistency delay: a just-made site (with its group), list or drive answers 404 for a while,
and so does a just-made user or group as an invite recipient; a grant is there at once.
"""

from __future__ import annotations

import base64
import copy
import re
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from .model import GraphError
from .tenant import Tenant, now_iso

SITE_READABLE = frozenset(
    {
        "id",
        "name",
        "displayName",
        "description",
        "webUrl",
        "createdDateTime",
        "lastModifiedDateTime",
        "siteCollection",
    }
)
SITE_DEFAULT = (
    "createdDateTime",
    "description",
    "displayName",
    "lastModifiedDateTime",
    "name",
    "siteCollection",
    "webUrl",
)
LIST_READABLE = frozenset(
    {
        "id",
        "name",
        "displayName",
        "description",
        "webUrl",
        "createdDateTime",
        "lastModifiedDateTime",
        "list",
        "parentReference",
    }
)
LIST_DEFAULT = (
    "createdDateTime",
    "description",
    "displayName",
    "lastModifiedDateTime",
    "list",
    "name",
    "parentReference",
    "webUrl",
)
DRIVE_READABLE = frozenset(
    {
        "id",
        "name",
        "description",
        "driveType",
        "webUrl",
        "createdDateTime",
        "lastModifiedDateTime",
    }
)
DRIVE_DEFAULT = tuple(sorted(DRIVE_READABLE - {"id"}))
PERMISSION_READABLE = frozenset({"id", "roles", "grantedToV2", "inheritedFrom"})
PERMISSION_DEFAULT = ("grantedToV2", "inheritedFrom", "roles")
INVITE_ROLES = ("read", "write")  # weakest first
TEMPLATES = frozenset({"documentLibrary", "genericList"})
DEFAULT_LIBRARY = ("Documents", "Shared Documents")  # (display name, URL name)
_CREATE_KEYS = frozenset({"displayName", "description", "list", "columns"})
_INVITE_KEYS = frozenset(
    {
        "recipients",
        "roles",
        "requireSignIn",
        "sendInvitation",
        "message",
        "retainInheritedPermissions",
    }
)
_URL_FORBIDDEN = re.compile(r'[~"#%&*:<>?/\\{|}]')
TITLE_LIMIT = 255


def item_not_found(message: str = "Item not found") -> GraphError:
    return GraphError(404, "itemNotFound", message)


def invalid_request(message: str) -> GraphError:
    return GraphError(400, "invalidRequest", message)


def show(obj: dict[str, Any], select: list[str] | None, default: Iterable[str]) -> dict[str, Any]:
    """``id`` plus the selected (or default) properties the object has (absent facets stay out)."""
    out: dict[str, Any] = {"id": obj["id"]}
    for name in default if select is None else select:
        if name != "id" and name in obj:
            out[name] = copy.deepcopy(obj[name])
    return out


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SharePoint:
    """Sites, lists, drives and drive-root grants of one tenant, JSON-serialisable."""

    def __init__(self, host: str) -> None:
        self.host = host  # <tenant>.sharepoint.com
        self.counter = 0
        self.sites: dict[str, dict[str, Any]] = {}
        self.group_sites: dict[str, str] = {}  # group id -> site id
        self.lists: dict[str, dict[str, Any]] = {}
        self.drives: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, dict[str, dict[str, Any]]] = {}  # drive id -> perm id -> grant
        self.born: dict[str, float] = {}  # id -> monotonic creation time (not persisted)

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "host": self.host,
            "counter": self.counter,
            "sites": self.sites,
            "group_sites": self.group_sites,
            "lists": self.lists,
            "drives": self.drives,
            "grants": self.grants,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, host: str) -> SharePoint:
        """The saved state; None (a state file from before SharePoint) is an empty one."""
        sharepoint = cls(host)
        if data is None:
            return sharepoint
        if data.get("version") != 1:
            raise ValueError(f"unknown SharePoint state version {data.get('version')!r}")
        sharepoint.host, sharepoint.counter = data["host"], data["counter"]
        sharepoint.sites, sharepoint.group_sites = data["sites"], data["group_sites"]
        sharepoint.lists, sharepoint.drives = data["lists"], data["drives"]
        sharepoint.grants = data["grants"]
        return sharepoint

    # -- helpers -----------------------------------------------------------------------------

    def _young(self, object_id: str, now: float, delay: float) -> bool:
        born = self.born.get(object_id)
        return born is not None and now - born < delay

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    # -- sites -------------------------------------------------------------------------------

    def create_site(self, group: dict[str, Any], born: float | None) -> dict[str, Any]:
        """The team site of a just-made Unified group, with its default library."""
        site_guid, web_guid = uuid.uuid4(), uuid.uuid4()
        site_id = f"{self.host},{site_guid},{web_guid}"
        created = now_iso()
        title = str(group["displayName"])
        owners = f"{title} Owners"
        site: dict[str, Any] = {
            "id": site_id,
            "name": group["mailNickname"],
            "displayName": title,
            "description": group.get("description") or "",
            "webUrl": f"https://{self.host}/sites/{quote(str(group['mailNickname']))}",
            "createdDateTime": created,
            "lastModifiedDateTime": created,
            "siteCollection": {"hostname": self.host},
            "_group": group["id"],
            "_guids": [str(site_guid), str(web_guid)],
            "_owner": {
                "id": _b64(owners.encode()),
                "roles": ["owner"],
                "grantedToV2": {
                    "siteGroup": {"id": "3", "displayName": owners, "loginName": owners}
                },
                "inheritedFrom": {"siteId": site_id},
            },
            "_principals": {},  # SharePoint login name -> site user id
        }
        self.sites[site_id] = site
        self.group_sites[group["id"]] = site_id
        if born is not None:
            self.born[site_id] = born
        display, url_name = DEFAULT_LIBRARY
        self._add_list(site, display, url_name, "", "documentLibrary", born)
        return site

    def group_site(self, group_id: str, now: float = 0.0, delay: float = 0.0) -> dict[str, Any]:
        """``GET /groups/{id}/sites/root``: 404 for a group without a site (a security group)."""
        site_id = self.group_sites.get(group_id)
        if site_id is None:
            raise item_not_found(f"The group '{group_id}' has no SharePoint site.")
        return self.site(site_id, now, delay)

    def site(self, site_id: str, now: float = 0.0, delay: float = 0.0) -> dict[str, Any]:
        site = self.sites.get(site_id)
        if site is None or self._young(site_id, now, delay):
            raise item_not_found("Requested site could not be found")
        return site

    # -- lists -------------------------------------------------------------------------------

    def site_lists(self, site: dict[str, Any]) -> list[dict[str, Any]]:
        return sorted(
            (lst for lst in self.lists.values() if lst["_site"] == site["id"]),
            key=lambda lst: int(lst["_n"]),
        )

    def create_list(self, site: dict[str, Any], body: Any, born: float | None) -> dict[str, Any]:
        """``POST /sites/{id}/lists``; 409 ``nameAlreadyExists`` for a title in use."""
        if not isinstance(body, dict):
            raise invalid_request("Invalid request body: a JSON object is expected.")
        for prop in body:
            if prop not in _CREATE_KEYS and not prop.startswith("@odata."):
                raise invalid_request(
                    f"The property '{prop}' does not exist on type 'microsoft.graph.list'."
                )
        title = body.get("displayName")
        if not isinstance(title, str) or not title.strip() or len(title) > TITLE_LIMIT:
            raise invalid_request("Invalid value specified for property 'displayName'.")
        description = body.get("description") or ""
        if not isinstance(description, str):
            raise invalid_request("Invalid value specified for property 'description'.")
        info = body.get("list") or {}
        if not isinstance(info, dict):
            raise invalid_request("Invalid value specified for property 'list'.")
        template = info.get("template", "genericList")
        if template not in TEMPLATES:
            raise invalid_request(
                f"The list template '{template}' is not supported: the emulator makes "
                f"{' and '.join(sorted(TEMPLATES))} lists."
            )
        taken = {str(lst["displayName"]).lower() for lst in self.site_lists(site)}
        if title.strip().lower() in taken:
            raise GraphError(
                409,
                "nameAlreadyExists",
                "A list, survey, discussion board, or document library with the specified "
                "title already exists in this Web site.  Please choose another title.",
            )
        name = self._url_name(site, title)
        return self._add_list(site, title.strip(), name, description, template, born)

    def _url_name(self, site: dict[str, Any], title: str) -> str:
        """The list's URL segment: the title without URL-illegal characters, made unique."""
        base = _URL_FORBIDDEN.sub("", title).strip(" .") or "List"
        names = {str(lst["name"]).lower() for lst in self.site_lists(site)}
        name, n = base, 0
        while name.lower() in names:
            n += 1
            name = f"{base}{n}"
        return name

    def _add_list(
        self,
        site: dict[str, Any],
        title: str,
        url_name: str,
        description: str,
        template: str,
        born: float | None,
    ) -> dict[str, Any]:
        list_guid = uuid.uuid4()
        created = now_iso()
        lst: dict[str, Any] = {
            "id": str(list_guid),
            "name": url_name,
            "displayName": title,
            "description": description,
            "webUrl": f"{site['webUrl']}/{quote(url_name)}",
            "createdDateTime": created,
            "lastModifiedDateTime": created,
            "list": {"contentTypesEnabled": False, "hidden": False, "template": template},
            "parentReference": {"siteId": site["id"]},
            "_site": site["id"],
            "_drive": None,
            "_n": self._next(),
        }
        if template == "documentLibrary":
            site_guid, web_guid = (uuid.UUID(g) for g in site["_guids"])
            drive_id = "b!" + _b64(site_guid.bytes + web_guid.bytes + list_guid.bytes)
            self.drives[drive_id] = {
                "id": drive_id,
                "name": title,
                "description": description,
                "driveType": "documentLibrary",
                "webUrl": lst["webUrl"],
                "createdDateTime": created,
                "lastModifiedDateTime": created,
                "_site": site["id"],
                "_list": lst["id"],
            }
            self.grants[drive_id] = {}
            lst["_drive"] = drive_id
            if born is not None:
                self.born[drive_id] = born
        self.lists[lst["id"]] = lst
        if born is not None:
            self.born[lst["id"]] = born
        return lst

    def site_list(
        self, site: dict[str, Any], list_id: str, now: float = 0.0, delay: float = 0.0
    ) -> dict[str, Any]:
        lst = self.lists.get(list_id)
        if lst is None or lst["_site"] != site["id"] or self._young(list_id, now, delay):
            raise item_not_found("The specified list was not found")
        return lst

    def list_drive(
        self, lst: dict[str, Any], now: float = 0.0, delay: float = 0.0
    ) -> dict[str, Any]:
        """The drive of a document library; a generic list has none (404)."""
        if lst["_drive"] is None:
            raise item_not_found("The list is not a document library and has no drive.")
        return self.drive(str(lst["_drive"]), now, delay)

    # -- drives and permissions --------------------------------------------------------------

    def drive(self, drive_id: str, now: float = 0.0, delay: float = 0.0) -> dict[str, Any]:
        if not drive_id.startswith("b!"):
            raise invalid_request(
                "The provided drive id appears to be malformed, or does not represent a valid "
                "drive."
            )
        drive = self.drives.get(drive_id)
        if drive is None or self._young(drive_id, now, delay):
            raise item_not_found()
        return drive

    def permissions(self, drive: dict[str, Any]) -> list[dict[str, Any]]:
        """The drive root's permissions: the site's inherited owner permission, then grants."""
        owner = self.sites[drive["_site"]]["_owner"]
        grants = sorted(self.grants[drive["id"]].values(), key=lambda g: int(g["_n"]))
        return [owner, *grants]

    def invite(
        self, drive: dict[str, Any], body: Any, tenant: Tenant, now: float, delay: float
    ) -> list[dict[str, Any]]:
        """``POST /drives/{id}/root/invite`` by ``objectId``: the permissions made (or found).

        All recipients are checked before any is granted; an unknown or just-created object
        answers 404. A principal that has a grant already keeps it (same id), gaining the roles
        it lacked.
        """
        if not isinstance(body, dict):
            raise invalid_request("Invalid request body: a JSON object is expected.")
        for prop in body:
            if prop not in _INVITE_KEYS and not prop.startswith("@odata."):
                raise invalid_request(f"The parameter '{prop}' is not supported by invite.")
        roles, recipients = body.get("roles"), body.get("recipients")
        if (
            not isinstance(roles, list)
            or not roles
            or any(role not in INVITE_ROLES for role in roles)
        ):
            raise invalid_request('Invalid value for \'roles\': use ["read"] or ["write"].')
        if not isinstance(recipients, list) or not recipients:
            raise invalid_request("At least one recipient is required.")
        for flag in ("requireSignIn", "sendInvitation", "retainInheritedPermissions"):
            if flag in body and not isinstance(body[flag], bool):
                raise invalid_request(f"Invalid value for '{flag}': a boolean is expected.")
        if body.get("retainInheritedPermissions") is False:
            raise invalid_request(
                "retainInheritedPermissions=false is not modelled by the emulator; the site's "
                "inherited permissions are always kept."
            )
        principals = [self._principal(r, tenant, now, delay) for r in recipients]
        site = self.sites[drive["_site"]]
        grants = self.grants[drive["id"]]
        made: dict[str, dict[str, Any]] = {}
        for kind, obj in principals:
            login = self._login(kind, obj)
            perm_id = _b64(login.encode())
            grant = grants.get(perm_id)
            if grant is None:
                site_user = site["_principals"].setdefault(login, 10 + len(site["_principals"]))
                grant = {
                    "id": perm_id,
                    "roles": [],
                    "grantedToV2": {
                        kind: {
                            "id": obj["id"],
                            "displayName": obj.get("displayName"),
                            "email": obj.get("mail"),
                        },
                        "siteUser": {
                            "id": str(site_user),
                            "displayName": obj.get("displayName"),
                            "loginName": login,
                        },
                    },
                    "_principal": obj["id"],
                    "_kind": kind,
                    "_n": self._next(),
                }
                grants[perm_id] = grant  # at once, no consistency delay: not a directory object
            held = {*grant["roles"], *roles}
            grant["roles"] = [role for role in INVITE_ROLES if role in held]  # a stable order
            made[perm_id] = grant
        drive["lastModifiedDateTime"] = now_iso()
        return list(made.values())

    @staticmethod
    def _principal(
        recipient: Any, tenant: Tenant, now: float, delay: float
    ) -> tuple[str, dict[str, Any]]:
        if not isinstance(recipient, dict) or not isinstance(recipient.get("objectId"), str):
            raise invalid_request(
                "Each recipient needs an 'objectId' (the emulator resolves no email or alias)."
            )
        object_id = recipient["objectId"]
        born = tenant.born.get(object_id)
        young = born is not None and now - born < delay
        if object_id in tenant.groups and not young:
            return "group", tenant.groups[object_id]
        if object_id in tenant.users and not young:
            return "user", tenant.users[object_id]
        raise item_not_found(f"The recipient '{object_id}' could not be found.")

    @staticmethod
    def _login(kind: str, obj: dict[str, Any]) -> str:
        """SharePoint's claims login name of a user, a security group or a Unified group."""
        if kind == "user":
            return f"i:0#.f|membership|{str(obj['userPrincipalName']).lower()}"
        if "Unified" in (obj.get("groupTypes") or []):
            return f"c:0o.c|federateddirectoryclaimprovider|{obj['id']}"
        return f"c:0t.c|tenant|{obj['id']}"

    def delete_permission(self, drive: dict[str, Any], perm_id: str) -> None:
        """204 for a grant; 403 ``accessDenied`` for the inherited owner permission; else 404."""
        if perm_id == self.sites[drive["_site"]]["_owner"]["id"]:
            raise GraphError(
                403,
                "accessDenied",
                "Only sharing permissions that are not inherited can be deleted: this "
                "permission is inherited from the site.",
            )
        grants = self.grants[drive["id"]]
        if perm_id not in grants:
            raise item_not_found()
        del grants[perm_id]
        drive["lastModifiedDateTime"] = now_iso()

    # -- inspection --------------------------------------------------------------------------

    def access(self, tenant: Tenant, user_id: str, drive_id: str) -> str | None:
        """The strongest role the user holds on the drive: granted directly or to a group the
        user is a direct member of. The owner permission reaches nobody (no owners here)."""
        if user_id not in tenant.users or drive_id not in self.grants:
            return None
        best = -1
        for grant in self.grants[drive_id].values():
            principal = str(grant["_principal"])
            reaches = principal == user_id or (
                grant["_kind"] == "group" and user_id in tenant.members.get(principal, {})
            )
            if reaches:
                best = max(best, *(INVITE_ROLES.index(r) for r in grant["roles"]))
        return INVITE_ROLES[best] if best >= 0 else None

    def drive_rows(self) -> list[dict[str, Any]]:
        rows = []
        for drive in self.drives.values():
            lst = self.lists[drive["_list"]]
            rows.append(
                {
                    "id": drive["id"],
                    "siteId": drive["_site"],
                    "listId": lst["id"],
                    "displayName": lst["displayName"],
                    "description": lst["description"],
                }
            )
        return rows
