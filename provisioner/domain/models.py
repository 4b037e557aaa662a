"""The people, places and groups of a school board, as the sources describe them.

Everything here is plain, immutable data: no I/O, no database. Sources produce these
objects; policy turns them into desired state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    """Roles in the access hierarchy, from most to least access.

    director > location_leader > care_coordinator > teacher > pupil. Support staff and
    interns sit beside the hierarchy: they get only what their job needs.
    """

    DIRECTOR = "director"  # directeur, bestuurder
    LOCATION_LEADER = "location_leader"  # locatieleider, teamleider
    CARE_COORDINATOR = "care_coordinator"  # intern begeleider (IB-er), zorgcoördinator
    TEACHER = "teacher"  # leerkracht, docent, mentor
    SUPPORT_STAFF = "support_staff"  # onderwijsassistent, conciërge, administratie (OOP)
    PUPIL = "pupil"  # leerling
    INTERN = "intern"  # stagiair, leraar-in-opleiding (LIO)


#: Lower number = more access. Used to pick a person's "highest" role.
ROLE_RANK: dict[Role, int] = {
    Role.DIRECTOR: 0,
    Role.LOCATION_LEADER: 1,
    Role.CARE_COORDINATOR: 2,
    Role.TEACHER: 3,
    Role.INTERN: 4,
    Role.SUPPORT_STAFF: 5,
    Role.PUPIL: 6,
}


class PersonKind(StrEnum):
    STAFF = "staff"
    PUPIL = "pupil"


@dataclass(frozen=True, slots=True)
class PersonName:
    """A Dutch name: given name, tussenvoegsel (prefix, e.g. "van 't") and family name."""

    given: str
    prefix: str
    family: str

    @property
    def display(self) -> str:
        """ "Anne-Fleur van 't Hek"."""
        return " ".join(part for part in (self.given, self.prefix, self.family) if part)

    @property
    def family_with_prefix(self) -> str:
        """ "van 't Hek" (how the surname is written after a given name)."""
        return " ".join(part for part in (self.prefix, self.family) if part)


@dataclass(frozen=True, slots=True)
class Location:
    """A school location (vestiging), identified by its BRIN6: BRIN4 + 2-digit vestiging."""

    brin6: str
    name: str


@dataclass(frozen=True, slots=True)
class Employment:
    """One employment (aanstelling) of a staff member at one location.

    ``end`` is the last working day, inclusive; ``None`` means no end date. The function
    title is free text of the board's HR system; policy maps it to a role through the
    board's configuration.
    """

    location: str  # BRIN6
    function_title: str
    start: date
    end: date | None

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A staff member, keyed by the HR employee number (personeelsnummer), which never changes."""

    employee_number: str
    name: PersonName
    employments: tuple[Employment, ...]

    @property
    def key(self) -> str:
        return staff_key(self.employee_number)


@dataclass(frozen=True, slots=True)
class Pupil:
    """A pupil (leerling), keyed by the SIS id; the ECK iD is kept when the SIS gives it."""

    sis_id: str
    name: PersonName
    birth_date: date | None
    location: str  # BRIN6
    group_id: str | None  # SIS id of the pupil's own group (groep / klas)
    enrolment_start: date | None
    enrolment_end: date | None
    eck_id: str | None = None
    enabled_in_sis: bool = True

    @property
    def key(self) -> str:
        return pupil_key(self.sis_id)

    def enrolled_on(self, day: date) -> bool:
        if not self.enabled_in_sis:
            return False
        if self.enrolment_start is not None and day < self.enrolment_start:
            return False
        return self.enrolment_end is None or day <= self.enrolment_end


@dataclass(frozen=True, slots=True)
class ClassGroup:
    """A group of pupils (groep 5b, klas 2a) at one location, with its teachers."""

    group_id: str  # SIS id
    name: str
    location: str  # BRIN6
    teacher_numbers: frozenset[str] = field(default_factory=frozenset)  # HR employee numbers


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ConsentGiver(StrEnum):
    PARENT = "parent"  # ouder / verzorger (pupil under 16)
    PUPIL = "pupil"  # the pupil, from 16


class ConsentMechanism(StrEnum):
    """How an answer was obtained. Only a free, explicit opt-in is valid consent (AVG art. 4(11),
    art. 7; docs/consent.md)."""

    OPT_IN = "opt_in"  # zelf aangevinkt / ja gezegd: valid
    OPT_OUT = "opt_out"  # "geef het aan als u bezwaar hebt": silence is no consent
    PRE_TICKED = "pre_ticked"  # vooraf aangevinkt vakje
    CONDITION_OF_ENROLMENT = "condition_of_enrolment"  # voorwaarde voor inschrijving: not free
    UNKNOWN = "unknown"  # not known how it was asked


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One answer about publishing a pupil's image on one medium in one school year."""

    pupil_id: str  # SIS id
    medium: str
    status: ConsentStatus
    school_year: str  # "2026-2027"
    recorded_on: date
    given_by: ConsentGiver
    #: None: the source does not say; the board's ``[consent] default_mechanism`` applies.
    mechanism: ConsentMechanism | None = None


def staff_key(employee_number: str) -> str:
    """The board-wide key of a staff member: ``staff:<employee number>``."""
    return f"staff:{employee_number}"


def pupil_key(sis_id: str) -> str:
    """The board-wide key of a pupil: ``pupil:<SIS id>``."""
    return f"pupil:{sis_id}"
