"""Staff accounts in ParnasSys, kept in step with HR by the location leader
(``type = "sis-staff"``, ``system = "parnassys"``); see :mod:`connectors.sis.staff`.

ParnasSys offers no write interface to suppliers (research section 4: only the read-only
generic interface; no target connector exists). So every change becomes a tracked manual
task (:mod:`provisioner.tasks`) for the location leader, with the exact thing to do:

- a joiner: "create the medewerker" with name, personeelsnummer, work e-mail and the
  function of their level (``sis_roles``);
- a leaver: "set the medewerker to niet-actief" by ending the dienstverband on the last
  working day HR gives (the leaver procedure, 002 §12 step 1; the Basispoort login follows
  with the nightly sync), due the day of the run;
- a changed name: "correct the name".

A task is opened once: while it is open, the next runs find the same task (``open_task`` is
idempotent per kind, system and person), and the account is reported as it will be once the
task is done (a joiner as account ``task:<id>``, a corrected name as corrected, a leaver as
inactive), so the plan does not repeat the step every night. Which steps wait is the list of
open tasks; the names a waiting joiner or name correction will have are kept next to it in
``state_file`` (:class:`PendingChanges`), as a task holds them only as text. A returner
whose deactivation task is still open gets that task cancelled.

Reading is ``getMedewerkers`` per BRIN through the board's ParnasSys source configuration.
A medewerker is keyed by ``personeelsnummer`` when the interface gives one (*assumed*: not
in the public evidence); otherwise by its ``email``: the work address ``<username>@<domain>``
the provisioner gave that person. Once ParnasSys no longer lists a leaver, they are gone.
When a task is closed its pending change is dropped: a medewerker ParnasSys still lists as
active after "done" gets a new task (the change did not happen); a joiner appears under
their own id once made, and is linked by their key.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.parnassys.source import GET_STAFF, ParnasSysClient, school_year
from connectors.sis.soap import child_text, items_at
from connectors.sis.staff import SisStaffTarget, joined
from provisioner.errors import AlreadyExistsError, ConfigError, NotFoundError
from provisioner.targets import AccountSpec, RemoteAccount, TargetSnapshot
from provisioner.task_desk import ManualTask, TaskDesk

SYSTEM = "parnassys"
ASSIGNEE = "location_leader"
CREATE, DEACTIVATE, UPDATE = (
    "sis_account_create",
    "sis_account_deactivate",
    "sis_account_update",
)


class PendingChanges:
    """What each open ParnasSys task is for, per remote id: ``{"task": id, "kind": ...}``,
    with the names of a joiner or a name correction (a JSON file; see the module)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._changes: dict[str, dict[str, Any]] = {}
        if path.exists():
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            self._changes = dict(raw.get("pending", {}))

    def all(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {rid: dict(change) for rid, change in self._changes.items()}

    def note(self, remote_id: str, change: dict[str, Any]) -> None:
        with self._lock:
            self._changes[remote_id] = dict(change)
            self._save()

    def drop(self, remote_id: str) -> None:
        with self._lock:
            if self._changes.pop(remote_id, None) is not None:
                self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"pending": dict(sorted(self._changes.items()))}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        temporary.replace(self.path)


class _Medewerker(NamedTuple):
    remote_id: str  # <BRIN4>_<id>, as the vendor's connector builds it
    key: str | None
    location: str | None  # a configured BRIN6 of the BRIN4
    given: str
    family: str
    email: str


class ParnasSysStaffTarget(SisStaffTarget):
    """ParnasSys staff accounts: read with ``getMedewerkers``, changed by hand (tasks)."""

    #: no attribute is compared: ParnasSys shows no function to compare with
    stored_attributes = frozenset[str]()

    def __init__(
        self,
        name: str,
        config: SisStaffTargetConfig,
        source: ParnasSysSourceConfig,
        locations: AbstractSet[str],
        domain: str,
        tasks: TaskDesk,
        *,
        key: str | None = None,
        transport: httpx.BaseTransport | None = None,
        dry_run: bool = False,
        today: date | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(name, config, domain.lower(), dry_run=dry_run, today=today, sleep=sleep)
        self.source = source
        self.locations = frozenset(locations)
        if config.state_file is None:
            raise ConfigError(f"target {name}: set state_file (where the pending changes stay)")
        self.pending = PendingChanges(config.state_file)
        self.tasks = tasks
        supplier_key = key if key is not None else source.secret_value("key")
        if not supplier_key:
            source.require_secret("key", "[sources.sis]", "the ParnasSys supplier key")
            raise ConfigError(f"target {name}: the ParnasSys supplier key is empty")
        self._client = ParnasSysClient(source, supplier_key, transport=transport, sleep=sleep)
        self._staff: dict[str, _Medewerker] = {}

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        by_username = self.tasks.usernames()
        year = school_year(self.day)
        staff: dict[str, _Medewerker] = {}
        with self._client.client() as http:
            for raw in self.source.brins:
                brin = raw.strip().upper()
                answer = self._client.call(http, GET_STAFF, brin, year)
                for element in items_at(answer, "medewerkers/medewerker"):
                    medewerker = self._medewerker(brin, element, by_username)
                    if medewerker is not None:
                        staff[medewerker.remote_id] = medewerker
        self._staff = staff
        open_tasks = self.tasks.open_task_ids(SYSTEM)
        notes = self.pending.all()
        for remote_id, note in notes.items():
            if note["task"] not in open_tasks:
                self.pending.drop(remote_id)
        notes = {rid: n for rid, n in notes.items() if n["task"] in open_tasks}
        accounts: list[RemoteAccount] = []
        for m in staff.values():
            account = RemoteAccount(
                remote_id=m.remote_id,
                key=m.key,
                username=m.email.partition("@")[0],
                display_name=joined(m.given, m.family),
                given_name=m.given,
                family_name=m.family,
                enabled=notes.get(m.remote_id, {}).get("kind") != DEACTIVATE,
            )
            changed = notes.get(m.remote_id)
            if changed is not None and changed["kind"] == UPDATE:
                account = dataclasses.replace(
                    account,
                    display_name=changed["display_name"],
                    given_name=changed["given_name"],
                    family_name=changed["family_name"],
                )
            accounts.append(account)
        for remote_id, note in notes.items():
            if note["kind"] == CREATE:
                accounts.append(
                    RemoteAccount(
                        remote_id=remote_id,
                        key=note["key"],
                        username=note["username"],
                        display_name=note["display_name"],
                        given_name=note["given_name"],
                        family_name=note["family_name"],
                        enabled=True,
                    )
                )
        taken = frozenset(a.username.lower() for a in accounts if a.username)
        return TargetSnapshot(accounts, [], taken)

    def _medewerker(
        self, brin: str, element: ET.Element, by_username: dict[str, str]
    ) -> _Medewerker | None:
        staff_id = child_text(element, "id")
        if not staff_id:
            return None
        email = child_text(element, "email").lower()
        number = child_text(element, "personeelsnummer")
        key: str | None = f"staff:{number}" if number else None
        local, _, domain = email.partition("@")
        if key is None and domain == self.domain:
            key = by_username.get(local)
        ours = sorted(loc for loc in self.locations if loc.startswith(brin))
        return _Medewerker(
            remote_id=f"{brin}_{staff_id}",
            key=key,
            location=ours[0] if ours else None,
            given=child_text(element, "roepNaam") or child_text(element, "firstName"),
            family=child_text(element, "achternaam") or child_text(element, "lastName"),
            email=email,
        )

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        return [a for a in self.read().accounts if a.key == key]

    # -- the manual tasks ---------------------------------------------------------------------

    def create_account(self, spec: AccountSpec) -> str:
        self.guard()
        if any(m.key == spec.key for m in self._staff.values()):
            raise AlreadyExistsError(f"ParnasSys lists a medewerker for {spec.key}")
        number = spec.key.removeprefix("staff:")
        function = spec.attributes.get("sis_role") or spec.attributes.get("role", "")
        email = f"{spec.username}@{self.domain}"
        task = self._open(
            CREATE,
            f"ParnasSys: create the medewerker {spec.display_name}",
            (
                f"In ParnasSys, add a medewerker: roepnaam {spec.given_name}, achternaam "
                f"{spec.family_name}, personeelsnummer {number}, e-mail {email}, with a "
                f"dienstverband as {function} at your school. Then mark this task done."
            ),
            person_key=spec.key,
            location=next(iter(spec.attributes.get("locations", "").split()), None),
        )
        remote_id = f"task:{task.id}"
        self.pending.note(remote_id, {"task": task.id, "kind": CREATE, **_names(spec)})
        return remote_id

    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        self.guard()
        if remote_id.startswith("task:"):  # not made yet: the create task says what to make
            raise NotFoundError(f"{remote_id} is a pending task, not a medewerker yet")
        medewerker = self._known(remote_id)
        task = self._open(
            UPDATE,
            f"ParnasSys: correct the name of {medewerker.given} {medewerker.family}",
            (
                f"In ParnasSys, change the medewerker {medewerker.given} {medewerker.family} "
                f"({medewerker.email or 'no e-mail'}) to roepnaam {spec.given_name}, "
                f"achternaam {spec.family_name}, as HR has it. Then mark this task done."
            ),
            person_key=spec.key,
            location=medewerker.location,
        )
        self.pending.note(remote_id, {"task": task.id, "kind": UPDATE, **_names(spec)})

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        """The cancellation of a deactivation task for a returner; disabling without a date
        is :meth:`end_service` on "their last working day"."""
        if not enabled:
            self.end_service(remote_id, None)
            return
        self.guard()
        if remote_id.startswith("task:"):
            raise NotFoundError(f"{remote_id} is a pending task, not a medewerker yet")
        self._known(remote_id)
        note = self.pending.all().get(remote_id)
        # back before the location leader acted: the task is no longer needed
        if note is not None and note["kind"] == DEACTIVATE:
            self.tasks.cancel(
                note["task"],
                actor=f"target:{self.name}",
                reason="HR says this person works here again",
            )
            self.pending.drop(remote_id)

    def end_service(self, remote_id: str, last_day: date | None) -> None:
        """A task to end the dienstverband on ``last_day`` (HR's last working day)."""
        self.guard()
        if remote_id.startswith("task:"):
            raise NotFoundError(f"{remote_id} is a pending task, not a medewerker yet")
        medewerker = self._known(remote_id)
        who = f"{medewerker.given} {medewerker.family} ({medewerker.email or 'no e-mail'})"
        day = last_day.isoformat() if last_day is not None else "their last working day"
        task = self._open(
            DEACTIVATE,
            f"ParnasSys: set {who} to niet-actief",
            (
                f"{who} no longer works at your school according to HR (leaver procedure, "
                f"step 1). In ParnasSys, end the medewerker's dienstverband on {day} "
                "so they become niet-actief; the Basispoort login disappears after the nightly "
                "sync. Do it today, then mark this task done."
            ),
            person_key=medewerker.key,
            location=medewerker.location,
        )
        self.pending.note(remote_id, {"task": task.id, "kind": DEACTIVATE})

    def _open(
        self, kind: str, title: str, instructions: str, *, person_key: str | None,
        location: str | None,
    ) -> ManualTask:
        """The location leader's task of this kind for this person, due today (the open one
        when there is one)."""
        return self.tasks.open(
            kind=kind, system=SYSTEM, title=title, instructions=instructions,
            assignee=ASSIGNEE, origin=f"target:{self.name}", actor=f"target:{self.name}",
            person_key=person_key, location=location, due_on=self.day,
        )  # fmt: skip

    def _known(self, remote_id: str) -> _Medewerker:
        medewerker = self._staff.get(remote_id)
        if medewerker is None:
            raise NotFoundError(f"ParnasSys lists no medewerker {remote_id}")
        return medewerker


def _names(spec: AccountSpec) -> dict[str, str]:
    return {
        "key": spec.key,
        "username": spec.username,
        "display_name": spec.display_name,
        "given_name": spec.given_name,
        "family_name": spec.family_name,
    }
