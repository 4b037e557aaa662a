"""The demo board's SIS: OneRoster 1.1 bulk files (orgs, sessions, courses, classes, users,
enrollments, demographics) and the manifest."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from provisioner.app.demo.board import BOARD_NAME, Pupil, School, SchoolClass, StaffMember
from provisioner.app.demo.files import Row, write_csv
from provisioner.app.demo.names import NamePicker, day_between, name_list, shift_years


def _columns(header: str) -> tuple[str, ...]:
    return tuple(header.split(","))


#: OneRoster 1.1 bulk headers, in the specification's column order.
ONEROSTER_HEADERS: dict[str, tuple[str, ...]] = {
    "orgs": _columns("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"),
    "users": _columns(
        "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
        "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
        "password"
    ),
    "classes": _columns(
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
        "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"
    ),
    "enrollments": _columns(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
        "primary,beginDate,endDate"
    ),
    "academicSessions": _columns(
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear"
    ),
    "courses": _columns(
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
        "orgSourcedId,subjects,subjectCodes"
    ),
    "demographics": _columns(
        "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
        "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
        "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
        "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus"
    ),
}
#: The other OneRoster 1.1 files, listed as absent in the manifest.
ONEROSTER_ABSENT = (
    "categories",
    "classResources",
    "courseResources",
    "lineItems",
    "resources",
    "results",
)


def write_sis(
    folder: Path,
    rng: random.Random,
    schools: Sequence[School],
    classes: Sequence[SchoolClass],
    people: Sequence[StaffMember],
    today: date,
    year: int,
    leavers: int,
) -> list[Pupil]:
    """The OneRoster 1.1 bulk files and manifest; returns the pupils for the consent file."""
    session = f"SJ{year}-{year + 1}"
    year_start = date(year, 8, 1)
    board = "B-DEMO"
    orgs = [(board, "", "", BOARD_NAME, "district", "41999", "")]
    orgs += [(s.sourced_id, "", "", s.name, "school", s.brin6, board) for s in schools]
    write_csv(folder / "orgs.csv", ONEROSTER_HEADERS["orgs"], orgs)
    year_end = date(year + 1, 7, 31).isoformat()
    title = f"Schooljaar {year}-{year + 1}"
    sessions = [
        (session, "", "", title, "schoolYear", year_start.isoformat(), year_end, "", str(year + 1))
    ]
    write_csv(folder / "academicSessions.csv", ONEROSTER_HEADERS["academicSessions"], sessions)
    courses = [
        (f"C-{s.brin6}-{g}", "", "", session, f"Groep {g}", f"G{g}", "", s.sourced_id, "", "")
        for s in schools
        for g in range(1, 9)
    ]
    write_csv(folder / "courses.csv", ONEROSTER_HEADERS["courses"], courses)
    class_rows = [
        (
            *(c.sourced_id, "", "", f"Groep {c.groep}{c.letter}", ""),
            *(f"C-{schools[c.location].brin6}-{c.groep}", f"{c.groep}{c.letter}", "homeroom", ""),
            *(schools[c.location].sourced_id, session, "", "", ""),
        )
        for c in classes
    ]
    write_csv(folder / "classes.csv", ONEROSTER_HEADERS["classes"], class_rows)

    users, enrollments, demographics, pupils = pupils_of(rng, schools, classes, today, year)
    mark_leavers(rng, enrollments, pupils, today, leavers)
    users += teachers_of(schools, classes, people, enrollments, year_start)

    write_csv(folder / "users.csv", ONEROSTER_HEADERS["users"], users)
    write_csv(folder / "enrollments.csv", ONEROSTER_HEADERS["enrollments"], enrollments)
    write_csv(folder / "demographics.csv", ONEROSTER_HEADERS["demographics"], demographics)
    manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.1")]
    manifest += [
        (f"file.{name}", "absent" if name in ONEROSTER_ABSENT else "bulk")
        for name in sorted((*ONEROSTER_HEADERS, *ONEROSTER_ABSENT), key=str.lower)
    ]
    manifest += [("source.systemName", "Demo leerlingadministratie"), ("source.systemCode", "demo")]
    write_csv(folder / "manifest.csv", ("propertyName", "value"), manifest)
    return pupils


def pupils_of(
    rng: random.Random,
    schools: Sequence[School],
    classes: Sequence[SchoolClass],
    today: date,
    year: int,
) -> tuple[list[Row], list[Row], list[Row], list[Pupil]]:
    """Pupils in their homeroom class: users, student enrollments, demographics.

    Groep g in school year Y holds children born 1 October Y-g-4 to 30 September Y-g-3 (groep
    1 is 4-5 years old). Most started at their fourth birthday; some moved in later.
    """
    names = NamePicker(rng)
    girls, boys = name_list("girls_names"), name_list("boys_names")
    users: list[Row] = []
    enrollments: list[Row] = []
    demographics: list[Row] = []
    pupils: list[Pupil] = []
    blank = ("",) * 11
    last_move_in = today - timedelta(days=7)
    for group in classes:
        school = schools[group.location].sourced_id
        born_from = date(year - group.groep - 4, 10, 1)
        born_to = date(year - group.groep - 3, 9, 30)
        if group.groep == 1:
            born_to = min(born_to, shift_years(today, -4))
        for _ in range(group.size):
            sourced_id = f"L{len(pupils) + 1:06d}"
            girl = rng.random() < 0.5
            given, prefix, family = names.pick(girls if girl else boys)
            born = day_between(rng, born_from, born_to)
            start = shift_years(born, 4)
            if rng.random() < 0.12 and start < last_move_in:
                start = day_between(rng, start, last_move_in)
            eck = ""
            if rng.random() < 0.3:
                eck = f"{{ECK:https://ketenid.nl/201703/{rng.getrandbits(512):0128x}}}"
            users.append(
                (
                    *(sourced_id, "", "", "true", school, "student", sourced_id.lower(), eck),
                    *(given, family, prefix, "", "", "", "", "", "", ""),
                )
            )
            enrollments.append(
                (
                    *(f"E-{group.sourced_id}-{sourced_id}", "", "", group.sourced_id, school),
                    *(sourced_id, "student", "false", start.isoformat(), ""),
                )
            )
            sex = "female" if girl else "male"
            demographics.append((sourced_id, "", "", born.isoformat(), sex, *blank))
            pupils.append(Pupil(sourced_id, start))
    return users, enrollments, demographics, pupils


def mark_leavers(
    rng: random.Random, enrollments: list[Row], pupils: Sequence[Pupil], today: date, count: int
) -> None:
    """A few pupils left in the last two months: their enrolment's endDate has passed."""
    long_enough = today - timedelta(days=90)
    candidates = [i for i, pupil in enumerate(pupils) if pupil.start < long_enough]
    for i in sorted(rng.sample(candidates, min(count, len(candidates)))):
        left = today - timedelta(days=rng.randint(1, 60))
        enrollments[i] = (*enrollments[i][:-1], left.isoformat())


def teachers_of(
    schools: Sequence[School],
    classes: Sequence[SchoolClass],
    people: Sequence[StaffMember],
    enrollments: list[Row],
    year_start: date,
) -> list[Row]:
    """Teacher enrollments (appended) and the teachers' users, ``identifier`` = employee number."""
    by_number = {person.number: person for person in people}
    teacher_orgs: dict[str, list[str]] = {}
    for group in classes:
        school = schools[group.location].sourced_id
        for rank, number in enumerate(group.teachers):
            orgs = teacher_orgs.setdefault(number, [])
            if school not in orgs:
                orgs.append(school)
            employment = next(
                e for e in by_number[number].employments if e.location == group.location
            )
            begin = max(year_start, employment.start).isoformat()
            primary = "true" if rank == 0 else "false"
            enrollments.append(
                (
                    *(f"E-{group.sourced_id}-M{number}", "", "", group.sourced_id, school),
                    *(f"M{number}", "teacher", primary, begin, ""),
                )
            )
    users: list[Row] = []
    for number in sorted(teacher_orgs):
        person = by_number[number]
        users.append(
            (
                *(f"M{number}", "", "", "true", ",".join(teacher_orgs[number]), "teacher"),
                *(f"m{number}", "", person.given, person.family, person.prefix, number),
                *("", "", "", "", "", ""),
            )
        )
    return users
