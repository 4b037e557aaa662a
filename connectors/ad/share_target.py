"""Active Directory with file shares: a ``LibraryTarget`` (docs/ad.md).

A location is a share (site), an access group's folder is a library; the planner's
``create_site``/``create_library``/``grant_library``/``revoke_library`` make the share, the
folder and its domain-local ("DL") group, and nest the access group's global group in it
(AGDLP): the DL group is the only principal on the folder's ACL. A folder whose ACL differs
from the one wanted is reported without grants, so the next run sets it again (repair).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.ad import layout
from connectors.ad.client import ADClient, Entry, first, values
from connectors.ad.layout import filter_value
from connectors.ad.shares import FileShares
from connectors.ad.target import DOMAIN_LOCAL_SECURITY, GROUP_ATTRIBUTES, ADTarget, _Read
from provisioner.errors import NotFoundError
from provisioner.targets import RemoteLibrary, RemoteSite


@dataclass(frozen=True)
class ShareOptions:
    share_template: str = "{brin6}"


class ADShareTarget(ADTarget):
    """:class:`ADTarget` plus a share per location and a folder per access group."""

    def __init__(
        self,
        name: str,
        client: ADClient,
        *,
        base_dn: str,
        domain: str,
        shares: FileShares,
        share_options: ShareOptions | None = None,
        pupil_domain: str | None = None,
        managed_ou: str = "Provisioner",
        authoritative_groups: Sequence[str] = ("*",),
    ) -> None:
        super().__init__(
            name, client, base_dn=base_dn, domain=domain, pupil_domain=pupil_domain,
            managed_ou=managed_ou, authoritative_groups=authoritative_groups,
        )  # fmt: skip
        self.shares = shares
        self.share_options = share_options or ShareOptions()

    def close(self) -> None:
        super().close()
        self.shares.close()

    # -- the planner's site and library verbs --------------------------------------------------

    def create_site(self, key: str, display_name: str) -> str:
        """The location's share, its classes folder, and the DL group that may list them."""
        shares = self.shares
        brin6 = key.removeprefix("site:")
        share = layout.share_name(self.share_options.share_template, brin6)
        if share not in shares.shares():
            shares.create_share(share, self._admin_sid())
        self._site_group(key, share)
        shares.make_folder(share, layout.CLASSES_FOLDER)
        self._ensure_list_acls(share)
        return share

    def create_library(self, site_id: str, key: str, display_name: str, description: str) -> str:
        """The access group's folder and its domain-local group ("wijzigen", modify)."""
        shares = self.shares
        path = layout.folder_of(key, display_name)
        found = self._folder_groups(key)
        if found:
            group_id = layout.guid_text(found[0]["objectguid"])
        else:
            group_id = self._create_group(
                layout.group_sam_name("DL", f"{site_id}_{path}_M"),
                DOMAIN_LOCAL_SECURITY,
                info=layout.FOLDER_MARK + key,
                display_name=f"{site_id}\\{path} (wijzigen)",
                description=f"Modify \\\\{site_id}\\{path}",
                admin_description=f"{site_id}|{path}",
            )
        shares.make_folder(site_id, path)
        self._set_folder_acl(site_id, path, group_id)
        return group_id

    def grant_library(self, library_id: str, group_id: str) -> None:
        """Nest the access group in the folder's DL group (and in the location's list group),
        then make the folder's ACL the wanted one again."""
        share, path = self._folder(library_id)
        self.add_members(library_id, [group_id])
        site = self._site_groups().get(share)
        if site is not None:
            self.add_members(layout.guid_text(site["objectguid"]), [group_id])
        shares = self.shares
        shares.make_folder(share, path)
        self._set_folder_acl(share, path, library_id)
        self._ensure_list_acls(share)

    def revoke_library(self, library_id: str, grant_id: str) -> None:
        """Take a principal out of the folder's DL group (and out of the list group when it
        has no other folder at the location)."""
        share, _ = self._folder(library_id)
        self.remove_members(library_id, [grant_id])
        grant_dn = self._dn(grant_id).lower()
        still = any(
            grant_dn in {dn.lower() for dn in values(group, "member")}
            for group in self._all_folder_groups()
            if first(group, "adminDescription").split("|")[0] == share
        )
        site = self._site_groups().get(share)
        if site is not None and not still:
            self.remove_members(layout.guid_text(site["objectguid"]), [grant_id])

    # -- folder groups --------------------------------------------------------------------

    def _all_folder_groups(self) -> list[Entry]:
        return self.client.search(
            self.layout.groups_ou,
            f"(&(objectClass=group)(info={filter_value(layout.FOLDER_MARK)}*))",
            GROUP_ATTRIBUTES,
        )

    def _folder_groups(self, key: str) -> list[Entry]:
        return self.client.search(
            self.layout.groups_ou,
            f"(&(objectClass=group)(info={filter_value(layout.FOLDER_MARK + key)}))",
            GROUP_ATTRIBUTES,
        )

    def _site_groups(self) -> dict[str, Entry]:
        """The list groups by share name."""
        found = self.client.search(
            self.layout.groups_ou,
            f"(&(objectClass=group)(info={filter_value(layout.SITE_MARK)}*))",
            GROUP_ATTRIBUTES,
        )
        return {first(group, "adminDescription"): group for group in found}

    def _site_group(self, key: str, share: str) -> Entry:
        groups = self._site_groups()
        if share not in groups:
            self._create_group(
                layout.group_sam_name("DL", f"{share}_List"),
                DOMAIN_LOCAL_SECURITY,
                info=layout.SITE_MARK + key,
                display_name=f"{share} (lijst)",
                description=f"List \\\\{share} and its {layout.CLASSES_FOLDER} folder",
                admin_description=share,
            )
            groups = self._site_groups()
        return groups[share]

    def _folder(self, library_id: str) -> tuple[str, str]:
        entry = self._entry(library_id, ["adminDescription", "info"])
        share, _, path = first(entry, "adminDescription").partition("|")
        if not first(entry, "info").startswith(layout.FOLDER_MARK) or not path:
            raise NotFoundError(f"{library_id} is not a folder group")
        return share, path

    # -- shares and ACLs -------------------------------------------------------------------

    def _domain(self) -> str:
        known = self._domain_sid is not None
        sid = super()._domain()
        if not known:
            self.shares.domain_sid = sid
        return sid

    def _admin_sid(self) -> str:
        return f"{self._domain()}-512"  # Domain Admins

    def _sid(self, guid: str) -> str:
        return layout.sid_text(self._entry(guid, ["objectSid"])["objectsid"])

    def _set_folder_acl(self, share: str, path: str, group_id: str) -> None:
        wanted = layout.folder_acl(self._admin_sid(), self._sid(group_id))
        self.shares.set_acl(share, path, layout.acl_sddl(wanted))

    def _ensure_list_acls(self, share: str) -> None:
        site = self._site_groups().get(share)
        if site is None:
            return
        wanted = layout.list_acl(self._admin_sid(), layout.sid_text(site["objectsid"]))
        for path in ("", layout.CLASSES_FOLDER):
            if not self._acl_is(share, path, wanted):  # nothing here is inherited below
                self.shares.set_acl(share, path, layout.acl_sddl(wanted), propagate=False)

    def _acl_is(self, share: str, path: str, wanted: frozenset[layout.Ace]) -> bool:
        sddl = self.shares.acl(share, path)
        parsed = layout.parse_dacl(sddl, self._domain()) if sddl else None
        return parsed is not None and parsed[0] and parsed[1] == wanted

    def _read_libraries(self, read: _Read) -> tuple[list[RemoteSite], list[RemoteLibrary]]:
        shares = self.shares
        offered = shares.shares()
        sites, libraries = [], []
        admin = self._admin_sid()
        folder_groups = self._all_folder_groups()
        access_groups = {
            first(group, "info").removeprefix(layout.GROUP_MARK): guid
            for guid, group in read.groups.items()
            if first(group, "info").startswith(layout.GROUP_MARK)
        }
        for share, site in self._site_groups().items():
            key = first(site, "info").removeprefix(layout.SITE_MARK)
            if share not in offered:
                continue
            listing = layout.list_acl(admin, layout.sid_text(site["objectsid"]))
            list_ok = all(self._acl_is(share, p, listing) for p in ("", layout.CLASSES_FOLDER))
            sites.append(RemoteSite(share, key))
            for group in folder_groups:
                folder_share, _, path = first(group, "adminDescription").partition("|")
                if folder_share != share:
                    continue
                folder_key = first(group, "info").removeprefix(layout.FOLDER_MARK)
                guid = layout.guid_text(group["objectguid"])
                wanted = layout.folder_acl(admin, layout.sid_text(group["objectsid"]))
                members = self._member_guids(group, read.dn_to_guid)
                if not self._authoritative(folder_key):
                    members = frozenset(m for m in members if m in read.groups)
                ok = list_ok and self._acl_is(share, path, wanted)
                # a wrong or missing ACL: the access group is reported as not granted, so the
                # planner grants it again (which sets the ACL); other members stay visible,
                # so the planner revokes those in the same run
                own = access_groups.get(folder_key)
                grants = {m: m for m in members if ok or m != own}
                libraries.append(RemoteLibrary(guid, folder_key, key, grants))
        return sites, libraries
