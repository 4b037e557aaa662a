"""The parsing helpers of the OneRoster CSV source (:mod:`connectors.sis.oneroster_csv`): the
columns read, one row of roles.csv, a student and a homeroom enrolment as read, what one read
has learnt so far, the version of a folder, and the checks of schools and enrolments."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from connectors.csv_common import CsvTable, Issue, Rejections, not_a_date, read_table
from provisioner.domain.models import PersonName
from provisioner.errors import ConfigError

LABEL = "OneRoster file"
ECK_ID = re.compile(r"\{\s*eck\s*:([^{}]*)\}", re.IGNORECASE)  # userIds: {LAS:4711},{ECK:https://…}
USER_COLUMNS = (
    "sourcedId", "enabledUser", "orgSourcedIds", "role", "userIds", "givenName", "familyName",
    "middleName", "identifier",
)  # fmt: skip
#: users.csv in 1.2: role and orgSourcedIds are in roles.csv
USER_COLUMNS_12 = (
    "sourcedId", "enabledUser", "userIds", "givenName", "familyName", "middleName", "identifier",
)  # fmt: skip
ROLE_COLUMNS = ("userSourcedId", "roleType", "role", "orgSourcedId", "beginDate", "endDate")
ENROLMENT_COLUMNS = ("classSourcedId", "userSourcedId", "role", "beginDate", "endDate")
VERSIONS = ("1.1", "1.2")
#: a users.csv row's cells as the 1.1 columns give them (USER_COLUMNS, in that order)
UserCells = Callable[[Sequence[str]], tuple[str, ...]]


def within(begin: date | None, end: date | None, day: date) -> bool:
    """``day`` lies in the period from ``begin`` to ``end`` (both included; None: open)."""
    return (begin is None or begin <= day) and (end is None or day <= end)


class RoleRow(NamedTuple):
    """One roles.csv row (OneRoster 1.2)."""

    role: str
    primary: bool
    org_id: str
    begin: date | None
    end: date | None

    def active_on(self, day: date) -> bool:
        return within(self.begin, self.end, day)


class Student(NamedTuple):
    name: PersonName
    location: str  # BRIN6
    enabled: bool
    eck_id: str | None


class Homeroom(NamedTuple):
    """A student's enrolment in a homeroom class (stamgroep)."""

    line: int
    class_id: str
    begin: date | None
    end: date | None

    def active_on(self, day: date) -> bool:
        return within(self.begin, self.end, day)


@dataclass(slots=True)
class ReadState:
    """What one read has learnt so far, file by file."""

    log: Rejections
    schools: dict[str, str] = field(default_factory=dict)  # org sourcedId -> BRIN6
    bad_schools: dict[str, str] = field(default_factory=dict)  # org sourcedId -> reason
    other_orgs: set[str] = field(default_factory=set)  # the board (district), departments
    students: dict[str, Student] = field(default_factory=dict)  # usable ones
    births: dict[str, date] = field(default_factory=dict)  # student -> birth date
    student_ids: set[str] = field(default_factory=set)  # every student row's id: the count
    staff_numbers: dict[str, str] = field(default_factory=dict)  # user sourcedId -> employee nr
    other_users: set[str] = field(default_factory=set)  # teachers, parents, ...
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)  # homeroom -> title, BRIN6
    bad_classes: dict[str, str] = field(default_factory=dict)  # homeroom -> reason
    homeroom_ids: set[str] = field(default_factory=set)  # every homeroom row's id: the count
    other_classes: set[str] = field(default_factory=set)  # scheduled classes: not our groups
    homerooms: dict[str, list[Homeroom]] = field(default_factory=dict)  # student -> enrolments
    teachers: dict[str, set[str]] = field(default_factory=dict)  # homeroom -> employee numbers


def version_of(folder: Path, users: CsvTable) -> str:
    """The OneRoster version of the folder: ``oneroster.version`` in manifest.csv; without
    one, 1.2 when users.csv has no ``role`` column and roles.csv exists, else 1.1."""
    manifest = folder / "manifest.csv"
    if manifest.exists():
        table = read_table(manifest, LABEL)
        get = table.getter("propertyName", "value")
        for _line, row in table.rows:
            name, value = map(str.strip, get(row))
            if name == "oneroster.version":
                version = next((v for v in VERSIONS if value in (v, f"{v}.0", f"{v}.1")), None)
                if version is None:
                    raise ConfigError(
                        f"{LABEL} {manifest}: oneroster.version '{value}' is not supported "
                        "(1.1 or 1.2)"
                    )
                return version
    if users.optional_column("role") is None and (folder / "roles.csv").exists():
        return "1.2"
    return "1.1"


def cells_12(users: CsvTable, roles: dict[str, tuple[str, str]]) -> UserCells:
    """A 1.2 users.csv row's cells in the 1.1 order, role and orgSourcedIds from roles.csv
    (``primaryOrgSourcedId`` when roles.csv names no school). A user without any role gets
    an empty role, reported as "no role"."""
    get = users.getter(*USER_COLUMNS_12)
    primary_column = users.optional_column("primaryOrgSourcedId")

    def cells(row: Sequence[str]) -> tuple[str, ...]:
        user_id, enabled, ids, given, family, middle, number = get(row)
        role, org_ids = roles.get(user_id.strip(), ("", ""))
        if not org_ids and primary_column is not None:
            org_ids = row[primary_column]
        return user_id, enabled, org_ids, role, ids, given, family, middle, number

    return cells


def school_of(org_id: str, state: ReadState) -> tuple[str | None, str | None]:
    """(BRIN6, None) for a usable school, (None, reason) for an unusable org, and
    (None, None) for an org that is no school, such as the board (district)."""
    if org_id in state.schools:
        return state.schools[org_id], None
    if org_id in state.bad_schools:
        return None, state.bad_schools[org_id]
    if org_id in state.other_orgs:
        return None, None
    return None, f"org '{org_id}' is not in orgs.csv"


def location_of(org_ids: str, state: ReadState, issues: list[Issue]) -> str | None:
    """The BRIN6 of the one school among ``orgSourcedIds``; problems are added to ``issues``."""
    brins: set[str] = set()
    reasons: list[str] = []
    for org_id in filter(None, (part.strip() for part in org_ids.split(","))):
        brin6, reason = school_of(org_id, state)
        if reason:
            reasons.append(reason)
        elif brin6:
            brins.add(brin6)
    if len(brins) > 1:
        reasons.append(f"belongs to more than one school ({', '.join(sorted(brins))})")
    elif not brins and not reasons:
        reasons.append("belongs to no school in orgs.csv")
    issues.extend(("orgSourcedIds", reason) for reason in reasons)
    return None if reasons else brins.pop()


def enrolment_issues(
    class_id: str,
    user_id: str,
    raw_begin: str,
    raw_end: str,
    begin: date | None,
    end: date | None,
    state: ReadState,
) -> list[Issue]:
    """What is wrong with an enrolment of a student or teacher in a homeroom class."""
    issues: list[Issue] = []
    if not user_id:
        issues.append(("userSourcedId", "no userSourcedId"))
    if not class_id:
        issues.append(("classSourcedId", "no classSourcedId"))
    elif class_id in state.bad_classes:
        issues.append(("classSourcedId", state.bad_classes[class_id]))
    elif class_id not in state.classes:
        issues.append(("classSourcedId", f"class '{class_id}' is not in classes.csv"))
    if raw_begin and begin is None:
        issues.append(("beginDate", not_a_date(raw_begin)))
    if raw_end and end is None:
        issues.append(("endDate", not_a_date(raw_end)))
    if begin is not None and end is not None and end < begin:
        issues.append(("endDate", f"endDate '{raw_end}' is before beginDate '{raw_begin}'"))
    return issues


def duplicate(line: int) -> str:
    return f"duplicate sourcedId: line {line} has the same one"


def current_homeroom(
    homerooms: list[Homeroom], active: list[Homeroom], today: date
) -> Homeroom | None:
    """The pupil's group: the active one, else the next one, else the last one that ended."""
    if active:
        return active[0]
    upcoming = [h for h in homerooms if h.begin is not None and h.begin > today]
    if upcoming:
        return min(upcoming, key=lambda h: h.begin or today)
    ended = [h for h in homerooms if h.end is not None]
    return max(ended, key=lambda h: h.end or today, default=None)


def enrolment_span(homerooms: list[Homeroom]) -> tuple[date | None, date | None]:
    """The enrolment at school (inschrijving) spans all homeroom enrolments, so the summer
    between two groups is no exit. An open begin or end in any of them leaves that side open."""
    if not homerooms:
        return None, None
    begins = [h.begin for h in homerooms if h.begin is not None]
    ends = [h.end for h in homerooms if h.end is not None]
    start = min(begins) if len(begins) == len(homerooms) else None
    end = max(ends) if len(ends) == len(homerooms) else None
    return start, end
