"""Policy for interns and student teachers (*stagiair*, *LIO*; seeds 000 and 003): pure.

An internship comes from the intern list or from an HR post whose function title maps to
``intern``. The rules:

- **Time-boxed.** The account exists from the first day (``[interns] days_before_start``,
  default 0) to the last day; the day after, the ordinary leaver path disables it. An
  internship that has not started is left out before the desired state is built, so the
  ``[lifecycle]`` lead time of other staff does not apply to it.
- **Never care or management access.** While an internship runs, the person's account holds
  no care (*zorg*, IB) or management (*directie*) access group at any location, and of the
  pupil groups only those the SIS lists her as teacher of, whatever a function title or a
  second post would give: a student teacher is not an IB-er (seed 002 §11.2: niet meer mensen
  dan nodig; seed 000 §1.2: the school gives an intern what the internship needs). Her roles
  lose director, location leader and care coordinator for as long as the internship runs.
- **An expiry on the account.** When every current post is an internship, the account carries
  ``expires`` = the last day (ISO), which a target that can (AD ``accountExpires``) sets on
  the account itself; anyone else who is or was an intern carries ``expires = ""`` (none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from provisioner.accountability.interns_model import Internship, InternshipOrigin
from provisioner.config import normalise_title
from provisioner.domain.models import (
    ROLE_RANK,
    ClassGroup,
    Employment,
    Role,
    StaffMember,
)
from provisioner.planning.models import AccountState, DesiredAccount, DesiredState
from provisioner.policy.desired import class_group

#: The function title of a post made from the intern list (mapped to ``intern`` here, so the
#: board's ``[roles]`` need not list it).
INTERN_LIST_TITLE = "Stagiair (stagelijst)"
#: Roles an intern never holds while the internship runs: they reach care or management.
WITHHELD_ROLES = frozenset({Role.DIRECTOR, Role.LOCATION_LEADER, Role.CARE_COORDINATOR})
#: Access levels an intern never reaches (``loc:<BRIN6>:<level>``).
WITHHELD_LEVELS = ("care", "management")
#: The account attribute with the last day, for targets that can expire an account.
EXPIRES = "expires"


@dataclass(frozen=True, slots=True)
class InternSettings:
    today: date
    roles: Mapping[str, Role]  # the board's [roles]
    days_before_start: int = 0  # [interns]
    lifecycle_days_before_start: int = 7  # [lifecycle], for every other post


def policy_roles(roles: Mapping[str, Role]) -> dict[str, Role]:
    """The board's ``[roles]`` with the intern list's posts mapped to ``intern``."""
    return {**roles, INTERN_LIST_TITLE: Role.INTERN}


def _role_of(settings: InternSettings) -> dict[str, Role]:
    return {normalise_title(t): r for t, r in policy_roles(settings.roles).items()}


def hr_internships(staff: Iterable[StaffMember], roles: Mapping[str, Role]) -> list[Internship]:
    """Every HR post whose function title maps to ``intern``, as an internship."""
    role_of = {normalise_title(title): role for title, role in roles.items()}
    return [
        Internship(
            number=member.employee_number,
            name=member.name,
            location=job.location,
            start=job.start,
            end=job.end,
            origin=InternshipOrigin.HR,
        )
        for member in staff
        for job in member.employments
        if role_of.get(normalise_title(job.function_title)) is Role.INTERN
    ]


def staff_with_internships(
    staff: Iterable[StaffMember], listed: Iterable[Internship], settings: InternSettings
) -> list[StaffMember]:
    """HR's staff with the intern list's internships as posts (title
    :data:`INTERN_LIST_TITLE`), an intern the HR export lacks as a staff member of her own;
    every internship (either source) that starts later than ``[interns] days_before_start``
    from today left out, so no account is made before it (the person keeps her other posts;
    an intern with no post yet is known, so the SIS's link to her groups is no issue)."""
    role_of = _role_of(settings)
    lead = timedelta(days=settings.days_before_start)

    def due(job: Employment) -> bool:
        is_intern = role_of.get(normalise_title(job.function_title)) is Role.INTERN
        return not is_intern or job.start - lead <= settings.today

    merged: dict[str, StaffMember] = {}
    for member in staff:
        jobs = tuple(job for job in member.employments if due(job))
        merged[member.key] = dataclasses.replace(member, employments=jobs)
    for internship in listed:
        job = Employment(internship.location, INTERN_LIST_TITLE, internship.start, internship.end)
        member = merged.get(internship.key) or StaffMember(internship.number, internship.name, ())
        if due(job) and job not in member.employments:
            member = dataclasses.replace(member, employments=(*member.employments, job))
        merged[internship.key] = member
    return list(merged.values())


def restrict_interns(
    desired: DesiredState,
    staff: Sequence[StaffMember],
    classes: Sequence[ClassGroup],
    settings: InternSettings,
    *,
    known: Iterable[str] = (),
) -> DesiredState:
    """The desired state with the interns' rules applied (see the module): ``staff`` as
    :func:`staff_with_internships` made it, ``known`` the keys of everyone the store knows as
    an intern (their expiry is cleared when they are no longer only an intern)."""
    role_of = _role_of(settings)
    teaches: dict[str, set[str]] = {}
    for group in classes:
        for number in group.teacher_numbers:
            teaches.setdefault(number, set()).add(class_group(group.group_id))
    was_intern = set(known)
    accounts = dict(desired.accounts)
    for member in staff:
        account = accounts.get(member.key)
        roles = [role_of.get(normalise_title(job.function_title)) for job in member.employments]
        if Role.INTERN in roles:
            was_intern.add(member.key)
        if account is None or account.state is not AccountState.ACTIVE:
            continue
        current = _current_posts(member, role_of, settings)
        interning = [job for job in current if role_of.get(normalise_title(job.function_title))
                     is Role.INTERN]  # fmt: skip
        if interning:
            account = _withhold(account, teaches.get(member.employee_number, set()))
        if member.key in was_intern:
            account = _with_expiry(account, current if len(interning) == len(current) else [])
        accounts[member.key] = account
    return dataclasses.replace(desired, accounts=accounts)


def _current_posts(
    member: StaffMember, role_of: Mapping[str, Role], settings: InternSettings
) -> list[Employment]:
    """The posts that give the account today (each with its own lead time)."""
    today = settings.today
    current = []
    for job in member.employments:
        is_intern = role_of.get(normalise_title(job.function_title)) is Role.INTERN
        days = settings.days_before_start if is_intern else settings.lifecycle_days_before_start
        if job.start - timedelta(days=days) <= today and (job.end is None or today <= job.end):
            current.append(job)
    return current


def _withhold(account: DesiredAccount, own_classes: set[str]) -> DesiredAccount:
    """No care or management group, only her own pupil groups, no role that reaches them."""
    groups = frozenset(
        group
        for group in account.groups
        if not (group.startswith("loc:") and group.rsplit(":", 1)[-1] in WITHHELD_LEVELS)
        and (not group.startswith("class:") or group in own_classes)
    )
    roles = frozenset(account.roles - WITHHELD_ROLES) | {Role.INTERN}
    top = min(roles, key=ROLE_RANK.__getitem__)
    attributes = {
        **account.attributes,
        "role": top.value,
        "roles": " ".join(sorted(role.value for role in roles)),
    }
    return dataclasses.replace(account, groups=groups, roles=roles, attributes=attributes)


def _with_expiry(account: DesiredAccount, posts: Sequence[Employment]) -> DesiredAccount:
    """``expires`` = the last day of the posts when they are all internships with an end;
    otherwise "" (no expiry: she also works here, or HR gives no end)."""
    ends = [job.end for job in posts]
    last = max(e for e in ends if e is not None).isoformat() if ends and None not in ends else ""
    attributes = {**account.attributes, EXPIRES: last}
    return dataclasses.replace(account, attributes=attributes)


def internships_of(
    staff: Iterable[StaffMember], listed: Iterable[Internship], roles: Mapping[str, Role]
) -> list[Internship]:
    """Every internship the sources name: the intern list's and HR's, once each (an
    internship on both, same school and first day, is the list's: it has the supervisors)."""
    found: dict[tuple[str, str, date], Internship] = {}
    for internship in hr_internships(staff, roles):
        found[(internship.key, internship.location, internship.start)] = internship
    for internship in listed:
        found[(internship.key, internship.location, internship.start)] = internship
    return list(found.values())


def recordings_due(end: date, study_end: date | None, months: int) -> date:
    """When the intern's classroom recordings must be gone: ``months`` after the last day
    (seed 003: kept at most six months), never after the study's end, never before the last
    day itself."""
    due = _add_months(end, months)
    if study_end is not None and study_end < due:
        due = max(study_end, end)
    return due


def reflection_due(end: date, days: int) -> date:
    """When the intern's reflection data must be destroyed (seed 000 §2.4: after the
    internship): ``days`` after the last day."""
    return end + timedelta(days=days)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no day {months} months after {day}")
