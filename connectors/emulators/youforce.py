"""A loopback emulator of the Visma Raet Youforce IAM API (the read side), for tests and demos.

Plain HTTP on 127.0.0.1, served from a background thread::

    with YouforceEmulator(page_size=2, calls_per_window=5, window=1.0) as emu:
        unit = emu.add_org_unit("1203", "OBS De Regenboog")
        job = emu.add_job_profile("LK", "Leerkracht")
        emu.add_person("004512", known_as="Pieter", last_name_at_birth="Dijk",
                       last_name_at_birth_prefix="van")
        emu.add_employment("004512", organization_unit=unit, job_profile=job,
                           hire_date="2021-08-01")
        # YouforceSourceConfig(base_url=emu.url, token_url=emu.token_url,
        #                      client_id=emu.client_id), secret emu.client_secret

What it models (research notes, edu-sources.md section 2):

- ``POST /authentication/token``: OAuth2 client credentials (form fields or HTTP Basic);
  a wrong client answers 401 ``invalid_client``; with ``tenant_id`` set, a token request
  without that ``tenant_id`` form field answers 400 ``invalid_request`` (Visma Connect);
  tokens carry ``expires_in`` and expire;
- ``GET /iam/v1.0/{persons,employments,jobProfiles,organizationUnits}`` (and empty
  ``assignments``, ``costAllocations``, ``roleAssignments``) with a bearer token: ``value``
  plus an absolute ``nextLink`` (``?skip=…&take=…``) while more remain; ``page_size`` is the
  default and largest ``take``;
- the calls-per-minute limit over ``window`` seconds on the ``/iam`` calls: more than
  ``calls_per_window`` in any window (or, with ``smooth``, two calls closer than
  ``window / calls_per_window``, as a spike-arrest policy counts) answers 429 with a
  whole-second ``Retry-After`` and an API-gateway fault body; rejected calls do not count;
- properties without a value are omitted; an open ``dischargeDate`` is ``9999-12-31``;
- employments refer to jobProfiles and organizationUnits by ``id`` only; units also have a
  ``shortName`` (the code boards configure) and a ``fullName``;
- ``nameAssembleOrder`` is stored as given: letters (HR Core Beaufort) or digits (Business).

Every request is recorded with its arrival time (:attr:`YouforceEmulator.requests`). Faults
can be injected (:meth:`fail_next`), tokens revoked, and paging made to repeat a link.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.emulators.loopback import Answer, LoopbackEmulator, json_answer

TOKEN_PATH = "/authentication/token"
API_PREFIX = "/iam/v1.0/"
OPEN_END = "9999-12-31"
ENDPOINTS = ("persons", "employments", "jobProfiles", "organizationUnits")
EMPTY_ENDPOINTS = ("assignments", "costAllocations", "roleAssignments")
_Outcome = tuple[int, Any, int | None]  # status, JSON body, Retry-After


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it; ``time`` is its arrival on the emulator's clock."""

    time: float
    method: str
    path: str
    query: str
    status: int
    retry_after: int | None = None

    @property
    def is_api(self) -> bool:
        """A call that counts against the calls-per-minute limit."""
        return self.path.startswith(API_PREFIX)


@dataclass(slots=True)
class _Fault:
    status: int
    path: str | None
    retry_after: int | None
    times: int


def _wire(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record as Youforce sends it: properties without a value left out."""
    return {k: v for k, v in fields.items() if v is not None and v != "" and v != [] and v != {}}


def _cell(row: Mapping[str, str | None], name: str) -> str:
    """A CSV cell, trimmed; '' when the column is absent or the row short."""
    return (row.get(name) or "").strip()


def _iso(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


class YouforceEmulator(LoopbackEmulator):
    """The Youforce IAM API on 127.0.0.1 in a background thread; seed it, then read it."""

    def __init__(
        self,
        *,
        client_id: str = "provisioner",
        client_secret: str = "demo-secret",
        page_size: int = 500,
        calls_per_window: int = 100,
        window: float = 60.0,
        smooth: bool = False,
        token_lifetime: int = 3600,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        tenant_id: str | None = None,
    ) -> None:
        if page_size < 1 or calls_per_window < 1 or window <= 0:
            raise ValueError("page_size and calls_per_window must be >= 1, window > 0")
        self.tenant_id = tenant_id  # Visma Connect: the token form must name this tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size
        self.calls_per_window = calls_per_window
        self.window = window
        self.smooth = smooth
        self.token_lifetime = token_lifetime
        self.repeat_next_link = False  # a broken server: the second page links to itself
        self._port = port
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
        self._tokens: dict[str, float] = {}
        self._accepted: deque[float] = deque()
        self._faults: list[_Fault] = []
        self._requests: list[RecordedRequest] = []
        self._serial = 0

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> YouforceEmulator:
        self.serve(
            self._respond, name="youforce-emulator", server_version="YouforceEmulator/1.0",
            port=self._port,
        )  # fmt: skip
        return self

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    # -- seeding ------------------------------------------------------------------------------

    def add_org_unit(
        self,
        short_name: str | None,
        full_name: str | None = None,
        *,
        id: str | None = None,
        parent: str | None = None,
    ) -> str:
        """An organizationUnit (organisatie-eenheid); returns its ``id``."""
        unit_id = id or self._next_id("OU")
        self._add(
            "organizationUnits",
            {
                "id": unit_id,
                "shortName": short_name,
                "fullName": full_name,
                "parentOrgUnit": parent,
            },
        )
        return unit_id

    def add_job_profile(
        self, short_name: str | None, full_name: str | None = None, *, id: str | None = None
    ) -> str:
        """A jobProfile (functie); returns its ``id``."""
        profile_id = id or self._next_id("JP")
        self._add("jobProfiles", {"id": profile_id, "shortName": short_name, "fullName": full_name})
        return profile_id

    def add_person(
        self,
        person_code: str,
        *,
        known_as: str | None = None,
        first_names: str | None = None,
        initials: str | None = None,
        last_name_at_birth: str | None = None,
        last_name_at_birth_prefix: str | None = None,
        partner_name: str | None = None,
        partner_name_prefix: str | None = None,
        name_assemble_order: str | None = "E",
        valid_from: date | str | None = None,
        valid_until: date | str | None = OPEN_END,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """A person (medewerker); ``extra`` adds or overrides raw properties."""
        self._add(
            "persons",
            {
                "id": self._next_id("P"),
                "personCode": person_code,
                "initials": initials,
                "firstNames": first_names,
                "knownAs": known_as,
                "lastNameAtBirthPrefix": last_name_at_birth_prefix,
                "lastNameAtBirth": last_name_at_birth,
                "partnerNamePrefix": partner_name_prefix,
                "partnerName": partner_name,
                "nameAssembleOrder": name_assemble_order,
                "validFrom": _iso(valid_from),
                "validUntil": _iso(valid_until),
                **(extra or {}),
            },
        )

    def add_employment(
        self,
        person_code: str,
        *,
        organization_unit: str | None,
        job_profile: str | None,
        hire_date: date | str | None,
        discharge_date: date | str | None = None,
        employment_code: str | None = None,
        id: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """An employment (dienstverband) referring to a unit and a profile by id; no
        ``discharge_date`` is sent as ``9999-12-31``. Returns the employment's ``id``."""
        employment_id = id or self._next_id("E")
        with self._lock:
            held = sum(e.get("personCode") == person_code for e in self._data["employments"])
        code = employment_code or str(held + 1)
        self._add(
            "employments",
            {
                "id": employment_id,
                "personCode": person_code,
                "employmentCode": code,
                "hireDate": _iso(hire_date),
                "dischargeDate": _iso(discharge_date) or OPEN_END,
                "jobProfile": job_profile,
                "organizationUnit": organization_unit,
                **(extra or {}),
            },
        )
        return employment_id

    def add_raw(self, endpoint: str, record: Mapping[str, Any]) -> None:
        """Any record, exactly as given (nulls and empty strings too): for bad data."""
        with self._lock:
            self._data.setdefault(endpoint, []).append(dict(record))

    def load_staff(
        self, rows: Iterable[Mapping[str, str | None]], *, name_assemble_order: str = "E"
    ) -> None:
        """Seed from HR CSV rows (``employee_number, given_name, prefix, family_name,
        org_unit, function_title, start_date, end_date``; one row per employment, as
        ``csv.DictReader`` gives hr.csv). Org unit codes become unit ``shortName``s, titles
        jobProfile ``fullName``s; both get ids of their own."""
        units = {u.get("shortName"): str(u["id"]) for u in self.records("organizationUnits")}
        profiles = {p.get("fullName"): str(p["id"]) for p in self.records("jobProfiles")}
        people = {p.get("personCode") for p in self.records("persons")}
        for row in rows:
            cell = functools.partial(_cell, row)
            number = cell("employee_number")
            if number not in people:
                people.add(number)
                self.add_person(
                    number,
                    known_as=cell("given_name"),
                    first_names=cell("given_name"),
                    last_name_at_birth=cell("family_name"),
                    last_name_at_birth_prefix=cell("prefix"),
                    name_assemble_order=name_assemble_order,
                )
            unit, title = cell("org_unit"), cell("function_title")
            if unit not in units:
                units[unit] = self.add_org_unit(unit, f"Eenheid {unit}")
            if title not in profiles:
                profiles[title] = self.add_job_profile(f"F{len(profiles) + 1:03d}", title)
            self.add_employment(
                number,
                organization_unit=units[unit],
                job_profile=profiles[title],
                hire_date=cell("start_date"),
                discharge_date=cell("end_date") or None,
            )

    # -- control and inspection ---------------------------------------------------------------

    def records(self, endpoint: str) -> list[dict[str, Any]]:
        """A copy of the records an endpoint serves."""
        with self._lock:
            return [dict(r) for r in self._data.get(endpoint, [])]

    def fail_next(
        self,
        status: int,
        *,
        path: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (``/iam/v1.0/persons``,
        ``/authentication/token``; None: any) with ``status`` and ``Retry-After``."""
        with self._lock:
            self._faults.append(_Fault(status, path, retry_after, times))

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on (401)."""
        with self._lock:
            self._tokens.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def max_calls_in_window(self, window: float | None = None) -> int:
        """The most ``/iam`` calls that arrived within any ``window`` seconds (half-open)."""
        span = self.window if window is None else window
        times = sorted(r.time for r in self.requests if r.is_api)
        most, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= span:
                first += 1
            most = max(most, last - first + 1)
        return most

    # -- serving (called from the handler threads) --------------------------------------------

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._serial += 1
            return f"{prefix}-{self._serial:05d}"

    def _add(self, endpoint: str, fields: Mapping[str, Any]) -> None:
        with self._lock:
            self._data[endpoint].append(_wire(fields))

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or fault.path == path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _throttle(self, now: float) -> int | None:
        """Seconds to wait when this call is over the limit; else count it and None."""
        with self._lock:
            accepted = self._accepted
            while accepted and now - accepted[0] >= self.window:
                accepted.popleft()
            wait = 0.0
            if self.smooth and accepted:
                wait = accepted[-1] + self.window / self.calls_per_window - now
            elif len(accepted) >= self.calls_per_window:
                wait = accepted[0] + self.window - now
            if wait > 0:
                return max(1, math.ceil(wait))
            accepted.append(now)
            return None

    def _issue_token(self, now: float) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = now + self.token_lifetime
        return token

    def _token_ok(self, token: str, now: float) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
            return expires is not None and now < expires

    def _page(self, endpoint: str, skip: int, take: int, explicit_take: bool) -> dict[str, Any]:
        with self._lock:
            records = list(self._data.get(endpoint, []))
        body: dict[str, Any] = {"value": records[skip : skip + take]}
        if skip + take < len(records):
            following = take if self.repeat_next_link else skip + take
            link = f"{self.url}{API_PREFIX}{endpoint}?skip={following}"
            body["nextLink"] = link + (f"&take={take}" if explicit_take else "")
        return body

    def _respond(self, method: str, target: str, message: Message, body: bytes) -> Answer:
        now = self._clock()
        parts = urlsplit(target)
        if method == "POST":
            status, answer, retry_after = self._token_call(parts.path, message, body, now)
        else:
            status, answer, retry_after = self._api_call(parts.path, parts.query, message, now)
        self._record(RecordedRequest(now, method, parts.path, parts.query, status, retry_after))
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return json_answer(status, answer, headers)

    def _token_call(self, path: str, message: Message, body: bytes, now: float) -> _Outcome:
        form = parse_qs(body.decode("utf-8", "replace"))
        if path != TOKEN_PATH:
            return 404, {"message": "Resource not found"}, None
        fault = self._fault(path)
        if fault is not None:
            return fault.status, {"message": f"injected fault {fault.status}"}, fault.retry_after
        client_id, secret = _client(message, form)
        if form.get("grant_type", [""])[0] != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}, None
        if client_id != self.client_id or secret != self.client_secret:
            refused = "Client authentication failed"
            return 401, {"error": "invalid_client", "error_description": refused}, None
        if self.tenant_id is not None and form.get("tenant_id", [""])[0] != self.tenant_id:
            said = "tenant_id is missing or not a tenant of this client"
            return 400, {"error": "invalid_request", "error_description": said}, None
        token, life = self._issue_token(now), self.token_lifetime
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": life}, None

    def _api_call(self, path: str, query: str, message: Message, now: float) -> _Outcome:
        if not path.startswith(API_PREFIX):
            return 404, {"message": "Resource not found"}, None
        wait = self._throttle(now)
        if wait is not None:
            rate = f"{self.calls_per_window} per {self.window:g} s"
            fault = {
                "faultstring": f"Spike arrest violation. Allowed rate : {rate}",
                "detail": {"errorcode": "policies.ratelimit.SpikeArrestViolation"},
            }
            return 429, {"fault": fault}, wait
        injected = self._fault(path)
        if injected is not None:
            status = injected.status
            return status, {"message": f"injected fault {status}"}, injected.retry_after
        auth = message.get("Authorization", "")
        if not auth.startswith("Bearer ") or not self._token_ok(auth[7:], now):
            return 401, {"message": "Unauthorized"}, None
        endpoint = path[len(API_PREFIX) :]
        if endpoint not in ENDPOINTS + EMPTY_ENDPOINTS:
            return 404, {"message": "Resource not found"}, None
        params = parse_qs(query)
        try:
            skip = int(params.get("skip", ["0"])[0])
            take = int(params.get("take", [str(self.page_size)])[0])
        except ValueError:
            return 400, {"message": "skip and take must be numbers"}, None
        if skip < 0 or take < 1:
            return 400, {"message": "skip must be >= 0 and take >= 1"}, None
        return 200, self._page(endpoint, skip, min(take, self.page_size), "take" in params), None


def _client(message: Message, form: Mapping[str, list[str]]) -> tuple[str, str]:
    """(client_id, client_secret) from HTTP Basic or the form."""
    auth = message.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return user, password
    return form.get("client_id", [""])[0], form.get("client_secret", [""])[0]
