"""A loopback emulator of Somtoday Connect (read) and its HRM Webservice (write).

    with SomtodayEmulator() as emu:
        v = emu.add_vestiging("07XY00", "OBS De Regenboog")
        m = emu.add_medewerker(v, afkorting="100002", roepnaam="Anne", achternaam="Hek")
        g = emu.add_stamgroep(v, "1a", mentoren=[m])
        emu.add_leerling(v, roepnaam="Lucas", achternaam="Schouten",
                         plaatsingen=[plaatsing(g, "1a", "2026-08-01")])
        # SomtodaySourceConfig(api_url=emu.api_url, token_url=emu.token_url,
        #                      organisation=emu.organisation, client_id=emu.client_id)

What it models (research notes, edu-sources.md sections 5 and 9):

- ``GET /rest/v1/connect/instelling`` without a token;
- ``POST /oauth2/token?organisation=<uuid>``: client credentials (form fields); a wrong
  client answers 401 ``invalid_client``, an unknown organisation 400 ``invalid_request``; the
  token is valid for that organisation only;
- ``GET /rest/v1/connect/vestiging``: the authorised vestigingen only; any other vestiging's
  endpoints answer 401;
- per vestiging ``leerling``, ``stamgroep``, ``medewerker`` (wrapped in ``leerlingen``,
  ``stamgroepen``, ``medewerkers``) paged with ``offset``/``amount``: ``amount`` above 200
  answers 400 in Somtoday's error shape ``{"code", "problem", "clarification"}``;
- ``velden/toestemming`` (``toestemmingvelden``: ``uuid``, ``naam``, ``veld_type``,
  ``omschrijving``) and the answers as ``{"leerlingVeldWaardes": [{"leerling_uuid",
  "waardes": [VeldWaarde]}]}``: paged in bulk at ``leerling/veldwaardes`` (``vrijveldNaam``
  required, filtered by it, ``vrijveldUUID`` and ``categorie``) and per pupil at
  ``leerling/{uuid}/veldwaardes``. A ``VeldWaarde`` has ``uuid``, ``naam``, ``categorie``
  and ``aangekruist`` (absent when not answered);
- null fields are omitted (empty lists stay);
- ``medewerker`` with ``peilschooljaar=HUIDIG`` lists only staff in service in the school year
  of ``today``: no ``datum_uit_dienst``, or one on or after 1 August of that year;
- the HRM Webservice (write, SOAP 1.1) at ``POST /services/HRMService``: ``createPerson``
  with a WS-Security ``UsernameToken`` (``hrm_username``/``hrm_password``) and a
  ``Brinnummer`` header (a BRIN4 of the organisation). It creates or updates the medewerker
  with that ``externMedewerkerNummer``; the record becomes exactly what was sent (an omitted
  field is blanked, so Connect leaves it out). Enforced: the required fields (``afkorting``,
  ``achternaam``, ``voorletters``, ``geslacht`` MAN/VROUW/ONBEKEND, ``gebruikersnaam``,
  ``wachtwoord``, ``HRMAdres/landcode``), ``actief`` left empty, ``voorvoegsel``, ``functie``
  and ``redenUitDienst`` from their tables (``voorvoegsels``, ``functies``, ``redenen``), a
  ``redenUitDienst`` with every ``datumUitDienst``, ``afkorting`` and ``gebruikersnaam``
  unique, and every ``vestigingen/brinNummer`` a vestiging of the organisation. Faults are
  ``soap:Client`` (HTTP 500) with Somtoday's Dutch message.

:meth:`SomtodayEmulator.load_oneroster` serves a demo board's OneRoster folder (and its
``consents.csv``) with the same ids, so both sources can be compared.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid as uuid_lib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.emulators.loopback import (
    SOAP_ENV,
    XML_TYPE,
    Answer,
    LoopbackEmulator,
    csv_rows,
    json_answer,
    soap_fault,
)

API_PREFIX = "/rest/v1"
TOKEN_PATH = "/oauth2/token"
MAX_AMOUNT = 200
LISTS = {"leerling": "leerlingen", "stamgroep": "stamgroepen", "medewerker": "medewerkers"}
_ECK = re.compile(r"\{\s*eck\s*:([^{}]*)\}", re.IGNORECASE)
_VESTIGING = re.compile(r"^/connect/vestiging/([^/]+)/(.+)$")
_VELDWAARDES = re.compile(r"^leerling/([^/]+)/veldwaardes$")
_Outcome = tuple[int, Any, int | None]
HRM_PATH = "/services/HRMService"
HRM_NS = "http://hrm.webservices.iridium.topicus.nl/"
BRIN_NS = "http://hrm.koppelingen.iridium.topicus.nl/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#: The functies a demo school defined (Beheer > Instelling > Functies).
DEFAULT_FUNCTIES = (
    "Directeur", "Locatieleider", "Teamleider", "Intern begeleider", "Zorgcoördinator",
    "Docent", "Leerkracht", "Onderwijsassistent", "Conciërge", "Administratief medewerker",
    "Stagiair",
)  # fmt: skip
#: A part of Somtoday's voorvoegsel table.
VOORVOEGSELS = (
    "van", "de", "der", "den", "van de", "van der", "van den", "van 't", "'t", "ten", "ter",
    "te", "in 't", "in de", "op de", "op den", "de la", "le", "la", "el", "al",
)  # fmt: skip


def _wire(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record as Somtoday sends it: null fields left out."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def _error(code: int, problem: str, clarification: str = "") -> dict[str, Any]:
    return {"code": code, "problem": problem, "clarification": clarification}


def plaatsing(
    stamgroep: str,
    stamgroep_naam: str,
    startdatum: str | None,
    einddatum: str | None = None,
    *,
    uuid: str | None = None,
    schooljaar: str | None = None,
) -> dict[str, Any]:
    """A ``Plaatsing`` for :meth:`SomtodayEmulator.add_leerling`."""
    return _wire(
        {
            "uuid": uuid or str(uuid_lib.uuid4()),
            "schooljaar": schooljaar,
            "startdatum": startdatum,
            "einddatum": einddatum,
            "stamgroep": {"uuid": stamgroep, "naam": stamgroep_naam},
        }
    )


@dataclass(slots=True)
class _Fault:
    status: int
    retry_after: int | None
    times: int


class SomtodayEmulator(LoopbackEmulator):
    """Somtoday Connect for one organisation on 127.0.0.1; seed it, then read it."""

    def __init__(
        self,
        *,
        client_id: str = "provisioner",
        client_secret: str = "demo-secret",
        organisation: str | None = None,
        organisation_name: str = "Stichting Demo Onderwijs",
        port: int = 0,
        today: date | None = None,
        hrm_username: str = "hrm-koppeling",
        hrm_password: str = "hrm-secret",
    ) -> None:
        self.today = today or date.today()
        self.hrm_username = hrm_username
        self.hrm_password = hrm_password
        #: Somtoday's code tables (Beheer > Instelling): functies, redenen uit dienst, voorvoegsels
        self.functies: set[str] = set(DEFAULT_FUNCTIES)
        self.redenen: set[str] = {"Onbekend", "Eigen verzoek", "Pensioen", "Einde contract"}
        self.voorvoegsels: set[str] = set(VOORVOEGSELS)
        self.hrm_calls: list[dict[str, Any]] = []  # every HRMperson received, as a dict
        self._journal: Path | None = None
        self.client_id = client_id
        self.client_secret = client_secret
        self.organisation = organisation or str(uuid_lib.uuid4())
        self.organisation_name = organisation_name
        self._port = port
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._vestigingen: dict[str, dict[str, Any]] = {}
        self._authorised: set[str] = set()
        self._data: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._velden: list[dict[str, Any]] = []
        self._waardes: dict[str, list[dict[str, Any]]] = {}  # leerling uuid -> VeldWaardes
        self._faults: list[_Fault] = []
        self.requests: list[tuple[str, str]] = []  # (path, query) of every request

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> SomtodayEmulator:
        self.serve(
            self._respond, name="somtoday-emulator", server_version="SomtodayEmulator/1.0",
            port=self._port,
        )  # fmt: skip
        return self

    @property
    def api_url(self) -> str:
        """``api_url`` of the source's configuration."""
        return self.url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def hrm_url(self) -> str:
        """``hrm_url`` of a ``sis-staff`` target's configuration."""
        return self.url + HRM_PATH

    def keep_writes(self, path: Path) -> None:
        """Apply the HRM writes kept in ``path`` (JSON lines) and keep new ones there, so a
        demo's Somtoday survives the process (seed first, then call this)."""
        if path.exists():
            with self._lock:
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        write = json.loads(line)
                        self._hrm_store(write["fields"], write["vestigingen"])
        self._journal = path

    def medewerker(self, afkorting: str) -> dict[str, Any] | None:
        """The Connect record of a medewerker (any vestiging), regardless of the year."""
        with self._lock:
            for data in self._data.values():
                for record in data["medewerker"]:
                    if record.get("afkorting") == afkorting:
                        return dict(record)
        return None

    # -- seeding ------------------------------------------------------------------------------

    def add_vestiging(
        self, brin6: str, naam: str, *, uuid: str | None = None, authorised: bool = True
    ) -> str:
        """A vestiging with one BRIN6; only authorised ones are listed and readable."""
        key = uuid or str(uuid_lib.uuid4())
        with self._lock:
            self._vestigingen[key] = _wire(
                {"uuid": key, "naam": naam, "afkorting": brin6[-2:], "brins": [brin6]}
            )
            self._data[key] = {name: [] for name in LISTS}
            if authorised:
                self._authorised.add(key)
        return key

    def add_medewerker(
        self,
        vestiging: str,
        *,
        afkorting: str | None,
        roepnaam: str | None = None,
        voorvoegsel: str | None = None,
        achternaam: str | None = None,
        uuid: str | None = None,
        medewerkernummer: str | None = None,
    ) -> str:
        key = uuid or str(uuid_lib.uuid4())
        self.add_raw(
            vestiging,
            "medewerker",
            _wire(
                {
                    "uuid": key,
                    "medewerkernummer": medewerkernummer,
                    "afkorting": afkorting,
                    "roepnaam": roepnaam,
                    "voorvoegsel": voorvoegsel,
                    "achternaam": achternaam,
                    "is_docent": True,
                }
            ),
        )
        return key

    def add_stamgroep(
        self, vestiging: str, naam: str, *, mentoren: Iterable[str] = (), uuid: str | None = None
    ) -> str:
        """A stamgroep; ``mentoren`` are medewerker uuids (first the EersteMentor)."""
        key = uuid or str(uuid_lib.uuid4())
        roles = ("EersteMentorStamgroep", "TweedeMentorStamgroep")
        mentors = [
            {"medewerker_uuid": m, "toewijzing": roles[min(i, 1)]} for i, m in enumerate(mentoren)
        ]
        self.add_raw(vestiging, "stamgroep", {"uuid": key, "naam": naam, "mentoren": mentors})
        return key

    def add_leerling(
        self,
        vestiging: str,
        *,
        uuid: str | None = None,
        roepnaam: str | None = None,
        voornamen: str | None = None,
        voorvoegsel: str | None = None,
        achternaam: str | None = None,
        geboortedatum: str | None = None,
        eckid: str | None = None,
        is_actief: bool | None = True,
        plaatsingen: Iterable[Mapping[str, Any]] = (),
    ) -> str:
        key = uuid or str(uuid_lib.uuid4())
        self.add_raw(
            vestiging,
            "leerling",
            _wire(
                {
                    "uuid": key,
                    "eckid": eckid,
                    "roepnaam": roepnaam,
                    "voornamen": voornamen,
                    "voorvoegsel": voorvoegsel,
                    "achternaam": achternaam,
                    "geboortedatum": geboortedatum,
                    "isActief": is_actief,
                    "plaatsingen": [dict(p) for p in plaatsingen],
                }
            ),
        )
        return key

    def add_raw(self, vestiging: str, endpoint: str, record: Mapping[str, Any]) -> None:
        """Any record of ``leerling``, ``stamgroep`` or ``medewerker`` exactly as given."""
        with self._lock:
            self._data[vestiging][endpoint].append(dict(record))

    def add_toestemming_veld(
        self, naam: str, *, categorie: str = "Toestemmingen", uuid: str | None = None
    ) -> str:
        """A consent checkbox field (``ToestemmingVeld``) of every vestiging."""
        key = uuid or str(uuid_lib.uuid4())
        with self._lock:
            self._velden.append(
                {"uuid": key, "naam": naam, "veld_type": "aankruisvak", "categorie": categorie}
            )  # categorie is the VeldWaarde's; a ToestemmingVeld is listed without it
        return key

    def set_toestemming(self, leerling: str, naam: str, aangekruist: Any) -> None:
        """A pupil's answer for the veld ``naam``; None: not answered (no ``aangekruist``)."""
        with self._lock:
            veld = next(v for v in self._velden if v["naam"] == naam)
            values = self._waardes.setdefault(leerling, [])
            values[:] = [w for w in values if w["uuid"] != veld["uuid"]]
            values.append(
                _wire(
                    {
                        "uuid": veld["uuid"],
                        "naam": naam,
                        "categorie": veld["categorie"],
                        "aangekruist": aangekruist,
                    }
                )
            )

    def fail_next(self, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        """Answer the next ``times`` API requests (not the token call) with ``status``."""
        with self._lock:
            self._faults.append(_Fault(status, retry_after, times))

    def load_oneroster(
        self, folder: Path, *, consents: Path | None = None, today: date | None = None
    ) -> None:
        """Serve a OneRoster 1.1 folder (orgs, users, classes, enrollments, demographics) with
        the same ids: schools become vestigingen (uuid = sourcedId), students leerlingen,
        homeroom classes stamgroepen, student enrolments plaatsingen, teacher enrolments not
        ended on ``today`` mentoren (teachers become medewerkers, ``afkorting`` = their
        ``identifier``). ``consents`` (default ``folder/../consents.csv``): each pupil's last
        answer per medium, granted ticked, refused or withdrawn unticked."""
        day = today or date.today()
        rows = {
            stem: csv_rows(folder / f"{stem}.csv")
            for stem in ("orgs", "users", "classes", "enrollments", "demographics")
        }
        schools = {
            r["sourcedId"]: r for r in rows["orgs"] if r.get("type", "").casefold() == "school"
        }
        for org_id, org in schools.items():
            self.add_vestiging(org.get("identifier", "").upper(), org.get("name", ""), uuid=org_id)
        births = {r["sourcedId"]: r.get("birthDate", "") for r in rows["demographics"]}
        users = {r["sourcedId"]: r for r in rows["users"]}
        homerooms = {
            r["sourcedId"]: r
            for r in rows["classes"]
            if r.get("classType", "").casefold() == "homeroom"
            and r.get("schoolSourcedId") in schools
        }
        mentors: dict[str, list[str]] = {}
        placements: dict[str, list[dict[str, Any]]] = {}
        for row in rows["enrollments"]:
            klass = homerooms.get(row.get("classSourcedId", ""))
            if klass is None:
                continue
            user_id, role = row.get("userSourcedId", ""), row.get("role", "").casefold()
            if role == "teacher":
                end = row.get("endDate", "")
                if not end or date.fromisoformat(end) >= day:
                    mentors.setdefault(klass["sourcedId"], []).append(user_id)
            elif role == "student":
                placements.setdefault(user_id, []).append(
                    plaatsing(
                        klass["sourcedId"],
                        klass.get("title", ""),
                        row.get("beginDate") or None,
                        row.get("endDate") or None,
                        uuid=row.get("sourcedId") or None,
                    )
                )
        for user_id, user in users.items():
            if user.get("role", "").casefold() != "teacher":
                continue
            for org_id in _orgs(user, schools):
                self.add_medewerker(
                    org_id,
                    afkorting=user.get("identifier") or None,
                    roepnaam=user.get("givenName") or None,
                    voorvoegsel=user.get("middleName") or None,
                    achternaam=user.get("familyName") or None,
                    uuid=user_id,
                )
        for class_id, klass in homerooms.items():
            self.add_stamgroep(
                klass["schoolSourcedId"],
                klass.get("title", ""),
                mentoren=mentors.get(class_id, []),
                uuid=class_id,
            )
        for user_id, user in users.items():
            if user.get("role") != "student":
                continue
            eck = _ECK.search(user.get("userIds", ""))
            for org_id in _orgs(user, schools):
                self.add_leerling(
                    org_id,
                    uuid=user_id,
                    roepnaam=user.get("givenName") or None,
                    voornamen=user.get("givenName") or None,
                    voorvoegsel=user.get("middleName") or None,
                    achternaam=user.get("familyName") or None,
                    geboortedatum=births.get(user_id) or None,
                    eckid=eck[1].strip() if eck else None,
                    is_actief=user.get("enabledUser", "").casefold() == "true",
                    plaatsingen=placements.get(user_id, []),
                )
        path = consents or folder.parent / "consents.csv"
        if path.exists():
            self._load_consents(csv_rows(path))

    def _load_consents(self, rows: list[dict[str, str]]) -> None:
        last: dict[tuple[str, str], dict[str, str]] = {}
        for row in rows:
            pair = (row["pupil_id"], row["medium"])
            if pair not in last or row["recorded_on"] >= last[pair]["recorded_on"]:
                last[pair] = row
        media = {medium for _, medium in last}
        known = {v["naam"] for v in self._velden}
        for medium in sorted(media - known):
            self.add_toestemming_veld(medium)
        for (pupil, medium), row in last.items():
            self.set_toestemming(pupil, medium, row["status"] == "granted")

    # -- serving ------------------------------------------------------------------------------

    def _respond(self, method: str, target: str, message: Message, body: bytes) -> Answer:
        parts = urlsplit(target)
        with self._lock:
            self.requests.append((parts.path, parts.query))
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if method == "POST" and parts.path == HRM_PATH:
            return self._hrm(body)
        if method == "POST":
            status, answer, wait = self._token_call(parts.path, params, body)
        else:
            status, answer, wait = self._api_call(parts.path, params, message)
        headers = {} if wait is None else {"Retry-After": str(wait)}
        return json_answer(status, answer, headers)

    def _token_call(self, path: str, params: Mapping[str, str], body: bytes) -> _Outcome:
        if path != TOKEN_PATH:
            return 404, _error(404, "Not found"), None
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}, None
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return 401, {"error": "invalid_client", "error_description": "Bad credentials"}, None
        if params.get("organisation") != self.organisation:
            return (
                400,
                {"error": "invalid_request", "error_description": "Unknown organisation"},
                None,
            )
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}, None

    def _api_call(self, path: str, params: Mapping[str, str], message: Message) -> _Outcome:
        if not path.startswith(API_PREFIX):
            return 404, _error(404, "Not found"), None
        path = path[len(API_PREFIX) :]
        if path == "/connect/instelling":
            brins = sorted({v["brins"][0][:4] for v in self._vestigingen.values()})
            instelling = {"uuid": self.organisation, "naam": self.organisation_name, "brins": brins}
            return 200, {"instellingen": [instelling]}, None
        with self._lock:
            fault = self._faults[0] if self._faults else None
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.pop(0)
        if fault is not None:
            return fault.status, _error(fault.status, "injected fault"), fault.retry_after
        auth = message.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self._tokens:
            return 401, _error(401, "Unauthorized", "no valid token"), None
        if path == "/connect/vestiging":
            with self._lock:
                listed = [dict(v) for k, v in self._vestigingen.items() if k in self._authorised]
            return 200, {"vestigingen": listed}, None
        match = _VESTIGING.match(path)
        if match is None:
            return 404, _error(404, "Not found"), None
        vestiging, rest = match.groups()
        if vestiging not in self._authorised:
            return 401, _error(401, "Unauthorized", "no access to this vestiging"), None
        if rest == "velden/toestemming":
            with self._lock:
                velden = [
                    {k: v for k, v in veld.items() if k != "categorie"} for veld in self._velden
                ]
            return 200, {"toestemmingvelden": velden}, None
        waardes = _VELDWAARDES.match(rest)
        if waardes is not None:
            with self._lock:
                entry = self._veldwaardes(waardes.group(1), params)
            return 200, {"leerlingVeldWaardes": [entry]}, None
        if rest == "leerling/veldwaardes":
            if not params.get("vrijveldNaam"):
                return 400, _error(400, "Ongeldige parameter", "vrijveldNaam is verplicht"), None
            page = self._page(params)
            if isinstance(page, tuple):
                return page
            offset, amount = page
            with self._lock:
                pupils = [str(r["uuid"]) for r in self._data[vestiging]["leerling"] if "uuid" in r]
                entries = [self._veldwaardes(uuid, params) for uuid in pupils]
            return 200, {"leerlingVeldWaardes": entries[offset : offset + amount]}, None
        if rest.rstrip("/") not in LISTS:
            return 404, _error(404, "Not found"), None
        page = self._page(params)
        if isinstance(page, tuple):
            return page
        offset, amount = page
        endpoint = rest.rstrip("/")
        with self._lock:
            listed = self._data[vestiging][endpoint]
            if endpoint == "medewerker":
                listed = [r for r in listed if self._in_service(r)]
            records = [dict(r) for r in listed[offset : offset + amount]]
        return 200, {LISTS[endpoint]: records}, None

    def _page(self, params: Mapping[str, str]) -> list[int] | _Outcome:
        """[offset, amount] of a paged request, or the 400 answer."""
        try:
            offset = int(params.get("offset", "0"))
            amount = int(params.get("amount", str(MAX_AMOUNT)))
        except ValueError:
            return 400, _error(400, "Bad request", "offset and amount must be numbers"), None
        if amount > MAX_AMOUNT or amount < 1 or offset < 0:
            clarification = f"amount must be 1 to {MAX_AMOUNT}, offset at least 0"
            return 400, _error(400, "Ongeldige parameter", clarification), None
        return [offset, amount]

    def _veldwaardes(self, leerling: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``LeerlingVeldWaardes`` of one pupil, filtered as the query asks."""
        naam, uuid, categorie = (
            params.get("vrijveldNaam"),
            params.get("vrijveldUUID"),
            params.get("categorie"),
        )
        values = [
            dict(w)
            for w in self._waardes.get(leerling, [])
            if (categorie is None or w.get("categorie") == categorie)
            and (naam is None or w.get("naam") == naam)
            and (uuid is None or w.get("uuid") == uuid)
        ]
        return {"leerling_uuid": leerling, "waardes": values}

    def _in_service(self, record: Mapping[str, Any]) -> bool:
        """In service in the school year of ``today`` (the ``peilschooljaar=HUIDIG`` rule)."""
        end = str(record.get("datum_uit_dienst", ""))[:10]
        first = self.today.year if self.today.month >= 8 else self.today.year - 1
        return not end or date.fromisoformat(end) >= date(first, 8, 1)

    # -- the HRM Webservice -------------------------------------------------------------------

    def _hrm(self, body: bytes) -> Answer:
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return soap_fault("soap:Client", "Het verzoek is geen geldige XML")
        user = root.findtext(f".//{{{WSSE}}}Username", "").strip()
        password = root.findtext(f".//{{{WSSE}}}Password", "").strip()
        brin = root.findtext(f".//{{{BRIN_NS}}}Brinnummer", "").strip().upper()
        if user != self.hrm_username or password != self.hrm_password:
            return soap_fault(
                "soap:Client", "Authenticatie mislukt: onbekende gebruiker of wachtwoord"
            )
        with self._lock:
            brin4s = {v["brins"][0][:4] for v in self._vestigingen.values()}
        if brin not in brin4s:
            return soap_fault("soap:Client", f"Brinnummer {brin} hoort niet bij deze instelling")
        person = next((e for e in root.iter() if e.tag == "HRMperson"), None)
        if person is None:
            return soap_fault("soap:Client", "Geen HRMperson in createPerson")
        fields = {c.tag: (c.text or "").strip() for c in person if len(c) == 0}
        address = {c.tag: (c.text or "").strip() for c in person.findall("HRMAdres/*")}
        vestigingen = [
            {c.tag: (c.text or "").strip() for c in v} for v in person.findall("vestigingen")
        ]
        with self._lock:
            self.hrm_calls.append({**fields, "HRMAdres": address, "vestigingen": vestigingen})
            problem = self._hrm_problem(fields, address, vestigingen)
            if problem:
                return soap_fault("soap:Client", problem)
            self._hrm_store(fields, vestigingen)
            if self._journal is not None:
                kept = {k: v for k, v in fields.items() if k != "wachtwoord"}
                with self._journal.open("a", encoding="utf-8") as journal:
                    journal.write(json.dumps({"fields": kept, "vestigingen": vestigingen}) + "\n")
        response = (
            f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}">'
            f'<soap:Body><ns2:createPersonResponse xmlns:ns2="{HRM_NS}"/></soap:Body>'
            "</soap:Envelope>"
        )
        return Answer(200, {"Content-Type": XML_TYPE}, response.encode())

    def _hrm_problem(
        self,
        fields: Mapping[str, str],
        address: Mapping[str, str],
        vestigingen: list[dict[str, str]],
    ) -> str | None:
        for name in ("afkorting", "achternaam", "voorletters", "geslacht", "gebruikersnaam",
                     "wachtwoord"):  # fmt: skip
            if not fields.get(name):
                return f"Het veld {name} is verplicht"
        if not address.get("landcode"):
            return "Het veld HRMAdres.landcode is verplicht"
        if fields["geslacht"] not in ("MAN", "VROUW", "ONBEKEND"):
            return f"Onbekend geslacht '{fields['geslacht']}'"
        if fields.get("actief"):
            return "Het veld actief moet leeg blijven: datum uit dienst bepaalt of iemand actief is"
        if fields.get("voorvoegsel") and fields["voorvoegsel"] not in self.voorvoegsels:
            return f"Onbekend voorvoegsel '{fields['voorvoegsel']}'"
        if fields.get("functie") and fields["functie"] not in self.functies:
            return f"Functie '{fields['functie']}' bestaat niet (Beheer > Instelling > Functies)"
        if fields.get("datumUitDienst") and not fields.get("redenUitDienst"):
            return "Bij een datum uit dienst hoort een reden uit dienst"
        if fields.get("redenUitDienst") and fields["redenUitDienst"] not in self.redenen:
            return f"Onbekende reden uit dienst '{fields['redenUitDienst']}'"
        for name in ("datumInDienst", "datumUitDienst"):
            if fields.get(name):
                try:
                    date.fromisoformat(fields[name])
                except ValueError:
                    return f"{name} '{fields[name]}' is geen datum (JJJJ-MM-DD)"
        number = fields.get("externMedewerkerNummer") or fields["afkorting"]
        for data in self._data.values():
            for record in data["medewerker"]:
                other = record.get("afkorting")
                if other == number:
                    continue
                if other == fields["afkorting"]:
                    return f"De afkorting {fields['afkorting']} is al in gebruik"
                username = str(record.get("gebruikersnaam", "")).lower()
                if username == fields["gebruikersnaam"].lower():
                    return f"De gebruikersnaam {fields['gebruikersnaam']} is al in gebruik"
        by_brin = {v["brins"][0]: k for k, v in self._vestigingen.items()}
        for vestiging in vestigingen:
            if vestiging.get("brinNummer", "").upper() not in by_brin:
                return f"Onbekende vestiging {vestiging.get('brinNummer', '')}"
        return None

    def _hrm_store(self, fields: Mapping[str, str], vestigingen: list[dict[str, str]]) -> None:
        """Create or update: the record becomes exactly what was sent (omitted: blank)."""
        number = fields.get("externMedewerkerNummer") or fields["afkorting"]
        old: dict[str, Any] = {}
        were: list[str] = []  # the vestigingen it was listed at
        for place, data in self._data.items():
            for record in data["medewerker"]:
                if record.get("afkorting") == number:
                    old = record
                    were.append(place)
            data["medewerker"][:] = [r for r in data["medewerker"] if r.get("afkorting") != number]
        by_brin = {v["brins"][0]: k for k, v in self._vestigingen.items()}
        places = [by_brin[v["brinNummer"].upper()] for v in vestigingen] or were
        record = _wire(
            {
                "uuid": old.get("uuid") or str(uuid_lib.uuid4()),
                "medewerkernummer": old.get("medewerkernummer") or f"Medewerker {number}",
                "afkorting": fields["afkorting"],
                "roepnaam": fields.get("roepnaam"),
                "voorletters": fields.get("voorletters"),
                "voorvoegsel": fields.get("voorvoegsel"),
                "achternaam": fields.get("achternaam"),
                "geslacht": fields.get("geslacht"),
                "emailadres": fields.get("email"),
                "gebruikersnaam": fields.get("gebruikersnaam"),
                "functie": fields.get("functie"),
                "is_docent": fields.get("onderwijsPersoneel") == "1",
                "datum_in_dienst": fields.get("datumInDienst"),
                "datum_uit_dienst": fields.get("datumUitDienst"),
                "reden_uit_dienst": fields.get("redenUitDienst"),
            }
        )
        for place in places:
            naam = self._vestigingen[place]["naam"]
            self._data[place]["medewerker"].append(
                {**record, "vestiging": {"uuid": place, "naam": naam}}
            )


def _orgs(user: Mapping[str, str], schools: Mapping[str, Any]) -> list[str]:
    return [o.strip() for o in user.get("orgSourcedIds", "").split(",") if o.strip() in schools]
