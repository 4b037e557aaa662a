"""Everyone in the demo board's HR export, and the teachers of each class."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from provisioner.app.demo.board import (
    BOARD_OFFICE_UNIT,
    FIRST_EMPLOYEE_NUMBER,
    ROLE_TITLES,
    SPECIAL_NUMBERS,
    UNMAPPED_TITLE,
    BoardSize,
    Employment,
    School,
    SchoolClass,
    StaffMember,
    apportion,
)
from provisioner.app.demo.names import NamePicker, day_between, name_list, shift_years
from provisioner.domain.models import Role


@dataclass(frozen=True, slots=True)
class Hiring:
    """Employments with random start dates, relative to ``today``."""

    rng: random.Random
    today: date
    schools: Sequence[School]

    def hired(self) -> date:
        return day_between(self.rng, shift_years(self.today, -30), self.today - timedelta(days=60))

    def years_ago(self) -> date:
        return day_between(self.rng, shift_years(self.today, -15), shift_years(self.today, -3))

    def job(self, location: int, title: str, start: date | None = None) -> Employment:
        board_office = title in ROLE_TITLES[Role.DIRECTOR]
        unit = BOARD_OFFICE_UNIT if board_office else self.schools[location].org_unit
        return Employment(location, unit, title, start or self.hired())


def staff_of(
    rng: random.Random,
    size: BoardSize,
    schools: Sequence[School],
    classes: Sequence[SchoolClass],
    today: date,
    year: int,
) -> list[StaffMember]:
    """Everyone in HR: the special cases first (100001-100007), then the rest shuffled."""
    names = NamePicker(rng)
    given_names = name_list("staff_given_names")
    hiring = Hiring(rng, today, schools)
    people = _special_staff(hiring, names, given_names, year)
    jobs = _management_and_support_jobs(hiring, size)
    jobs += _teacher_jobs(hiring, size, classes, year)
    rng.shuffle(jobs)
    for number, employment in enumerate(jobs, start=FIRST_EMPLOYEE_NUMBER + len(people)):
        people.append(StaffMember(str(number), *names.pick(given_names), [employment]))
    return people


def _special_staff(
    hiring: Hiring, names: NamePicker, given_names: Sequence[str], year: int
) -> list[StaffMember]:
    """The special cases of ``SPECIAL_STAFF``, 100001-100007."""
    job, years_ago = hiring.job, hiring.years_ago
    director = ROLE_TITLES[Role.DIRECTOR]
    care = ROLE_TITLES[Role.CARE_COORDINATOR]
    teacher = ROLE_TITLES[Role.TEACHER]
    support = ROLE_TITLES[Role.SUPPORT_STAFF]
    people = [
        StaffMember("100001", "Jan", "de", "Vries", [job(0, director[0], years_ago())]),
        StaffMember(
            "100002",
            "Anne-Fleur",
            "van 't",
            "Hek",
            [job(0, teacher[0], years_ago()), job(1, care[0], date(year - 2, 8, 1))],
        ),
        StaffMember("100003", "Ömer", "", "Çelik", [job(1, teacher[1])]),
        StaffMember("100004", "Sanne", "", "Jansen", [job(0, teacher[0])]),
        StaffMember("100005", "Sanne", "", "Jansen", [job(2, support[0])]),
        StaffMember("100006", *names.pick(given_names), [job(2, teacher[0], years_ago())]),
        StaffMember("100007", *names.pick(given_names), [job(1, UNMAPPED_TITLE)]),
    ]
    people[5].employments[0].end = hiring.today - timedelta(days=10)
    return people


def _management_and_support_jobs(hiring: Hiring, size: BoardSize) -> list[Employment]:
    """Directors, location leaders, care coordinators, support staff and interns."""
    rng, today, job = hiring.rng, hiring.today, hiring.job
    n_loc = size.locations
    director = ROLE_TITLES[Role.DIRECTOR]
    leader = ROLE_TITLES[Role.LOCATION_LEADER]
    care = ROLE_TITLES[Role.CARE_COORDINATOR]
    support = ROLE_TITLES[Role.SUPPORT_STAFF]
    intern = ROLE_TITLES[Role.INTERN]
    jobs: list[Employment] = [job(0, director[1]) for _ in range(size.directors - 1)]
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
    return jobs


def _teacher_jobs(
    hiring: Hiring, size: BoardSize, classes: Sequence[SchoolClass], year: int
) -> list[Employment]:
    """The teachers who are not special cases, per location in proportion to its classes."""
    rng, job = hiring.rng, hiring.job
    teacher = ROLE_TITLES[Role.TEACHER]
    n_loc = size.locations
    jobs: list[Employment] = []
    class_counts = [0] * n_loc
    for group in classes:
        class_counts[group.location] += 1
    regular = size.teachers - 5
    per_location = [1 + n for n in apportion(regular - n_loc, class_counts)]
    for location, amount in enumerate(per_location):
        for _ in range(amount):
            title = rng.choices(teacher, weights=(70, 30))[0]
            if rng.random() < 0.05:  # a fixed-term contract until the end of the school year
                jobs.append(fixed_term(job(location, title, date(year, 8, 1)), year))
            else:
                jobs.append(job(location, title))
    return jobs


def fixed_term(employment: Employment, year: int) -> Employment:
    employment.end = date(year + 1, 7, 31)
    return employment


def assign_teachers(
    rng: random.Random, people: Sequence[StaffMember], classes: Sequence[SchoolClass], today: date
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
                pools = named if person.number in SPECIAL_NUMBERS else others
                pools.setdefault(employment.location, []).append(person.number)
    by_location: dict[int, list[SchoolClass]] = {}
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
