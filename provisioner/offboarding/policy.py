"""Who may offboard whom, which posts that ends, and what the plan is (pure functions).

A staff member may hold several posts (*aanstellingen*): a teacher at one school who is care
coordinator (*intern begeleider*) at another. A location leader ends only the posts at her
own location(s); a director ends those of her scope (``board.director_scope``: the whole
board, or her school); the central office (*Stafbureau*) ends every post. A person who keeps
a post elsewhere keeps her account and that post's access: the plan says so, post by post.

The plan shown for confirmation has a fingerprint (:func:`fingerprint`): the person, the
scope, the last working day and every step shown. A confirmation carries it and applies only
while the plan computed afresh still has the same fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from provisioner.config import Config, TargetConfig
from provisioner.directory import Post, StaffEntry
from provisioner.domain.models import Role

#: Microsoft 365 keeps the mailbox of an account without a licence this long, then removes it.
UNLICENSED_MAILBOX_DAYS = 30
MAX_DAYS_AHEAD = 366
#: The origin of the manual tasks an offboarding opens: ``offboarding:<override id>``.
ORIGIN = "offboarding:"
SIS_NAMES = {"parnassys": "ParnasSys", "somtoday": "Somtoday", "magister": "Magister"}


class Asker(Protocol):
    """The person who reports a leaver, as HR knows them (the chat's asker fits)."""

    @property
    def staff(self) -> StaffEntry: ...

    @property
    def is_central_office(self) -> bool: ...


@dataclass(frozen=True)
class Scope:
    """Which of the person's posts an offboarding ends, and which stay.

    ``locations`` is what the override records: the BRIN6 codes it ends, or ``None`` for
    every post (the central office, a board-wide director)."""

    locations: frozenset[str] | None
    ending: tuple[Post, ...]
    staying: tuple[Post, ...]

    @property
    def partial(self) -> bool:
        """The person keeps at least one post (and so her account)."""
        return bool(self.staying)

    def covers(self, location: str) -> bool:
        return self.locations is None or location in self.locations

    def stored(self) -> str | None:
        """As the override keeps it: space-separated BRIN6 codes, or None for every post."""
        return " ".join(sorted(self.locations)) if self.locations is not None else None


def may_start(asker: Asker, today: date) -> bool:
    """Only the central office, directors and location leaders may report leavers."""
    if asker.is_central_office:
        return True
    return any(
        {Role.DIRECTOR, Role.LOCATION_LEADER} & asker.staff.roles_at(location, today)
        for location in asker.staff.locations_on(today)
    )


def relevant_posts(person: StaffEntry, today: date) -> tuple[Post, ...]:
    """The posts an offboarding can still end: current and future ones; when there are none,
    every post (so that "already gone" can be told)."""
    open_posts = tuple(p for p in person.posts if p.end is None or p.end >= today)
    return open_posts or person.posts


def asker_locations(asker: Asker, today: date, director_scope: str) -> frozenset[str] | None:
    """Where ``asker`` may end posts: ``None`` everywhere, else a set of BRIN6 codes (empty:
    nowhere)."""
    if asker.is_central_office:
        return None
    mine = asker.staff.locations_on(today)
    directing = {loc for loc in mine if Role.DIRECTOR in asker.staff.roles_at(loc, today)}
    leading = {loc for loc in mine if Role.LOCATION_LEADER in asker.staff.roles_at(loc, today)}
    if directing and director_scope == "board":
        return None
    return frozenset(directing | leading)


def scope_for(asker: Asker, person: StaffEntry, today: date, director_scope: str) -> Scope | str:
    """The scope ``asker`` may end for ``person``, or the refusal: ``not_allowed`` (not a
    leader at all) or ``other_location`` (none of the person's posts is hers)."""
    reach = asker_locations(asker, today, director_scope)
    posts = relevant_posts(person, today)
    if reach is None:
        return Scope(None, posts, ())
    ending = tuple(p for p in posts if p.location in reach)
    if not ending:
        return "other_location" if reach else "not_allowed"
    staying = tuple(p for p in posts if p.location not in reach)
    return Scope(frozenset(p.location for p in ending), ending, staying)


def may_act_on(asker: Asker, person: StaffEntry, today: date, director_scope: str) -> bool:
    """Whether ``person`` belongs in ``asker``'s pick lists."""
    return isinstance(scope_for(asker, person, today, director_scope), Scope)


def already_gone(
    scope: Scope, overrides: Iterable[tuple[date, frozenset[str] | None]], today: date
) -> date | None:
    """The day the posts in scope ended, when every one of them ended before today (by HR or
    by an earlier offboarding that covered it); else None."""
    overrides = list(overrides)
    days: list[date] = []
    for post in scope.ending:
        ends = [post.end] if post.end is not None else []
        ends += [day for day, where in overrides if where is None or post.location in where]
        if not ends or min(ends) >= today:
            return None
        days.append(min(ends))
    return max(days) if days else None


@dataclass(frozen=True)
class Plan:
    """What will happen, computed from the configuration (shown before confirmation)."""

    person: StaffEntry
    scope: Scope
    last_day: date  # as requested
    effective_day: date  # earlier of the requested day and HR's
    access_ends: date  # the day after the last working day (or today when back-dated)
    mailbox_until: date | None  # None: the person keeps her account (another post)
    delete_on: date | None  # None: the person keeps her account (another post)
    due_now: bool


def make_plan(config: Config, person: StaffEntry, scope: Scope, day: date, today: date) -> Plan:
    """When what happens. The mailbox goes with the account: nothing deletes it before the
    account is deleted (``lifecycle.grace_days`` after access ends), except that Microsoft
    365 removes an unlicensed mailbox after its own 30 days, and the sync takes the managed
    licences away when access ends. A person who keeps a post keeps account and mailbox."""
    hr_ends = [p.end for p in scope.ending]
    effective = day
    if hr_ends and all(end is not None for end in hr_ends):
        effective = min(day, max(end for end in hr_ends if end is not None))
    ends = max(effective + timedelta(days=1), today)
    delete_on: date | None = None
    mailbox: date | None = None
    if not scope.partial:
        delete_on = max(effective, today) + timedelta(days=config.lifecycle.grace_days)
        mailbox = delete_on
        if licences_removed(config):
            mailbox = min(delete_on, ends + timedelta(days=UNLICENSED_MAILBOX_DAYS))
    return Plan(person, scope, day, effective, ends, mailbox, delete_on, due_now=effective < today)


def licences_removed(config: Config) -> bool:
    return any(t.kind == "m365" and any(t.licences.values()) for t in config.targets)


def fingerprint(plan: Plan, facts: Sequence[tuple[str, str]]) -> str:
    """The identity of a plan as shown: person, scope, last day, HR's posts and every step
    shown. A confirmation applies only while the plan computed afresh has the same one."""
    content: dict[str, Any] = {
        "person": plan.person.key,
        "scope": plan.scope.stored(),
        "last_day": plan.effective_day.isoformat(),
        "posts": [
            [
                p.location,
                p.function_title,
                str(p.role),
                p.start.isoformat(),
                p.end.isoformat() if p.end else None,
            ]
            for p in plan.person.posts
        ],
        "steps": [list(fact) for fact in facts],
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:16]


def sis_name(config: Config) -> str:
    """The SIS by its product name ("ParnasSys"), or "SIS"."""
    source = config.sources.sis
    kind = str(getattr(source, "type", "")) if source is not None else ""
    return SIS_NAMES.get(kind, "SIS")


def sis_staff_target(config: Config) -> TargetConfig | None:
    """The connector that keeps staff accounts in the SIS, when the board has one."""
    return next((x for x in config.targets if x.kind == "sis_staff"), None)


def location_names(config: Config) -> dict[str, str]:
    """BRIN6 -> the location's name."""
    return {loc.brin6: loc.name for loc in config.locations}
