"""Staff accounts in Magister, kept in step with HR (``type = "sis-staff"``, ``system =
"magister"``); see :mod:`connectors.sis.staff` for what the SIS staff targets share.

Reading: ``GetActiveEmpoyees`` (sic) through the board's Magister source configuration. A
medewerker's key is ``staff:<stamnr_str>``: boards that sync staff into Magister set the
personeelsnummer to the HR employee number (the HelloID connector does the same). The list
holds active staff only, so an inactive medewerker is simply not there. The username is the
local part of ``Email`` (the work address the provisioner writes); ``attributes.sis_role``
is ``Functie.Omschr``.

Writing: SOAP ``UpdateMedewerker`` (``POST {base_url}/soap/personeel?service=Personeel``,
``SOAPAction: urn:MediusServer_Soap-Personeel#UpdateMedewerker``, rpc/encoded, with the
session token of the ``Login``). It creates or updates the medewerker ``PersoneelsNummer``
(an integer: an HR number that is no number is rejected) and **blanks every field it is not
sent**, so every call sends all of them: the names (``Roepnaam``, ``Voorletters``,
``Tussenvoegsel``, ``Achternaam``), ``Geslacht`` as Magister has it, ``Email_Werk``
``<username>@<domain>``, ``Functie`` (the ``sis_roles`` function of the person's level),
``DatumInDienst`` as Magister has it (else the day of the write) and ``DatumUitDienst``:
``2099-12-31`` while active (as the HelloID connector does), the day before the run for a
leaver. Fields the provisioner does not know and Magister's active list does not show
(birth data, addresses, private phone and mail) are sent empty: HR is the master of these
records, as with the HelloID connector. Magister answers HTTP 200 without a body; a SOAP
fault about the session is fatal, any other ``Client`` fault rejects the person.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, timedelta
from html import escape

import httpx

from connectors.retry import retry_after, retry_policy
from connectors.sis.magister.source import (
    MEDEWERKER_FIELDS,
    STAFF,
    MagisterClient,
    MagisterSource,
    child_text,
    items,
    magister_date,
)
from connectors.sis.parnassys.source import find_fault
from connectors.sis.staff import GroupLedger, LedgerGroups, initials, joined, split_prefix
from provisioner.config import MagisterSourceConfig, SisStaffTargetConfig
from provisioner.errors import (
    AlreadyExistsError,
    ConnectorError,
    FatalError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from provisioner.targets import AccountSpec, RemoteAccount, TargetSnapshot

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PERSONEEL_NS = "urn:MediusServer_Soap-Personeel"
ACTION = "urn:MediusServer_Soap-Personeel#UpdateMedewerker"
OPEN_END = "2099-12-31"
DATE_FIELDS = frozenset({"GeboorteDatum", "DatumOverlijden", "DatumInDienst", "DatumUitDienst"})
MAX_ATTEMPTS = 5
MAX_WAIT = 300.0
SESSION_WORDS = ("sessiontoken", "session", "login", "wachtwoord")


def update_envelope(token: str, values: Mapping[str, str]) -> bytes:
    """The rpc/encoded ``UpdateMedewerker`` request with every field (empty ones too)."""
    parts = [f'<SessionToken xsi:type="xsd:string">{escape(token, quote=False)}</SessionToken>']
    for name in MEDEWERKER_FIELDS:
        kind = "int" if name == "PersoneelsNummer" else "string"
        kind = "dateTime" if name in DATE_FIELDS else kind
        value = escape(values.get(name, ""), quote=False)
        parts.append(f'<{name} xsi:type="xsd:{kind}">{value}</{name}>')
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" '
        'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        '<soap:Body soap:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
        f'<q1:UpdateMedewerker xmlns:q1="{PERSONEEL_NS}">{"".join(parts)}</q1:UpdateMedewerker>'
        "</soap:Body></soap:Envelope>"
    ).encode()


def translate(where: str, outcome: httpx.Response | httpx.HTTPError) -> ConnectorError:
    if isinstance(outcome, httpx.HTTPError):
        if isinstance(outcome, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return FatalError(f"{where}: bad Magister URL")
        return TransientError(f"{where}: Magister could not be reached ({type(outcome).__name__})")
    fault = find_fault(outcome.content)
    wait = retry_after(outcome.headers)
    if fault is not None:
        said = f"{where}: Magister answered fault {fault.code}: {fault.text}"
        if fault.code.startswith("Server"):
            return TransientError(said, wait)
        if any(word in fault.text.casefold() for word in SESSION_WORDS):
            return FatalError(said)
        return RejectedError(said)
    status = outcome.status_code
    message = f"{where}: Magister answered HTTP {status}"
    if status in (401, 403, 404):
        return FatalError(f"{message}: check base_url, the login and the allow-list")
    if status in (408, 429) or status >= 500:
        return TransientError(message, wait)
    return FatalError(message)


class MagisterStaffTarget(LedgerGroups):
    """Magister staff accounts: read with ``GetActiveEmpoyees``, written with
    ``UpdateMedewerker``."""

    parallel = 1

    def __init__(
        self,
        name: str,
        config: SisStaffTargetConfig,
        source: MagisterSourceConfig,
        locations: AbstractSet[str],
        domain: str,
        *,
        password: str | None = None,
        transport: httpx.BaseTransport | None = None,
        dry_run: bool = False,
        today: date | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.config = config
        self.dry_run = dry_run
        self.domain = domain
        self.today = today
        self.ledger = GroupLedger(config.state_file)
        reader = MagisterSource(
            name, source, locations, password=password, transport=transport, sleep=sleep
        )
        self._client: MagisterClient = reader.client()
        self._base = source.base_url.rstrip("/")
        self._sleep = sleep
        self._records: dict[str, dict[str, str]] = {}  # stamnr -> Personeelslid elements

    def close(self) -> None:
        self._client.close()

    @property
    def _day(self) -> date:
        return self.today or date.today()

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        root = self._client.doc("ADFuncties", STAFF, {"LesPeriode": ""})
        records: dict[str, dict[str, str]] = {}
        for element in items(root, "Personeelsleden", "Personeelslid"):
            number = child_text(element, "stamnr_str")
            if number:
                records[number] = {child.tag: child_text(element, child.tag) for child in element}
        self._records = records
        accounts = [self._account(number, record) for number, record in records.items()]
        taken = frozenset(a.username.lower() for a in accounts if a.username)
        return TargetSnapshot(accounts, self.ledger.groups(), taken)

    def _account(self, number: str, record: Mapping[str, str]) -> RemoteAccount:
        given = record.get("Roepnaam", "")
        family = joined(record.get("Tussenv", ""), record.get("Achternaam", ""))
        end = magister_date(record.get("dVertrek_str", ""))
        functie = record.get("Functie.Omschr", "")
        return RemoteAccount(
            remote_id=number,
            key=f"staff:{number}",
            username=record.get("Email", "").partition("@")[0],
            display_name=joined(given, family),
            given_name=given,
            family_name=family,
            enabled=end is None or end >= self._day,
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
            raise AlreadyExistsError(f"Magister has an active medewerker {number}")
        self._send(self._from_spec(number, spec, {}))
        return number

    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        self.guard()
        record = self._records.get(remote_id)
        if record is None:
            raise NotFoundError(f"no active Magister medewerker {remote_id}")
        self._send(self._from_spec(remote_id, spec, record))

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        self.guard()
        record = self._records.get(remote_id)
        if record is None:
            raise NotFoundError(f"no active Magister medewerker {remote_id}")
        values = self._from_record(remote_id, record)
        values["DatumUitDienst"] = (
            OPEN_END if enabled else (self._day - timedelta(days=1)).isoformat()
        )
        self._send(values)

    def delete_account(self, remote_id: str) -> None:
        """Magister keeps staff records: the medewerker stays inactive (see the module)."""
        self.guard()
        self.ledger.forget_member(remote_id)

    # -- records ------------------------------------------------------------------------------

    def _from_spec(
        self, number: str, spec: AccountSpec, record: Mapping[str, str]
    ) -> dict[str, str]:
        prefix, family = split_prefix(spec.family_name)
        start = magister_date(record.get("datum_in_str", ""))
        return {
            "PersoneelsNummer": number,
            "Roepnaam": spec.given_name,
            "Voorletters": initials(spec.given_name),
            "Tussenvoegsel": prefix,
            "Achternaam": family,
            "Geslacht": record.get("M_V", ""),
            "Email_Werk": (
                f"{spec.username}@{self.domain}" if spec.username else record.get("Email", "")
            ),
            "Functie": spec.attributes.get("sis_role", ""),
            "DatumInDienst": (start or self._day).isoformat(),
            "DatumUitDienst": OPEN_END,
        }

    def _from_record(self, number: str, record: Mapping[str, str]) -> dict[str, str]:
        start = magister_date(record.get("datum_in_str", ""))
        return {
            "PersoneelsNummer": number,
            "Roepnaam": record.get("Roepnaam", ""),
            "Voorletters": record.get("Voorletters", ""),
            "Tussenvoegsel": record.get("Tussenv", ""),
            "Achternaam": record.get("Achternaam", ""),
            "Geslacht": record.get("M_V", ""),
            "Email_Werk": record.get("Email", ""),
            "Functie": record.get("Functie.Omschr", ""),
            "DatumInDienst": (start or self._day).isoformat(),
        }

    def _send(self, values: Mapping[str, str]) -> None:
        if not values.get("PersoneelsNummer", "").isdigit():
            raise RejectedError(
                "Magister's PersoneelsNummer is a number; this employee number is not"
            )
        retrying = retry_policy(MAX_ATTEMPTS, MAX_WAIT, self._sleep)
        retrying(self._post, values)

    def _post(self, values: Mapping[str, str]) -> None:
        where = "UpdateMedewerker"
        body = update_envelope(self._client.session_token(), values)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ACTION}
        url = f"{self._base}/soap/personeel?service=Personeel"
        try:
            response = self._client.http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise translate(where, exc) from None
        if response.status_code != 200 or find_fault(response.content) is not None:
            raise translate(where, response)
