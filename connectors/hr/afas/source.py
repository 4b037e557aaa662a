"""Staff from AFAS Profit over its REST GetConnectors (read only).

Two GetConnectors of the Tools4ever HelloID set are read, each page by page with
``skip``/``take`` and a fixed ``orderbyfieldids``, and joined on ``Medewerker``:

- the users connector (``T4E_HelloID_Users_v2``): one row per medewerker, with the name;
- the employments connector (``T4E_HelloID_Employments_v2``): one row per function line
  (aanstelling), with org unit, function and dates.

How a row becomes a :class:`StaffMember`:

- employee number = ``Medewerker``; given name = ``Roepnaam``, else the first word of
  ``Voornaam``;
- prefix (tussenvoegsel) and family name by the name-use code ``Naamgebruik_code``
  (naamgebruik), with own name ``Voorvoegsel`` + ``Geboortenaam`` and partner name
  ``Voorvoegsel_partner`` + ``Geboortenaam_partner``:

  ======  ====  ==================  ================================
  code    use   prefix              family name
  ======  ====  ==================  ================================
  0       B     own prefix          own name ("Boele")
  1       PB    partner's prefix    "Vries - van den Boele"
  2       P     partner's prefix    partner's name ("Vries")
  3       BP    own prefix          "Boele - de Vries"
  ======  ====  ==================  ================================

  so code 3 shows as "Janine van den Boele - de Vries" and code 1 as "Janine de Vries - van den
  Boele". The letters (``B``, ``PB``, ``P``, ``BP``) are accepted as codes too;
- one :class:`Employment` per employment row: location = the BRIN6 of
  ``Organisatorische_eenheid_code`` (``org_units``), function title ``Functie_omschrijving``,
  start and end from ``Begindatum_functie``/``Einddatum_functie``. A date is ``2024-08-01`` or
  a datetime at midnight (``2024-08-01T00:00:00Z``, ``2024-08-01T00:00:00``): the calendar
  date as written is used. Verified in AFAS's own documentation (GetConnector): date-time
  fields end in a ``Z`` that is to be ignored, the time is always Amsterdam time, so there is
  no time-zone conversion. A date field with a time other than midnight is still reported:
  it is not a date field. ``null`` or empty = no end date.

Records that cannot be used are reported and quarantined exactly like the HR CSV source
(docs/formats.md): ``file`` is the GetConnector id, ``line`` is None, ``field`` the AFAS field.
A medewerker in the users connector without employment rows is delivered with no employments
(the policy treats that like someone who has left); an employment row whose medewerker is not
in the users connector is reported and that employee number quarantined.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

from connectors.csv_common import Issue, Rejections, clean_text, parse_date
from connectors.hr.afas.config import AfasSourceConfig
from connectors.hr.afas.protocol import authorization, token_forms, token_xml, translate
from connectors.retry import retry_policy
from provisioner.domain.models import Employment, PersonName, StaffMember, staff_key
from provisioner.errors import ConfigError, ConnectorError, FatalError
from provisioner.sources.models import SourceBatch, SourceKind

log = logging.getLogger(__name__)

USER_AGENT = "school-provisioner"
#: ``orderbyfieldids`` per connector: unique keys, so skip/take paging is stable.
USERS_ORDER = "Medewerker"
EMPLOYMENTS_ORDER = "Medewerker,ExternalID"
DEFAULT_TIMEOUT = 120.0  # seconds per request; AFAS Online itself stops a request at 15 min
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_MAX_WAIT = 300.0  # seconds one page may spend waiting between retries

#: Public names (the protocol's too), importable from here as before the split.
__all__ = [
    "DEFAULT_MAX_ATTEMPTS", "DEFAULT_MAX_WAIT", "DEFAULT_TIMEOUT", "EMPLOYMENTS_ORDER",
    "USERS_ORDER", "USER_AGENT", "AfasClient", "AfasSource", "authorization", "token_xml",
    "translate",
]  # fmt: skip


#: Naamgebruik_code -> naamgebruik (name use): B birth, P partner, PB and BP both.
NAME_USE: dict[str, str] = {
    "0": "B",
    "1": "PB",
    "2": "P",
    "3": "BP",
    **{letters: letters for letters in ("B", "PB", "P", "BP")},
}

_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


# -- the client: auth, paging, the one retry policy -------------------------------------------


class AfasClient:
    """Reads GetConnectors: AfasToken auth, skip/take paging, retries, typed errors."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        token_env: str | None = None,
        transport: httpx.BaseTransport | None = None,
        ca_file: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_wait: float = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.requests_sent = 0
        self._token_env = token_env
        self._secrets = token_forms(token)
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._sleep = sleep
        verify: ssl.SSLContext | bool = True
        if ca_file is not None:
            verify = ssl.create_default_context(cafile=ca_file)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            verify=verify,
            transport=transport,
            trust_env=ca_file is None and transport is None,
            headers={
                "Authorization": authorization(token),
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AfasClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, connector: str, order_by: str, page_size: int) -> list[dict[str, Any]]:
        """Every row of a GetConnector, ``page_size`` at a time, until a short page.

        A page with the same rows as an earlier one (a server or proxy that ignores
        ``skip``, or an order that is not stable) stops the read with a FatalError.
        """
        rows: list[dict[str, Any]] = []
        seen: dict[str, int] = {}  # fingerprint of a page -> the skip that gave it
        skip = 0
        while True:
            params = {"skip": str(skip), "take": str(page_size), "orderbyfieldids": order_by}
            page = self._page(connector, params)
            log.debug("AFAS %s skip=%d take=%d: %d rows", connector, skip, page_size, len(page))
            if page:
                fingerprint = hashlib.sha256(
                    json.dumps(page, sort_keys=True, default=str).encode()
                ).hexdigest()
                if fingerprint in seen:
                    raise FatalError(
                        f"AFAS GetConnector '{connector}' answered skip={skip} with the same "
                        f"rows as skip={seen[fingerprint]}: the server ignores skip/take or its "
                        "order is not stable; the read is stopped instead of repeating forever"
                    )
                seen[fingerprint] = skip
            rows.extend(page)
            if len(page) < page_size:
                return rows
            skip += page_size

    def _page(self, connector: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        url = f"{self.base_url}/connectors/{quote(connector, safe='')}"

        def attempt() -> httpx.Response:
            self.requests_sent += 1
            try:
                response = self._http.get(url, params=params)
            except httpx.HTTPError as exc:
                raise self._translate(exc, connector) from exc
            if not response.is_success:
                raise self._translate(response, connector)
            return response

        policy = retry_policy(self._max_attempts, self._max_wait, self._sleep)
        response = policy(attempt)
        try:
            body = response.json()
        except ValueError:
            body = None
        rows = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise FatalError(
                f"AFAS GetConnector '{connector}' answered without a 'rows' list of records "
                f"(HTTP {response.status_code}, {response.headers.get('content-type', '-')})"
            )
        return rows

    def _translate(
        self, outcome: httpx.Response | httpx.HTTPError, connector: str
    ) -> ConnectorError:
        return translate(outcome, connector, token_env=self._token_env, redact=self._secrets)


# -- the source ------------------------------------------------------------------------------


class AfasSource:
    """Staff (medewerkers) from AFAS Profit, keyed by employee number (``Medewerker``).

    ``org_units`` maps AFAS org unit codes (``Organisatorische_eenheid_code``) to the BRIN6
    of their location. The token is the AfasToken XML, the one the configuration resolved
    (``token_env`` or ``token_file``) unless given; bare token data is wrapped in the XML.
    """

    kind: SourceKind = SourceKind.HR
    system: str = "AFAS Profit"

    def __init__(
        self,
        name: str,
        config: AfasSourceConfig,
        org_units: Mapping[str, str],
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_wait: float = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.config = config
        self.org_units = dict(org_units)
        self._token = token
        self._transport = transport
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._sleep = sleep

    def read(self) -> SourceBatch:
        """Read both GetConnectors and join them; unusable records quarantine their person."""
        config = self.config
        with AfasClient(
            config.base_url,
            self._resolve_token(),
            token_env=None if self._token is not None else config.token_env,
            transport=self._transport,
            ca_file=str(config.ca_file) if config.ca_file is not None else None,
            timeout=self._timeout,
            max_attempts=self._max_attempts,
            max_wait=self._max_wait,
            sleep=self._sleep,
        ) as client:
            users = client.rows(config.users_connector, USERS_ORDER, config.page_size)
            jobs = client.rows(config.employments_connector, EMPLOYMENTS_ORDER, config.page_size)
        log.info("AFAS: %d user rows, %d employment rows", len(users), len(jobs))
        return self.build(users, jobs).named(self.system)

    def build(
        self, users: Iterable[Mapping[str, Any]], employments: Iterable[Mapping[str, Any]]
    ) -> SourceBatch:
        """The batch from the rows of both GetConnectors (no I/O)."""
        users_file, jobs_file = self.config.users_connector, self.config.employments_connector
        rejections = Rejections(self.name)
        numbers: set[str] = set()  # every employee number seen: the staff count
        in_users: set[str] = set()
        names: dict[str, PersonName] = {}
        for row in users:
            number = _text(row.get("Medewerker"))
            if not number:
                rejections.reject(
                    users_file, None, None, None, [("Medewerker", "no employee number")]
                )
                continue
            numbers.add(number)
            in_users.add(number)
            name, issues = _name(row)
            if name is not None and number in names and names[number] != name:
                issues = [
                    ("Medewerker", "duplicate employee number: two user rows with different names")
                ]
            if issues or name is None:
                rejections.reject(users_file, None, number, staff_key(number), issues)
                continue
            names[number] = name

        jobs: dict[str, dict[object, Employment]] = {}
        for row in employments:
            number = _text(row.get("Medewerker"))
            external_id = _text(row.get("ExternalID"))
            if not number:
                which = f" (ExternalID '{external_id}')" if external_id else ""
                issue = ("Medewerker", f"no employee number{which}")
                rejections.reject(jobs_file, None, None, None, [issue])
                continue
            numbers.add(number)
            employment, issues = self._employment(row)
            if number not in in_users:
                issues.insert(
                    0,
                    (
                        "Medewerker",
                        f"an employment of someone not in the users connector '{users_file}'",
                    ),
                )
            key: object = external_id or employment
            if employment is not None and key in jobs.get(number, {}):
                what = f"ExternalID '{external_id}'" if external_id else "org unit, function, dates"
                issues.append((None, f"the same employment twice ({what})"))
            if issues or employment is None:
                rejections.reject(jobs_file, None, number, staff_key(number), issues)
                continue
            jobs.setdefault(number, {})[key] = employment

        batch = SourceBatch(source=self.name, kind=self.kind)
        for number, name in names.items():
            if staff_key(number) in rejections.quarantined:
                continue
            employments_of = tuple(dict.fromkeys(jobs.get(number, {}).values()))
            batch.staff.append(StaffMember(number, name, employments_of))
        rejections.fill(batch)
        batch.counts = {"staff": len(numbers)}
        return batch

    def _employment(self, row: Mapping[str, Any]) -> tuple[Employment | None, list[Issue]]:
        """One employment row -> an Employment, or the reasons it cannot be one."""
        issues: list[Issue] = []
        unit = _text(row.get("Organisatorische_eenheid_code"))
        title = _text(row.get("Functie_omschrijving"))
        if not unit:
            issues.append(("Organisatorische_eenheid_code", "no org unit"))
        elif unit not in self.org_units:
            reason = f"org unit '{unit}' is not listed by any location (hr_org_units)"
            issues.append(("Organisatorische_eenheid_code", reason))
        if not title:
            issues.append(("Functie_omschrijving", "no function title"))
        start, start_issue = _date_field(row, "Begindatum_functie", required=True)
        end, end_issue = _date_field(row, "Einddatum_functie", required=False)
        issues.extend(issue for issue in (start_issue, end_issue) if issue is not None)
        if start is not None and end is not None and end < start:
            reason = (
                f"end date '{row.get('Einddatum_functie')}' is before start date "
                f"'{row.get('Begindatum_functie')}'"
            )
            issues.append(("Einddatum_functie", reason))
        if issues or start is None:
            return None, issues
        return Employment(self.org_units[unit], title, start, end), issues

    def _resolve_token(self) -> str:
        if self._token is not None:
            token = self._token
        else:
            token = self.config.require_secret(
                "token",
                f"[sources.{self.name}]",
                "the AfasToken (<token><version>1</version><data>...</data></token>)",
            ).get_secret_value()
        if not token.strip():
            raise ConfigError("the AfasToken is empty")
        return token


# -- values ----------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A JSON value as clean text: '' for null, numbers without a trailing '.0'."""
    if value is None or isinstance(value, bool | dict | list):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


def _name(row: Mapping[str, Any]) -> tuple[PersonName | None, list[Issue]]:
    """The name as the medewerker uses it (naamgebruik), or the reasons it cannot be built."""
    issues: list[Issue] = []
    given = _text(row.get("Roepnaam")) or next(iter(_text(row.get("Voornaam")).split()), "")
    if not given:
        issues.append(("Roepnaam", "no given name (no Roepnaam, and no Voornaam to use)"))
    code = _text(row.get("Naamgebruik_code")).upper()
    use = NAME_USE.get(code)
    if use is None:
        reason = f"name use code '{code}' is not 0 (B), 1 (PB), 2 (P) or 3 (BP)"
        issues.append(("Naamgebruik_code", reason if code else "no name use code"))
    own = (_text(row.get("Voorvoegsel")), _text(row.get("Geboortenaam")))
    partner = (_text(row.get("Voorvoegsel_partner")), _text(row.get("Geboortenaam_partner")))
    if use in ("B", "PB", "BP") and not own[1]:
        issues.append(("Geboortenaam", f"no birth name, needed for name use {use}"))
    if use in ("P", "PB", "BP") and not partner[1]:
        issues.append(("Geboortenaam_partner", f"no partner name, needed for name use {use}"))
    if issues or use is None:
        return None, issues
    if use == "B":
        prefix, family = own
    elif use == "P":
        prefix, family = partner
    elif use == "PB":
        prefix, family = partner[0], f"{partner[1]} - {_joined(own)}"
    else:  # BP
        prefix, family = own[0], f"{own[1]} - {_joined(partner)}"
    return PersonName(given, prefix, family), []


def _joined(name: tuple[str, str]) -> str:
    return " ".join(part for part in name if part)


def _date_field(
    row: Mapping[str, Any], field_name: str, *, required: bool
) -> tuple[date | None, Issue | None]:
    """A date field: (the date, None), (None, None) when empty, or (None, the issue)."""
    raw = row.get(field_name)
    text = raw.strip() if isinstance(raw, str) else raw
    if text is None or text == "":
        return None, ((field_name, "no start date") if required else None)
    match = _DATE.match(text) if isinstance(text, str) else None
    day = parse_date(match.group(1)) if match else None
    if match is None or day is None:
        return None, (field_name, f"'{raw}' is not a date (expected YYYY-MM-DD[T00:00:00Z])")
    if any(part and int(part) != 0 for part in match.group(2, 3, 4, 5)):
        reason = f"'{raw}' has a time of day; an AFAS date is expected at midnight"
        return None, (field_name, reason)
    return day, None
