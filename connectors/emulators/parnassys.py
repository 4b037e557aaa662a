"""A loopback emulator of the ParnasSys generic SOAP interface (GeneriekeService).

SOAP 1.1 at ``/gkv/GeneriekeService``: ``POST`` with ``SOAPAction: "getLeerlingen"`` or
``"getMedewerkers"``, the supplier name and key, ``brinnummer`` and ``schooljaar``
(``"2026 / 2027"``) in the body. Answers are normalised as ParnasSys's are: reference lists
(``groepen``, ``schooljaren``, ``inschrijvingtypes``, ``dienstverbanden``) and id references.
A wrong supplier name or key, an unknown BRIN, a bad school year or an unknown operation gets
a ``soap:Client`` fault (HTTP 500); :meth:`ParnasSysEmulator.fail_next` injects faults and
HTTP errors. Element names follow the source's module text; ``dependancecode``,
``personeelsnummer`` and ``medewerker/groepen`` are assumptions (not in public evidence).

Seed with :meth:`add_group`, :meth:`add_pupil`, :meth:`add_staff`, or
:meth:`load_oneroster` to serve a demo board's OneRoster ``sis/`` folder.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from connectors.emulators.loopback import XML_TYPE, Answer, LoopbackEmulator, csv_rows, soap_fault
from connectors.sis.parnassys.source import GET_PUPILS, GET_STAFF, NAMESPACE, SOAP_ENV, school_year

PATH = "/gkv/GeneriekeService"
OPERATIONS = (GET_PUPILS, GET_STAFF)
BAD_KEY = "Ongeldige leveranciernaam of leveranciersleutel"
BUSY = "De server is tijdelijk overbelast, probeer het later opnieuw"
_YEAR = re.compile(r"^(\d{4}) / (\d{4})$")

DateLike = date | str | None
#: (group id, vanafDatum, totDatum) of a pupil's placement in a group.
Placement = tuple[str, DateLike, DateLike]
#: (datumInschrijving, datumUitschrijving) of a pupil's enrolment.
Enrolment = tuple[DateLike, DateLike]


@dataclass
class _Group:
    id: str
    name: str
    dependancecode: str | None


@dataclass
class _Pupil:
    id: str
    fields: dict[str, str | None]  # simple elements in order; None: left out
    placements: list[Placement]
    enrolments: list[Enrolment]


@dataclass
class _Staff:
    id: str
    fields: dict[str, str | None]
    groups: list[str]


@dataclass
class _Year:
    """One BRIN's data in one school year."""

    groups: dict[str, _Group] = field(default_factory=dict)
    pupils: list[_Pupil] = field(default_factory=list)
    staff: dict[str, _Staff] = field(default_factory=dict)


@dataclass
class _Fault:
    operation: str | None
    status: int
    fault_code: str | None
    fault_string: str
    retry_after: int | None
    times: int


@dataclass(frozen=True, slots=True)
class RecordedCall:
    operation: str
    brin: str
    school_year: str
    status: int


class ParnasSysEmulator(LoopbackEmulator):
    """The GeneriekeService on 127.0.0.1; ``school_year`` is where seeding goes by default."""

    def __init__(
        self,
        *,
        supplier: str = "Demo Leverancier & Zn",
        key: str = "emulator-key",
        today: date | None = None,
        port: int = 0,
    ) -> None:
        self.supplier = supplier
        self.key = key
        self.today = today or date.today()
        self.school_year = school_year(self.today)
        #: False: ``getMedewerkers`` without ``groepen``, as the vendor's connector sees it
        self.staff_groups = True
        self._port = port
        self._lock = threading.Lock()
        self._data: dict[tuple[str, str], _Year] = {}
        self._faults: list[_Fault] = []
        self._calls: list[RecordedCall] = []

    def start(self) -> ParnasSysEmulator:
        self.serve(
            self._respond, name="parnassys-emulator", server_version="ParnasSysEmulator/1.0",
            port=self._port,
        )  # fmt: skip
        return self

    @property
    def url(self) -> str:
        """The SOAP endpoint (``url`` of the source's configuration)."""
        return self.root_url + PATH

    # -- seeding ------------------------------------------------------------------------------

    def _year(self, brin: str, year: str | None) -> _Year:
        return self._data.setdefault((brin.upper(), year or self.school_year), _Year())

    def add_group(
        self,
        brin: str,
        group_id: str,
        name: str,
        *,
        dependancecode: str | None = "00",
        year: str | None = None,
    ) -> None:
        """A group (groep) of a BRIN4 at one location (``dependancecode``; None: left out)."""
        with self._lock:
            self._year(brin, year).groups[group_id] = _Group(group_id, name, dependancecode)

    def add_pupil(
        self,
        brin: str,
        pupil_id: str,
        *,
        given: str | None,
        family: str | None,
        prefix: str | None = None,
        birth_date: DateLike = None,
        dependancecode: str | None = "00",
        placements: Iterable[Placement] = (),
        enrolments: Iterable[Enrolment] = (),
        year: str | None = None,
        extra: Mapping[str, str | None] | None = None,
    ) -> None:
        """A pupil (leerling); ``extra`` adds or overrides simple elements (None: leave out).
        Dates may be strings, sent as given: for bad data."""
        fields: dict[str, str | None] = {
            "leerlingNummer": pupil_id,
            "roepNaam": given,
            "voornamen": given,
            "tussenvoegsel": prefix or None,
            "achternaam": family,
            "tussenvoegselOfficieel": prefix or None,
            "achternaamOfficieel": family,
            "geboortedatum": _iso(birth_date),
            "dependancecode": dependancecode,
            **(extra or {}),
        }
        pupil = _Pupil(pupil_id, fields, list(placements), list(enrolments))
        with self._lock:
            self._year(brin, year).pupils.append(pupil)

    def add_staff(
        self,
        brin: str,
        staff_id: str,
        *,
        given: str,
        family: str,
        employee_number: str | None,
        groups: Iterable[str] = (),
        year: str | None = None,
        extra: Mapping[str, str | None] | None = None,
    ) -> None:
        """A staff member (medewerker) teaching ``groups`` (group ids); adding the same id
        again adds groups."""
        with self._lock:
            staff = self._year(brin, year).staff
            if staff_id in staff:
                staff[staff_id].groups.extend(g for g in groups if g not in staff[staff_id].groups)
                return
            fields: dict[str, str | None] = {
                "roepNaam": given,
                "firstName": given,
                "lastName": family,
                "achternaam": family,
                "personeelsnummer": employee_number,
                **(extra or {}),
            }
            staff[staff_id] = _Staff(staff_id, fields, list(groups))

    def load_oneroster(self, folder: Path, *, year: str | None = None) -> None:
        """Serve a OneRoster 1.1 CSV folder: school ``identifier`` = BRIN6 (BRIN4 +
        dependancecode), students with their homeroom placements (one enrolment spanning
        them) and ``demographics`` birth dates, teachers (``identifier`` = personeelsnummer)
        with the homerooms they teach on the emulator's ``today``."""
        rows = {
            stem: csv_rows(folder / f"{stem}.csv")
            for stem in ("orgs", "users", "classes", "enrollments", "demographics")
        }
        schools = {
            r["sourcedId"]: r["identifier"].strip().upper()
            for r in rows["orgs"]
            if r.get("type", "").strip().lower() == "school"
        }
        births = {r["sourcedId"]: r.get("birthDate", "") for r in rows["demographics"]}
        homerooms: dict[str, tuple[str, str]] = {}  # class id -> (title, BRIN6)
        for r in rows["classes"]:
            if r.get("classType", "").strip().lower() == "homeroom":
                homerooms[r["sourcedId"]] = (r["title"], schools[r["schoolSourcedId"]])
        users = {r["sourcedId"]: r for r in rows["users"]}
        placements: dict[str, list[Placement]] = {}
        taught: dict[str, list[str]] = {}
        for r in rows["enrollments"]:
            class_id, user_id, role = r["classSourcedId"], r["userSourcedId"], r["role"]
            if class_id not in homerooms:
                continue
            begin, end = r.get("beginDate") or None, r.get("endDate") or None
            if role == "student":
                placements.setdefault(user_id, []).append((class_id, begin, end))
            elif role == "teacher" and (end is None or date.fromisoformat(end) >= self.today):
                taught.setdefault(user_id, []).append(class_id)
        for class_id, (title, brin6) in homerooms.items():
            self.add_group(brin6[:4], class_id, title, dependancecode=brin6[4:], year=year)
        for user_id, user in users.items():
            role = user["role"].strip().lower()
            org = user["orgSourcedIds"].split(",")[0].strip()
            if role == "student" and org in schools:
                brin6 = schools[org]
                own = placements.get(user_id, [])
                self.add_pupil(
                    brin6[:4],
                    user_id,
                    given=user["givenName"],
                    family=user["familyName"],
                    prefix=user.get("middleName") or None,
                    birth_date=births.get(user_id) or None,
                    dependancecode=brin6[4:],
                    placements=own,
                    enrolments=[_span(own)] if own else [],
                    year=year,
                )
            elif role == "teacher":
                brins = {homerooms[c][1][:4] for c in taught.get(user_id, [])}
                if org in schools:
                    brins.add(schools[org][:4])
                for brin in sorted(brins):
                    groups = [c for c in taught.get(user_id, []) if homerooms[c][1][:4] == brin]
                    self.add_staff(
                        brin,
                        user_id,
                        given=user["givenName"],
                        family=user["familyName"],
                        employee_number=user.get("identifier") or None,
                        groups=groups,
                        year=year,
                    )

    # -- control and inspection ---------------------------------------------------------------

    def fail_next(
        self,
        *,
        operation: str | None = None,
        status: int = 500,
        fault_code: str | None = "soap:Server",
        fault_string: str = BUSY,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` (None: any) with a SOAP fault, or
        with a bare HTTP ``status`` when ``fault_code`` is None."""
        with self._lock:
            self._faults.append(
                _Fault(operation, status, fault_code, fault_string, retry_after, times)
            )

    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    # -- serving ------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, message: Message, body: bytes) -> Answer:
        if urlsplit(target).path != PATH:
            return Answer(404, {"Content-Type": "text/plain"}, b"Not Found")
        if method != "POST":  # ?wsdl and the like: not emulated
            return Answer(405, {"Content-Type": "text/plain"}, b"Method Not Allowed")
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return soap_fault("soap:Client", "Het verzoek is geen geldige XML")
        request = _body_element(root)
        if request is None:
            return soap_fault("soap:Client", "Het verzoek heeft geen SOAP Body")
        operation = _local(request.tag)
        action = (message.get("SOAPAction") or "").strip().strip('"')
        params = {_local(c.tag): (c.text or "").strip() for c in request}
        brin, year = params.get("brinnummer", "").upper(), params.get("schooljaar", "")
        answer = self._answer(operation, action, params, brin, year)
        with self._lock:
            self._calls.append(RecordedCall(operation, brin, year, answer.status))
        return answer

    def _answer(
        self, operation: str, action: str, params: Mapping[str, str], brin: str, year: str
    ) -> Answer:
        if operation not in OPERATIONS:
            return soap_fault("soap:Client", f"Onbekende operatie {operation}")
        if action and action != operation:
            return soap_fault("soap:Client", f"SOAPAction {action} past niet bij {operation}")
        injected = self._injected(operation)
        if injected is not None:
            headers = (
                {} if injected.retry_after is None else {"Retry-After": str(injected.retry_after)}
            )
            if injected.fault_code is None:
                return Answer(injected.status, {"Content-Type": "text/plain", **headers})
            answer = soap_fault(injected.fault_code, injected.fault_string, injected.status)
            answer.headers = {**answer.headers, **headers}
            return answer
        if params.get("leveranciernaam") != self.supplier or (
            params.get("leveranciersleutel") != self.key
        ):
            return soap_fault("soap:Client", BAD_KEY)
        if not _YEAR.match(year) or int(year[-4:]) != int(year[:4]) + 1:
            return soap_fault("soap:Client", f"Ongeldig schooljaar '{year}' (verwacht JJJJ / JJJJ)")
        with self._lock:
            if not any(b == brin for b, _ in self._data):
                return soap_fault("soap:Client", f"Geen toegang tot brinnummer {brin}")
            data = self._data.get((brin, year), _Year())
            if operation == GET_PUPILS:
                result = _pupils_xml(data, year)
            else:
                result = _staff_xml(data, groups=self.staff_groups)
        return _envelope(operation, result)

    def _injected(self, operation: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.operation is None or fault.operation == operation:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


# -- XML --------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _body_element(root: ET.Element) -> ET.Element | None:
    if _local(root.tag) != "Envelope":
        return None
    for child in root:
        if _local(child.tag) == "Body":
            return next(iter(child), None)
    return None


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, name)
    if text is not None:
        element.text = text
    return element


def _simple(parent: ET.Element, fields: Mapping[str, str | None]) -> None:
    for name, value in fields.items():
        if value is not None:
            _sub(parent, name, value)


def _year_id(year: str) -> str:
    return year[:4]


def _pupils_xml(data: _Year, year: str) -> ET.Element:
    result = ET.Element("return")
    _sub(result, "adressen")
    groups = _sub(result, "groepen")
    for group in data.groups.values():
        element = _sub(groups, "groep")
        _simple(
            element,
            {
                "id": group.id,
                "naam": group.name,
                "schooljaar": _year_id(year),
                "dependancecode": group.dependancecode,
            },
        )
    years = _sub(_sub(result, "schooljaren"), "schooljaar")
    _simple(years, {"id": _year_id(year), "naam": year})
    kind = _sub(_sub(result, "inschrijvingtypes"), "inschrijvingtype")
    _simple(kind, {"id": "1", "omschrijving": "Inschrijving", "code": "01"})
    pupils = _sub(result, "leerlingen")
    for pupil in data.pupils:
        element = _sub(pupils, "leerling")
        _simple(element, {"id": pupil.id, **pupil.fields})
        placements = _sub(element, "groepsindelingen")
        for number, (group_id, begin, end) in enumerate(pupil.placements, start=1):
            _simple(
                _sub(placements, "groepsindeling"),
                {
                    "id": f"{pupil.id}-G{number}",
                    "groep": group_id,
                    "schooljaar": _year_id(year),
                    "vanafDatum": _iso(begin),
                    "totDatum": _iso(end),
                },
            )
        enrolments = _sub(element, "inschrijvingen")
        for number, (start, end) in enumerate(pupil.enrolments, start=1):
            _simple(
                _sub(enrolments, "inschrijving"),
                {
                    "id": f"{pupil.id}-I{number}",
                    "inschrijvingType": "1",
                    "datumInschrijving": _iso(start),
                    "datumUitschrijving": _iso(end),
                },
            )
    return result


def _staff_xml(data: _Year, *, groups: bool = True) -> ET.Element:
    result = ET.Element("return")
    _sub(result, "adressen")
    staff = _sub(result, "medewerkers")
    for member in data.staff.values():
        element = _sub(staff, "medewerker")
        _simple(element, {"id": member.id, **member.fields})
        if groups:
            holder = _sub(element, "groepen")
            for group_id in member.groups:
                _sub(holder, "groep", group_id)
        _sub(_sub(element, "dienstverbanden"), "dienstverband", "1")
    job = _sub(_sub(result, "dienstverbanden"), "dienstverband")
    _simple(job, {"id": "1", "afkorting": "LK", "naam": "Leerkracht"})
    return result


def _envelope(operation: str, result: ET.Element) -> Answer:
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    response = ET.SubElement(body, f"{{{NAMESPACE}}}{operation}Response")
    response.append(result)
    return Answer(200, {"Content-Type": XML_TYPE}, ET.tostring(root, encoding="utf-8"))


# -- seeding helpers --------------------------------------------------------------------------


def _iso(value: DateLike) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return value or None


def _span(placements: list[Placement]) -> Enrolment:
    """One enrolment over all placements; an open side in any of them leaves it open."""
    begins = [_iso(b) for _, b, _ in placements]
    ends = [_iso(e) for _, _, e in placements]
    first = min(b for b in begins if b) if all(begins) else None
    last = max(e for e in ends if e) if all(ends) else None
    return first, last
