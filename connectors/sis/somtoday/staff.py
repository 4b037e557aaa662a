"""Staff accounts in Somtoday, kept in step with HR (``type = "sis-staff"``, ``system =
"somtoday"``); see :mod:`connectors.sis.staff` for what the SIS staff targets share.

Reading: Somtoday Connect ``medewerker`` of every configured vestiging
(``peilschooljaar=HUIDIG``: staff in service in the current school year, leavers included
until it ends), through the board's Somtoday source configuration. A medewerker's key is
``staff:<afkorting>``: boards that sync staff into Somtoday put the HR employee number in
``afkorting`` and ``externMedewerkerNummer`` (the HelloID connector does the same).
``enabled`` is "no ``datum_uit_dienst``, or one not yet passed"; ``attributes.sis_role`` is
the ``functie``.

Writing: the HRM Webservice (SOAP 1.1, ``createPerson`` in
``http://hrm.webservices.iridium.topicus.nl/``, WS-Security ``UsernameToken`` with a
``PasswordText`` password, a ``Brinnummer`` header). It creates or updates the person with
``externMedewerkerNummer`` and is write-only, so every call sends the **complete** record
(the service is documented as one-way: send all fields). What it sends:

- ``afkorting`` = ``externMedewerkerNummer`` = the HR employee number; ``medewerkernummer``
  empty (Somtoday numbers its own);
- ``roepnaam``, ``voorletters`` (from the given name, with dots), ``voorvoegsel`` and
  ``achternaam`` (the family name split at its tussenvoegsel); ``geslacht`` as Somtoday has
  it, else ``ONBEKEND`` (HR's is not passed to targets);
- ``HRMAdres`` with only ``landcode`` ``6030`` (Nederland): the board's HR is the master of
  these records and the provisioner has no addresses; the school's own address entries are
  overwritten, as with the HelloID connector;
- ``onderwijsPersoneel`` 1 for teaching roles, else ``ondersteunendPersoneel`` 1;
- ``vestigingen`` (``afkorting``, ``naam``, ``brinNummer``) of the person's locations;
- ``gebruikersnaam`` = the username (a medewerker adopted without one: the ``afkorting``,
  Somtoday's own default), ``email`` = ``<username>@<domain>``, ``wachtwoord`` a
  fresh random one (required; staff sign in through SSO);
- ``actief`` left out ("leeg laten": the end date decides); ``functie`` = the SIS function of
  the person's level (``sis_roles``); ``datumInDienst`` as Somtoday has it, else the day of
  the write; ``datumUitDienst`` empty while active. A leaver gets ``datumUitDienst`` = their
  last working day in HR (the day before the run when HR has none) with ``redenUitDienst``
  = ``reden_uit_dienst``.

A fault about the data (an unknown functie or voorvoegsel, a taken afkorting) rejects that
person only; a fault about the login is fatal for the target. A write whose answer was lost
(a timeout or a dropped connection after sending, a 500/502/504 or a server fault) is never
sent again by the transport: ``OutcomeUnknown``, verified by the executor (see
:mod:`connectors.sis.staff`); connection failures, 408, 429 and 503 are retried.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import httpx

from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.soap import find_fault
from connectors.sis.somtoday.config import SomtodaySourceConfig
from connectors.sis.somtoday.source import VESTIGINGEN, SomtodayClient
from connectors.sis.staff import (
    CompleteRecordTarget,
    initials,
    joined,
    split_prefix,
    strong_password,
    write_error,
)
from provisioner.errors import ConfigError, ConnectorError, RejectedError
from provisioner.targets import AccountSpec, RemoteAccount, TargetSnapshot

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
HRM_NS = "http://hrm.webservices.iridium.topicus.nl/"
BRIN_NS = "http://hrm.koppelingen.iridium.topicus.nl/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordText"
)
BASE64 = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
NETHERLANDS = "6030"  # Somtoday's land code of the Netherlands
TEACHING_ROLES = frozenset({"director", "location_leader", "care_coordinator", "teacher", "intern"})
TIMEOUT = 60.0
AUTH_WORDS = ("authenticat", "usernametoken", "wachtwoord", "password", "brinnummer")


@dataclass
class HrmPerson:
    """One ``HRMperson`` as sent: the complete record."""

    number: str
    given: str
    prefix: str
    family: str
    username: str
    email: str
    functie: str
    sex: str = "ONBEKEND"
    start: str = ""  # datumInDienst, YYYY-MM-DD
    end: str = ""  # datumUitDienst
    reason: str = ""  # redenUitDienst
    teaching: bool = True
    vestigingen: list[Mapping[str, str]] = field(default_factory=list)

    def element(self) -> ET.Element:
        person = ET.Element("HRMperson")

        def add(parent: ET.Element, name: str, value: str) -> None:
            ET.SubElement(parent, name).text = value

        add(person, "medewerkernummer", "")
        add(person, "afkorting", self.number)
        add(person, "achternaam", self.family)
        add(person, "voorletters", initials(self.given))
        add(person, "voorvoegsel", self.prefix)
        add(person, "roepnaam", self.given)
        add(person, "voornamen", "")
        add(person, "geslacht", self.sex)
        address = ET.SubElement(person, "HRMAdres")
        add(address, "landcode", NETHERLANDS)
        add(person, "onderwijsPersoneel", "1" if self.teaching else "0")
        add(person, "ondersteunendPersoneel", "0" if self.teaching else "1")
        add(person, "externMedewerkerNummer", self.number)
        for vestiging in self.vestigingen:
            holder = ET.SubElement(person, "vestigingen")
            for name in ("afkorting", "naam", "brinNummer"):
                add(holder, name, vestiging.get(name, ""))
        add(person, "gebruikersnaam", self.username)
        add(person, "wachtwoord", strong_password())
        add(person, "email", self.email)
        add(person, "functie", self.functie)
        add(person, "datumInDienst", self.start)
        add(person, "datumUitDienst", self.end)
        add(person, "redenUitDienst", self.reason)
        return person


def hrm_envelope(person: HrmPerson, username: str, password: str, brin: str) -> bytes:
    """The SOAP request of ``createPerson`` with its WS-Security and Brinnummer headers."""
    ET.register_namespace("soapenv", SOAP_ENV)
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    header = ET.SubElement(root, f"{{{SOAP_ENV}}}Header")
    security = ET.SubElement(header, f"{{{WSSE}}}Security", {f"{{{SOAP_ENV}}}mustUnderstand": "1"})
    token = ET.SubElement(security, f"{{{WSSE}}}UsernameToken")
    ET.SubElement(token, f"{{{WSSE}}}Username").text = username
    ET.SubElement(token, f"{{{WSSE}}}Password", {"Type": PASSWORD_TEXT}).text = password
    nonce = base64.b64encode(hashlib.sha1(uuid.uuid4().bytes).digest()).decode()
    ET.SubElement(token, f"{{{WSSE}}}Nonce", {"EncodingType": BASE64}).text = nonce
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    ET.SubElement(token, f"{{{WSU}}}Created").text = created
    ET.SubElement(header, f"{{{BRIN_NS}}}Brinnummer").text = brin
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = ET.SubElement(body, f"{{{HRM_NS}}}createPerson")
    call.append(person.element())
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root)


def translate(
    where: str, outcome: httpx.Response | httpx.HTTPError, secrets_: Collection[str] = ()
) -> ConnectorError:
    """A ``Client`` fault about the login is fatal, any other ``Client`` fault rejects this
    person; 408/429/503 and connection failures are transient; a lost answer (timeout or
    dropped connection after sending, 500/502/504, a ``Server`` fault) is ``OutcomeUnknown``;
    401/403/404 fatal (see :func:`connectors.sis.staff.write_error`)."""
    return write_error(
        where, outcome, system="Somtoday HRM", login_words=AUTH_WORDS,
        login_hint="check hrm_username, its password and hrm_brin",
        access_hint="check hrm_url and the login", secrets_=secrets_,
    )  # fmt: skip


class SomtodayStaffTarget(CompleteRecordTarget[dict[str, Any], HrmPerson]):
    """Somtoday staff accounts: read through Connect, written through the HRM Webservice."""

    label = "Somtoday medewerker"

    def __init__(
        self,
        name: str,
        config: SisStaffTargetConfig,
        source: SomtodaySourceConfig,
        locations: AbstractSet[str],
        domain: str,
        *,
        client_secret: str | None = None,
        hrm_password: str | None = None,
        transport: httpx.BaseTransport | None = None,
        dry_run: bool = False,
        today: date | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not config.hrm_url or not config.hrm_username or not config.hrm_brin:
            raise ConfigError(f"target {name}: set hrm_url, hrm_username and hrm_brin")
        secret = client_secret or source.require_secret(
            "client_secret", "[sources.sis]", "the Somtoday Connect client secret"
        ).get_secret_value()
        password = hrm_password or config.require_secret(
            "hrm_password", f"[targets] {name}:", "the HRM Webservice password"
        ).get_secret_value()
        super().__init__(name, config, domain, dry_run=dry_run, today=today, sleep=sleep)
        self.locations = frozenset(locations)
        self.records = {}  # afkorting -> Connect medewerker
        self._client = SomtodayClient(source, secret, transport=transport, sleep=sleep)
        self._password = password
        self._http = httpx.Client(transport=transport, timeout=TIMEOUT)
        self._brins: dict[str, set[str]] = {}  # afkorting -> BRIN6s
        self._vestigingen: dict[str, dict[str, str]] = {}  # BRIN6 -> afkorting, naam
        self._taken: dict[str, str] = {}  # gebruikersnaam -> afkorting

    def close(self) -> None:
        self._http.close()

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        records: dict[str, dict[str, Any]] = {}
        brins: dict[str, set[str]] = {}
        taken: dict[str, str] = {}
        vestigingen: dict[str, dict[str, str]] = {}
        with self._client as client:
            for vestiging in client.vestigingen():
                codes = [b for b in vestiging.get("brins", []) if b in self.locations]
                if not codes:
                    continue
                brin6 = codes[0]
                vestigingen[brin6] = {
                    "afkorting": str(vestiging.get("afkorting", "")),
                    "naam": str(vestiging.get("naam", "")),
                    "brinNummer": brin6,
                }
                path = f"{VESTIGINGEN}/{vestiging['uuid']}/medewerker"
                for record in client.list_all(path, "medewerkers", {"peilschooljaar": "HUIDIG"}):
                    if not isinstance(record, dict):
                        continue
                    username = str(record.get("gebruikersnaam", "")).lower()
                    number = str(record.get("afkorting", ""))
                    if username:
                        taken[username] = number
                    if number:
                        records[number] = record
                        brins.setdefault(number, set()).add(brin6)
        self.records, self._brins, self._taken = records, brins, taken
        self._vestigingen = vestigingen
        accounts = [self.account(number, record) for number, record in records.items()]
        return TargetSnapshot(accounts, [], frozenset(taken))

    def account(self, number: str, record: dict[str, Any]) -> RemoteAccount:
        given = str(record.get("roepnaam", ""))
        family = joined(str(record.get("voorvoegsel", "")), str(record.get("achternaam", "")))
        end = str(record.get("datum_uit_dienst", ""))[:10]
        functie = str(record.get("functie", ""))
        return RemoteAccount(
            remote_id=number,
            key=f"staff:{number}",
            username=str(record.get("gebruikersnaam", "")),
            display_name=joined(given, family),
            given_name=given,
            family_name=family,
            enabled=not end or date.fromisoformat(end) >= self.day,
            attributes={"sis_role": functie} if functie else {},
        )

    # -- records ------------------------------------------------------------------------------

    def check_new(self, number: str, spec: AccountSpec) -> None:
        owner = self._taken.get(spec.username.lower())
        if owner is not None and owner != number:
            raise RejectedError(f"gebruikersnaam {spec.username} is taken in Somtoday")

    def from_spec(
        self, number: str, spec: AccountSpec, record: dict[str, Any] | None
    ) -> HrmPerson:
        prefix, family = split_prefix(spec.family_name)
        locations = spec.attributes.get("locations", "").split()
        # an adopted medewerker keeps its gebruikersnaam; none at all: the afkorting (HRM doc)
        username = spec.username or number
        email = (
            f"{spec.username}@{self.domain}"
            if spec.username
            else str(record.get("emailadres", ""))
            if record
            else ""
        )
        return HrmPerson(
            number=number,
            given=spec.given_name,
            prefix=prefix,
            family=family,
            username=username,
            email=email,
            functie=spec.attributes.get("sis_role", ""),
            sex=str(record.get("geslacht", "ONBEKEND")) if record else "ONBEKEND",
            start=self._start(record),
            teaching=spec.attributes.get("role", "teacher") in TEACHING_ROLES,
            vestigingen=[self._vestigingen[b] for b in locations if b in self._vestigingen],
        )

    def from_record(self, number: str, record: dict[str, Any]) -> HrmPerson:
        return HrmPerson(
            number=number,
            given=str(record.get("roepnaam", "")),
            prefix=str(record.get("voorvoegsel", "")),
            family=str(record.get("achternaam", "")),
            username=str(record.get("gebruikersnaam", "")),
            email=str(record.get("emailadres", "")),
            functie=str(record.get("functie", "")),
            sex=str(record.get("geslacht", "ONBEKEND")),
            start=self._start(record),
            end=str(record.get("datum_uit_dienst", ""))[:10],
            teaching=bool(record.get("is_docent", True)),
            vestigingen=[
                self._vestigingen[b]
                for b in sorted(self._brins.get(number, ()))
                if b in self._vestigingen
            ],
        )

    def with_end(self, payload: HrmPerson, end: date | None) -> HrmPerson:
        if end is None:
            return replace(payload, end="", reason="")
        return replace(payload, end=end.isoformat(), reason=self.config.reden_uit_dienst)

    def _start(self, record: dict[str, Any] | None) -> str:
        """datumInDienst as Somtoday has it, else the day of the write."""
        start = str(record.get("datum_in_dienst", ""))[:10] if record else ""
        return start or self.day.isoformat()

    def post(self, payload: HrmPerson) -> None:
        where = "createPerson"
        body = hrm_envelope(
            payload, self.config.hrm_username or "", self._password, self.config.hrm_brin or ""
        )
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        try:
            response = self._http.post(self.config.hrm_url or "", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise translate(where, exc) from None
        if response.status_code != 200 or find_fault(response.content) is not None:
            raise translate(where, response, [self._password])
