"""Organisational units: where each managed account belongs, and keeping those units.

The layout under ``ou_root`` (docs/google.md)::

    /Scholen/07XY00               a location (its name in the description)
    /Scholen/07XY00/Medewerkers   its staff
    /Scholen/07XY00/Leerlingen    its pupils
    /Scholen/07XY00/Leerlingen/5b a class, when pupils are placed per group

Units are created when an account needs one (parents first) and kept; the provisioner never
deletes a unit (Google refuses to delete one with users or sub-units anyway), so no unit is
ever removed while it has members.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from connectors.google.client import GoogleClient
from provisioner.errors import AlreadyExistsError, OutcomeUnknown, RejectedError


def safe_name(text: str) -> str:
    """A unit's name: no ``/`` (Google's path separator), at most 255 characters."""
    return " ".join(text.replace("/", "-").split())[:255] or "-"


class OrgUnits:
    """The managed units of one customer, created on demand and remembered."""

    def __init__(
        self,
        client: GoogleClient,
        *,
        customer: str,
        root: str,
        staff: str,
        pupils: str,
        location_names: Mapping[str, str],
    ) -> None:
        self.client = client
        self.customer = customer
        self.root = "/" + root.strip("/")
        self.staff = safe_name(staff)
        self.pupils = safe_name(pupils)
        self.location_names = dict(location_names)
        self._known: set[str] | None = None
        self._lock = threading.Lock()

    # -- where accounts go -----------------------------------------------------------------

    def location_of(self, locations: str) -> str | None:
        """The location an account's unit follows: the first of its locations (sorted)."""
        found = sorted(locations.split())
        return found[0] if found else None

    def home(self, kind: str, locations: str) -> str:
        """The unit of an account of ``kind`` at ``locations``; ``ou_root`` without one."""
        location = self.location_of(locations)
        if location is None:
            return self.root
        return f"{self.root}/{location}/{self.pupils if kind == 'pupil' else self.staff}"

    def class_unit(self, location: str, label: str) -> str:
        return f"{self.root}/{location}/{self.pupils}/{safe_name(label)}"

    def fits(self, kind: str, locations: str, path: str) -> bool:
        """Is ``path`` where the account belongs: its home, or (a pupil) a class under it."""
        home = self.home(kind, locations)
        return path == home or (kind == "pupil" and path.startswith(home + "/"))

    # -- keeping the units -----------------------------------------------------------------

    def ensure(self, path: str) -> None:
        """Create ``path`` and its missing parents under the root."""
        with self._lock:
            known = self._load()
            if path in known:
                return
            parts = path.strip("/").split("/")
            for depth in range(1, len(parts) + 1):
                unit = "/" + "/".join(parts[:depth])
                if unit in known:
                    continue
                self._create(unit)
                known.add(unit)

    def forget(self) -> None:
        """Read the units again next time (after a unit was found missing)."""
        with self._lock:
            self._known = None

    def _load(self) -> set[str]:
        if self._known is None:
            self._known = {"/", *self._listed()}
        return self._known

    def _create(self, path: str) -> None:
        parent, _, name = path.rpartition("/")
        location = name if parent == self.root else None
        description = self.location_names.get(location or "", "")
        body = {"name": name, "parentOrgUnitPath": parent or "/", "description": description}
        for _ in range(2):
            try:
                self.client.call(
                    "directory",
                    lambda s: s.orgunits().insert(customerId=self.customer, body=body),
                )
                return
            except (AlreadyExistsError, RejectedError, OutcomeUnknown) as exc:
                # Google answers an existing unit with 400 "Invalid Ou Id"; a lost answer
                # may hide a unit that was made: look before failing or sending it again
                if path in self._listed():
                    return
                if not isinstance(exc, OutcomeUnknown):
                    raise

    def _listed(self) -> set[str]:
        page = self.client.call(
            "directory", lambda s: s.orgunits().list(customerId=self.customer, type="all")
        )
        return {str(u["orgUnitPath"]) for u in page.get("organizationUnits") or []}
