"""ParnasSys transport: the SOAP envelope of the generic interface, the client (the one retry
policy) and the translation of faults and answers into typed errors. The mapping is
:mod:`connectors.sis.parnassys.source`, which keeps these names importable."""

from __future__ import annotations

import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection
from datetime import date
from html import escape

import httpx

from connectors.http_status import READ, Kind, classify
from connectors.oauth import translate_failure
from connectors.retry import retry_after, retry_policy
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.soap import child, find_fault, local, parse_xml
from provisioner.errors import ConnectorError, FatalError, TransientError
from provisioner.redaction import redact

NAMESPACE = "http://www.topicus.nl/parnassys"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
GET_PUPILS = "getLeerlingen"
GET_STAFF = "getMedewerkers"
TIMEOUT = 60.0  # seconds per SOAP call: a large school's answer takes a while
MAX_ATTEMPTS = 5  # per call, the first included
MAX_WAIT = 300.0  # seconds one call may spend waiting to be retried


def school_year(day: date) -> str:
    """The ParnasSys school year of ``day``: ``"2026 / 2027"`` from 1 August 2026."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first} / {first + 1}"


def envelope(operation: str, supplier: str, key: str, brin: str, year: str) -> bytes:
    """The SOAP 1.1 request of one operation, as the HelloID connector sends it."""
    fields = (
        ("leveranciernaam", supplier),
        ("leveranciersleutel", key),
        ("brinnummer", brin),
        ("schooljaar", year),
    )
    params = "".join(f'<{n} xmlns="">{escape(v, quote=False)}</{n}>' for n, v in fields)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
        f'<{operation} xmlns="{NAMESPACE}">{params}</{operation}>'
        "</soap:Body></soap:Envelope>"
    ).encode()


# -- error translation: the one place faults and transport failures become errors ------------


def translate(
    where: str, outcome: httpx.Response | httpx.HTTPError, secrets: Collection[str] = ()
) -> ConnectorError:
    """The typed error for a failed call: a SOAP fault, an error answer or no answer.

    A ``Client`` fault (bad supplier name or key, a BRIN the supplier may not read, a bad
    request) and any fault other than ``Server`` are fatal; a ``Server`` fault (busy, an
    error on their side) is transient. Without a fault: 401/403/404 and redirects are fatal,
    408, 429, 5xx and timeouts transient, with the server's ``Retry-After``. Every string in
    ``secrets`` is blanked.
    """
    if isinstance(outcome, httpx.HTTPError):
        return translate_failure("ParnasSys", where, outcome, secrets)
    fault = find_fault(outcome.content)
    if fault is not None:
        wait = retry_after(outcome.headers)
        said = redact(f"{where}: ParnasSys answered fault {fault.code}: {fault.text}", secrets)
        family = fault.code.split(".")[0]  # "Client.Authentication" is a Client fault
        if family == "Server":
            return TransientError(said, wait)
        if family == "Client":
            return FatalError(f"{said} (check the supplier name, key and BRIN)")
        return FatalError(said)
    verdict = classify(outcome.status_code, outcome.headers, family=READ)
    message = f"{where}: ParnasSys answered HTTP {outcome.status_code}"
    hint = {
        Kind.AUTH: "check the supplier's access",
        Kind.NOT_FOUND: "check the url",
        Kind.REDIRECT: "redirects are not followed (check the url)",
    }.get(verdict.kind)
    return verdict.build(f"{message}: {hint}" if hint else message)


# -- the transport ----------------------------------------------------------------------------


class ParnasSysClient:
    """One SOAP call at a time, with the one retry policy and the one error translation."""

    def __init__(
        self,
        config: ParnasSysSourceConfig,
        key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._key = key
        self._transport = transport
        self._sleep = sleep

    def call(self, http: httpx.Client, operation: str, brin: str, year: str) -> ET.Element:
        """The ``return`` element of ``operation`` for one BRIN and school year."""
        retrying = retry_policy(MAX_ATTEMPTS, MAX_WAIT, self._sleep)
        result: ET.Element = retrying(self._post, http, operation, brin, year)
        return result

    def client(self) -> httpx.Client:
        verify: ssl.SSLContext | bool = True
        if self.config.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(self.config.ca_file))
        return httpx.Client(
            transport=self._transport,
            timeout=TIMEOUT,
            verify=verify,
            headers={"User-Agent": "school-provisioner"},
        )

    def _post(self, http: httpx.Client, operation: str, brin: str, year: str) -> ET.Element:
        where = f"{operation} {brin}"
        body = envelope(operation, self.config.supplier, self._key, brin, year)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation}"'}
        try:
            response = http.post(self.config.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise translate(where, exc, [self._key]) from None
        if response.status_code != 200 or find_fault(response.content) is not None:
            raise translate(where, response, [self._key])
        try:
            root = parse_xml(response.content)
        except ET.ParseError:
            raise FatalError(f"{where}: the answer is not XML") from None
        answer = next((e for e in root.iter() if local(e.tag) == f"{operation}Response"), None)
        result = child(answer, "return") if answer is not None else None
        if result is None:
            raise FatalError(f"{where}: the answer has no {operation}Response/return")
        return result
