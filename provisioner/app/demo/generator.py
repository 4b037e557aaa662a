"""Write a realistic demo school board: HR export, OneRoster 1.1 SIS, consents and config.

Everything comes from ``random.Random(seed)`` and ``today``: the same arguments give
byte-identical files, and every date is relative to ``today`` so the demo makes sense whenever
it runs. Every board, whatever its size, contains the special cases listed in
``SPECIAL_STAFF``: a person with two employments, a back-dated leaver, an unmapped function
title, names with tussenvoegsels, diacritics and apostrophes, and two people with one name.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path

from provisioner.domain.models import Role

BOARD_NAME = "Stichting Demo Onderwijs"
BOARD_DOMAIN = "demo-bestuur.nl"
PUPIL_DOMAIN = "leerling.demo-bestuur.nl"
#: HR org unit of the board office; it belongs to the first location.
BOARD_OFFICE_UNIT = "1000"
FIRST_EMPLOYEE_NUMBER = 100001

HR_HEADER = (
    "employee_number",
    "given_name",
    "prefix",
    "family_name",
    "org_unit",
    "function_title",
    "start_date",
    "end_date",
)
CONSENT_HEADER = ("pupil_id", "medium", "status", "school_year", "recorded_on", "given_by")


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

#: HR function titles per role, most common first; [roles] maps every one of them ...
ROLE_TITLES: dict[Role, tuple[str, ...]] = {
    Role.DIRECTOR: ("Directeur-bestuurder", "Bovenschools directeur"),
    Role.LOCATION_LEADER: ("Locatieleider", "Teamleider"),
    Role.CARE_COORDINATOR: ("Intern begeleider", "IB-er", "Zorgcoördinator"),
    Role.TEACHER: ("Groepsleerkracht", "Leerkracht"),
    Role.SUPPORT_STAFF: ("Onderwijsassistent", "Conciërge", "Administratief medewerker"),
    Role.INTERN: ("LIO-stagiair", "Stagiair"),
}
#: ... but not this one, so the run reports an unmapped title.
UNMAPPED_TITLE = "Vakleerkracht bewegingsonderwijs"

#: The special cases and their employee numbers, the same at every board size.
SPECIAL_STAFF: dict[str, str] = {
    "director Jan de Vries": "100001",
    "Anne-Fleur van 't Hek: teacher at location 1, care coordinator at location 2": "100002",
    "teacher Ömer Çelik": "100003",
    "Sanne Jansen, teacher": "100004",
    "Sanne Jansen, support staff (same name, another person)": "100005",
    "back-dated leaver (end date today - 10 days)": "100006",
    "unmapped function title 'Vakleerkracht bewegingsonderwijs'": "100007",
}
_SPECIAL_NUMBERS = frozenset(SPECIAL_STAFF.values())
_RESERVED_NAMES = frozenset({"Jan de Vries", "Sanne Jansen", "Ömer Çelik", "Anne-Fleur van 't Hek"})

#: The media parents answer for, with cumulative odds of granted, refused and no answer;
#: the remaining share is granted and later withdrawn.
CONSENT_MEDIA: dict[str, tuple[float, float, float]] = {
    "website": (0.80, 0.89, 0.97),
    "nieuwsbrief": (0.84, 0.91, 0.975),
    "schoolgids": (0.82, 0.90, 0.975),
    "social media": (0.58, 0.86, 0.96),
    "ouderapp": (0.86, 0.92, 0.98),
}
_SCHOOL_KINDS = ("OBS", "CBS", "IKC", "RKBS", "PCBS", "KBS", "Daltonschool", "Jenaplanschool")
_FIRST_SCHOOLS = ("OBS De Regenboog", "CBS De Wegwijzer", "IKC Het Palet")


@cache
def _names(name: str) -> tuple[str, ...]:
    text = files("provisioner.app.demo").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


@cache
def _family_names() -> tuple[tuple[str, str], ...]:
    pairs = (line.split("|", 1) for line in _names("family_names"))
    return tuple((prefix, family) for prefix, family in pairs)


@dataclass(slots=True)
class _Employment:
    location: int
    org_unit: str
    title: str
    start: date
    end: date | None = None


@dataclass(slots=True)
class _Staff:
    number: str
    given: str
    prefix: str
    family: str
    employments: list[_Employment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _School:
    brin6: str
    name: str
    org_unit: str

    @property
    def sourced_id(self) -> str:
        return f"S-{self.brin6}"


@dataclass(slots=True)
class _Class:
    sourced_id: str
    groep: int
    letter: str
    location: int
    size: int
    teachers: list[str] = field(default_factory=list)  # employee numbers


@dataclass(frozen=True, slots=True)
class _Pupil:
    sourced_id: str
    start: date


@dataclass(frozen=True, slots=True)
class BoardSize:
    """How many of each kind a board of ``staff`` people and ``pupils`` pupils has."""

    locations: int
    directors: int
    location_leaders: int
    care_coordinators: int
    support_staff: int
    interns: int
    teachers: int  # everyone else, including the five special cases counted as teachers
    pupil_leavers: int

    @classmethod
    def of(cls, staff: int, pupils: int) -> BoardSize:
        """Raises ValueError when the board is too small to hold every role and special case."""
        if pupils < 60:
            raise ValueError(f"pupils={pupils} is too small: the demo needs at least 60")
        locations = max(3, round(pupils / 235))
        directors = min(3, 1 + staff // 400)
        care = max(locations, round(1.3 * locations))
        support = max(1, round(0.15 * staff))
        interns = max(2, round(0.03 * staff))
        others = directors + locations + care + support + interns
        if staff - others < 5 + locations:
            raise ValueError(
                f"staff={staff} is too small for {locations} locations: "
                f"the demo needs at least {others + 5 + locations}"
            )
        return cls(
            locations=locations,
            directors=directors,
            location_leaders=locations,
            care_coordinators=care,
            support_staff=support,
            interns=interns,
            teachers=staff - others,
            pupil_leavers=max(1, round(pupils / 140)),
        )


def school_year_start(day: date) -> int:
    """The first calendar year of the school year ``day`` is in; a school year starts 1 August."""
    return day.year if day.month >= 8 else day.year - 1


def generate_board(
    directory: Path,
    *,
    today: date,
    seed: int = 2026,
    staff: int = 60,
    pupils: int = 700,
    m365_emulator: bool = False,
) -> Path:
    """Write a realistic demo board into `directory` and return the path of its provisioner.toml.

    With ``m365_emulator`` the board also has a Microsoft 365 target, served by the built-in
    Graph emulator whose tenant is kept in ``graph-tenant.json``.
    """
    size = BoardSize.of(staff, pupils)
    rng = random.Random(seed)
    year = school_year_start(today)
    schools = _schools(size.locations)
    classes = _classes(rng, schools, pupils)
    people = _staff(rng, size, schools, classes, today, year)
    _assign_teachers(rng, people, classes, today)

    sis = directory / "sis"
    sis.mkdir(parents=True, exist_ok=True)
    _write_hr(directory / "hr.csv", people)
    enrolled = _write_sis(sis, rng, schools, classes, people, today, year, size.pupil_leavers)
    _write_consents(directory / "consents.csv", rng, enrolled, today, year)
    config = directory / "provisioner.toml"
    text = _config_text(schools, seed, today) + (_M365_TARGET if m365_emulator else "")
    config.write_text(text, encoding="utf-8", newline="\n")
    return config


# --- the board --------------------------------------------------------------------------------


def _brin6(index: int) -> str:
    """07XY00, 07XY01, 07XY02, 07XZ00, ...: three vestigingen per BRIN4."""
    number = 7 * 676 + (23 * 26 + 24) + index // 3  # "07XY" read as 2 digits and 2 letters
    digits, letters = divmod(number, 676)
    if digits > 99:
        raise ValueError("too many locations for the demo's BRIN codes")
    first, second = divmod(letters, 26)
    return f"{digits:02d}{chr(65 + first)}{chr(65 + second)}{index % 3:02d}"


def _schools(count: int) -> list[_School]:
    names = list(_FIRST_SCHOOLS)
    bases, places = _names("school_names"), _names("places")
    for i in range(count - len(names)):
        kind = _SCHOOL_KINDS[(i * 5) % len(_SCHOOL_KINDS)]
        lap, base = divmod(i, len(bases))  # after a lap over the names, add a place name
        name = f"{kind} {bases[base]}"
        if lap:
            name += f" {places[(lap - 1) % len(places)]}"
        if lap > len(places):
            name += f" {lap}"
        names.append(name)
    return [_School(_brin6(i), names[i], str(1001 + i)) for i in range(count)]


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into whole parts proportional to ``weights`` (cumulative rounding)."""
    whole = sum(weights)
    parts: list[int] = []
    running = 0.0
    previous = 0
    for weight in weights[:-1]:
        running += weight
        current = round(total * running / whole)
        parts.append(current - previous)
        previous = current
    parts.append(total - previous)
    return parts


def _classes(rng: random.Random, schools: Sequence[_School], pupils: int) -> list[_Class]:
    """Groups 1-8 at every location, parallel classes where a year has more than ~27 pupils."""
    per_location = _apportion(pupils, [rng.uniform(0.7, 1.3) for _ in schools])
    classes: list[_Class] = []
    for index, (school, location_pupils) in enumerate(zip(schools, per_location, strict=True)):
        parallels = [1] * 8
        for _ in range(max(8, round(location_pupils / 27)) - 8):
            parallels[rng.randrange(8)] += 1
        planned = [(g, chr(97 + n)) for g in range(1, 9) for n in range(parallels[g - 1])]
        sizes = _apportion(location_pupils, [rng.uniform(0.85, 1.15) for _ in planned])
        for (groep, letter), size in zip(planned, sizes, strict=True):
            class_id = f"K-{school.brin6}-{groep}{letter}"
            classes.append(_Class(class_id, groep, letter, index, size))
    return classes


class _NamePicker:
    """Random names that never repeat the named people of the demo."""

    def __init__(self, rng: random.Random) -> None:
        self._random = rng.random
        self._family = _family_names()
        self._reserved_given = {name.split(" ", 1)[0] for name in _RESERVED_NAMES}

    def pick(self, givens: Sequence[str]) -> tuple[str, str, str]:
        while True:
            given = givens[int(self._random() * len(givens))]
            prefix, family = self._family[int(self._random() * len(self._family))]
            if given not in self._reserved_given:
                return given, prefix, family
            full = f"{given} {prefix} {family}" if prefix else f"{given} {family}"
            if full not in _RESERVED_NAMES:
                return given, prefix, family


def _day_between(rng: random.Random, first: date, last: date) -> date:
    start = first.toordinal()
    return date.fromordinal(start + int(rng.random() * (last.toordinal() - start + 1)))


def _shift_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (negative: earlier); 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _staff(
    rng: random.Random,
    size: BoardSize,
    schools: Sequence[_School],
    classes: Sequence[_Class],
    today: date,
    year: int,
) -> list[_Staff]:
    """Everyone in HR: the special cases first (100001-100007), then the rest shuffled."""
    names = _NamePicker(rng)
    given_names = _names("staff_given_names")
    n_loc = size.locations
    director, leader, care, teacher, support, intern = (
        ROLE_TITLES[role]
        for role in (
            Role.DIRECTOR,
            Role.LOCATION_LEADER,
            Role.CARE_COORDINATOR,
            Role.TEACHER,
            Role.SUPPORT_STAFF,
            Role.INTERN,
        )
    )

    def hired() -> date:
        return _day_between(rng, _shift_years(today, -30), today - timedelta(days=60))

    def years_ago() -> date:
        return _day_between(rng, _shift_years(today, -15), _shift_years(today, -3))

    def job(location: int, title: str, start: date | None = None) -> _Employment:
        unit = BOARD_OFFICE_UNIT if title in director else schools[location].org_unit
        return _Employment(location, unit, title, start or hired())

    people = [
        _Staff("100001", "Jan", "de", "Vries", [job(0, director[0], years_ago())]),
        _Staff(
            "100002",
            "Anne-Fleur",
            "van 't",
            "Hek",
            [job(0, teacher[0], years_ago()), job(1, care[0], date(year - 2, 8, 1))],
        ),
        _Staff("100003", "Ömer", "", "Çelik", [job(1, teacher[1])]),
        _Staff("100004", "Sanne", "", "Jansen", [job(0, teacher[0])]),
        _Staff("100005", "Sanne", "", "Jansen", [job(2, support[0])]),
        _Staff("100006", *names.pick(given_names), [job(2, teacher[0], years_ago())]),
        _Staff("100007", *names.pick(given_names), [job(1, UNMAPPED_TITLE)]),
    ]
    people[5].employments[0].end = today - timedelta(days=10)

    jobs: list[_Employment] = [job(0, director[1]) for _ in range(size.directors - 1)]
    jobs += [job(location, leader[location % 2]) for location in range(n_loc)]
    jobs += [job(location, care[location % 3]) for location in range(n_loc)]
    extra_care = rng.sample([i for i in range(n_loc) if i != 1], size.care_coordinators - n_loc)
    jobs += [job(location, rng.choice(care)) for location in extra_care]
    jobs += [
        job(i % n_loc, rng.choices(support, weights=(50, 25, 25))[0])
        for i in range(size.support_staff - 1)
    ]
    for i in range(size.interns):
        started = today - timedelta(days=rng.randint(20, 120))
        placement = job(rng.randrange(n_loc), intern[i % 2], started)
        placement.end = today + timedelta(days=rng.randint(60, 150))
        jobs.append(placement)
    class_counts = [0] * n_loc
    for group in classes:
        class_counts[group.location] += 1
    regular = size.teachers - 5
    per_location = [1 + n for n in _apportion(regular - n_loc, class_counts)]
    for location, amount in enumerate(per_location):
        for _ in range(amount):
            title = rng.choices(teacher, weights=(70, 30))[0]
            if rng.random() < 0.05:  # a fixed-term contract until the end of the school year
                jobs.append(_fixed_term(job(location, title, date(year, 8, 1)), year))
            else:
                jobs.append(job(location, title))
    rng.shuffle(jobs)
    for number, employment in enumerate(jobs, start=FIRST_EMPLOYEE_NUMBER + len(people)):
        people.append(_Staff(str(number), *names.pick(given_names), [employment]))
    return people


def _fixed_term(employment: _Employment, year: int) -> _Employment:
    employment.end = date(year + 1, 7, 31)
    return employment


def _assign_teachers(
    rng: random.Random, people: Sequence[_Staff], classes: Sequence[_Class], today: date
) -> None:
    """One or two teachers per class, each employed as a teacher at the class's location.

    Every class gets a teacher (the named teachers first); teachers left over become the
    second teacher (a duo) of a class; a location with fewer teachers than classes shares them.
    """
    named: dict[int, list[str]] = {}
    others: dict[int, list[str]] = {}
    for person in people:
        for employment in person.employments:
            current = employment.end is None or employment.end >= today
            if current and employment.title in ROLE_TITLES[Role.TEACHER]:
                pools = named if person.number in _SPECIAL_NUMBERS else others
                pools.setdefault(employment.location, []).append(person.number)
    by_location: dict[int, list[_Class]] = {}
    for group in classes:
        by_location.setdefault(group.location, []).append(group)
    for location, groups in by_location.items():
        rest = others.get(location, [])
        rng.shuffle(rest)
        pool = named.get(location, []) + rest
        for i, group in enumerate(groups):
            group.teachers.append(pool[i % len(pool)])
        duos = rng.sample(groups, len(groups))
        for group, number in zip(duos, pool[len(groups) :], strict=False):
            group.teachers.append(number)


# --- files ------------------------------------------------------------------------------------


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _write_hr(path: Path, people: Sequence[_Staff]) -> None:
    rows = [
        (p.number, p.given, p.prefix, p.family, e.org_unit, e.title, _iso(e.start), _iso(e.end))
        for p in people
        for e in p.employments
    ]
    _write_csv(path, HR_HEADER, rows)


def _write_sis(
    folder: Path,
    rng: random.Random,
    schools: Sequence[_School],
    classes: Sequence[_Class],
    people: Sequence[_Staff],
    today: date,
    year: int,
    leavers: int,
) -> list[_Pupil]:
    """The OneRoster 1.1 bulk files and manifest; returns the pupils for the consent file."""
    session = f"SJ{year}-{year + 1}"
    year_start = date(year, 8, 1)
    board = "B-DEMO"
    orgs = [(board, "", "", BOARD_NAME, "district", "41999", "")]
    orgs += [(s.sourced_id, "", "", s.name, "school", s.brin6, board) for s in schools]
    _write_csv(folder / "orgs.csv", ONEROSTER_HEADERS["orgs"], orgs)
    year_end = date(year + 1, 7, 31).isoformat()
    title = f"Schooljaar {year}-{year + 1}"
    sessions = [
        (session, "", "", title, "schoolYear", year_start.isoformat(), year_end, "", str(year + 1))
    ]
    _write_csv(folder / "academicSessions.csv", ONEROSTER_HEADERS["academicSessions"], sessions)
    courses = [
        (f"C-{s.brin6}-{g}", "", "", session, f"Groep {g}", f"G{g}", "", s.sourced_id, "", "")
        for s in schools
        for g in range(1, 9)
    ]
    _write_csv(folder / "courses.csv", ONEROSTER_HEADERS["courses"], courses)
    class_rows = [
        (
            *(c.sourced_id, "", "", f"Groep {c.groep}{c.letter}", ""),
            *(f"C-{schools[c.location].brin6}-{c.groep}", f"{c.groep}{c.letter}", "homeroom", ""),
            *(schools[c.location].sourced_id, session, "", "", ""),
        )
        for c in classes
    ]
    _write_csv(folder / "classes.csv", ONEROSTER_HEADERS["classes"], class_rows)

    users, enrollments, demographics, pupils = _pupils(rng, schools, classes, today, year)
    _mark_leavers(rng, enrollments, pupils, today, leavers)
    users += _teachers(schools, classes, people, enrollments, year_start)

    _write_csv(folder / "users.csv", ONEROSTER_HEADERS["users"], users)
    _write_csv(folder / "enrollments.csv", ONEROSTER_HEADERS["enrollments"], enrollments)
    _write_csv(folder / "demographics.csv", ONEROSTER_HEADERS["demographics"], demographics)
    manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.1")]
    manifest += [
        (f"file.{name}", "absent" if name in ONEROSTER_ABSENT else "bulk")
        for name in sorted((*ONEROSTER_HEADERS, *ONEROSTER_ABSENT), key=str.lower)
    ]
    manifest += [("source.systemName", "Demo leerlingadministratie"), ("source.systemCode", "demo")]
    _write_csv(folder / "manifest.csv", ("propertyName", "value"), manifest)
    return pupils


_Row = tuple[str, ...]


def _pupils(
    rng: random.Random,
    schools: Sequence[_School],
    classes: Sequence[_Class],
    today: date,
    year: int,
) -> tuple[list[_Row], list[_Row], list[_Row], list[_Pupil]]:
    """Pupils in their homeroom class: users, student enrollments, demographics.

    Groep g in school year Y holds children born 1 October Y-g-4 to 30 September Y-g-3 (groep
    1 is 4-5 years old). Most started at their fourth birthday; some moved in later.
    """
    names = _NamePicker(rng)
    girls, boys = _names("girls_names"), _names("boys_names")
    users: list[_Row] = []
    enrollments: list[_Row] = []
    demographics: list[_Row] = []
    pupils: list[_Pupil] = []
    blank = ("",) * 11
    last_move_in = today - timedelta(days=7)
    for group in classes:
        school = schools[group.location].sourced_id
        born_from = date(year - group.groep - 4, 10, 1)
        born_to = date(year - group.groep - 3, 9, 30)
        if group.groep == 1:
            born_to = min(born_to, _shift_years(today, -4))
        for _ in range(group.size):
            sourced_id = f"L{len(pupils) + 1:06d}"
            girl = rng.random() < 0.5
            given, prefix, family = names.pick(girls if girl else boys)
            born = _day_between(rng, born_from, born_to)
            start = _shift_years(born, 4)
            if rng.random() < 0.12 and start < last_move_in:
                start = _day_between(rng, start, last_move_in)
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
            pupils.append(_Pupil(sourced_id, start))
    return users, enrollments, demographics, pupils


def _mark_leavers(
    rng: random.Random, enrollments: list[_Row], pupils: Sequence[_Pupil], today: date, count: int
) -> None:
    """A few pupils left in the last two months: their enrolment's endDate has passed."""
    long_enough = today - timedelta(days=90)
    candidates = [i for i, pupil in enumerate(pupils) if pupil.start < long_enough]
    for i in sorted(rng.sample(candidates, min(count, len(candidates)))):
        left = today - timedelta(days=rng.randint(1, 60))
        enrollments[i] = (*enrollments[i][:-1], left.isoformat())


def _teachers(
    schools: Sequence[_School],
    classes: Sequence[_Class],
    people: Sequence[_Staff],
    enrollments: list[_Row],
    year_start: date,
) -> list[_Row]:
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
    users: list[_Row] = []
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


def _write_consents(
    path: Path, rng: random.Random, pupils: Sequence[_Pupil], today: date, year: int
) -> None:
    """Per pupil and medium: mostly granted, some refused, some unanswered, a few withdrawn.

    Parents answer once per school year, between 1 July and mid-October (or when the pupil
    starts). A few pupils also have answers of the previous school year.
    """
    current, previous = f"{year}-{year + 1}", f"{year - 1}-{year}"
    window_start = date(year, 7, 1)
    window_end = min(today - timedelta(days=1), date(year, 10, 15))
    last_year_from, last_year_to = date(year - 1, 7, 1), date(year - 1, 10, 15)
    rows: list[_Row] = []
    for pupil in pupils:
        pid = pupil.sourced_id
        if pupil.start <= last_year_from and rng.random() < 0.05:
            answered = _day_between(rng, last_year_from, last_year_to).isoformat()
            for medium in ("website", "schoolgids"):
                status = "granted" if rng.random() < 0.85 else "refused"
                rows.append((pid, medium, status, previous, answered, "parent"))
        if rng.random() < 0.03:  # the form never came back
            continue
        answered_on = _day_between(rng, min(max(window_start, pupil.start), window_end), window_end)
        answered = answered_on.isoformat()
        for medium, (granted, refused, unanswered) in CONSENT_MEDIA.items():
            draw = rng.random()
            if draw < granted:
                rows.append((pid, medium, "granted", current, answered, "parent"))
            elif draw < refused:
                rows.append((pid, medium, "refused", current, answered, "parent"))
            elif draw >= unanswered:
                withdrawn = _day_between(rng, answered_on + timedelta(days=1), today).isoformat()
                rows.append((pid, medium, "granted", current, answered, "parent"))
                rows.append((pid, medium, "withdrawn", current, withdrawn, "parent"))
    _write_csv(path, CONSENT_HEADER, rows)


# --- configuration ----------------------------------------------------------------------------


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


_STAFF_LICENCE = '["M365_A3_FACULTY"]'
_TAIL = f"""
[sources.hr]
type = "hr-csv"
path = "hr.csv"

[sources.sis]
type = "oneroster-csv"
path = "sis"

[sources.consent]
type = "consent-csv"
path = "consents.csv"

[consent]
default_mechanism = "opt_in"  # the demo's form: parents tick "yes" themselves, nothing pre-ticked

[[targets]]
type = "reference"
name = "directory"
path = "reference-directory"
include_pupils = true

[targets.licences]
director = {_STAFF_LICENCE}
location_leader = {_STAFF_LICENCE}
care_coordinator = {_STAFF_LICENCE}
teacher = {_STAFF_LICENCE}
support_staff = {_STAFF_LICENCE}
intern = ["M365_A1_FACULTY"]
pupil = ["M365_A1_STUDENT"]

[targets.sis_roles]
director = "Directie"
location_leader = "Directie"
care_coordinator = "Intern begeleider"
teacher = "Leerkracht"
support_staff = "Medewerker"
intern = "Stagiair"
"""

_M365_TARGET = f"""
[[targets]]
type = "m365"
name = "m365"
tenant = "demo-tenant"
client_id = "provisioner"
usage_location = "NL"
delta_cache = "graph-delta.json"
include_pupils = true
sharepoint = true

[targets.emulator]
state_file = "graph-tenant.json"

[targets.licences]
director = {_STAFF_LICENCE}
location_leader = {_STAFF_LICENCE}
care_coordinator = {_STAFF_LICENCE}
teacher = {_STAFF_LICENCE}
support_staff = {_STAFF_LICENCE}
intern = ["M365_A1_FACULTY"]
pupil = ["M365_A1_STUDENT"]
"""


def _config_text(schools: Sequence[_School], seed: int, today: date) -> str:
    lines = [
        f"# Demo board written by provisioner.app.demo.generator (seed {seed}, today {today}).",
        "# Paths are relative to this file; the state store is provisioner.db beside it.",
        "",
        "[board]",
        f"name = {_toml(BOARD_NAME)}",
        f"domain = {_toml(BOARD_DOMAIN)}",
        f"pupil_domain = {_toml(PUPIL_DOMAIN)}",
        'director_scope = "board"',
    ]
    for index, school in enumerate(schools):
        units = [BOARD_OFFICE_UNIT, school.org_unit] if index == 0 else [school.org_unit]
        lines += [
            "",
            "[[locations]]",
            f"brin6 = {_toml(school.brin6)}",
            f"name = {_toml(school.name)}",
            f"hr_org_units = [{', '.join(_toml(unit) for unit in units)}]",
        ]
    lines += ["", "[roles]"]
    lines += [
        f"{_toml(title)} = {_toml(role.value)}"
        for role, titles in ROLE_TITLES.items()
        for title in titles
    ]
    lines.append(f"# {_toml(UNMAPPED_TITLE)} is deliberately not mapped: the run reports it.")
    return "\n".join(lines) + "\n" + _TAIL
