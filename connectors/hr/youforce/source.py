"""Staff from the Visma Raet Youforce IAM API (HR Core Beaufort and HR Core Business).

Read only. :class:`YouforceClient` (:mod:`connectors.hr.youforce.client`) is the
transport: OAuth2 client credentials (HR Core Beaufort:
``POST https://connect.visma.com/connect/token`` with the form fields ``grant_type``,
``client_id``, ``client_secret`` and ``tenant_id``, as the vendor's IAM API connector sends
them; ``tenant_id`` only when configured), a client-side pacer for the API's calls-per-minute
limit, ``value``/``nextLink`` paging, the one tenacity policy (:func:`retry_policy`) and the
one error translation (:func:`translate`).
:class:`YouforceSource` joins persons, employments (dienstverbanden), jobProfiles (functies)
and organizationUnits (organisatie-eenheden) into :class:`StaffMember` objects and quarantines
what it cannot use, by the same rules as the HR CSV source (docs/formats.md).

Mapping (one StaffMember per person, one Employment per employment):

- employee number (personeelsnummer): ``personCode``;
- given name: ``knownAs`` (roepnaam), else the first of ``firstNames``;
- prefix (tussenvoegsel) and family name by ``nameAssembleOrder``, see :data:`NAME_ORDERS`
  and :func:`assemble_name`; an absent code means the own name;
- location: ``org_units[key]`` where ``key`` is the organizationUnit's ``shortName`` (the
  code HR shows, e.g. ``1203``), or its ``id`` when the unit has no ``shortName``. The
  employment refers to the unit by ``id``; boards list the ``shortName`` in ``hr_org_units``;
- function title: the jobProfile's ``fullName``, else its ``shortName``;
- start ``hireDate``; end ``dischargeDate``, where ``9999-12-31`` or no value means no end.

Absent properties mean "no value" (Youforce omits empty ones). Records flagged
``isDeleted`` are left out as if absent. A person with more than one version (``validFrom``/
``validUntil``) is read as the version valid today.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from connectors.csv_common import Issue, Rejections, clean_text, not_a_date, parse_date
from connectors.hr.youforce.client import (
    MAX_ATTEMPTS,
    MAX_WAIT,
    CallPacer,
    YouforceClient,
    translate,
)
from connectors.hr.youforce.config import YouforceSourceConfig
from provisioner.domain.models import Employment, PersonName, StaffMember, staff_key
from provisioner.errors import FatalError
from provisioner.sources.models import SourceBatch, SourceKind

log = logging.getLogger(__name__)

#: The transport's names, importable from here as before the split.
__all__ = [
    "MAX_ATTEMPTS", "MAX_WAIT", "CallPacer", "YouforceClient", "YouforceSource", "translate",
]  # fmt: skip

PERSONS = "/iam/v1.0/persons"
EMPLOYMENTS = "/iam/v1.0/employments"
JOB_PROFILES = "/iam/v1.0/jobProfiles"
ORGANIZATION_UNITS = "/iam/v1.0/organizationUnits"

OPEN_END = "9999-12-31"  # Youforce's "no end date"

#: ``nameAssembleOrder`` -> the family name's parts in order: ``B`` own name (geboortenaam,
#: ``lastNameAtBirth``), ``P`` partner's name (``partnerName``). Letters are HR Core Beaufort,
#: digits HR Core Business (as the HelloID connectors map them). Case is ignored.
NAME_ORDERS: dict[str, str] = {
    "E": "B",  # eigen naam
    "P": "P",  # naam partner
    "B": "PB",  # partnernaam - eigen naam
    "C": "BP",  # eigen naam - partnernaam
    "D": "BP",
    "0": "PB",
    "1": "B",
    "2": "P",
    "3": "BP",
    "4": "B",
}


# -- the source -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    """An employment record that passed its own checks."""

    id: str
    employment: Employment
    raw: str  # the record as JSON, to tell a repeated record from a conflicting one


class YouforceSource:
    """Staff (medewerkers) from the Youforce IAM API, keyed by ``personCode``.

    ``org_units`` maps organizationUnit ``shortName`` codes (what boards list in
    ``hr_org_units``) to the BRIN6 of their location. The client secret comes from the
    configuration (``client_secret_env`` or ``client_secret_file``) unless ``client_secret`` is
    given.
    ``today`` (default: the day of the read) decides which version of a person is valid.
    """

    kind: SourceKind = SourceKind.HR
    system: str = "Youforce"

    def __init__(
        self,
        name: str,
        config: YouforceSourceConfig,
        org_units: Mapping[str, str],
        *,
        client_secret: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        today: date | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.org_units = dict(org_units)
        self.today = today
        secret = (
            client_secret if client_secret is not None else config.secret_value("client_secret")
        )
        self._client = (
            YouforceClient(config, secret, transport=transport, clock=clock, sleep=sleep)
            if secret
            else None
        )

    def read(self) -> SourceBatch:
        """Read persons, employments, jobProfiles and organizationUnits and join them."""
        if self._client is None:
            self.config.require_secret(
                "client_secret", f"[sources.{self.name}]", "the Youforce client secret"
            )
            raise FatalError(f"source {self.name}: the Youforce client secret is empty")
        with self._client as client:
            units = client.list_all(ORGANIZATION_UNITS)
            profiles = client.list_all(JOB_PROFILES)
            persons = client.list_all(PERSONS)
            employments = client.list_all(EMPLOYMENTS)
        return self._join(units, profiles, persons, employments).named(self.system)

    # -- joining and checking -----------------------------------------------------------------

    def _join(
        self, units: list[Any], profiles: list[Any], persons: list[Any], employments: list[Any]
    ) -> SourceBatch:
        rejects = Rejections(self.name)
        unit_keys = {_text(u, "id"): _text(u, "shortName") or _text(u, "id") for u in _live(units)}
        titles = {
            _text(p, "id"): _text(p, "fullName") or _text(p, "shortName") for p in _live(profiles)
        }
        unit_keys.pop("", None)
        titles.pop("", None)

        today = self.today or date.today()
        versions: dict[str, list[dict[str, Any]]] = {}
        for record in _live(persons):
            code = _text(record, "personCode")
            if not code:
                rejects.reject(PERSONS, None, None, None, [("personCode", "no personCode")])
                continue
            versions.setdefault(code, []).append(record)

        names: dict[str, PersonName] = {}
        for code, records in versions.items():
            person = _current_version(records, today)
            if person is None:
                reason = "more than one version of this person is valid (validFrom/validUntil)"
                rejects.reject(PERSONS, None, code, staff_key(code), [("personCode", reason)])
                continue
            name, issues = person_name(person)
            if name is None:
                rejects.reject(PERSONS, None, code, staff_key(code), issues)
            else:
                names[code] = name

        jobs: dict[str, list[_Job]] = {}
        for record in _live(employments):
            code = _text(record, "personCode")
            if not code:
                what = f"employment {_text(record, 'id') or '(no id)'} has no personCode"
                rejects.reject(EMPLOYMENTS, None, None, None, [("personCode", what)])
                continue
            issues = []
            if code not in versions:
                issues.append(("personCode", f"no person with this personCode in {PERSONS}"))
            employment, more = self._employment(record, unit_keys, titles)
            issues.extend(more)
            if issues or employment is None:
                rejects.reject(EMPLOYMENTS, None, code, staff_key(code), issues)
                continue
            raw = json.dumps(record, sort_keys=True)
            jobs.setdefault(code, []).append(_Job(_text(record, "id"), employment, raw))

        batch = SourceBatch(source=self.name, kind=self.kind)
        for code, name in names.items():
            own = jobs.get(code, [])
            _check_repeats(rejects, code, own)
            if staff_key(code) in rejects.quarantined:
                continue
            employments_ = tuple(dict.fromkeys(job.employment for job in own))
            batch.staff.append(StaffMember(code, name, employments_))
        rejects.fill(batch)
        batch.counts = {"staff": len(set(versions) | set(jobs) | _codes(rejects))}
        return batch

    def _employment(
        self, record: Mapping[str, Any], unit_keys: Mapping[str, str], titles: Mapping[str, str]
    ) -> tuple[Employment | None, list[Issue]]:
        """The Employment of one record, or what is wrong with it."""
        issues: list[Issue] = []
        location: str | None = None
        unit = _text(record, "organizationUnit")
        if not unit:
            issues.append(("organizationUnit", "no organizationUnit"))
        elif unit not in unit_keys:
            issues.append(
                ("organizationUnit", f"organizationUnit '{unit}' is not in {ORGANIZATION_UNITS}")
            )
        else:
            location = self.org_units.get(unit_keys[unit])
            if location is None:
                reason = (
                    f"org unit '{unit_keys[unit]}' (organizationUnit {unit}) is not listed "
                    "by any location (hr_org_units)"
                )
                issues.append(("organizationUnit", reason))
        title: str | None = None
        profile = _text(record, "jobProfile")
        if not profile:
            issues.append(("jobProfile", "no jobProfile"))
        elif profile not in titles:
            issues.append(("jobProfile", f"jobProfile '{profile}' is not in {JOB_PROFILES}"))
        elif not titles[profile]:
            issues.append(("jobProfile", f"jobProfile '{profile}' has no fullName or shortName"))
        else:
            title = titles[profile]
        raw_start, raw_end = _text(record, "hireDate"), _text(record, "dischargeDate")
        start = _date(raw_start) if raw_start else None
        if not raw_start:
            issues.append(("hireDate", "no hireDate"))
        elif start is None:
            issues.append(("hireDate", not_a_date(raw_start)))
        end: date | None = None
        if raw_end and raw_end[:10] != OPEN_END:
            end = _date(raw_end)
            if end is None:
                issues.append(("dischargeDate", not_a_date(raw_end)))
        if start is not None and end is not None and end < start:
            issues.append(
                ("dischargeDate", f"dischargeDate '{raw_end}' is before hireDate '{raw_start}'")
            )
        if issues or location is None or title is None or start is None:
            return None, issues
        return Employment(location, title, start, end), []


def person_name(record: Mapping[str, Any]) -> tuple[PersonName | None, list[Issue]]:
    """The name of a person record, or what is wrong with it (field names are Youforce's)."""
    issues: list[Issue] = []
    first_names = _text(record, "firstNames").split()
    given = _text(record, "knownAs") or (first_names[0] if first_names else "")
    if not given:
        issues.append(("knownAs", "no given name (knownAs or firstNames)"))
    code = _text(record, "nameAssembleOrder").upper()
    order = NAME_ORDERS.get(code or "E")
    if order is None:
        known = ", ".join(NAME_ORDERS)
        issues.append(("nameAssembleOrder", f"unknown nameAssembleOrder '{code}' ({known})"))
        order = ""
    own, partner = _text(record, "lastNameAtBirth"), _text(record, "partnerName")
    if "B" in order and not own:
        issues.append(("lastNameAtBirth", "no family name (lastNameAtBirth)"))
    if "P" in order and not partner:
        reason = f"nameAssembleOrder '{code}' uses the partner's name, but there is no partnerName"
        issues.append(("partnerName", reason))
    if issues:
        return None, issues
    prefix, family = assemble_name(
        order,
        _text(record, "lastNameAtBirthPrefix"),
        own,
        _text(record, "partnerNamePrefix"),
        partner,
    )
    return PersonName(given, prefix, family), []


def assemble_name(
    order: str, own_prefix: str, own: str, partner_prefix: str, partner: str
) -> tuple[str, str]:
    """(tussenvoegsel, family name) for an order of :data:`NAME_ORDERS`.

    Own name de Vries, partner van Dijk: ``B`` -> ("de", "Vries"); ``P`` -> ("van", "Dijk");
    ``BP`` -> ("de", "Vries-van Dijk"); ``PB`` -> ("van", "Dijk-de Vries"). The prefix is
    always the first name's, so "{prefix} {family}" reads as the name is written.
    """
    if order == "B":
        return own_prefix, own
    if order == "P":
        return partner_prefix, partner
    if order == "BP":
        return own_prefix, f"{own}-{_joined(partner_prefix, partner)}"
    return partner_prefix, f"{partner}-{_joined(own_prefix, own)}"


def _joined(prefix: str, name: str) -> str:
    return f"{prefix} {name}" if prefix else name


def _text(record: Mapping[str, Any], name: str) -> str:
    """A property as clean text; '' when absent, null or not text (Youforce omits empties)."""
    value = record.get(name)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _date(value: str) -> date | None:
    """An ISO date; a date-time (``2021-08-01T00:00:00``) counts as its date."""
    if len(value) > 10 and value[10] == "T":
        value = value[:10]
    return parse_date(value)


def _live(items: list[Any]) -> list[dict[str, Any]]:
    """The records of a list that are objects and not flagged ``isDeleted``."""
    return [i for i in items if isinstance(i, dict) and i.get("isDeleted") is not True]


def _current_version(records: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The version valid today; else the latest begun, else the first to begin.

    Identical copies (a record seen twice while paging) count once; None when two
    different versions are both valid today.
    """
    distinct = list({json.dumps(r, sort_keys=True): r for r in records}.values())
    if len(distinct) == 1:
        return distinct[0]
    spans: list[tuple[date, date, dict[str, Any]]] = []
    for record in distinct:
        begin = _date(_text(record, "validFrom")) or date.min
        until = _text(record, "validUntil")
        spans.append((begin, (_date(until) or date.max) if until else date.max, record))
    current = [r for begin, end, r in spans if begin <= today <= end]
    if current:
        return current[0] if len(current) == 1 else None
    begun = [(begin, r) for begin, _, r in spans if begin <= today]
    if begun:
        return max(begun, key=lambda pair: pair[0])[1]
    return min(spans, key=lambda span: span[0])[2]


def _check_repeats(rejects: Rejections, code: str, jobs: list[_Job]) -> None:
    """One employment id with two different contents cannot be used."""
    seen: dict[str, str] = {}
    for job in jobs:
        if job.id and seen.setdefault(job.id, job.raw) != job.raw:
            reason = f"employment id '{job.id}' appears twice with different data"
            rejects.reject(EMPLOYMENTS, None, code, staff_key(code), [("id", reason)])
            return


def _codes(rejects: Rejections) -> set[str]:
    return {key.removeprefix("staff:") for key in rejects.quarantined}
