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

from collections.abc import Set as AbstractSet
from datetime import date
from sys import intern

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
from connectors.sis.oneroster_rows import (
    ECK_ID,
    ENROLMENT_COLUMNS,
    LABEL,
    ROLE_COLUMNS,
    USER_COLUMNS,
    Homeroom,
    ReadState,
    RoleRow,
    Student,
    UserCells,
    cells_12,
    current_homeroom,
    duplicate,
    enrolment_issues,
    enrolment_span,
    location_of,
    school_of,
    version_of,
)
from provisioner.domain.models import ClassGroup, PersonName, Pupil, pupil_key
from provisioner.errors import ConfigError
from provisioner.sources.models import SourceBatch, SourceKind


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
            read_table(folder / f"{stem}.csv", LABEL)
            for stem in ("orgs", "users", "classes", "enrollments")
        )
        demographics = folder / "demographics.csv"
        today = self.today or date.today()
        state = ReadState(Rejections(self.name))
        self._orgs(orgs, state)
        if version_of(folder, users) == "1.2":
            roles = self._roles(read_table(folder / "roles.csv", LABEL), state, today)
            self._users(users, state, cells_12(users, roles))
        else:
            self._users(users, state, users.getter(*USER_COLUMNS))
        if demographics.exists():
            self._demographics(read_table(demographics, LABEL), state)
        self._classes(classes, state)
        self._enrollments(enrollments, state, today)
        return self._assemble(enrollments.file, state, today)

    def _orgs(self, table: CsvTable, state: ReadState) -> None:
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

    def _roles(self, table: CsvTable, state: ReadState, today: date) -> dict[str, tuple[str, str]]:
        """OneRoster 1.2: each user's role and school (the ``orgSourcedIds`` of 1.1) from
        roles.csv. A user with a student role is a student, at the school of the student roles
        active on ``today`` (else those that ended last, else all; more than one: the
        ``roleType = primary`` one). Other users get their first role, ``teacher`` first."""
        get = table.getter(*ROLE_COLUMNS)
        found: dict[str, list[RoleRow]] = {}
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
            found.setdefault(user_id, []).append(RoleRow(role, primary, org_id, begin, end))
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

    def _users(self, table: CsvTable, state: ReadState, get: UserCells) -> None:
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
                issues.append(("sourcedId", duplicate(first)))
                state.students.pop(user_id, None)
                issue = ("sourcedId", duplicate(line))
                state.log.reject(table.file, first, user_id, pupil_key(user_id), [issue])
            else:
                first_line[user_id] = line
            if not role:
                issues.append(("role", "no role"))
            # one string per distinct name part and group id: a board has a million pupils
            # and a few thousand names
            given, middle, family = (intern(clean_text(given)), intern(clean_text(middle)),
                                     intern(clean_text(family)))  # fmt: skip
            if not given:
                issues.append(("givenName", "no givenName"))
            if not family:
                issues.append(("familyName", "no familyName"))
            flag = enabled.casefold()
            if not enabled:
                issues.append(("enabledUser", "no enabledUser"))
            elif flag != "true" and flag != "false":
                issues.append(("enabledUser", f"'{enabled}' is not true or false"))
            location = state.schools.get(org_ids) or location_of(org_ids, state, issues)
            if user_id:
                state.student_ids.add(user_id)
            if issues or location is None:
                key = pupil_key(user_id) if user_id else None
                state.log.reject(table.file, line, user_id or None, key, issues)
                continue
            eck = ECK_ID.search(ids) if "{" in ids else None
            state.students[user_id] = Student(
                PersonName(given, middle, family),
                location,
                flag == "true",
                (eck[1].strip() or None) if eck else None,
            )

    def _demographics(self, table: CsvTable, state: ReadState) -> None:
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

    def _classes(self, table: CsvTable, state: ReadState) -> None:
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
            brin6, reason = (
                school_of(school_id, state) if school_id else (None, "no schoolSourcedId")
            )
            field_name = "schoolSourcedId"
            if brin6 is None and reason is None:
                reason = f"org '{school_id}' is not a school"
            if not title:
                field_name, reason = "title", "no title"
            if class_id in first_line:
                field_name, reason = "sourcedId", duplicate(first_line[class_id])
                if state.classes.pop(class_id, None) is not None:
                    first = duplicate(line)
                    state.log.note(table.file, first_line[class_id], class_id, field_name, first)
                    state.bad_classes[class_id] = f"class '{class_id}' is rejected: {first}"
            else:
                first_line[class_id] = line
            if reason is not None or brin6 is None:
                state.log.note(table.file, line, class_id, field_name, str(reason))
                state.bad_classes.setdefault(class_id, f"class '{class_id}' is rejected: {reason}")
                continue
            state.classes[class_id] = (title, brin6)

    def _enrollments(self, table: CsvTable, state: ReadState, today: date) -> None:
        get = table.getter(*ENROLMENT_COLUMNS)
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
                class_id = intern(class_id)
                if user_id in homerooms:
                    homerooms[user_id].append(Homeroom(line, class_id, begin, end))
                else:
                    homerooms[user_id] = [Homeroom(line, class_id, begin, end)]
                continue
            issues = enrolment_issues(class_id, user_id, raw_begin, raw_end, begin, end, state)
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

    def _assemble(self, enrol_file: str, state: ReadState, today: date) -> SourceBatch:
        batch = SourceBatch(source=self.name, kind=self.kind)
        quarantined, births = state.log.quarantined, state.births
        for user_id, student in state.students.items():
            key = pupil_key(user_id)
            if key in quarantined:
                continue
            homerooms = state.homerooms.get(user_id, [])
            if len(homerooms) == 1:  # the usual case, quickly
                group: Homeroom | None = homerooms[0]
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
                group = current_homeroom(homerooms, active, today)
                start, end = enrolment_span(homerooms)
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
