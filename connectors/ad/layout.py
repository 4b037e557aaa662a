"""Pure naming and layout rules of the AD target: DNs, account names, groups, folders, ACLs.

Nothing here does I/O, so every rule is tested without a domain controller. Every value that
ends up in a DN goes through :func:`rdn`, every value in a search filter through
:func:`filter_value` (RFC 4514 and RFC 4515, via ldap3's own escaping functions).

The OU layout under the managed OU (``OU=Provisioner,<domain>`` by default)::

    OU=<BRIN6>            one per location (vestiging)
        OU=Staff          personeel
        OU=Pupils         leerlingen
    OU=Staff              staff without a current location (their last place is kept)
    OU=Groups             global groups (access groups) and domain-local groups (folders)

Groups follow AGDLP: accounts are members of **global** groups, one per access group of the
policy (``loc:<BRIN6>:care`` ...; ``class:<id>`` per class); global groups are nested in
**domain-local** groups, one per folder and access level; the folders' ACLs name only
domain-local groups.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

#: Marker in a group's ``info`` attribute: the provisioner's key of the group.
GROUP_MARK = "provisioner:group:"  # a global group: the access group's key
FOLDER_MARK = "provisioner:folder:"  # a domain-local group: modify right on one folder
SITE_MARK = "provisioner:site:"  # a domain-local group: list the share's top folders

SAM_MAX = 20  # sAMAccountName of a user: at most 20 characters (AD limit)
GROUP_SAM_MAX = 64
#: Characters AD refuses in sAMAccountName.
SAM_INVALID = re.compile(r"[\"/\\\[\]:;|=,+*?<>@\s]")
#: Characters Windows refuses in a folder name, and ";" (smbclient's command separator).
FOLDER_INVALID = re.compile(r"[\"/\\:*?<>|;\x00-\x1f]")

#: Folder of each location-level access group, in the location's share.
LEVEL_FOLDERS: dict[str, str] = {
    "management": "Directie",
    "care": "Zorg",
    "teachers": "Leerkrachten",
    "staff": "Team",
}
CLASSES_FOLDER = "Groepen"  # one sub-folder per class (groep / klas)

# userAccountControl bits
UAC_DISABLED = 0x0002
UAC_PASSWD_NOTREQD = 0x0020
UAC_NORMAL = 0x0200

# Access masks (as smbcacls and Windows write them)
FULL = 0x001F01FF  # full control
MODIFY = 0x001301BF  # read, write, execute, delete ("Wijzigen")
READ = 0x001200A9  # read and execute (list a folder, traverse)
SYSTEM_SID = "S-1-5-18"
#: SDDL aliases smbcacls may print instead of a SID (the domain ones need the domain SID).
WELL_KNOWN = {
    "SY": "S-1-5-18",
    "BA": "S-1-5-32-544",
    "BU": "S-1-5-32-545",
    "WD": "S-1-1-0",
    "AU": "S-1-5-11",
    "CO": "S-1-3-0",
    "CG": "S-1-3-1",
    "OW": "S-1-3-4",
}
DOMAIN_RIDS = {"DA": 512, "DU": 513, "DG": 514, "DC": 515, "DD": 516, "CA": 517, "EA": 519}
INHERIT = "OICI"  # object and container inherit: applies to everything below


def rdn(attribute: str, value: str) -> str:
    """One escaped RDN, ``CN=Smit\\, Jr.`` (RFC 4514)."""
    return f"{attribute}={escape_rdn(value)}"


def filter_value(value: str) -> str:
    """A value escaped for a search filter: ``*)(cn=*`` cannot change the filter (RFC 4515)."""
    return str(escape_filter_chars(value))


def guid_filter(guid: str) -> str:
    """``(objectGUID=\\xx...)`` for a GUID in its string form (AD's byte order)."""
    import uuid

    raw = uuid.UUID(guid).bytes_le
    return "(objectGUID=" + "".join(f"\\{byte:02x}" for byte in raw) + ")"


def guid_text(raw: bytes | str) -> str:
    import uuid

    if isinstance(raw, str):
        return str(uuid.UUID(raw.strip("{}")))
    return str(uuid.UUID(bytes_le=raw))


def sid_text(raw: bytes | str) -> str:
    """A binary SID as ``S-1-5-21-...``."""
    if isinstance(raw, str):
        return raw
    revision, count = raw[0], raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = [int.from_bytes(raw[8 + 4 * i : 12 + 4 * i], "little") for i in range(count)]
    return "-".join(["S", str(revision), str(authority), *map(str, subs)])


def ascii_fold(text: str) -> str:
    """'Çelik' -> 'Celik': for account names only (names themselves keep their accents)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        .encode("ascii", "ignore")
        .decode()
    )


def sam_account_name(username: str, attempt: int = 0) -> str:
    """The pre-Windows-2000 logon name: the username cut to 20 characters; a later attempt
    (another account holds the name) ends in a number: ``anne-fleur.vanthe2``."""
    base = SAM_INVALID.sub("", ascii_fold(username)).strip(".") or "user"
    if attempt == 0:
        return base[:SAM_MAX]
    suffix = str(attempt + 1)
    return base[: SAM_MAX - len(suffix)].rstrip(".-") + suffix


def group_sam_name(prefix: str, key: str) -> str:
    """``GG_loc_07XY00_care``: readable, legal and unique enough (the key is in ``info``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_fold(key)).strip("_")
    return f"{prefix}_{cleaned}"[:GROUP_SAM_MAX]


@dataclass(frozen=True, slots=True)
class Layout:
    """Where things live in one domain."""

    base_dn: str  # the domain, "DC=school,DC=test"
    managed_ou: str = "Provisioner"  # the OU's name (not a DN)

    @property
    def root(self) -> str:
        return f"{rdn('OU', self.managed_ou)},{self.base_dn}"

    @property
    def groups_ou(self) -> str:
        return f"OU=Groups,{self.root}"

    def location_ou(self, brin6: str) -> str:
        return f"{rdn('OU', brin6)},{self.root}"

    def account_ou(self, kind: str, location: str | None) -> str:
        """``OU=Staff,OU=07XY00,...``; a person without a location goes under the root."""
        leaf = "OU=Pupils" if kind == "pupil" else "OU=Staff"
        return f"{leaf},{self.location_ou(location) if location else self.root}"

    def ou_chain(self, dn: str) -> list[str]:
        """The OUs from the managed root down to ``dn`` (an OU under the root), in order."""
        if not dn.endswith(self.root):
            return []
        chain = [self.root]
        rest = dn[: -len(self.root)].rstrip(",")
        parts = split_dn(rest) if rest else []
        for i in range(len(parts) - 1, -1, -1):
            chain.append(",".join([*parts[i:], self.root]))
        return chain


def split_dn(dn: str) -> list[str]:
    """Split a DN into its RDNs, honouring escaped commas."""
    parts, current, escaped = [], "", False
    for char in dn:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    if current:
        parts.append(current)
    return parts


def primary_location(attributes: dict[str, str] | object) -> str | None:
    """The location whose OU holds the account: the first of ``locations`` in sort order."""
    value = attributes.get("locations", "") if isinstance(attributes, dict) else ""
    places = sorted(value.split())
    return places[0] if places else None


def folder_of(key: str, label: str) -> str:
    """The folder (relative to the location's share, ``\\`` separated) of an access group."""
    if key.startswith("loc:"):
        level = key.rsplit(":", 1)[1]
        return LEVEL_FOLDERS.get(level, folder_name(label))
    return f"{CLASSES_FOLDER}\\{folder_name(label)}"


def folder_name(label: str) -> str:
    cleaned = FOLDER_INVALID.sub("_", label).strip(" .")
    return cleaned or "_"


def share_name(template: str, brin6: str) -> str:
    return template.format(brin6=brin6)


# -- ACLs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Ace:
    """One allow-ACE: who, what, and whether it applies below (``OICI``) or here only."""

    sid: str
    mask: int
    flags: str = INHERIT

    def sddl(self) -> str:
        return f"(A;{self.flags};0x{self.mask:08x};;;{self.sid})"


def folder_acl(admin_sid: str, modify_sid: str) -> frozenset[Ace]:
    """A document folder: the folder's domain-local group may modify, inherited below."""
    return frozenset({Ace(admin_sid, FULL), Ace(SYSTEM_SID, FULL), Ace(modify_sid, MODIFY)})


def list_acl(admin_sid: str, list_sid: str) -> frozenset[Ace]:
    """The share's top and the classes folder: everyone of the location may list this
    folder (and so reach their own folders), nothing below it is inherited."""
    return frozenset({Ace(admin_sid, FULL), Ace(SYSTEM_SID, FULL), Ace(list_sid, READ, "")})


def acl_sddl(aces: frozenset[Ace]) -> str:
    """A protected DACL (``P``: nothing inherited from above) with the given ACEs."""
    return "D:PAI" + "".join(ace.sddl() for ace in sorted(aces))


_ACE = re.compile(r"\((A|D);([A-Z]*);([^;]*);[^;]*;[^;]*;([^)]*)\)")
_RIGHTS = {"FA": FULL, "GA": FULL}


def parse_dacl(sddl: str, domain_sid: str) -> tuple[bool, frozenset[Ace]] | None:
    """``(protected, ACEs)`` of an SDDL string as smbcacls prints it; inherited-flag ``ID``
    and ordering are ignored. ``None`` for a deny ACE or a right we do not understand: such
    an ACL is never "as wanted"."""
    start = sddl.find("D:")
    if start < 0:
        return None
    dacl = sddl[start + 2 :]
    head = dacl.split("(", 1)[0]
    aces = set()
    for kind, flags, rights, sid in _ACE.findall(dacl):
        if kind != "A":
            return None
        if rights in _RIGHTS:
            mask = _RIGHTS[rights]
        elif rights.lower().startswith("0x"):
            mask = int(rights, 16)
        else:
            return None
        own = "".join(flag for flag in ("OI", "CI", "IO", "NP") if flag in _flag_pairs(flags))
        aces.add(Ace(_expand_sid(sid, domain_sid), mask, own))
    return "P" in head, frozenset(aces)


def _flag_pairs(flags: str) -> set[str]:
    return {flags[i : i + 2] for i in range(0, len(flags), 2)}


def _expand_sid(sid: str, domain_sid: str) -> str:
    if sid in WELL_KNOWN:
        return WELL_KNOWN[sid]
    if sid in DOMAIN_RIDS:
        return f"{domain_sid}-{DOMAIN_RIDS[sid]}"
    return sid
