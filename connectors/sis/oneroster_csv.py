"""Pupils (leerlingen) and their groups from a OneRoster 1.1 or 1.2 CSV folder, see
docs/formats.md.

The version is ``oneroster.version`` in ``manifest.csv``; without a manifest a folder whose
``users.csv`` has no ``role`` column but that has a ``roles.csv`` is 1.2, else 1.1. In 1.2 a
user's role and school moved from ``users.csv`` (``role``, ``orgSourcedIds``) to
``roles.csv`` (``userSourcedId``, ``role``, ``roleType``, ``orgSourcedId``, ``beginDate``,
``endDate``), with ``primaryOrgSourcedId`` in ``users.csv``; everything else we read is the
same in both.

Plain ``csv``, column getters and dict look-ups: a board's 50,000 pupils with their
enrolments read in about a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from connectors.csv_common import (
    CsvLocating,
    CsvTable,
    Issue,
    Rejections,
    clean_text,
    gc_paused,
    not_a_date,
    parse_date,
    read_table,
)
from connectors.sis.config import OneRosterSourceConfig
from provisioner.domain.models import ClassGroup, PersonName, Pupil, pupil_key
from provisioner.errors import ConfigError
from provisioner.sources.models import SourceBatch, SourceKind

_LABEL = "OneRoster file"
_ECK = re.compile(r"\{\s*eck\s*:([^{}]*)\}", re.IGNORECASE)  # userIds: {LAS:4711},{ECK:https://…}
_USER_COLUMNS = (
    "sourcedId", "enabledUser", "orgSourcedIds", "role", "userIds", "givenName", "familyName",
    "middleName", "identifier",
)  # fmt: skip
#: users.csv in 1.2: role and orgSourcedIds are in roles.csv
_USER_COLUMNS_12 = (
    "sourcedId", "enabledUser", "userIds", "givenName", "familyName", "middleName", "identifier",
)  # fmt: skip
_ROLE_COLUMNS = ("userSourcedId", "roleType", "role", "orgSourcedId", "beginDate", "endDate")
_ENROLMENT_COLUMNS = ("classSourcedId", "userSourcedId", "role", "beginDate", "endDate")
_VERSIONS = ("1.1", "1.2")
#: a users.csv row's cells as the 1.1 columns give them (_USER_COLUMNS, in that order)
UserCells = Callable[[Sequence[str]], tuple[str, ...]]


def _within(begin: date | None, end: date | None, day: date) -> bool:
    """``day`` lies in the period from ``begin`` to ``end`` (both included; None: open)."""
    return (begin is None or begin <= day) and (end is None or day <= end)


class _Role(NamedTuple):
    """One roles.csv row (OneRoster 1.2)."""

    role: str
    primary: bool
    org_id: str
    begin: date | None
    end: date | None

    def active_on(self, day: date) -> bool:
        return _within(self.begin, self.end, day)


class _Student(NamedTuple):
    name: PersonName
    location: str  # BRIN6
    enabled: bool
    eck_id: str | None


class _Homeroom(NamedTuple):
    """A student's enrolment in a homeroom class (stamgroep)."""

    line: int
    class_id: str
    begin: date | None
    end: date | None

    def active_on(self, day: date) -> bool:
        return _within(self.begin, self.end, day)


@dataclass(slots=True)
class _Read:
    """What one read has learnt so far, file by file."""

    log: Rejections
    schools: dict[str, str] = field(default_factory=dict)  # org sourcedId -> BRIN6
    bad_schools: dict[str, str] = field(default_factory=dict)  # org sourcedId -> reason
    other_orgs: set[str] = field(default_factory=set)  # the board (district), departments
    students: dict[str, _Student] = field(default_factory=dict)  # usable ones
    births: dict[str, date] = field(default_factory=dict)  # student -> birth date
    student_ids: set[str] = field(default_factory=set)  # every student row's id: the count
    staff_numbers: dict[str, str] = field(default_factory=dict)  # user sourcedId -> employee nr
    other_users: set[str] = field(default_factory=set)  # teachers, parents, ...
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)  # homeroom -> title, BRIN6
    bad_classes: dict[str, str] = field(default_factory=dict)  # homeroom -> reason
    homeroom_ids: set[str] = field(default_factory=set)  # every homeroom row's id: the count
    other_classes: set[str] = field(default_factory=set)  # scheduled classes: not our groups
    homerooms: dict[str, list[_Homeroom]] = field(default_factory=dict)  # student -> enrolments
    teachers: dict[str, set[str]] = field(default_factory=dict)  # homeroom -> employee numbers


class OneRosterCsvSource(CsvLocating):
    """A SIS (leerlingadministratie) export in OneRoster 1.1 or 1.2 CSV (see the module text).

    ``locations`` are the configured BRIN6 codes. ``today`` (default: the day of the read)
    decides which homeroom enrolment is the pupil's current group and which teachers still
    teach a group.
    """

    kind: SourceKind = SourceKind.SIS
    system: str = "OneRoster CSV"

    def __init__(
        self,
        name: str,
        config: OneRosterSourceConfig,
        locations: AbstractSet[str],
        *,
        today: date | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.locations = frozenset(locations)
        self.today = today

    def read(self) -> SourceBatch:
        """Read orgs, users, classes, enrollments and, when present, demographics."""
        with gc_paused():
            return self._read().named(self.system)

    def _read(self) -> SourceBatch:
        folder = self.config.path
        if not folder.is_dir():
            raise ConfigError(f"OneRoster folder {folder} does not exist")
        orgs, users, classes, enrollments = (
            read_table(folder / f"{stem}.csv", _LABEL)
            for stem in ("orgs", "users", "classes", "enrollments")
        )
        demographics = folder / "demographics.csv"
        today = self.today or date.today()
        state = _Read(Rejections(self.name))
        self._orgs(orgs, state)
        if _version(folder, users) == "1.2":
            roles = self._roles(read_table(folder / "roles.csv", _LABEL), state, today)
            self._users(users, state, _cells_12(users, roles))
        else:
            self._users(users, state, users.getter(*_USER_COLUMNS))
        if demographics.exists():
            self._demographics(read_table(demographics, _LABEL), state)
        self._classes(classes, state)
        self._enrollments(enrollments, state, today)
        return self._assemble(enrollments.file, state, today)

    def _orgs(self, table: CsvTable, state: _Read) -> None:
        get = table.getter("sourcedId", "type", "identifier")
        for line, row in table.rows:
            org_id, org_type, identifier = map(str.strip, get(row))
            brin6 = identifier.upper()
            if not org_id:
                state.log.note(table.file, line, None, "sourcedId", "no sourcedId")
            elif org_type.casefold() != "school":
                state.other_orgs.add(org_id)
            elif brin6 in self.locations:
                state.schools[org_id] = brin6
            else:
                reason = (
                    f"school '{org_id}' has identifier '{identifier}', which is not a configured "
                    "location (BRIN6)"
                    if identifier
                    else f"school '{org_id}' has no identifier (BRIN6)"
                )
                state.bad_schools[org_id] = reason
                state.log.note(table.file, line, org_id, "identifier", reason)

    def _roles(self, table: CsvTable, state: _Read, today: date) -> dict[str, tuple[str, str]]:
        """OneRoster 1.2: each user's role and school (the ``orgSourcedIds`` of 1.1) from
        roles.csv. A user with a student role is a student, at the school of the student roles
        active on ``today`` (else those that ended last, else all; more than one: the
        ``roleType = primary`` one). Other users get their first role, ``teacher`` first."""
        get = table.getter(*_ROLE_COLUMNS)
        found: dict[str, list[_Role]] = {}
        for line, row in table.rows:
            user_id, role_type, role, org_id, raw_begin, raw_end = map(str.strip, get(row))
            if not user_id:
                state.log.note(table.file, line, None, "userSourcedId", "no userSourcedId")
                continue
            if not role:
                state.log.note(table.file, line, user_id, "role", "no role")
                continue
            begin = parse_date(raw_begin) if raw_begin else None
            end = parse_date(raw_end) if raw_end else None
            for name, raw, parsed in (("beginDate", raw_begin, begin), ("endDate", raw_end, end)):
                if raw and parsed is None:
                    state.log.note(table.file, line, user_id, name, not_a_date(raw))
            primary = role_type.casefold() == "primary"
            role = role if role == "student" else role.casefold()
            found.setdefault(user_id, []).append(_Role(role, primary, org_id, begin, end))
        resolved: dict[str, tuple[str, str]] = {}
        for user_id, roles in found.items():
            students = [r for r in roles if r.role == "student"]
            if not students:
                role = "teacher" if any(r.role == "teacher" for r in roles) else roles[0].role
                resolved[user_id] = (role, ",".join(r.org_id for r in roles if r.org_id))
                continue
            current = [r for r in students if r.active_on(today)]
            if not current and all(r.end is not None for r in students):
                last = max(r.end for r in students if r.end is not None)
                current = [r for r in students if r.end == last]
            orgs = list(dict.fromkeys(r.org_id for r in current or students if r.org_id))
            primary_orgs = [r.org_id for r in current or students if r.primary and r.org_id]
            if len(orgs) > 1 and len(set(primary_orgs)) == 1:
                orgs = primary_orgs[:1]
            resolved[user_id] = ("student", ",".join(orgs))
        return resolved

    def _users(self, table: CsvTable, state: _Read, get: UserCells) -> None:
        first_line: dict[str, int] = {}
        for line, row in table.rows:
            user_id, enabled, org_ids, role, ids, given, family, middle, number = map(
                str.strip, get(row)
            )
            if role != "student":
                role = role.casefold()
            if role and role != "student":
                if role == "teacher" and not number:
                    state.log.note(table.file, line, user_id or None, "identifier",
                                   "teacher has no employee number: no group access")  # fmt: skip
                elif number and user_id:
                    state.staff_numbers[user_id] = number
                if user_id:
                    state.other_users.add(user_id)
                continue
            issues: list[Issue] = []
            if not user_id:
                issues.append(("sourcedId", "no sourcedId"))
            elif user_id in first_line:
                first = first_line[user_id]
                issues.append(("sourcedId", _duplicate(first)))
                state.students.pop(user_id, None)
                issue = ("sourcedId", _duplicate(line))
                state.log.reject(table.file, first, user_id, pupil_key(user_id), [issue])
            else:
                first_line[user_id] = line
            if not role:
                issues.append(("role", "no role"))
            given, middle, family = clean_text(given), clean_text(middle), clean_text(family)
            if not given:
                issues.append(("givenName", "no givenName"))
            if not family:
                issues.append(("familyName", "no familyName"))
            flag = enabled.casefold()
            if not enabled:
                issues.append(("enabledUser", "no enabledUser"))
            elif flag != "true" and flag != "false":
                issues.append(("enabledUser", f"'{enabled}' is not true or false"))
            location = state.schools.get(org_ids) or _location(org_ids, state, issues)
            if user_id:
                state.student_ids.add(user_id)
            if issues or location is None:
                key = pupil_key(user_id) if user_id else None
                state.log.reject(table.file, line, user_id or None, key, issues)
                continue
            eck = _ECK.search(ids) if "{" in ids else None
            state.students[user_id] = _Student(
                PersonName(given, middle, family),
                location,
                flag == "true",
                (eck[1].strip() or None) if eck else None,
            )

    def _demographics(self, table: CsvTable, state: _Read) -> None:
        get = table.getter("sourcedId", "birthDate")
        for line, row in table.rows:
            user_id, raw = map(str.strip, get(row))
            if not user_id:
                state.log.reject(table.file, line, None, None, [("sourcedId", "no sourcedId")])
                continue
            if user_id not in state.students or not raw:
                continue  # a teacher's row, a rejected pupil, no birth date: nothing to use
            birth_date = parse_date(raw)
            if birth_date is None:
                key = pupil_key(user_id)
                state.log.reject(table.file, line, user_id, key, [("birthDate", not_a_date(raw))])
            else:
                state.births[user_id] = birth_date

    def _classes(self, table: CsvTable, state: _Read) -> None:
        get = table.getter("sourcedId", "title", "classType", "schoolSourcedId")
        first_line: dict[str, int] = {}
        for line, row in table.rows:
            class_id, title, class_type, school_id = map(str.strip, get(row))
            if class_type.casefold() != "homeroom":
                if class_id:
                    state.other_classes.add(class_id)
                continue
            if not class_id:
                state.log.note(table.file, line, None, "sourcedId", "no sourcedId")
                continue
            state.homeroom_ids.add(class_id)
            title = clean_text(title)
            brin6, reason = _school(school_id, state) if school_id else (None, "no schoolSourcedId")
            field_name = "schoolSourcedId"
            if brin6 is None and reason is None:
                reason = f"org '{school_id}' is not a school"
            if not title:
                field_name, reason = "title", "no title"
            if class_id in first_line:
                field_name, reason = "sourcedId", _duplicate(first_line[class_id])
                if state.classes.pop(class_id, None) is not None:
                    first = _duplicate(line)
                    state.log.note(table.file, first_line[class_id], class_id, field_name, first)
                    state.bad_classes[class_id] = f"class '{class_id}' is rejected: {first}"
            else:
                first_line[class_id] = line
            if reason is not None or brin6 is None:
                state.log.note(table.file, line, class_id, field_name, str(reason))
                state.bad_classes.setdefault(class_id, f"class '{class_id}' is rejected: {reason}")
                continue
            state.classes[class_id] = (title, brin6)

    def _enrollments(self, table: CsvTable, state: _Read, today: date) -> None:
        get = table.getter(*_ENROLMENT_COLUMNS)
        homerooms, students, classes = state.homerooms, state.student_ids, state.classes
        for line, row in table.rows:
            class_id, user_id, role, raw_begin, raw_end = map(str.strip, get(row))
            if role != "student":
                role = role.casefold()
            if (role != "student" and role != "teacher") or class_id in state.other_classes:
                continue  # administrators, proctors; scheduled classes are not our groups
            begin = parse_date(raw_begin) if raw_begin else None
            end = parse_date(raw_end) if raw_end else None
            if (
                role == "student"  # the usual row, quickly: a good student enrolment
                and user_id in students
                and class_id in classes
                and (begin is not None or not raw_begin)
                and (end is not None or not raw_end)
                and (begin is None or end is None or begin <= end)
            ):
                if user_id in homerooms:
                    homerooms[user_id].append(_Homeroom(line, class_id, begin, end))
                else:
                    homerooms[user_id] = [_Homeroom(line, class_id, begin, end)]
                continue
            issues = _enrolment_issues(class_id, user_id, raw_begin, raw_end, begin, end, state)
            if role == "student":
                if user_id and user_id not in state.student_ids:
                    known = user_id in state.other_users
                    what = "is not a student" if known else "is not in users.csv"
                    issues.append(("userSourcedId", f"user '{user_id}' {what}"))
                key = pupil_key(user_id) if user_id else None
                state.log.reject(table.file, line, user_id or None, key, issues)
                continue
            # a teacher: a problem costs them this group's access; it quarantines nobody
            if class_id in state.bad_classes:
                continue  # reported with classes.csv
            if not issues and user_id not in state.staff_numbers:
                if user_id in state.other_users:
                    continue  # a teacher without employee number, reported with users.csv
                issues.append(("userSourcedId", f"user '{user_id}' is not in users.csv"))
            for field_name, reason in issues:
                state.log.note(table.file, line, user_id or None, field_name, reason)
            if not issues and (end is None or today <= end):
                state.teachers.setdefault(class_id, set()).add(state.staff_numbers[user_id])

    def _assemble(self, enrol_file: str, state: _Read, today: date) -> SourceBatch:
        batch = SourceBatch(source=self.name, kind=self.kind)
        quarantined, births = state.log.quarantined, state.births
        for user_id, student in state.students.items():
            key = pupil_key(user_id)
            if key in quarantined:
                continue
            homerooms = state.homerooms.get(user_id, [])
            if len(homerooms) == 1:  # the usual case, quickly
                group: _Homeroom | None = homerooms[0]
                start, end = homerooms[0].begin, homerooms[0].end
            else:
                active = [h for h in homerooms if h.active_on(today)]
                if any(h.class_id != active[0].class_id for h in active):
                    reason = (
                        f"a second active homeroom class: line {active[0].line} already puts "
                        f"the pupil in class '{active[0].class_id}'"
                    )
                    for h in active[1:]:
                        if h.class_id != active[0].class_id:
                            issue = ("classSourcedId", reason)
                            state.log.reject(enrol_file, h.line, user_id, key, [issue])
                    continue
                group = _current(homerooms, active, today)
                start, end = _enrolment(homerooms)
            batch.pupils.append(
                Pupil(
                    sis_id=user_id,
                    name=student.name,
                    birth_date=births.get(user_id),
                    location=student.location,
                    group_id=group.class_id if group else None,
                    enrolment_start=start,
                    enrolment_end=end,
                    eck_id=student.eck_id,
                    enabled_in_sis=student.enabled,
                )
            )
        for class_id, (title, brin6) in state.classes.items():
            teachers = frozenset(state.teachers.get(class_id, ()))
            batch.groups.append(ClassGroup(class_id, title, brin6, teachers))
        state.log.fill(batch)
        batch.counts = {"pupils": len(state.student_ids), "groups": len(state.homeroom_ids)}
        return batch


def _version(folder: Path, users: CsvTable) -> str:
    """The OneRoster version of the folder: ``oneroster.version`` in manifest.csv; without
    one, 1.2 when users.csv has no ``role`` column and roles.csv exists, else 1.1."""
    manifest = folder / "manifest.csv"
    if manifest.exists():
        table = read_table(manifest, _LABEL)
        get = table.getter("propertyName", "value")
        for _line, row in table.rows:
            name, value = map(str.strip, get(row))
            if name == "oneroster.version":
                version = next((v for v in _VERSIONS if value in (v, f"{v}.0", f"{v}.1")), None)
                if version is None:
                    raise ConfigError(
                        f"{_LABEL} {manifest}: oneroster.version '{value}' is not supported "
                        "(1.1 or 1.2)"
                    )
                return version
    if users.optional_column("role") is None and (folder / "roles.csv").exists():
        return "1.2"
    return "1.1"


def _cells_12(users: CsvTable, roles: dict[str, tuple[str, str]]) -> UserCells:
    """A 1.2 users.csv row's cells in the 1.1 order, role and orgSourcedIds from roles.csv
    (``primaryOrgSourcedId`` when roles.csv names no school). A user without any role gets
    an empty role, reported as "no role"."""
    get = users.getter(*_USER_COLUMNS_12)
    primary_column = users.optional_column("primaryOrgSourcedId")

    def cells(row: Sequence[str]) -> tuple[str, ...]:
        user_id, enabled, ids, given, family, middle, number = get(row)
        role, org_ids = roles.get(user_id.strip(), ("", ""))
        if not org_ids and primary_column is not None:
            org_ids = row[primary_column]
        return user_id, enabled, org_ids, role, ids, given, family, middle, number

    return cells


def _school(org_id: str, state: _Read) -> tuple[str | None, str | None]:
    """(BRIN6, None) for a usable school, (None, reason) for an unusable org, and
    (None, None) for an org that is no school, such as the board (district)."""
    if org_id in state.schools:
        return state.schools[org_id], None
    if org_id in state.bad_schools:
        return None, state.bad_schools[org_id]
    if org_id in state.other_orgs:
        return None, None
    return None, f"org '{org_id}' is not in orgs.csv"


def _location(org_ids: str, state: _Read, issues: list[Issue]) -> str | None:
    """The BRIN6 of the one school among ``orgSourcedIds``; problems are added to ``issues``."""
    brins: set[str] = set()
    reasons: list[str] = []
    for org_id in filter(None, (part.strip() for part in org_ids.split(","))):
        brin6, reason = _school(org_id, state)
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


def _enrolment_issues(
    class_id: str,
    user_id: str,
    raw_begin: str,
    raw_end: str,
    begin: date | None,
    end: date | None,
    state: _Read,
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


def _duplicate(line: int) -> str:
    return f"duplicate sourcedId: line {line} has the same one"


def _current(homerooms: list[_Homeroom], active: list[_Homeroom], today: date) -> _Homeroom | None:
    """The pupil's group: the active one, else the next one, else the last one that ended."""
    if active:
        return active[0]
    upcoming = [h for h in homerooms if h.begin is not None and h.begin > today]
    if upcoming:
        return min(upcoming, key=lambda h: h.begin or today)
    ended = [h for h in homerooms if h.end is not None]
    return max(ended, key=lambda h: h.end or today, default=None)


def _enrolment(homerooms: list[_Homeroom]) -> tuple[date | None, date | None]:
    """The enrolment at school (inschrijving) spans all homeroom enrolments, so the summer
    between two groups is no exit. An open begin or end in any of them leaves that side open."""
    if not homerooms:
        return None, None
    begins = [h.begin for h in homerooms if h.begin is not None]
    ends = [h.end for h in homerooms if h.end is not None]
    start = min(begins) if len(begins) == len(homerooms) else None
    end = max(ends) if len(ends) == len(homerooms) else None
    return start, end
