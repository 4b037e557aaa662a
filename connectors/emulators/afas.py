"""A loopback emulator of the AFAS Profit REST GetConnectors the AFAS source reads.

Used by the tests and ``provisioner demo``::

    with AfasEmulator() as emu:
        emu.add_employee("100234", given="Janine", prefix="van den", birth_name="Boele")
        emu.add_employment("100234", org_unit="OBS-REGENBOOG", function="Leerkracht L10",
                           start=date(2024, 8, 1))
        AfasSource("hr", emu.source_config(), {"OBS-REGENBOOG": "12AB00"},
                   token=emu.token).read()

What it models (edu-sources.md section 1; plain HTTP on 127.0.0.1, no TLS):

- ``GET /profitrestservices/connectors/{id}`` with ``skip``/``take`` (``take=-1``: all
  rows; no ``take``: ``default_take`` rows) and ``orderbyfieldids`` (comma-separated, ``-``
  for descending; ties keep insertion order, so paging under an order is stable). Without an
  order the rows come in a different order on every call (``shuffle_unordered``): AFAS
  asks for an order with skip/take and promises none without one. Answer
  ``{"skip", "take", "rows"}`` with flat rows holding every field of the connector;
- the filter triplet ``filterfieldids``/``filtervalues``/``operatortypes``: ``,`` joins
  conditions (and), ``;`` joins groups (or); operators 1 equal, 2 >=, 3 <=, 4 >, 5 <,
  6 contains (``%`` wildcards), 7 not equal, 8 empty, 9 not empty. Text compares without
  case, as Profit's SQL Server does;
- ``Authorization: AfasToken <base64 of the token XML>``: anything else answers 401;
- ``GET /profitrestservices/metainfo`` (the connectors list) and ``/metainfo/get/{id}``
  (``name``, ``description``, ``fields`` with ``id``, ``fieldId``, ``dataType``, ``label``,
  ``length``, ``controlType``, ``decimals``, ``decimalsFieldId``);
- errors as AFAS writes them: ``{"errorNumber", "externalMessage", "profitLogReference"}``;
  an unknown connector answers 404, an unknown field or a bad parameter 400;
- the T4E_HelloID_Users_v2, _Employments_v2 and _OrganizationalUnits_v2 connectors with the
  Tools4ever field aliases; ``Naamgebruik_code`` "0".."3"; optional server-side windows on
  employment dates (``window_months``, the T4E default filter is 3);
- latency, and faults at a rate or scripted with :meth:`AfasEmulator.inject`: ``500``,
  ``503`` and ``429`` (with ``Retry-After`` when ``retry_after`` is set), ``timeout`` (the
  request is held ``hang_seconds``, then the connection closes unanswered) and ``drop``
  (closed at once); ``ignore_skip`` models a broken server or proxy that always serves the
  first page. Every request is recorded in :attr:`AfasEmulator.requests` (never the token).

Verified in AFAS's own API documentation (AFASSoftware/OASContent, GetConnector and
Troubleshooting pages): the ``{"skip", "take", "rows"}`` envelope, the default take of 100,
date-times written ``2012-11-22T09:49:49Z`` with a ``Z`` to be ignored (Amsterdam time),
5xx bodies ``{"externalMessage", "errorNumber", "profitLogReference"}``, HTTP 500 "An
unexpected error has occurred." for an invalid skip/take and "Command timeout expired." after
15 minutes (the injected ``500`` fault), 503 during maintenance, 401 for a bad token and 403
for a refused address. Not verified and chosen here: the status of an unknown connector or
field (400 here) and the Dutch error texts. UpdateConnectors (``KnEmployee``, ``KnUser``) are
not modelled: PUT and POST answer 405.
"""

from __future__ import annotations

import base64
import binascii
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from connectors.emulators.loopback import Answer, LoopbackEmulator, LoopbackServer, json_answer
from connectors.hr.afas.config import AfasSourceConfig

USERS = "T4E_HelloID_Users_v2"
EMPLOYMENTS = "T4E_HelloID_Employments_v2"
ORG_UNITS = "T4E_HelloID_OrganizationalUnits_v2"
PREFIX = "/profitrestservices"
DEMO_TOKEN = (
    "<token><version>1</version>"
    "<data>D3M0AFA5EMULAT0R0000000000000000000000000000000000000000000000DE</data></token>"
)
FAULT_KINDS = ("500", "503", "429", "timeout", "drop")
PENDING = -1  # status of a recorded request whose answer is not written yet
_ERROR_NUMBER = -2147209215

# (alias, dataType, length) of each connector's fields; the label is the alias with spaces.
_FIELDS: dict[str, tuple[tuple[str, str, int], ...]] = {
    USERS: tuple(
        (alias, kind, 0 if kind == "boolean" else length)
        for alias, kind, length in (
            ("Medewerker", "string", 15),
            ("Persoonsnummer", "string", 15),
            ("DisplayName", "string", 255),
            ("Voornaam", "string", 50),
            ("Voorletters", "string", 15),
            ("Roepnaam", "string", 50),
            ("Voorvoegsel", "string", 15),
            ("Geboortenaam", "string", 80),
            ("Voorvoegsel_partner", "string", 15),
            ("Geboortenaam_partner", "string", 80),
            ("Naamgebruik_code", "string", 1),
            ("Email_werk", "string", 255),
            ("Email_werk_gebruiker", "string", 255),
            ("Telefoonnr_werk", "string", 30),
            ("Mobielnr_werk", "string", 30),
            ("Gebruiker", "string", 50),
            ("UPN", "string", 255),
            ("Geblokkeerd", "boolean", 0),
            ("Profit_Windows", "boolean", 0),
            ("Connector", "boolean", 0),
            ("Reservekopieen_via_commandline", "boolean", 0),
            ("Commandline", "boolean", 0),
            ("InSite", "boolean", 0),
            ("OutSite", "boolean", 0),
        )
    ),
    EMPLOYMENTS: (
        ("ExternalID", "string", 50),
        ("Medewerker", "string", 15),
        ("Persoonsnummer", "string", 15),
        ("Naam", "string", 255),
        ("Organisatorische_eenheid_code", "string", 15),
        ("Organisatorische_eenheid_omschrijving", "string", 255),
        ("Functie_code", "string", 15),
        ("Functie_omschrijving", "string", 255),
        ("Kostenplaats_code", "string", 15),
        ("Kostenplaats_omschrijving", "string", 255),
        ("Werkgever_code", "string", 15),
        ("Werkgever_omschrijving", "string", 255),
        ("Soort_medewerker", "string", 50),
        ("Soort_medewerker_code", "string", 1),
        ("Volgnummer_contract", "int", 0),
        ("Dienstverband", "string", 50),
        ("Type_contract", "string", 50),
        ("Begindatum_contract", "date", 0),
        ("Einddatum_contract", "date", 0),
        ("Begindatum_functie", "date", 0),
        ("Einddatum_functie", "date", 0),
        ("Uren_per_week", "decimal", 0),
        ("Parttime_percentage", "decimal", 0),
        ("FTE", "decimal", 0),
        ("Medewerkernummer_leidinggevende", "string", 15),
        ("Persoonsnummer_leidinggevende", "string", 15),
        ("Medewerkernummer_VervangendLeidinggevende", "string", 15),
        ("Persoonsnummer_VervangendLeidinggevende", "string", 15),
    ),
    ORG_UNITS: (
        ("ExternalId", "string", 15),
        ("DisplayName", "string", 255),
        ("ParentExternalId", "string", 15),
        ("ManagerExternalId", "string", 15),
    ),
}
_DESCRIPTIONS = {
    USERS: "Tools4ever HelloID: medewerkers en gebruikers",
    EMPLOYMENTS: "Tools4ever HelloID: dienstverbanden en functies",
    ORG_UNITS: "Tools4ever HelloID: organisatorische eenheden",
}
_NAME_USE_CODES = {"0": "0", "1": "1", "2": "2", "3": "3", "B": "0", "PB": "1", "P": "2", "BP": "3"}


@dataclass
class AfasEmulatorSettings:
    """How the emulated Profit environment behaves. Times are seconds unless named otherwise."""

    token: str = DEMO_TOKEN  # the only token XML accepted
    users_connector: str = USERS
    employments_connector: str = EMPLOYMENTS
    org_units_connector: str = ORG_UNITS
    date_format: str = "%Y-%m-%dT%H:%M:%SZ"  # how date fields are written (strftime)
    default_take: int = 100  # rows without a take parameter (AFAS's documented default)
    shuffle_unordered: bool = True  # without orderbyfieldids the order changes per call
    window_months: int | None = None  # T4E default filter on employment dates: 3
    today: date | None = None  # for the window; None = the real today
    latency_ms: float = 0.0
    fault_rate: float = 0.0  # share of requests given a fault from ``faults``
    faults: tuple[str, ...] = ("500", "503", "timeout")
    retry_after: float | None = None  # Retry-After (seconds) on 429 and 503 faults
    hang_seconds: float = 2.0  # how long a "timeout" fault holds the request
    ignore_skip: bool = False  # a broken server: every page is the first page
    seed: int = 7

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator saw it, in order of arrival; ``status`` is 0 when it was
    never answered (timeout, drop) and -1 while the answer is still being made."""

    at: float
    method: str
    path: str  # decoded, without the query
    query: dict[str, str]
    status: int
    fault: str | None
    rows: int | None  # rows answered by a GetConnector call


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _AfasError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def afas_error(message: str) -> dict[str, Any]:
    """An error body as Profit writes it."""
    return {
        "errorNumber": _ERROR_NUMBER,
        "externalMessage": message,
        "profitLogReference": uuid.uuid4().hex.upper(),
    }


class AfasEmulator(LoopbackEmulator):
    """AFAS Profit REST GetConnectors on ``http://127.0.0.1:<port>/profitrestservices``.

    Seed it with :meth:`add_employee`, :meth:`add_employment`, :meth:`add_org_unit`,
    :meth:`load_staff` (nested, StaffMember-like dicts) or :meth:`load_hr_rows` (the HR CSV
    columns); point the source at :attr:`url` with :attr:`token`.
    """

    def __init__(self, settings: AfasEmulatorSettings | None = None) -> None:
        self.settings = settings or AfasEmulatorSettings()
        self.requests: list[RecordedRequest] = []
        s = self.settings
        self._tables: dict[str, list[dict[str, Any]]] = {
            s.users_connector: [],
            s.employments_connector: [],
            s.org_units_connector: [],
        }
        self._fields: dict[str, tuple[tuple[str, str, int], ...]] = {
            s.users_connector: _FIELDS[USERS],
            s.employments_connector: _FIELDS[EMPLOYMENTS],
            s.org_units_connector: _FIELDS[ORG_UNITS],
        }
        self._descriptions = {
            s.users_connector: _DESCRIPTIONS[USERS],
            s.employments_connector: _DESCRIPTIONS[EMPLOYMENTS],
            s.org_units_connector: _DESCRIPTIONS[ORG_UNITS],
        }
        self._scripted: list[str] = []
        self._lock = threading.RLock()
        self._rng = random.Random(s.seed)

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> AfasEmulator:
        if self._server is None:
            self._server = LoopbackServer(
                self._respond,
                name="afas-emulator",
                server_version="AfasEmulator",
                methods=("GET", "PUT", "POST", "DELETE"),
            ).start()
        return self

    @property
    def url(self) -> str:
        """The base URL, as ``base_url`` of the source configuration."""
        return self.root_url + PREFIX

    @property
    def token(self) -> str:
        return self.settings.token

    def source_config(self, **overrides: Any) -> AfasSourceConfig:
        """A source configuration pointing at this emulator (token through ``token_env``)."""
        values: dict[str, Any] = {
            "type": "afas",
            "base_url": self.url,
            "users_connector": self.settings.users_connector,
            "employments_connector": self.settings.employments_connector,
            **overrides,
        }
        return AfasSourceConfig(**values)

    # -- seeding and inspection (not over HTTP) ----------------------------------------------

    def add_org_unit(
        self, code: str, name: str, *, parent: str | None = None, manager: str | None = None
    ) -> None:
        """An organisatorische eenheid; employments there get its name as omschrijving."""
        with self._lock:
            self._tables[self.settings.org_units_connector].append(
                {
                    "ExternalId": code,
                    "DisplayName": name,
                    "ParentExternalId": parent,
                    "ManagerExternalId": manager,
                }
            )

    def add_employee(
        self,
        number: str,
        *,
        given: str = "",
        first_names: str = "",
        initials: str = "",
        prefix: str = "",
        birth_name: str = "",
        partner_prefix: str = "",
        partner_name: str = "",
        name_use: int | str = 0,
        email: str | None = None,
        person_number: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A medewerker in the users connector. ``name_use`` is the Naamgebruik_code
        (0 B, 1 PB, 2 P, 3 BP, or those letters); ``fields`` set or override raw AFAS fields
        (``Roepnaam=None``, ``Naamgebruik_code="7"``). Returns the stored row."""
        code = _NAME_USE_CODES.get(str(name_use).upper(), str(name_use))
        first = first_names or given
        row: dict[str, Any] = {
            "Medewerker": number,
            "Persoonsnummer": person_number or f"PER{number}",
            "DisplayName": _display(given, prefix, birth_name, partner_prefix, partner_name, code),
            "Voornaam": first or None,
            "Voorletters": initials or _initials(first),
            "Roepnaam": given or None,
            "Voorvoegsel": prefix or None,
            "Geboortenaam": birth_name or None,
            "Voorvoegsel_partner": partner_prefix or None,
            "Geboortenaam_partner": partner_name or None,
            "Naamgebruik_code": code,
            "Email_werk": email,
            "Email_werk_gebruiker": email,
            "Telefoonnr_werk": None,
            "Mobielnr_werk": None,
            "Gebruiker": f"12345.{number}",
            "UPN": email,
            "Geblokkeerd": False,
            "Profit_Windows": False,
            "Connector": False,
            "Reservekopieen_via_commandline": False,
            "Commandline": False,
            "InSite": True,
            "OutSite": False,
        }
        row.update(fields)
        with self._lock:
            self._tables[self.settings.users_connector].append(row)
        return dict(row)

    def add_employment(
        self,
        number: str,
        *,
        org_unit: str | None,
        function: str | None,
        start: date | str | None,
        end: date | str | None = None,
        function_code: str | None = None,
        external_id: str | None = None,
        contract: int = 1,
        hours: float = 40.0,
        **fields: Any,
    ) -> dict[str, Any]:
        """A function line (aanstelling) of medewerker ``number``. Dates are written in
        ``date_format``; a string is served exactly as given (to serve bad data)."""
        with self._lock:
            jobs = self._tables[self.settings.employments_connector]
            if external_id is None:
                line = 1 + sum(1 for job in jobs if job.get("Medewerker") == number)
                external_id = f"{number}-{contract}-{line}"
            units = {u["ExternalId"]: u for u in self._tables[self.settings.org_units_connector]}
            person = self._user(number)
            row: dict[str, Any] = {
                "ExternalID": external_id,
                "Medewerker": number,
                "Persoonsnummer": person.get("Persoonsnummer") if person else None,
                "Naam": _sort_name(person) if person else None,
                "Organisatorische_eenheid_code": org_unit,
                "Organisatorische_eenheid_omschrijving": (
                    units[org_unit]["DisplayName"] if org_unit in units else org_unit
                ),
                "Functie_code": function_code
                or (function.split()[0][:6].upper() if function else None),
                "Functie_omschrijving": function,
                "Kostenplaats_code": None,
                "Kostenplaats_omschrijving": None,
                "Werkgever_code": "01",
                "Werkgever_omschrijving": "Stichting Voorbeeld",
                "Soort_medewerker": "Werknemer",
                "Soort_medewerker_code": "I",
                "Volgnummer_contract": contract,
                "Dienstverband": "Vast",
                "Type_contract": "Onbepaalde tijd",
                "Begindatum_contract": start,
                "Einddatum_contract": end,
                "Begindatum_functie": start,
                "Einddatum_functie": end,
                "Uren_per_week": hours,
                "Parttime_percentage": round(100 * hours / 40.0, 2),
                "FTE": round(hours / 40.0, 4),
                "Medewerkernummer_leidinggevende": None,
                "Persoonsnummer_leidinggevende": None,
                "Medewerkernummer_VervangendLeidinggevende": None,
                "Persoonsnummer_VervangendLeidinggevende": None,
            }
            row.update(fields)
            jobs.append(row)
            return dict(row)

    def load_staff(self, people: Iterable[Mapping[str, Any]]) -> int:
        """Seed StaffMember-like dicts; returns how many people were added.

        Each person: ``employee_number``, ``given`` (or ``given_name``), ``prefix``,
        ``family`` (or ``family_name``), optional ``name_use``, ``partner_prefix``,
        ``partner_name``, ``email``, and ``employments``: dicts with ``org_unit``,
        ``function_title`` (or ``title``), ``start`` and ``end`` (dates or ISO strings).
        """
        count = 0
        for person in people:
            number = str(person["employee_number"])
            self.add_employee(
                number,
                given=str(person.get("given", person.get("given_name", ""))),
                prefix=str(person.get("prefix") or ""),
                birth_name=str(person.get("family", person.get("family_name", ""))),
                partner_prefix=str(person.get("partner_prefix") or ""),
                partner_name=str(person.get("partner_name") or ""),
                name_use=person.get("name_use", 0),
                email=person.get("email"),
            )
            for job in person.get("employments", ()):
                self.add_employment(
                    number,
                    org_unit=str(job["org_unit"]),
                    function=str(job.get("function_title", job.get("title", ""))),
                    start=_as_date(job.get("start")),
                    end=_as_date(job.get("end")),
                )
            count += 1
        return count

    def load_hr_rows(self, rows: Iterable[Mapping[str, str]]) -> int:
        """Seed rows with the HR CSV columns (docs/formats.md: one row per employment,
        e.g. from ``csv.DictReader``); returns how many people were added."""
        people: dict[str, dict[str, Any]] = {}
        for row in rows:
            number = row["employee_number"].strip()
            person = people.setdefault(
                number,
                {
                    "employee_number": number,
                    "given": row.get("given_name", "").strip(),
                    "prefix": row.get("prefix", "").strip(),
                    "family": row.get("family_name", "").strip(),
                    "employments": [],
                },
            )
            person["employments"].append(
                {
                    "org_unit": row.get("org_unit", "").strip(),
                    "function_title": row.get("function_title", "").strip(),
                    "start": row.get("start_date", "").strip() or None,
                    "end": row.get("end_date", "").strip() or None,
                }
            )
        return self.load_staff(people.values())

    def remove_employee(self, number: str) -> None:
        """Take a medewerker and every employment of theirs out (as a leaver long gone)."""
        with self._lock:
            for connector in (self.settings.users_connector, self.settings.employments_connector):
                table = self._tables[connector]
                table[:] = [row for row in table if row.get("Medewerker") != number]

    def rows(self, connector: str) -> list[dict[str, Any]]:
        """A copy of the stored rows of a connector (dates not yet serialised)."""
        with self._lock:
            return [dict(row) for row in self._tables[connector]]

    def inject(self, *faults: str) -> None:
        """The next requests get these faults, one each, before any random fault."""
        unknown = set(faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        with self._lock:
            self._scripted.extend(faults)

    def connector_requests(self, connector: str) -> list[RecordedRequest]:
        """The recorded GetConnector calls of one connector."""
        path = f"{PREFIX}/connectors/{connector}".lower()
        return [r for r in self.requests if r.path.lower() == path]

    def _user(self, number: str) -> dict[str, Any] | None:
        users = self._tables[self.settings.users_connector]
        return next((row for row in users if row.get("Medewerker") == number), None)

    # -- request handling --------------------------------------------------------------------

    def _respond(self, method: str, target: str, message: Message, body: bytes) -> Answer | None:
        reply = self._handle(method, target, message.get("Authorization"))
        if reply is None:  # an injected timeout or dropped connection: no answer at all
            return None
        return json_answer(reply.status, reply.body, reply.headers)

    def _handle(self, method: str, target: str, authorization: str | None) -> _Reply | None:
        at = time.monotonic()
        s = self.settings
        if s.latency_ms > 0:
            time.sleep(s.latency_ms / 1000)
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            fault = self._scripted.pop(0) if self._scripted else None
            if fault is None and s.fault_rate > 0 and self._rng.random() < s.fault_rate:
                fault = self._rng.choice(s.faults)
            slot = len(self.requests)  # in order of arrival, answered or not
            self.requests.append(RecordedRequest(at, method, path, query, PENDING, fault, None))
        rows: int | None = None
        if fault is not None:
            reply = self._fault(fault)
        else:
            try:
                reply = self._route(method, path, query, authorization)
            except _AfasError as exc:
                reply = _Reply(exc.status, afas_error(exc.message))
            if isinstance(reply.body, dict) and isinstance(reply.body.get("rows"), list):
                rows = len(reply.body["rows"])
        with self._lock:
            status = 0 if reply is None else reply.status
            self.requests[slot] = RecordedRequest(at, method, path, query, status, fault, rows)
        return reply

    def _fault(self, fault: str) -> _Reply | None:
        s = self.settings
        wait = {} if s.retry_after is None else {"Retry-After": _seconds(s.retry_after)}
        if fault == "timeout":
            time.sleep(s.hang_seconds)
            return None
        if fault == "drop":
            return None
        if fault == "429":
            return _Reply(429, afas_error("Te veel verzoeken; probeer het later opnieuw."), wait)
        if fault == "503":
            message = "De AFAS Online-omgeving is tijdelijk niet beschikbaar (onderhoud)."
            return _Reply(503, afas_error(message), wait)
        return _Reply(500, afas_error("Command timeout expired."))  # AFAS's 15-minute limit

    def _route(
        self, method: str, path: str, query: dict[str, str], authorization: str | None
    ) -> _Reply:
        if not path.lower().startswith(PREFIX + "/"):
            raise _AfasError(404, f"Onbekend endpoint '{path}'.")
        segments = [seg for seg in path[len(PREFIX) + 1 :].split("/") if seg]
        if not self._authorized(authorization):
            raise _AfasError(401, "Authorization has been denied for this request.")
        if method != "GET":
            return _Reply(405, afas_error(f"{method} wordt door de emulator niet ondersteund."))
        head = [seg.lower() for seg in segments[:2]]
        if head == ["metainfo"] and len(segments) == 1:
            return _Reply(200, self._catalogue())
        if head == ["metainfo", "get"] and len(segments) == 3:
            return _Reply(200, self._metainfo(self._connector(segments[2])))
        if head[:1] == ["connectors"] and len(segments) == 2:
            return _Reply(200, self._get(self._connector(segments[1]), query))
        raise _AfasError(404, f"Onbekend endpoint '{path}'.")

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("AfasToken "):
            return False
        try:
            token = base64.b64decode(header[len("AfasToken ") :].strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return token.decode("utf-8", "replace").strip() == self.settings.token.strip()

    def _connector(self, name: str) -> str:
        for connector in self._tables:
            if connector.lower() == name.lower():
                return connector
        raise _AfasError(
            404,
            f"General message: De GetConnector '{name}' bestaat niet of is niet toegevoegd "
            "aan de App Connector.",
        )

    def _catalogue(self) -> dict[str, Any]:
        return {
            "updateConnectors": [],
            "getConnectors": [
                {"id": name, "description": self._descriptions[name]} for name in self._tables
            ],
        }

    def _metainfo(self, connector: str) -> dict[str, Any]:
        return {
            "name": connector,
            "description": self._descriptions[connector],
            "fields": [
                {
                    "id": alias,
                    "fieldId": alias,
                    "dataType": kind,
                    "label": alias.replace("_", " "),
                    "length": length,
                    "controlType": 1,
                    "decimals": 2 if kind == "decimal" else 0,
                    "decimalsFieldId": "",
                }
                for alias, kind, length in self._fields[connector]
            ],
        }

    def _get(self, connector: str, query: dict[str, str]) -> dict[str, Any]:
        s = self.settings
        known = {alias: kind for alias, kind, _ in self._fields[connector]}
        skip = _integer(query, "skip", 0)
        take = _integer(query, "take", s.default_take)
        if skip < 0 and skip != -1:
            raise _AfasError(500, "An unexpected error has occurred.")  # as documented
        if take < -1:
            raise _AfasError(500, "An unexpected error has occurred.")
        condition = _filters(query, known)
        order = [f for f in query.get("orderbyfieldids", "").split(",") if f.strip()]
        for name in order:
            if name.strip().lstrip("-") not in known:
                raise _AfasError(400, f"Het veld '{name.strip().lstrip('-')}' is onbekend.")
        with self._lock:
            rows = [dict(row) for row in self._tables[connector]]
        if connector == s.employments_connector:
            rows = [row for row in rows if self._in_window(row)]
        rows = [row for row in rows if condition(row)]
        if order:
            for name in reversed(order):
                name = name.strip()
                field_name = name.lstrip("-")
                descending = name.startswith("-")
                rows.sort(key=lambda row: _sort_key(row.get(field_name)), reverse=descending)
        elif s.shuffle_unordered:
            with self._lock:
                self._rng.shuffle(rows)
        if s.ignore_skip:
            skip = 0
        start = max(skip, 0)
        page = rows[start:] if take == -1 else rows[start : start + take]
        full = [{alias: self._value(row.get(alias)) for alias in known} for row in page]
        return {"skip": skip, "take": take, "rows": full}

    def _in_window(self, row: Mapping[str, Any]) -> bool:
        months = self.settings.window_months
        if months is None:
            return True
        today = self.settings.today or date.today()
        latest_start, earliest_end = _add_months(today, months), _add_months(today, -months)
        for begin, end in (
            ("Begindatum_contract", "Einddatum_contract"),
            ("Begindatum_functie", "Einddatum_functie"),
        ):
            first, last = row.get(begin), row.get(end)
            if isinstance(first, date) and first >= latest_start:
                return False
            if isinstance(last, date) and last <= earliest_end:
                return False
        return True

    def _value(self, value: Any) -> Any:
        if isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
            return moment.strftime(self.settings.date_format)
        return value


# -- helpers ---------------------------------------------------------------------------------


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise _AfasError(400, f"De waarde van {name} ('{raw}') is geen geheel getal.") from None


_Condition = tuple[str, str, str]  # field, operator, value


def _filters(
    query: Mapping[str, str], known: Mapping[str, str]
) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate on rows from the filter triplet (',' = and, ';' = or)."""
    fields = query.get("filterfieldids", "")
    if not fields:
        return lambda row: True
    values = query.get("filtervalues", "")
    operators = query.get("operatortypes", "")
    groups: list[list[_Condition]] = []
    field_groups, value_groups, op_groups = (
        fields.split(";"),
        values.split(";"),
        operators.split(";"),
    )
    if not len(field_groups) == len(value_groups) == len(op_groups):
        raise _AfasError(
            400, "filterfieldids, filtervalues en operatortypes passen niet bij elkaar."
        )
    for names, vals, ops in zip(field_groups, value_groups, op_groups, strict=True):
        name_list, value_list, op_list = names.split(","), vals.split(","), ops.split(",")
        if not len(name_list) == len(value_list) == len(op_list):
            raise _AfasError(
                400, "filterfieldids, filtervalues en operatortypes passen niet bij elkaar."
            )
        group: list[_Condition] = []
        for name, value, op in zip(name_list, value_list, op_list, strict=True):
            name, op = name.strip(), op.strip()
            if name not in known:
                raise _AfasError(400, f"Het filterveld '{name}' is onbekend.")
            if op not in {str(n) for n in range(1, 10)}:
                raise _AfasError(400, f"Operatortype '{op}' wordt niet ondersteund.")
            group.append((name, op, value))
        groups.append(group)

    def matches(row: Mapping[str, Any]) -> bool:
        return any(all(_test(row.get(f), op, v) for f, op, v in group) for group in groups)

    return matches


def _test(actual: Any, op: str, wanted: str) -> bool:
    """One filter condition; text without case, dates and numbers by value."""
    empty = actual is None or actual == ""
    if op == "8":
        return empty
    if op == "9":
        return not empty
    if op in ("6", "7") and "%" in wanted:
        needle = wanted.strip("%").lower()
        found = not empty and needle in str(actual).lower()
        return found if op == "6" else not found
    if empty:
        return op == "7"
    left, right = _comparable(actual, wanted)
    if op == "1":
        return bool(left == right)
    if op == "7":
        return bool(left != right)
    if op == "6":
        return str(right) in str(left)
    try:
        return bool(
            {"2": left >= right, "3": left <= right, "4": left > right, "5": left < right}[op]
        )
    except TypeError:
        return False


def _comparable(actual: Any, wanted: str) -> tuple[Any, Any]:
    if isinstance(actual, bool):
        return actual, wanted.strip().lower() in ("1", "true", "waar", "ja")
    if isinstance(actual, date):
        try:
            return actual, date.fromisoformat(wanted.strip()[:10])
        except ValueError:
            return str(actual), wanted
    if isinstance(actual, int | float):
        try:
            return float(actual), float(wanted.replace(",", "."))
        except ValueError:
            return str(actual), wanted
    return str(actual).lower(), wanted.lower()


def _sort_key(value: Any) -> tuple[int, Any]:
    """Nulls first (as SQL Server sorts ascending), then by value."""
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.lower())
    return (1, value)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    return day + timedelta(days=30 * months)  # not reached


def _as_date(value: Any) -> date | str | None:
    if value is None or value == "" or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return str(value)  # served as given: bad data stays bad


def _initials(first_names: str) -> str:
    return "".join(f"{part[0]}." for part in first_names.split() if part)


def _display(
    given: str, prefix: str, birth: str, partner_prefix: str, partner: str, code: str
) -> str:
    own = " ".join(p for p in (prefix, birth) if p)
    theirs = " ".join(p for p in (partner_prefix, partner) if p)
    family = {"0": own, "1": f"{theirs} - {own}", "2": theirs, "3": f"{own} - {theirs}"}.get(
        code, own
    )
    return " ".join(p for p in (given, family.strip(" -")) if p)


def _sort_name(person: Mapping[str, Any]) -> str:
    """AFAS's "Boele, J.H. van den"."""
    family = person.get("Geboortenaam") or ""
    rest = " ".join(p for p in (person.get("Voorletters"), person.get("Voorvoegsel")) if p)
    return f"{family}, {rest}" if rest else str(family)
