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
``2099-12-31`` while active (as the HelloID connector does), for a leaver their last working
day in HR (the day before the run when HR has none). Fields the provisioner does not know
and Magister's active list does not show (birth data, addresses, private phone and mail)
are sent empty: HR is the master of these records, as with the HelloID connector. Magister
answers HTTP 200 without a body; a SOAP fault about the session is fatal, any other
``Client`` fault rejects the person. A write whose answer was lost (a timeout or a dropped
connection after sending, a 500/502/504 or a ``Server`` fault) is never sent again by the
transport: ``OutcomeUnknown``, verified by the executor (see :mod:`connectors.sis.staff`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date
from html import escape

import httpx

from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.magister.source import (
    MEDEWERKER_FIELDS,
    STAFF,
    MagisterClient,
    MagisterSource,
    items,
    magister_date,
)
from connectors.sis.soap import child_text, find_fault
from connectors.sis.staff import (
    CompleteRecordTarget,
    initials,
    joined,
    split_prefix,
    write_error,
)
from provisioner.errors import ConnectorError, RejectedError
from provisioner.targets import AccountSpec, RemoteAccount, TargetSnapshot

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PERSONEEL_NS = "urn:MediusServer_Soap-Personeel"
ACTION = "urn:MediusServer_Soap-Personeel#UpdateMedewerker"
OPEN_END = "2099-12-31"
DATE_FIELDS = frozenset({"GeboorteDatum", "DatumOverlijden", "DatumInDienst", "DatumUitDienst"})
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
    return write_error(
        where, outcome, system="Magister", login_words=SESSION_WORDS,
        login_hint="check the user and password",
        access_hint="check base_url, the login and the allow-list",
    )  # fmt: skip


class MagisterStaffTarget(CompleteRecordTarget[dict[str, str], dict[str, str]]):
    """Magister staff accounts: read with ``GetActiveEmpoyees``, written with
    ``UpdateMedewerker``."""

    label = "active Magister medewerker"

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
        super().__init__(name, config, domain, dry_run=dry_run, today=today, sleep=sleep)
        self.records = {}  # stamnr -> Personeelslid elements
        reader = MagisterSource(
            name, source, locations, password=password, transport=transport, sleep=sleep
        )
        self._client: MagisterClient = reader.client()
        self._base = source.base_url.rstrip("/")

    def close(self) -> None:
        self._client.close()

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        root = self._client.doc("ADFuncties", STAFF, {"LesPeriode": ""})
        records: dict[str, dict[str, str]] = {}
        for element in items(root, "Personeelsleden", "Personeelslid"):
            number = child_text(element, "stamnr_str")
            if number:
                records[number] = {child.tag: child_text(element, child.tag) for child in element}
        self.records = records
        accounts = [self.account(number, record) for number, record in records.items()]
        taken = frozenset(a.username.lower() for a in accounts if a.username)
        return TargetSnapshot(accounts, [], taken)

    def account(self, number: str, record: dict[str, str]) -> RemoteAccount:
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
            enabled=end is None or end >= self.day,
            attributes={"sis_role": functie} if functie else {},
        )

    # -- records ------------------------------------------------------------------------------

    def from_spec(
        self, number: str, spec: AccountSpec, record: dict[str, str] | None
    ) -> dict[str, str]:
        known = record or {}
        prefix, family = split_prefix(spec.family_name)
        return {
            "PersoneelsNummer": number,
            "Roepnaam": spec.given_name,
            "Voorletters": initials(spec.given_name),
            "Tussenvoegsel": prefix,
            "Achternaam": family,
            "Geslacht": known.get("M_V", ""),
            "Email_Werk": (
                f"{spec.username}@{self.domain}" if spec.username else known.get("Email", "")
            ),
            "Functie": spec.attributes.get("sis_role", ""),
            "DatumInDienst": self._start(known),
            "DatumUitDienst": OPEN_END,
        }

    def from_record(self, number: str, record: dict[str, str]) -> dict[str, str]:
        return {
            "PersoneelsNummer": number,
            "Roepnaam": record.get("Roepnaam", ""),
            "Voorletters": record.get("Voorletters", ""),
            "Tussenvoegsel": record.get("Tussenv", ""),
            "Achternaam": record.get("Achternaam", ""),
            "Geslacht": record.get("M_V", ""),
            "Email_Werk": record.get("Email", ""),
            "Functie": record.get("Functie.Omschr", ""),
            "DatumInDienst": self._start(record),
        }

    def with_end(self, payload: dict[str, str], end: date | None) -> dict[str, str]:
        return {**payload, "DatumUitDienst": OPEN_END if end is None else end.isoformat()}

    def _start(self, record: Mapping[str, str]) -> str:
        """DatumInDienst as Magister has it, else the day of the write."""
        return (magister_date(record.get("datum_in_str", "")) or self.day).isoformat()

    def send(self, payload: dict[str, str]) -> None:
        if not payload.get("PersoneelsNummer", "").isdigit():
            raise RejectedError(
                "Magister's PersoneelsNummer is a number; this employee number is not"
            )
        super().send(payload)

    def post(self, payload: dict[str, str]) -> None:
        where = "UpdateMedewerker"
        body = update_envelope(self._client.session_token(), payload)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ACTION}
        url = f"{self._base}/soap/personeel?service=Personeel"
        try:
            response = self._client.http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise translate(where, exc) from None
        if response.status_code != 200 or find_fault(response.content) is not None:
            raise translate(where, response)
