"""A loopback emulator of Magister's Medius web service, for tests and the demo.

What it models (research edu-sources.md section 6; names marked *assumed* are not public):

- ``GET /doc?Library=Algemeen&Function=Login&UserName=&Password=&Type=XML``:
  ``Response/Result`` ``True`` and ``Response/SessionToken``; a wrong login answers
  ``Response/Exception`` + ``ExceptionMsg`` with HTTP 200, as Magister does. A request may
  also pass the literal ``SessionToken=<user>;<password>``;
- ``GET /doc?Library=ADFuncties&Function=GetActiveStudents|GetActiveEmpoyees|
  GetPersoneelKlasVakken`` (*assumed* element names for the last): ``Response/Data/...``
  XML; only active people (no ``dVertrek_str`` before today). No paging: whole lists;
- ``POST /soap/algemeen?service=Algemeen`` (``SOAPAction: urn:MediusServer_Soap-Algemeen#Login``)
  and ``POST /soap/personeel?service=Personeel``
  (``SOAPAction: urn:MediusServer_Soap-Personeel#UpdateMedewerker``), rpc/encoded: creates
  or updates the medewerker ``PersoneelsNummer``; **every field not sent is blanked**, as the
  vendor's README warns; active or not follows ``DatumUitDienst``. It answers HTTP 200 with
  no body, and a SOAP fault for a bad session or a ``PersoneelsNummer`` that is no number;
- ``blocked = True``: every request answers 403, as from an address not on the allow-list;
  :meth:`MagisterEmulator.fail_next` injects errors.
"""

from __future__ import annotations

import json
import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.emulators.loopback import (
    SOAP_ENV,
    XML_TYPE,
    Answer,
    LoopbackEmulator,
    csv_rows,
    soap_fault,
)
from connectors.sis.magister.source import MEDEWERKER_FIELDS

PERSONEEL_NS = "urn:MediusServer_Soap-Personeel"
ALGEMEEN_NS = "urn:MediusServer_Soap-Algemeen"
BAD_LOGIN = "Ongeldige gebruikersnaam of wachtwoord"


@dataclass
class _Staff:
    """A medewerker: the UpdateMedewerker fields, plus what only Magister itself sets."""

    fields: dict[str, str]
    unit: str  # Administratieve eenheid (Omschrijving)
    login: str = ""


@dataclass
class _Fault:
    status: int
    exception: str | None
    retry_after: int | None
    times: int


@dataclass
class _State:
    pupils: dict[str, dict[str, str]] = field(default_factory=dict)
    staff: dict[str, _Staff] = field(default_factory=dict)
    teaching: list[tuple[str, str, str]] = field(default_factory=list)  # stamnr, Klas, Vak


class MagisterEmulator(LoopbackEmulator):
    """Magister for one school on 127.0.0.1; ``today`` decides who is active."""

    def __init__(
        self,
        *,
        username: str = "provisioner",
        password: str = "demo-password",
        today: date | None = None,
        port: int = 0,
    ) -> None:
        self.username = username
        self.password = password
        self.today = today or date.today()
        self.blocked = False
        self._port = port
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._state = _State()
        self._faults: list[_Fault] = []
        self.calls: list[str] = []  # function of every request, in order
        self.updates: list[dict[str, str]] = []  # every UpdateMedewerker as received
        self._journal: Path | None = None

    def start(self) -> MagisterEmulator:
        self.serve(
            self._respond, name="magister-emulator", server_version="MediusServer/1.0",
            port=self._port,
        )  # fmt: skip
        return self

    # -- seeding ------------------------------------------------------------------------------

    def add_student(
        self,
        stamnr: str,
        *,
        roepnaam: str | None,
        achternaam: str | None,
        unit: str,
        klas: str | None,
        tussenv: str | None = None,
        geb_datum: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """An active pupil; ``geb_datum`` as Magister writes it (``DD-MM-YYYY``)."""
        record = {
            "stamnr_str": stamnr,
            "Roepnaam": roepnaam or "",
            "Tussenv": tussenv or "",
            "Achternaam": achternaam or "",
            "geb_datum_str": geb_datum or "",
            "Klas": klas or "",
            "Administratieve_eenheid.Omschrijving": unit,
            **(extra or {}),
        }
        with self._lock:
            self._state.pupils[stamnr] = record

    def remove_student(self, stamnr: str) -> None:
        """The pupil is no longer active (uitgeschreven)."""
        with self._lock:
            self._state.pupils.pop(stamnr, None)

    def add_employee(
        self,
        stamnr: str,
        *,
        roepnaam: str,
        achternaam: str,
        unit: str,
        tussenvoegsel: str = "",
        functie: str = "",
        email: str = "",
        login: str = "",
        datum_in: date | None = None,
        datum_uit: date | None = None,
    ) -> None:
        """A medewerker as if entered in Magister by hand."""
        fields = dict.fromkeys(MEDEWERKER_FIELDS, "")
        fields.update(
            PersoneelsNummer=stamnr,
            Roepnaam=roepnaam,
            Tussenvoegsel=tussenvoegsel,
            Achternaam=achternaam,
            Functie=functie,
            Email_Werk=email,
            DatumInDienst=datum_in.isoformat() if datum_in else "",
            DatumUitDienst=datum_uit.isoformat() if datum_uit else "",
        )
        with self._lock:
            self._state.staff[stamnr] = _Staff(fields, unit, login)

    def set_unit(self, stamnr: str, unit: str) -> None:
        """Where a medewerker works (set in Magister itself; UpdateMedewerker has no field)."""
        with self._lock:
            self._state.staff[stamnr].unit = unit

    def add_teaching(self, stamnr: str, klas: str, vak: str = "") -> None:
        with self._lock:
            self._state.teaching.append((stamnr, klas, vak))

    def keep_writes(self, path: Path) -> None:
        """Apply the UpdateMedewerker writes kept in ``path`` (JSON lines) and keep new ones
        there, so a demo's Magister survives the process (seed first, then call this)."""
        if path.exists():
            with self._lock:
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        self._store(json.loads(line))
        self._journal = path

    def medewerker(self, stamnr: str) -> dict[str, str]:
        """The UpdateMedewerker fields of one medewerker as Magister holds them now."""
        with self._lock:
            return dict(self._state.staff[stamnr].fields)

    def fail_next(
        self,
        status: int = 200,
        *,
        exception: str | None = "Server bezet, probeer het later opnieuw",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests answer ``status`` with an ``Exception`` (None: bare)."""
        with self._lock:
            self._faults.append(_Fault(status, exception, retry_after, times))

    def load_oneroster(self, folder: Path, units: Mapping[str, str]) -> None:
        """Serve a OneRoster 1.1 folder: students active on ``today`` (a homeroom enrolment
        not ended) with their homeroom as ``Klas``, teachers (``identifier`` = personeelsnummer)
        with the homerooms they teach; ``units`` maps each school's BRIN6 to the name of its
        administratieve eenheid."""
        rows = {
            stem: csv_rows(folder / f"{stem}.csv")
            for stem in ("orgs", "users", "classes", "enrollments", "demographics")
        }
        schools = {
            r["sourcedId"]: r.get("identifier", "").upper()
            for r in rows["orgs"]
            if r.get("type", "").casefold() == "school"
        }
        births = {r["sourcedId"]: r.get("birthDate", "") for r in rows["demographics"]}
        homerooms = {
            r["sourcedId"]: (r.get("title", ""), schools.get(r.get("schoolSourcedId", ""), ""))
            for r in rows["classes"]
            if r.get("classType", "").casefold() == "homeroom"
        }
        klas_of: dict[str, str] = {}
        taught: dict[str, list[str]] = {}
        for r in rows["enrollments"]:
            klass = homerooms.get(r.get("classSourcedId", ""))
            end = r.get("endDate") or ""
            if klass is None or (end and date.fromisoformat(end) < self.today):
                continue
            begin = r.get("beginDate") or ""
            if begin and date.fromisoformat(begin) > self.today:
                continue
            if r.get("role") == "student":
                klas_of[r["userSourcedId"]] = klass[0]
            elif r.get("role") == "teacher":
                taught.setdefault(r["userSourcedId"], []).append(klass[0])
        for user_id, user in ((r["sourcedId"], r) for r in rows["users"]):
            org = user.get("orgSourcedIds", "").split(",")[0].strip()
            unit = units.get(schools.get(org, ""), "")
            if not unit:
                continue
            if user.get("role") == "student" and user.get("enabledUser", "").casefold() == "true":
                if user_id not in klas_of:
                    continue
                birth = births.get(user_id, "")
                self.add_student(
                    user_id,
                    roepnaam=user.get("givenName"),
                    tussenv=user.get("middleName"),
                    achternaam=user.get("familyName"),
                    unit=unit,
                    klas=klas_of[user_id],
                    geb_datum=f"{birth[8:]}-{birth[5:7]}-{birth[:4]}" if birth else None,
                )
            elif user.get("role") == "teacher" and user.get("identifier"):
                number = user["identifier"]
                self.add_employee(
                    number,
                    roepnaam=user.get("givenName", ""),
                    tussenvoegsel=user.get("middleName", ""),
                    achternaam=user.get("familyName", ""),
                    unit=unit,
                )
                for klas in taught.get(user_id, []):
                    self.add_teaching(number, klas)

    # -- serving ------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, message: Message, body: bytes) -> Answer:
        parts = urlsplit(target)
        if self.blocked:
            return Answer(403, {"Content-Type": "text/plain"}, b"Forbidden")
        with self._lock:
            fault = self._faults[0] if self._faults else None
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.pop(0)
        if fault is not None:
            headers = {"Content-Type": XML_TYPE}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            text = b"" if fault.exception is None else _exception(fault.exception)
            return Answer(fault.status, headers, text)
        if method == "GET" and parts.path == "/doc":
            params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            return self._doc(params)
        if method == "POST" and parts.path in ("/soap/algemeen", "/soap/personeel"):
            return self._soap(parts.path, message.get("SOAPAction", ""), body)
        return Answer(404, {"Content-Type": "text/plain"}, b"Not Found")

    def _valid(self, token: str) -> bool:
        return token in self._tokens or token == f"{self.username};{self.password}"

    def _login(self, user: str, password: str) -> str | None:
        if user != self.username or password != self.password:
            return None
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens.add(token)
        return token

    def _doc(self, params: Mapping[str, str]) -> Answer:
        library, function = params.get("Library", ""), params.get("Function", "")
        with self._lock:
            self.calls.append(function)
        if params.get("Type", "XML").upper() != "XML":
            return _xml_answer(_exception("Alleen Type=XML wordt geëmuleerd"))
        if (library, function) == ("Algemeen", "Login"):
            token = self._login(params.get("UserName", ""), params.get("Password", ""))
            if token is None:
                return _xml_answer(_exception(BAD_LOGIN))
            return _xml_answer(
                f"<Response><Result>True</Result><SessionToken>{token}</SessionToken></Response>".encode()
            )
        if not self._valid(params.get("SessionToken", "")):
            return _xml_answer(_exception("Ongeldig SessionToken"))
        if library != "ADFuncties":
            return _xml_answer(_exception(f"Onbekende library {library}"))
        with self._lock:
            if function == "GetActiveStudents":
                data = _list("Leerlingen", "Leerling", list(self._state.pupils.values()))
            elif function == "GetActiveEmpoyees":
                active = [s for s in self._state.staff.values() if self._active(s)]
                staff = [_personeelslid(s) for s in active]
                data = _list("Personeelsleden", "Personeelslid", staff)
            elif function == "GetPersoneelKlasVakken":
                links = [
                    {"stamnr_str": n, "Klas": k, "Vak": v}
                    for n, k, v in self._state.teaching
                    if n in self._state.staff and self._active(self._state.staff[n])
                ]
                data = _list("PersoneelKlasVakken", "PersoneelKlasVak", links)
            else:
                return _xml_answer(_exception(f"Onbekende functie {function}"))
        return _xml_answer(b"<Response><Data>" + data + b"</Data></Response>")

    def _active(self, staff: _Staff) -> bool:
        end = staff.fields.get("DatumUitDienst", "")[:10]
        return not end or date.fromisoformat(end) >= self.today

    def _soap(self, path: str, action: str, body: bytes) -> Answer:
        action = action.strip().strip('"')
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return soap_fault("soap:Client", "Het verzoek is geen geldige XML")
        call = next((c for b in root if _local(b.tag) == "Body" for c in b), None)
        if call is None:
            return soap_fault("soap:Client", "Geen SOAP Body")
        name = _local(call.tag)
        values = {_local(c.tag): (c.text or "").strip() for c in call}
        with self._lock:
            self.calls.append(name)
        if path == "/soap/algemeen" and name == "Login" and action.endswith("#Login"):
            token = self._login(values.get("UserName", ""), values.get("Password", ""))
            if token is None:
                return _envelope(
                    f'<q1:LoginResponse xmlns:q1="{ALGEMEEN_NS}"><ResultMessage>{BAD_LOGIN}'
                    "</ResultMessage></q1:LoginResponse>"
                )
            return _envelope(
                f'<q1:LoginResponse xmlns:q1="{ALGEMEEN_NS}"><SessionToken>{token}'
                "</SessionToken></q1:LoginResponse>"
            )
        if (
            path == "/soap/personeel"
            and name == "UpdateMedewerker"
            and action.endswith("#UpdateMedewerker")
        ):
            return self._update(values)
        return soap_fault("soap:Client", f"Onbekende operatie {name}")

    def _update(self, values: Mapping[str, str]) -> Answer:
        if not self._valid(values.get("SessionToken", "")):
            return soap_fault("soap:Client", "Ongeldig SessionToken")
        number = values.get("PersoneelsNummer", "")
        if not number.isdigit():
            return soap_fault("soap:Client", "PersoneelsNummer is geen geheel getal")
        for name in ("GeboorteDatum", "DatumInDienst", "DatumUitDienst", "DatumOverlijden"):
            value = values.get(name, "")[:10]
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    return soap_fault("soap:Client", f"{name} is geen datum")
        with self._lock:
            self.updates.append(dict(values))
            self._store(values)
            if self._journal is not None:
                kept = {k: v for k, v in values.items() if k != "SessionToken"}
                with self._journal.open("a", encoding="utf-8") as journal:
                    journal.write(json.dumps(kept) + "\n")
        return Answer(200, {"Content-Type": XML_TYPE}, b"")

    def _store(self, values: Mapping[str, str]) -> None:
        """Blank-on-omission: the record becomes exactly what was sent."""
        number = values["PersoneelsNummer"]
        fields = {name: values.get(name, "") for name in MEDEWERKER_FIELDS}
        existing = self._state.staff.get(number)
        unit = existing.unit if existing else ""
        login = existing.login if existing else ""
        self._state.staff[number] = _Staff(fields, unit, login)


# -- XML --------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _personeelslid(staff: _Staff) -> dict[str, str]:
    f = staff.fields
    return {
        "stamnr_str": f["PersoneelsNummer"],
        "Roepnaam": f["Roepnaam"],
        "Tussenv": f["Tussenvoegsel"],
        "Achternaam": f["Achternaam"],
        "Voorletters": f["Voorletters"],
        "M_V": f["Geslacht"],
        "Functie.Omschr": f["Functie"],
        "Email": f["Email_Werk"],
        "Loginaccount.Naam": staff.login,
        "Administratieve_eenheid.Omschrijving": staff.unit,
        "datum_in_str": _dmy(f["DatumInDienst"]),
        "dVertrek_str": _dmy(f["DatumUitDienst"]),
    }


def _dmy(iso: str) -> str:
    iso = iso[:10]
    return f"{iso[8:]}-{iso[5:7]}-{iso[:4]}" if iso else ""


def _list(outer: str, inner: str, records: Iterable[Mapping[str, Any]]) -> bytes:
    parts = [f"<{outer}>"]
    for record in records:
        parts.append(f"<{inner}>")
        parts.extend(f"<{k}>{escape(str(v), quote=False)}</{k}>" for k, v in record.items())
        parts.append(f"</{inner}>")
    parts.append(f"</{outer}>")
    return "".join(parts).encode()


def _exception(text: str) -> bytes:
    return (
        f"<Response><Exception>EMediusException</Exception>"
        f"<ExceptionMsg>{escape(text, quote=False)}</ExceptionMsg></Response>"
    ).encode()


def _xml_answer(body: bytes) -> Answer:
    return Answer(200, {"Content-Type": XML_TYPE}, b'<?xml version="1.0"?>' + body)


def _envelope(inner: str) -> Answer:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}">'
        f"<soap:Body>{inner}</soap:Body></soap:Envelope>"
    )
    return Answer(200, {"Content-Type": XML_TYPE}, body.encode())


