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

**End of service.** The targets are an ``EndDateTarget``: the executor passes a leaver's
last working day from HR to ``end_service``, and that day is the end of service (datum uit
dienst) written to the SIS. Without one (the person is no longer in any source) it is the
day before the run; ``set_enabled(remote_id, False)`` does the same.

Neither Somtoday nor Magister can delete a staff record (they keep them as the school's
administration), so ``delete_account`` sends nothing: the account stays inactive.

**Lost answers.** A write is sent once more only when it provably did not arrive: a refused
or failed connection, 408, 429, 503. A write that may have arrived (a timeout or a dropped
connection after sending, a 500/502/504, a SOAP ``Server`` fault on anything but 503) raises
:class:`~provisioner.errors.OutcomeUnknown`; the executor reads the SIS and finds the
medewerker by the employee number (the key), and sends again only what did not land.

**No access groups.** A SIS has none of the board's access groups (``loc:…``, ``class:…``):
a staff member's access in the SIS follows their function and the SIS's own rosters
(mentors, teachers of a class). The targets are no ``GroupTarget`` (nor a
``LicenceTarget`` or ``SessionTarget``), so the planner plans no group, membership,
licence or session operation for them.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

import httpx

from connectors.http_status import SOAP_WRITE, Kind, classify
from connectors.retry import retry_policy
from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.soap import find_fault
from provisioner.errors import (
    AlreadyExistsError,
    ConnectorError,
    DryRunRejected,
    FatalError,
    NotFoundError,
    OutcomeUnknown,
    RejectedError,
    TransientError,
)
from provisioner.targets import AccountSpec, RemoteAccount, TargetDefaults, TargetSnapshot

#: Lower-case words that start a Dutch surname's tussenvoegsel.
PREFIX_WORDS = frozenset(
    {"van", "de", "der", "den", "het", "'t", "’t", "te", "ten", "ter", "in", "op", "aan", "uit",
     "'s", "d'", "la", "le", "du", "des", "da", "di", "dos", "del", "von", "zu", "vd", "v."}
)  # fmt: skip
MAX_ATTEMPTS = 5  # per write, the first included
MAX_WAIT = 300.0  # seconds one write may spend waiting to be retried
#: Transport failures before the request left: a write that met one did not arrive.
NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)


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


def strong_password() -> str:
    """A one-time password for interfaces that require one (staff sign in through SSO)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24)) + "!7a"


def end_of_service(left_on: date | None, today: date) -> date:
    """The end of service (datum uit dienst) of a leaver: HR's last working day, else the
    day before ``today`` (no date: the person is no longer in any source)."""
    return left_on if left_on is not None else today - timedelta(days=1)


def write_error(
    where: str,
    outcome: httpx.Response | httpx.HTTPError,
    *,
    system: str,
    login_words: Collection[str],
    login_hint: str,
    access_hint: str,
    secrets_: Collection[str] = (),
) -> ConnectorError:
    """The typed error of a failed SOAP write to a SIS (Somtoday HRM, Magister).

    No answer: a bad URL is fatal; a failure before the request left (:data:`NOT_SENT`)
    transient; a timeout or a dropped connection after sending :class:`OutcomeUnknown` (never
    sent again: the executor verifies). A ``Server`` fault is transient with HTTP 503, else
    the outcome is unknown; a fault that names the login (``login_words``) is fatal; any other
    fault is about this person's data and rejects only them. Without a fault: 401/403/404 are
    fatal, 408/429/503 transient with the server's ``Retry-After``, another 5xx (500, 502,
    504: the write may have been done) :class:`OutcomeUnknown`, anything else fatal.
    ``secrets_`` are blanked from the fault text.
    """
    if isinstance(outcome, httpx.HTTPError):
        if isinstance(outcome, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return FatalError(f"{where}: bad {system} URL")
        if isinstance(outcome, NOT_SENT):
            return TransientError(
                f"{where}: {system} could not be reached ({type(outcome).__name__})"
            )
        return OutcomeUnknown(
            f"{where}: sent to {system}, but the answer was lost ({type(outcome).__name__});"
            " not sent again"
        )
    fault = find_fault(outcome.content)
    verdict = classify(outcome.status_code, outcome.headers, family=SOAP_WRITE, write=True)
    if fault is not None:
        text = fault.text
        for secret in secrets_:
            if secret:
                text = text.replace(secret, "***")
        said = f"{where}: {system} answered fault {fault.code}: {text}"
        if fault.code.startswith("Server"):
            if verdict.transient:
                return TransientError(said, verdict.retry_after)
            return OutcomeUnknown(f"{said}; the write may have been done: not sent again")
        if any(word in text.casefold() for word in login_words):
            return FatalError(f"{said} ({login_hint})")
        return RejectedError(said)
    message = f"{where}: {system} answered HTTP {outcome.status_code}"
    if verdict.kind in (Kind.AUTH, Kind.NOT_FOUND):
        return FatalError(f"{message}: {access_hint}")
    if verdict.kind is Kind.AMBIGUOUS:
        return verdict.build(f"{message}; the write may have been done: not sent again")
    return verdict.build(message)


class SisStaffTarget(TargetDefaults):
    """What every SIS staff target is: accounts with an end of service (an
    ``EndDateTarget``), no access groups, licences or sessions; one write at a time; the
    dry-run guard; records kept, never deleted."""

    #: the planner compares only the SIS function
    stored_attributes: frozenset[str] = frozenset({"sis_role"})

    def __init__(
        self,
        name: str,
        config: SisStaffTargetConfig,
        domain: str,
        *,
        dry_run: bool,
        today: date | None,
        sleep: Callable[[float], None],
    ) -> None:
        self.name = name
        self.config = config
        self.domain = domain
        self.dry_run = dry_run
        self.today = today
        self.sleep = sleep

    @property
    def day(self) -> date:
        """The day of the run (``today``, for tests and the demo, else the clock's)."""
        return self.today or date.today()

    def guard(self) -> None:
        if self.dry_run:
            raise DryRunRejected(f"dry run: no writes to {self.name}")

    def delete_account(self, remote_id: str) -> None:
        """The SIS keeps staff records as the school's administration: the account stays
        inactive and nothing is sent (see the module)."""
        self.guard()


Record = TypeVar("Record", bound=Mapping[str, Any])
Payload = TypeVar("Payload")


class CompleteRecordTarget(SisStaffTarget, Generic[Record, Payload]):
    """Somtoday and Magister: a medewerker per HR employee number (``staff:<number>``, remote
    id ``<number>``), read into ``records`` by ``read``; every write sends the **complete**
    record (``Payload``), built from the spec or from what the SIS has, with the retry policy.

    A subclass gives ``label`` and fills ``records`` in ``read``, and defines ``account``,
    ``from_spec``, ``from_record``, ``with_end`` and ``post``.
    """

    label: str  # "Somtoday medewerker", for messages
    records: dict[str, Record]

    def account(self, number: str, record: Record) -> RemoteAccount:
        raise NotImplementedError

    def from_spec(self, number: str, spec: AccountSpec, record: Record | None) -> Payload:
        """The complete record for ``spec``; ``record`` is what the SIS has (None: new)."""
        raise NotImplementedError

    def from_record(self, number: str, record: Record) -> Payload:
        """The complete record as the SIS has it, to be sent back with one change."""
        raise NotImplementedError

    def with_end(self, payload: Payload, end: date | None) -> Payload:
        """``payload`` with this end of service (None: in service)."""
        raise NotImplementedError

    def post(self, payload: Payload) -> None:
        """One write; raises the typed error of a failure."""
        raise NotImplementedError

    def check_new(self, number: str, spec: AccountSpec) -> None:
        """Before a create: refuse what the SIS would refuse (nothing by default)."""

    # -- the account verbs ---------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        raise NotImplementedError

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        """Read the SIS again (the records may be stale, or not read yet), then look."""
        self.read()
        number = key.removeprefix("staff:")
        record = self.records.get(number)
        return [self.account(number, record)] if record is not None else []

    def create_account(self, spec: AccountSpec) -> str:
        self.guard()
        number = spec.key.removeprefix("staff:")
        if number in self.records:
            raise AlreadyExistsError(f"there is a {self.label} {number}")
        self.check_new(number, spec)
        self.send(self.from_spec(number, spec, None))
        return number

    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        self.guard()
        self.send(self.from_spec(remote_id, spec, self.record(remote_id)))

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        """In service again (no end date), or out of service since yesterday."""
        self.write_end(remote_id, None if enabled else end_of_service(None, self.day))

    def end_service(self, remote_id: str, last_day: date | None) -> None:
        """Out of service on ``last_day``, HR's last working day (see
        :func:`end_of_service`)."""
        self.write_end(remote_id, end_of_service(last_day, self.day))

    def write_end(self, remote_id: str, end: date | None) -> None:
        """The complete record as the SIS has it, with this end of service (None: in
        service)."""
        self.guard()
        payload = self.from_record(remote_id, self.record(remote_id))
        self.send(self.with_end(payload, end))

    def record(self, remote_id: str) -> Record:
        record = self.records.get(remote_id)
        if record is None:
            raise NotFoundError(f"no {self.label} {remote_id}")
        return record

    def send(self, payload: Payload) -> None:
        retrying = retry_policy(MAX_ATTEMPTS, MAX_WAIT, self.sleep)
        retrying(self.post, payload)
