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
  the write; ``datumUitDienst`` empty while active. A leaver gets ``datumUitDienst`` = the day
  before the run (the engine disables on the first day after the last working day; the HR
  date itself does not reach a target) with ``redenUitDienst`` = ``reden_uit_dienst``.

A fault about the data (an unknown functie or voorvoegsel, a taken afkorting) rejects that
person only; a fault about the login is fatal for the target; a server fault is retried.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from connectors.retry import retry_after, retry_policy
from connectors.sis.parnassys.source import find_fault
from connectors.sis.somtoday.source import VESTIGINGEN, SomtodayClient
from connectors.sis.staff import (
    GroupLedger,
    LedgerGroups,
    initials,
    joined,
    split_prefix,
    strong_password,
)
from provisioner.config import SisStaffTargetConfig, SomtodaySourceConfig
from provisioner.errors import (
    AlreadyExistsError,
    ConfigError,
    ConnectorError,
    FatalError,
    NotFoundError,
    RejectedError,
    TransientError,
)
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
MAX_ATTEMPTS = 5
MAX_WAIT = 300.0
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
    person; a ``Server`` fault, 408/429/5xx and timeouts are transient; 401/403/404 fatal."""
    if isinstance(outcome, httpx.HTTPError):
        name = type(outcome).__name__
        if isinstance(outcome, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return FatalError(f"{where}: bad HRM service URL")
        return TransientError(f"{where}: the HRM service could not be reached ({name})")
    fault = find_fault(outcome.content)
    wait = retry_after(outcome.headers)
    if fault is not None:
        text = fault.text
        for secret in secrets_:
            if secret:
                text = text.replace(secret, "***")
        said = f"{where}: Somtoday HRM answered fault {fault.code}: {text}"
        if fault.code.startswith("Server"):
            return TransientError(said, wait)
        if any(word in text.casefold() for word in AUTH_WORDS):
            return FatalError(f"{said} (check hrm_username, its password and hrm_brin)")
        return RejectedError(said)
    status = outcome.status_code
    message = f"{where}: Somtoday HRM answered HTTP {status}"
    if status in (401, 403, 404):
        return FatalError(f"{message}: check hrm_url and the login")
    if status in (408, 429) or status >= 500:
        return TransientError(message, wait)
    return FatalError(message)


class SomtodayStaffTarget(LedgerGroups):
    """Somtoday staff accounts: read through Connect, written through the HRM Webservice."""

    parallel = 1

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
        secret = client_secret or os.environ.get(source.client_secret_env)
        password = hrm_password or os.environ.get(config.hrm_password_env)
        if not secret or not password:
            raise ConfigError(
                f"target {name}: set the environment variables {source.client_secret_env} "
                f"(Connect) and {config.hrm_password_env} (HRM Webservice)"
            )
        self.name = name
        self.config = config
        self.dry_run = dry_run
        self.domain = domain
        self.locations = frozenset(locations)
        self.today = today
        self.ledger = GroupLedger(config.state_file)
        self._client = SomtodayClient(source, secret, transport=transport, sleep=sleep)
        self._password = password
        self._http = httpx.Client(transport=transport, timeout=TIMEOUT)
        self._sleep = sleep
        self._records: dict[str, dict[str, Any]] = {}  # afkorting -> Connect medewerker
        self._brins: dict[str, set[str]] = {}  # afkorting -> BRIN6s
        self._vestigingen: dict[str, dict[str, str]] = {}  # BRIN6 -> afkorting, naam
        self._taken: dict[str, str] = {}  # gebruikersnaam -> afkorting

    def close(self) -> None:
        self._http.close()

    @property
    def _day(self) -> date:
        return self.today or date.today()

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        records: dict[str, dict[str, Any]] = {}
        brins: dict[str, set[str]] = {}
        taken: dict[str, str] = {}
        vestigingen: dict[str, dict[str, str]] = {}
        with self._client as client:
            answer = client.get(VESTIGINGEN)
            listed = answer.get("vestigingen") if isinstance(answer, dict) else None
            if not isinstance(listed, list):
                raise FatalError(f"{VESTIGINGEN}: the answer has no 'vestigingen' list")
            for vestiging in listed:
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
        self._records, self._brins, self._taken = records, brins, taken
        self._vestigingen = vestigingen
        accounts = [self._account(number, record) for number, record in records.items()]
        return TargetSnapshot(accounts, self.ledger.groups(), frozenset(taken))

    def _account(self, number: str, record: Mapping[str, Any]) -> RemoteAccount:
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
            enabled=not end or date.fromisoformat(end) >= self._day,
            attributes={"sis_role": functie} if functie else {},
        )

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        number = key.removeprefix("staff:")
        record = self._records.get(number)
        return [self._account(number, record)] if record is not None else []

    # -- writing ------------------------------------------------------------------------------

    def create_account(self, spec: AccountSpec) -> str:
        self.guard()
        number = spec.key.removeprefix("staff:")
        if number in self._records:
            raise AlreadyExistsError(f"Somtoday has a medewerker with afkorting {number}")
        owner = self._taken.get(spec.username.lower())
        if owner is not None and owner != number:
            raise RejectedError(f"gebruikersnaam {spec.username} is taken in Somtoday")
        self._send(self._from_spec(spec, None))
        return number

    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        self.guard()
        record = self._records.get(remote_id)
        if record is None:
            raise NotFoundError(f"no Somtoday medewerker {remote_id}")
        self._send(self._from_spec(spec, record))

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        self.guard()
        record = self._records.get(remote_id)
        if record is None:
            raise NotFoundError(f"no Somtoday medewerker {remote_id}")
        person = self._from_record(remote_id, record)
        if enabled:
            person.end, person.reason = "", ""
        else:
            person.end = (self._day - timedelta(days=1)).isoformat()
            person.reason = self.config.reden_uit_dienst
        self._send(person)

    def delete_account(self, remote_id: str) -> None:
        """Somtoday keeps staff records: the medewerker stays inactive (see the module)."""
        self.guard()
        self.ledger.forget_member(remote_id)

    # -- records ------------------------------------------------------------------------------

    def _from_spec(self, spec: AccountSpec, record: Mapping[str, Any] | None) -> HrmPerson:
        prefix, family = split_prefix(spec.family_name)
        locations = spec.attributes.get("locations", "").split()
        number = spec.key.removeprefix("staff:")
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
            start=str(record.get("datum_in_dienst", ""))[:10] if record else "",
            teaching=spec.attributes.get("role", "teacher") in TEACHING_ROLES,
            vestigingen=[self._vestigingen[b] for b in locations if b in self._vestigingen],
        )

    def _from_record(self, number: str, record: Mapping[str, Any]) -> HrmPerson:
        return HrmPerson(
            number=number,
            given=str(record.get("roepnaam", "")),
            prefix=str(record.get("voorvoegsel", "")),
            family=str(record.get("achternaam", "")),
            username=str(record.get("gebruikersnaam", "")),
            email=str(record.get("emailadres", "")),
            functie=str(record.get("functie", "")),
            sex=str(record.get("geslacht", "ONBEKEND")),
            start=str(record.get("datum_in_dienst", ""))[:10],
            end=str(record.get("datum_uit_dienst", ""))[:10],
            teaching=bool(record.get("is_docent", True)),
            vestigingen=[
                self._vestigingen[b]
                for b in sorted(self._brins.get(number, ()))
                if b in self._vestigingen
            ],
        )

    def _send(self, person: HrmPerson) -> None:
        if not person.start:
            person.start = self._day.isoformat()
        body = hrm_envelope(
            person, self.config.hrm_username or "", self._password, self.config.hrm_brin or ""
        )
        retrying = retry_policy(MAX_ATTEMPTS, MAX_WAIT, self._sleep)
        retrying(self._post, body)

    def _post(self, body: bytes) -> None:
        where = "createPerson"
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        try:
            response = self._http.post(self.config.hrm_url or "", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise translate(where, exc) from None
        if response.status_code != 200 or find_fault(response.content) is not None:
            raise translate(where, response, [self._password])
