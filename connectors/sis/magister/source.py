"""Pupils, classes and teacher-class links from Magister (Medius web service), read only.

Magister's "doc" interface answers ``GET {base_url}/doc?Library=<L>&Function=<F>&...``
with XML (research edu-sources.md section 6): ``Response/Data/...`` on success,
``Response/Exception`` + ``Response/ExceptionMsg`` on failure (often with HTTP 200).
:class:`MagisterClient` logs in once per read (``Library=Algemeen&Function=Login``, which
gives ``Response/SessionToken``) and then calls the ``ADFuncties`` functions with that token,
through the one retry policy (:mod:`connectors.retry`) and the one error translation
(:func:`translate`). The interface has no paging, by design: no function takes a page,
offset or continuation parameter, and every function returns its whole list in one answer,
which this source reads whole (a school's 1,200 pupils are one ``GetActiveStudents`` call).
Access is also restricted to allow-listed addresses (HTTP 403 from elsewhere: fatal).

:class:`MagisterSource` calls:

- ``GetActiveStudents`` (``Leerlingen/Leerling``): the pupils enrolled now. ``sis_id`` =
  ``stamnr_str`` (the stamnummer); name ``Roepnaam``, ``Tussenv``, ``Achternaam``; birth date
  ``geb_datum_str``; location = the BRIN6 that ``config.locations`` gives for
  ``Administratieve_eenheid.Omschrijving``; group = ``Klas`` (group id ``<BRIN6>-<Klas>``,
  name the ``Klas``). Magister lists active pupils only, so there are no enrolment dates: a
  pupil who is no longer listed has left. The ECK iD is the element named by
  ``config.eck_id_field`` when the school's Magister exposes one (never generated);
- ``GetActiveEmpoyees`` (sic, ``Personeelsleden/Personeelslid``): the staff; ``stamnr_str``
  is the personeelsnummer, which boards that sync staff into Magister (``UpdateMedewerker``)
  set to the HR employee number;
- ``GetPersoneelKlasVakken`` (``PersoneelKlasVakken/PersoneelKlasVak`` with ``stamnr_str``,
  ``Klas``, ``Vak``): who teaches which class. The function is named by the vendor's
  connectors; its element names are *assumed* (the function catalogue is served on-tenant
  only). A class's teachers are everyone with a subject in it.

Photo consent: Magister has a consent module for parents, but no interface that exposes it
was found (research section 9.2), so this source reads no consent; configure a consent CSV.
Dates (``*_str``) are read as ``DD-MM-YYYY`` or ``YYYY-MM-DD`` (the real format is not
documented publicly). A bad record is reported and quarantined by the OneRoster rules.
"""

from __future__ import annotations

import logging
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date

import httpx

from connectors.csv_common import Issue, Rejections, parse_date
from connectors.http_status import READ, Kind, classify
from connectors.retry import retry_after, retry_policy
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.soap import child_text, local, parse_xml
from provisioner.domain.models import ClassGroup, PersonName, Pupil, pupil_key
from provisioner.errors import ConfigError, ConnectorError, FatalError, TransientError
from provisioner.redaction import redact
from provisioner.sources.models import SourceBatch, SourceKind

log = logging.getLogger(__name__)

DOC = "/doc"
PUPILS = "GetActiveStudents"
STAFF = "GetActiveEmpoyees"  # sic: the vendor's spelling
TEACHING = "GetPersoneelKlasVakken"
TIMEOUT = 60.0
MAX_ATTEMPTS = 5
MAX_WAIT = 300.0
#: Words in an ExceptionMsg that mean the server is busy rather than the request wrong.
BUSY_WORDS = ("bezet", "druk", "timeout", "later opnieuw")
#: Every field of UpdateMedewerker after SessionToken, in the vendor's order.
MEDEWERKER_FIELDS = (
    "PersoneelsNummer", "Roepnaam", "Geboortenaam", "Geslacht", "Voorletters", "Voornamen",
    "Tussenvoegsel", "Achternaam", "Tussenvoegsel_meisjesnaam", "Meisjesnaam", "GeboorteDatum",
    "DatumOverlijden", "Geboorteplaats", "Geboorteland", "Nationaliteit", "Huis_Straat",
    "Huis_Huisnummer", "Huis_Huisnummer_toevoeging", "Huis_Postcode", "Huis_Woonplaats",
    "Huis_Woonland", "Post_Straat", "Post_Huisnummer", "Post_Huisnummer_toevoeging",
    "Post_Postcode", "Post_Woonplaats", "Post_Woonland", "DatumInDienst", "DatumUitDienst",
    "Telefoon_Prive", "Telefoon_Prive_Mobiel", "Telefoon_Werk", "Email_Prive", "Email_Werk",
    "Functie",
)  # fmt: skip


# -- XML helpers ------------------------------------------------------------------------------


def items(root: ET.Element, outer: str, inner: str) -> Iterator[ET.Element]:
    """``Response/Data/<outer>/<inner>`` elements."""
    for data in root:
        if local(data.tag) != "Data":
            continue
        for holder in data:
            if local(holder.tag) == outer:
                yield from (e for e in holder if local(e.tag) == inner)


def magister_date(value: str) -> date | None:
    """``DD-MM-YYYY`` or ``YYYY-MM-DD`` (a time after it is ignored)."""
    value = value[:10]
    if len(value) == 10 and value[2] == "-" and value[5] == "-":
        return parse_date(f"{value[6:]}-{value[3:5]}-{value[:2]}")
    return parse_date(value)


# -- error translation ------------------------------------------------------------------------


def translate(
    where: str, outcome: httpx.Response | httpx.HTTPError, secrets: Collection[str] = ()
) -> ConnectorError:
    """The typed error for a failed call.

    An ``Exception`` answer is fatal (a wrong login, an unknown function or layout), unless
    its message says the server is busy (transient). Without one: 401/403 (also: an address
    not on Magister's allow-list) and 404 are fatal; 408, 429, 5xx and timeouts transient
    with the server's ``Retry-After``. The password and session token are blanked.
    """
    if isinstance(outcome, httpx.HTTPError):
        name = type(outcome).__name__
        if isinstance(outcome, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return FatalError(redact(f"{where}: bad Magister URL ({outcome})", secrets))
        if isinstance(outcome, httpx.TimeoutException):
            return TransientError(f"{where}: Magister did not answer in time ({name})")
        return TransientError(
            redact(f"{where}: connection to Magister failed ({name}: {outcome})", secrets)
        )
    exception = find_exception(outcome.content)
    if exception is not None:
        wait = retry_after(outcome.headers)
        said = redact(f"{where}: Magister answered {exception}", secrets)
        if any(word in exception.casefold() for word in BUSY_WORDS):
            return TransientError(said, wait)
        return FatalError(f"{said} (check the user, password and the function's rights)")
    verdict = classify(outcome.status_code, outcome.headers, family=READ)
    message = f"{where}: Magister answered HTTP {outcome.status_code}"
    hint = {
        Kind.AUTH: "check the login and that this address is allow-listed",
        Kind.NOT_FOUND: "check base_url",
    }.get(verdict.kind)
    return verdict.build(f"{message}: {hint}" if hint else message)


def find_exception(body: bytes) -> str | None:
    """``Exception: ExceptionMsg`` of an error answer; None for any other answer."""
    if b"Exception" not in body:
        return None
    try:
        root = parse_xml(body)
    except ET.ParseError:
        return None
    kind, text = child_text(root, "Exception"), child_text(root, "ExceptionMsg")
    if not kind and not text:
        return None
    return f"{kind}: {text}"[:200] if kind and text else (kind or text)[:200]


# -- the transport ----------------------------------------------------------------------------


class MagisterClient:
    """Login and ``doc`` calls, with the one retry policy and the one error translation."""

    def __init__(
        self,
        config: MagisterSourceConfig,
        password: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._password = password
        self._sleep = sleep
        verify: ssl.SSLContext | bool = True
        if config.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(config.ca_file))
        self.http = httpx.Client(
            transport=transport,
            timeout=TIMEOUT,
            verify=verify,
            headers={"User-Agent": "school-provisioner"},
        )
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self._password, self._token) if s]

    def session_token(self) -> str:
        """Log in once (``Algemeen``/``Login``) and keep the token for this client."""
        if self._token is None:
            root = self.doc(
                "Algemeen",
                "Login",
                {"UserName": self.config.username, "Password": self._password},
                with_token=False,
            )
            token = child_text(root, "SessionToken")
            if child_text(root, "Result").casefold() != "true" or not token:
                raise FatalError("Magister Login: no session token (check user and password)")
            self._token = token
        return self._token

    def doc(
        self,
        library: str,
        function: str,
        params: Mapping[str, str] | None = None,
        *,
        with_token: bool = True,
    ) -> ET.Element:
        """The ``Response`` root of one ``doc`` call, retried by the one policy."""
        query = {"Library": library, "Function": function, **(params or {}), "Type": "XML"}
        if with_token:
            query["SessionToken"] = self.session_token()
        retrying = retry_policy(MAX_ATTEMPTS, MAX_WAIT, self._sleep)
        result: ET.Element = retrying(self._get, function, query)
        return result

    def _get(self, function: str, query: Mapping[str, str]) -> ET.Element:
        url = self.config.base_url.rstrip("/") + DOC
        try:
            response = self.http.get(url, params=query)
        except httpx.HTTPError as exc:
            raise translate(function, exc, self.secrets) from None
        if response.status_code != 200 or find_exception(response.content) is not None:
            raise translate(function, response, self.secrets)
        try:
            return parse_xml(response.content)
        except ET.ParseError:
            raise FatalError(f"{function}: the answer is not XML") from None


# -- the source -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Read:
    log: Rejections
    pupils: list[Pupil] = field(default_factory=list)
    pupil_ids: set[str] = field(default_factory=set)
    groups: dict[str, ClassGroup] = field(default_factory=dict)


class MagisterSource:
    """A Magister school administration as SIS source (see the module text).

    ``locations`` are the configured BRIN6 codes; ``config.locations`` maps each
    administratieve eenheid to one of them. The password comes from the configuration
    (``password_env`` or ``password_file``) unless ``password`` is given.
    """

    kind: SourceKind = SourceKind.SIS
    system: str = "Magister"

    def __init__(
        self,
        name: str,
        config: MagisterSourceConfig,
        locations: AbstractSet[str],
        *,
        password: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.config = config
        self.locations = frozenset(locations)
        self._password = password
        self._transport = transport
        self._sleep = sleep
        unknown = sorted(set(config.locations.values()) - self.locations)
        if unknown:
            raise ConfigError(
                f"source {name}: locations maps to {', '.join(unknown)}, not configured locations"
            )

    def client(self) -> MagisterClient:
        password = self._password
        if password is None:
            password = self.config.require_secret(
                "password", f"[sources.{self.name}]", "the Magister password"
            ).get_secret_value()
        if not password:
            raise ConfigError(f"source {self.name}: the Magister password is empty")
        return MagisterClient(self.config, password, transport=self._transport, sleep=self._sleep)

    def read(self) -> SourceBatch:
        client = self.client()
        try:
            pupils = client.doc("ADFuncties", PUPILS, {"LesPeriode": ""})
            staff = client.doc("ADFuncties", STAFF, {"LesPeriode": ""})
            teaching = client.doc("ADFuncties", TEACHING, {"LesPeriode": ""})
        finally:
            client.close()
        state = _Read(Rejections(self.name))
        self._pupils(pupils, state)
        self._teachers(staff, teaching, state)
        batch = SourceBatch(source=self.name, kind=self.kind)
        batch.pupils = [p for p in state.pupils if p.key not in state.log.quarantined]
        batch.groups = list(state.groups.values())
        state.log.fill(batch)
        batch.counts = {"pupils": len(state.pupil_ids), "groups": len(state.groups)}
        return batch.named(self.system)

    def _location(self, unit: str) -> str | None:
        return self.config.locations.get(unit)

    def _pupils(self, root: ET.Element, state: _Read) -> None:
        seen: dict[str, Pupil] = {}
        for element in items(root, "Leerlingen", "Leerling"):
            number = child_text(element, "stamnr_str")
            if not number:
                state.log.reject(PUPILS, None, None, None, [("stamnr_str", "no stamnummer")])
                continue
            key = pupil_key(number)
            pupil, issues = self._pupil(number, element)
            if number in state.pupil_ids:
                if pupil is not None and seen.get(number) == pupil:
                    continue
                issues.append(("stamnr_str", "this stamnummer is listed twice, differently"))
            state.pupil_ids.add(number)
            if issues or pupil is None:
                state.log.reject(PUPILS, None, number, key, issues)
                continue
            seen[number] = pupil
            state.pupils.append(pupil)
            if pupil.group_id is not None and pupil.group_id not in state.groups:
                klas = child_text(element, "Klas")
                state.groups[pupil.group_id] = ClassGroup(pupil.group_id, klas, pupil.location)

    def _pupil(self, number: str, element: ET.Element) -> tuple[Pupil | None, list[Issue]]:
        issues: list[Issue] = []
        given, family = child_text(element, "Roepnaam"), child_text(element, "Achternaam")
        if not given:
            issues.append(("Roepnaam", "no Roepnaam"))
        if not family:
            issues.append(("Achternaam", "no Achternaam"))
        raw_birth = child_text(element, "geb_datum_str")
        birth = magister_date(raw_birth) if raw_birth else None
        if raw_birth and birth is None:
            issues.append(("geb_datum_str", f"'{raw_birth}' is not a date (DD-MM-YYYY)"))
        unit = child_text(element, "Administratieve_eenheid.Omschrijving")
        location = self._location(unit)
        if location is None:
            reason = f"administratieve eenheid '{unit}' is not in the source's locations"
            issues.append(("Administratieve_eenheid.Omschrijving", reason))
        klas = child_text(element, "Klas")
        eck = child_text(element, self.config.eck_id_field) if self.config.eck_id_field else ""
        if issues or location is None:
            return None, issues
        return (
            Pupil(
                sis_id=number,
                name=PersonName(given, child_text(element, "Tussenv"), family),
                birth_date=birth,
                location=location,
                group_id=f"{location}-{klas}" if klas else None,
                enrolment_start=None,
                enrolment_end=None,
                eck_id=eck or None,
            ),
            [],
        )

    def _teachers(self, staff: ET.Element, teaching: ET.Element, state: _Read) -> None:
        """Teacher-class links; a link that cannot be used costs only that access."""
        units: dict[str, str] = {}
        for element in items(staff, "Personeelsleden", "Personeelslid"):
            number = child_text(element, "stamnr_str")
            if number:
                units[number] = child_text(element, "Administratieve_eenheid.Omschrijving")
        teachers: dict[str, set[str]] = {}
        for element in items(teaching, "PersoneelKlasVakken", "PersoneelKlasVak"):
            number, klas = child_text(element, "stamnr_str"), child_text(element, "Klas")
            if not number or not klas:
                reason = "a link without teacher or Klas"
                state.log.note(TEACHING, None, number or None, "Klas", reason)
                continue
            if number not in units:
                reason = f"teacher is not in {STAFF}: no access to class '{klas}'"
                state.log.note(TEACHING, None, number, "stamnr_str", reason)
                continue
            location = self._location(units[number])
            group_id = f"{location}-{klas}" if location else ""
            if group_id not in state.groups:
                reason = f"class '{klas}' has no pupils at the teacher's location: no access"
                state.log.note(TEACHING, None, number, "Klas", reason)
                continue
            teachers.setdefault(group_id, set()).add(number)
        for group_id, numbers in teachers.items():
            group = state.groups[group_id]
            state.groups[group_id] = ClassGroup(
                group.group_id, group.name, group.location, frozenset(numbers)
            )
