"""Policy: from HR and SIS records to the desired state of every account and group.

Pure functions only. The document hierarchy (002 §11.2): *directie/locatieleider - IB-er -
leerkracht - leerlingen*. Everyone reaches the documents of their own level and of every
level below it, on their own location, never above. Pupils reach only their own group.
Memberships are flat: a person is a direct member of every access group they reach, so every
target can grant permissions to these groups without relying on nested groups.

Access groups per location: ``loc:<BRIN6>:management`` (directie), ``loc:<BRIN6>:care``
(zorg/IB), ``loc:<BRIN6>:teachers`` (leerkrachten), ``loc:<BRIN6>:staff`` (the whole team,
support staff included) and one ``class:<SIS id>`` per group of pupils.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from provisioner.config import normalise_title
from provisioner.domain.models import (
    ROLE_RANK,
    ClassGroup,
    Employment,
    PersonKind,
    Pupil,
    Role,
    StaffMember,
)
from provisioner.planning.gc_pause import without_gc
from provisioner.planning.models import (
    AccountState,
    DesiredAccount,
    DesiredGroup,
    DesiredState,
    IssueKind,
    PlanIssue,
)

LEVELS: dict[str, str] = {
    "management": "Directie",
    "care": "Zorg (IB)",
    "teachers": "Leerkrachten",
    "staff": "Team",
}

#: Which location-level groups each role reaches on its own location.
ROLE_LEVELS: dict[Role, tuple[str, ...]] = {
    Role.DIRECTOR: ("management", "care", "teachers", "staff"),
    Role.LOCATION_LEADER: ("management", "care", "teachers", "staff"),
    Role.CARE_COORDINATOR: ("care", "teachers", "staff"),
    Role.TEACHER: ("teachers", "staff"),
    Role.INTERN: ("staff",),
    Role.SUPPORT_STAFF: ("staff",),
}

#: Roles that reach every pupil group of their location (not only their own groups).
ALL_CLASSES = frozenset({Role.DIRECTOR, Role.LOCATION_LEADER, Role.CARE_COORDINATOR})
#: Roles that reach the groups the SIS lists them as teacher of.
OWN_CLASSES = frozenset({Role.TEACHER, Role.INTERN})


_PUPIL = PersonKind.PUPIL
_ACTIVE = AccountState.ACTIVE
#: ``frozenset()`` makes a new empty set (216 bytes) each time: a million pupils share this one
_NONE: frozenset[str] = frozenset()


def level_group(location: str, level: str) -> str:
    return f"loc:{location}:{level}"


def class_group(group_id: str) -> str:
    return f"class:{group_id}"


@dataclass(frozen=True, slots=True)
class Offboarding:
    """An offboarding requested in chat: the person's access ends after ``last_day``.

    ``locations`` is its scope: the BRIN6 codes of the posts (*aanstellingen*) it ends;
    ``None`` ends every post. A location leader ends only the posts at her own location, so
    a person who also works at another school keeps her account and that post's access.
    When several cover one post, the one given last (the newest request) applies.
    """

    person_key: str
    last_day: date
    requested_by: str
    locations: frozenset[str] | None = None

    def covers(self, location: str) -> bool:
        return self.locations is None or location in self.locations


@dataclass(frozen=True, slots=True)
class PolicySettings:
    today: date
    locations: Mapping[str, str]  # BRIN6 -> name
    roles: Mapping[str, Role]  # HR function title (as configured) -> role
    director_scope: Literal["board", "school"] = "board"
    days_before_start: int = 7


@without_gc
def build_desired_state(
    staff: Iterable[StaffMember],
    pupils: Iterable[Pupil],
    groups: Iterable[ClassGroup],
    settings: PolicySettings,
    *,
    offboardings: Iterable[Offboarding] = (),
    frozen: Iterable[str] = (),
    orphans_may_leave: bool = True,
) -> DesiredState:
    """The desired state of the whole board on ``settings.today``."""
    classes = list(groups)
    teaches: dict[str, list[ClassGroup]] = defaultdict(list)
    for group in classes:
        for number in group.teacher_numbers:
            teaches[number].append(group)
    ends: dict[str, list[Offboarding]] = defaultdict(list)
    for offboarding in offboardings:
        ends[offboarding.person_key].append(offboarding)
    frozen_keys = set(frozen)
    accounts, issues, staff_numbers = _staff_accounts(
        staff, settings, classes, teaches, ends, frozen_keys
    )
    accounts |= _pupil_accounts(pupils, settings, classes, ends, frozen_keys)
    issues += _unknown_teachers(teaches, staff_numbers)
    return DesiredState(
        accounts=accounts,
        groups=_desired_groups(settings, classes),
        frozen=frozenset(frozen_keys),
        orphans_may_leave=orphans_may_leave,
        issues=tuple(issues),
        locations=dict(settings.locations),
    )


def _staff_accounts(
    staff: Iterable[StaffMember],
    settings: PolicySettings,
    classes: Sequence[ClassGroup],
    teaches: Mapping[str, list[ClassGroup]],
    ends: Mapping[str, Sequence[Offboarding]],
    frozen_keys: set[str],
) -> tuple[dict[str, DesiredAccount], list[PlanIssue], set[str]]:
    """Every staff member's account, the issues found, and every employee number in HR.
    Someone with an unmapped function title gets no account and is added to ``frozen_keys``."""
    role_of = {normalise_title(title): role for title, role in settings.roles.items()}
    classes_at: dict[str, list[ClassGroup]] = defaultdict(list)
    for group in classes:
        classes_at[group.location].append(group)
    accounts: dict[str, DesiredAccount] = {}
    issues: list[PlanIssue] = []
    staff_numbers: set[str] = set()
    for member in staff:
        staff_numbers.add(member.employee_number)
        if member.key in frozen_keys:
            continue
        account, member_issues = _staff_account(
            member, settings, role_of, classes_at, teaches, ends.get(member.key, [])
        )
        issues.extend(member_issues)
        if any(issue.kind is IssueKind.UNMAPPED_TITLE for issue in member_issues):
            frozen_keys.add(member.key)
        elif account is not None:
            accounts[account.key] = account
    return accounts, issues, staff_numbers


def _pupil_accounts(
    pupils: Iterable[Pupil],
    settings: PolicySettings,
    classes: Sequence[ClassGroup],
    ends: Mapping[str, Sequence[Offboarding]],
    frozen_keys: set[str],
) -> dict[str, DesiredAccount]:
    shared = _PupilParts({group.group_id for group in classes}, settings)
    accounts: dict[str, DesiredAccount] = {}
    for pupil in pupils:
        key = pupil.key
        if key in frozen_keys:
            continue
        pupil_ends = ends.get(key)
        account = _pupil_account(
            key, pupil, settings, shared, pupil_ends[-1].last_day if pupil_ends else None
        )
        if account is not None:
            accounts[key] = account
    return accounts


class _PupilParts:
    """The parts many pupils' accounts have in common, made once and shared: the sets of a
    location and of a group, the attributes of a location (a board has a million pupils)."""

    __slots__ = ("_attributes", "_groups", "_locations", "known_classes", "lead")

    ROLES = frozenset({Role.PUPIL})

    def __init__(self, known_classes: set[str], settings: PolicySettings) -> None:
        self.known_classes = known_classes
        self.lead = timedelta(days=settings.days_before_start)
        self._locations: dict[str, frozenset[str]] = {}
        self._groups: dict[str, frozenset[str]] = {}
        self._attributes: dict[str, dict[str, str]] = {}

    def location(self, brin6: str) -> frozenset[str]:
        found = self._locations.get(brin6)
        if found is None:
            found = self._locations[brin6] = frozenset({brin6})
        return found

    def group(self, group_id: str | None) -> frozenset[str]:
        """The pupil's own group's access group, if the group is known."""
        if group_id is None or group_id not in self.known_classes:
            return _NONE
        found = self._groups.get(group_id)
        if found is None:
            found = self._groups[group_id] = frozenset({class_group(group_id)})
        return found

    def attributes(self, brin6: str) -> dict[str, str]:
        found = self._attributes.get(brin6)
        if found is None:
            found = self._attributes[brin6] = {
                "kind": PersonKind.PUPIL.value,
                "role": Role.PUPIL.value,
                "locations": brin6,
            }
        return found


def _unknown_teachers(
    teaches: Mapping[str, list[ClassGroup]], staff_numbers: set[str]
) -> list[PlanIssue]:
    """Teachers in the SIS whom HR does not know."""
    return [
        PlanIssue(
            IssueKind.UNKNOWN_TEACHER,
            f"staff:{number}",
            "the SIS lists this employee number as teacher of "
            + ", ".join(sorted(g.group_id for g in teaches[number]))
            + ", but HR does not know it: no group access given",
        )
        for number in sorted(set(teaches) - staff_numbers)
    ]


def _desired_groups(
    settings: PolicySettings, classes: Sequence[ClassGroup]
) -> dict[str, DesiredGroup]:
    """A group per location and level, and one per class at a known location."""
    desired_groups: dict[str, DesiredGroup] = {}
    for brin6, name in settings.locations.items():
        for level, label in LEVELS.items():
            key = level_group(brin6, level)
            desired_groups[key] = DesiredGroup(
                key, f"{name} - {label}", f"{label}, {brin6}", brin6, label
            )
    for group in classes:
        if group.location in settings.locations:
            key = class_group(group.group_id)
            location_name = settings.locations[group.location]
            desired_groups[key] = DesiredGroup(
                key,
                f"{location_name} - {group.name}",
                f"{group.name}, {group.location}",
                group.location,
                group.name,
            )
    return desired_groups


def _cap_end(employment: Employment, offboardings: Sequence[Offboarding]) -> Employment:
    """The employment ended by the newest offboarding that covers its location, if any."""
    covering = [o for o in offboardings if o.covers(employment.location)]
    if not covering:
        return employment
    last_day = covering[-1].last_day
    if employment.end is not None and employment.end <= last_day:
        return employment
    return dataclasses.replace(employment, end=last_day)


def _staff_account(
    member: StaffMember,
    settings: PolicySettings,
    role_of: Mapping[str, Role],
    classes_at: Mapping[str, list[ClassGroup]],
    teaches: Mapping[str, list[ClassGroup]],
    offboardings: Sequence[Offboarding],
) -> tuple[DesiredAccount | None, list[PlanIssue]]:
    today = settings.today
    lead = timedelta(days=settings.days_before_start)
    employments = [_cap_end(e, offboardings) for e in member.employments]
    current = [
        e for e in employments if e.start - lead <= today and (e.end is None or today <= e.end)
    ]
    ended = [e for e in employments if e.end is not None and e.end < today]

    issues = [
        PlanIssue(
            IssueKind.UNMAPPED_TITLE,
            member.key,
            f"HR function title '{e.function_title}' is not in the [roles] mapping; "
            "this person is left as they are until it is added",
        )
        for e in current
        if normalise_title(e.function_title) not in role_of
    ]
    if issues:
        return None, issues

    staff_account = functools.partial(
        DesiredAccount,
        key=member.key,
        kind=PersonKind.STAFF,
        ident=member.employee_number,
        name=member.name,
    )
    base = {"kind": PersonKind.STAFF.value}
    if not current:
        if not ended:
            return None, []  # starts later than the lead time: no account yet
        left_on = max(e.end for e in ended if e.end is not None)
        return staff_account(state=AccountState.LEFT, left_on=left_on, attributes=base), []

    roles: set[Role] = set()
    locations: set[str] = set()
    groups: set[str] = set()
    own_classes = {g.group_id: g for g in teaches.get(member.employee_number, [])}
    for employment in current:
        role = role_of[normalise_title(employment.function_title)]
        roles.add(role)
        locations.add(employment.location)
        reach = [employment.location]
        if role is Role.DIRECTOR and settings.director_scope == "board":
            reach = list(settings.locations)
        for location in reach:
            groups.update(level_group(location, level) for level in ROLE_LEVELS[role])
            if role in ALL_CLASSES:
                groups.update(class_group(g.group_id) for g in classes_at.get(location, []))
            if role in OWN_CLASSES:
                groups.update(
                    class_group(g.group_id) for g in own_classes.values() if g.location == location
                )

    top = min(roles, key=ROLE_RANK.__getitem__)
    attributes = {
        **base,
        "role": top.value,
        "roles": " ".join(sorted(r.value for r in roles)),
        "locations": " ".join(sorted(locations)),
    }
    return (
        staff_account(
            state=AccountState.ACTIVE,
            roles=frozenset(roles),
            locations=frozenset(locations),
            groups=frozenset(groups),
            attributes=attributes,
        ),
        [],
    )


def _pupil_account(
    key: str,
    pupil: Pupil,
    settings: PolicySettings,
    shared: _PupilParts,
    last_day: date | None,
) -> DesiredAccount | None:
    today = settings.today
    end = pupil.enrolment_end
    if last_day is not None and (end is None or last_day < end):
        end = last_day
    started = pupil.enrolment_start is None or pupil.enrolment_start - shared.lead <= today
    active = pupil.enabled_in_sis and started and (end is None or today <= end)
    base = shared.attributes(pupil.location)
    if active:
        return DesiredAccount(
            key, _PUPIL, pupil.sis_id, pupil.name, _ACTIVE, None, shared.ROLES,
            shared.location(pupil.location), shared.group(pupil.group_id),
            _NONE, base,
        )  # fmt: skip
    if not started and pupil.enabled_in_sis:
        return None
    return DesiredAccount(
        key=key,
        kind=PersonKind.PUPIL,
        ident=pupil.sis_id,
        name=pupil.name,
        state=AccountState.LEFT,
        left_on=end if end is not None and end < today else None,
        attributes=base,
    )


@without_gc
def for_target(
    desired: DesiredState,
    *,
    include_pupils: bool,
    licences: Mapping[str, Iterable[str]],
    sis_roles: Mapping[str, str],
) -> DesiredState:
    """The part of the desired state one target manages, with its licences and SIS role.

    ``licences`` and ``sis_roles`` are keyed by role name; a person gets the licences of all
    their roles and the SIS role of their highest role.
    """
    licence_sets = {role: frozenset(names) for role, names in licences.items()}
    # Accounts that share their roles or their attributes (the pupils of one location) share
    # the result too: made once, by the roles and by the identity of the attributes.
    licences_of: dict[frozenset[Role], frozenset[str]] = {}
    attributes_of: dict[int, Mapping[str, str]] = {}
    accounts: dict[str, DesiredAccount] = {}
    for key, account in desired.accounts.items():
        if account.kind is _PUPIL and not include_pupils:
            continue
        if account.state is _ACTIVE:
            wanted = licences_of.get(account.roles)
            if wanted is None:
                wanted = licences_of[account.roles] = frozenset().union(
                    *(licence_sets.get(r.value, frozenset()) for r in account.roles)
                )
            attributes = attributes_of.get(id(account.attributes))
            if attributes is None:
                attributes = dict(account.attributes)
                sis_role = sis_roles.get(attributes.get("role", ""))
                if sis_role:
                    attributes["sis_role"] = sis_role
                attributes_of[id(account.attributes)] = attributes
            account = account.with_licences(wanted, attributes)
        accounts[key] = account
    return dataclasses.replace(desired, accounts=accounts)
