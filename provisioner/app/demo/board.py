"""The demo board's model: its size, locations (schools) and classes, and the people in HR
with their employments; every role's HR function titles and the special cases."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from provisioner.app.demo.names import name_list
from provisioner.domain.models import Role

BOARD_NAME = "Stichting Demo Onderwijs"
BOARD_DOMAIN = "demo-bestuur.nl"
PUPIL_DOMAIN = "leerling.demo-bestuur.nl"
#: HR org unit of the board office; it belongs to the first location.
BOARD_OFFICE_UNIT = "1000"
FIRST_EMPLOYEE_NUMBER = 100001

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
SPECIAL_NUMBERS = frozenset(SPECIAL_STAFF.values())
SCHOOL_KINDS = ("OBS", "CBS", "IKC", "RKBS", "PCBS", "KBS", "Daltonschool", "Jenaplanschool")
FIRST_SCHOOLS = ("OBS De Regenboog", "CBS De Wegwijzer", "IKC Het Palet")


@dataclass(slots=True)
class Employment:
    location: int
    org_unit: str
    title: str
    start: date
    end: date | None = None


@dataclass(slots=True)
class StaffMember:
    number: str
    given: str
    prefix: str
    family: str
    employments: list[Employment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class School:
    brin6: str
    name: str
    org_unit: str

    @property
    def sourced_id(self) -> str:
        return f"S-{self.brin6}"


@dataclass(slots=True)
class SchoolClass:
    sourced_id: str
    groep: int
    letter: str
    location: int
    size: int
    teachers: list[str] = field(default_factory=list)  # employee numbers


@dataclass(frozen=True, slots=True)
class Pupil:
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


def brin6_of(index: int) -> str:
    """07XY00, 07XY01, 07XY02, 07XZ00, ...: three vestigingen per BRIN4."""
    number = 7 * 676 + (23 * 26 + 24) + index // 3  # "07XY" read as 2 digits and 2 letters
    digits, letters = divmod(number, 676)
    if digits > 99:
        raise ValueError("too many locations for the demo's BRIN codes")
    first, second = divmod(letters, 26)
    return f"{digits:02d}{chr(65 + first)}{chr(65 + second)}{index % 3:02d}"


def schools_of(count: int) -> list[School]:
    names = list(FIRST_SCHOOLS)
    bases, places = name_list("school_names"), name_list("places")
    for i in range(count - len(names)):
        kind = SCHOOL_KINDS[(i * 5) % len(SCHOOL_KINDS)]
        lap, base = divmod(i, len(bases))  # after a lap over the names, add a place name
        name = f"{kind} {bases[base]}"
        if lap:
            name += f" {places[(lap - 1) % len(places)]}"
        if lap > len(places):
            name += f" {lap}"
        names.append(name)
    return [School(brin6_of(i), names[i], str(1001 + i)) for i in range(count)]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
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


def classes_of(rng: random.Random, schools: Sequence[School], pupils: int) -> list[SchoolClass]:
    """Groups 1-8 at every location, parallel classes where a year has more than ~27 pupils."""
    per_location = apportion(pupils, [rng.uniform(0.7, 1.3) for _ in schools])
    classes: list[SchoolClass] = []
    for index, (school, location_pupils) in enumerate(zip(schools, per_location, strict=True)):
        parallels = [1] * 8
        for _ in range(max(8, round(location_pupils / 27)) - 8):
            parallels[rng.randrange(8)] += 1
        planned = [(g, chr(97 + n)) for g in range(1, 9) for n in range(parallels[g - 1])]
        sizes = apportion(location_pupils, [rng.uniform(0.85, 1.15) for _ in planned])
        for (groep, letter), size in zip(planned, sizes, strict=True):
            class_id = f"K-{school.brin6}-{groep}{letter}"
            classes.append(SchoolClass(class_id, groep, letter, index, size))
    return classes
