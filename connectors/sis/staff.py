"""Staff accounts in the SIS follow HR: what the three SIS staff targets share.

A SIS staff target (``type = "sis-staff"``) is a :class:`provisioner.targets.Target` that
keeps one account per staff member in the student information system: a joiner gets one
with the SIS function of their level (``sis_roles``: role -> functie), a leaver is made
inactive. How depends on the SIS (see each system's ``staff.py``):

- Somtoday: the HRM Webservice ``createPerson``, always the complete record; inactive
  through ``datumUitDienst``;
- Magister: ``UpdateMedewerker``, always the complete record (omitted fields are blanked);
  inactive through ``DatumUitDienst``;
- ParnasSys: no write interface: every step is a manual task for the location leader.

Neither Somtoday nor Magister can delete a staff record (they keep them as the school's
administration), so ``delete_account`` sends nothing: the account stays inactive.

**Access groups.** The engine plans the board's access groups (``loc:…``, ``class:…``) for
every target. A SIS has no such groups: a staff member's access in the SIS follows their
function and the SIS's own rosters (mentors, teachers of a class). The target therefore
notes the groups and memberships it is asked for in a small local ledger (``state_file``)
and sends nothing about them; the plan converges and the audit trail shows what was asked.
"""

from __future__ import annotations

import json
import string
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.errors import DryRunRejected, NotFoundError
from provisioner.targets import GroupSpec, RemoteGroup

#: Lower-case words that start a Dutch surname's tussenvoegsel.
PREFIX_WORDS = frozenset(
    {"van", "de", "der", "den", "het", "'t", "’t", "te", "ten", "ter", "in", "op", "aan", "uit",
     "'s", "d'", "la", "le", "du", "des", "da", "di", "dos", "del", "von", "zu", "vd", "v."}
)  # fmt: skip


def split_prefix(family_with_prefix: str) -> tuple[str, str]:
    """("van 't", "Hek") from "van 't Hek": the leading tussenvoegsel words, then the rest."""
    words = family_with_prefix.split()
    cut = 0
    while cut < len(words) - 1 and words[cut].casefold() in PREFIX_WORDS:
        cut += 1
    return " ".join(words[:cut]), " ".join(words[cut:])


def initials(given: str) -> str:
    """ "A.F." from "Anne-Fleur": the first letter of each part, with dots."""
    parts = [p for chunk in given.split() for p in chunk.split("-") if p]
    return "".join(f"{p[0].upper()}." for p in parts if p[0].isalpha())


def joined(*parts: str) -> str:
    return " ".join(p for p in parts if p)


@dataclass
class _Group:
    key: str
    display_name: str
    description: str
    members: set[str] = field(default_factory=set)


class GroupLedger:
    """The access groups a SIS does not keep, noted in a JSON file (see the module text);
    and notes per account (ParnasSys: the changes waiting for a person, with their task)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._groups: dict[str, _Group] = {}
        self._notes: dict[str, dict[str, Any]] = {}
        if path.exists():
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            self._notes = dict(raw.get("notes", {}))
            for remote_id, g in raw.get("groups", {}).items():
                self._groups[remote_id] = _Group(
                    g["key"], g["display_name"], g["description"], set(g["members"])
                )

    def groups(self) -> list[RemoteGroup]:
        with self._lock:
            return [
                RemoteGroup(rid, g.key, g.display_name, g.description, frozenset(g.members))
                for rid, g in self._groups.items()
            ]

    def create(self, spec: GroupSpec) -> str:
        with self._lock:
            remote_id = f"ledger:{spec.key}"
            self._groups[remote_id] = _Group(spec.key, spec.display_name, spec.description)
            self._save()
            return remote_id

    def change(self, remote_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        with self._lock:
            group = self._groups.get(remote_id)
            if group is None:
                raise NotFoundError(f"no group {remote_id}")
            group.members.update(add)
            group.members.difference_update(remove)
            self._save()

    def notes(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {rid: dict(note) for rid, note in self._notes.items()}

    def note(self, remote_id: str, note: dict[str, Any]) -> None:
        with self._lock:
            self._notes[remote_id] = dict(note)
            self._save()

    def drop_note(self, remote_id: str) -> None:
        with self._lock:
            if self._notes.pop(remote_id, None) is not None:
                self._save()

    def forget_member(self, remote_id: str) -> None:
        with self._lock:
            for group in self._groups.values():
                group.members.discard(remote_id)
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "groups": {
                rid: {
                    "key": g.key,
                    "display_name": g.display_name,
                    "description": g.description,
                    "members": sorted(g.members),
                }
                for rid, g in sorted(self._groups.items())
            },
            "notes": dict(sorted(self._notes.items())),
        }
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        temporary.replace(self.path)


class LedgerGroups:
    """The group verbs of a SIS staff target, kept in its ledger; and the dry-run guard."""

    name: str
    dry_run: bool
    ledger: GroupLedger
    supports_licences = False
    supports_sessions = False
    batch_size = 20
    #: the planner compares only the SIS function
    stored_attributes = frozenset({"sis_role"})

    def guard(self) -> None:
        if self.dry_run:
            raise DryRunRejected(f"dry run: no writes to {self.name}")

    def find_groups(self, key: str) -> Sequence[RemoteGroup]:
        return [g for g in self.ledger.groups() if g.key == key]

    def create_group(self, spec: GroupSpec) -> str:
        self.guard()
        return self.ledger.create(spec)

    def add_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        self.guard()
        self.ledger.change(group_remote_id, add=member_remote_ids)

    def remove_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        self.guard()
        self.ledger.change(group_remote_id, remove=member_remote_ids)

    def revoke_sessions(self, remote_id: str) -> None:
        """Not offered by a SIS (``supports_sessions`` is False): never planned."""

    def assign_licences(self, remote_id: str, add: Sequence[str], remove: Sequence[str]) -> None:
        """A SIS has no licences (``supports_licences`` is False): never planned."""


def strong_password() -> str:
    """A one-time password for interfaces that require one (staff sign in through SSO)."""
    import secrets

    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24)) + "!7a"
