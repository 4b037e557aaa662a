"""Who is who: the staff, pupils and groups of the last full read of HR and the SIS.

The sync engine saves this snapshot on every applied run (:func:`save_directory`), so the
chat bot and the command line can answer "who is asking?" and "whom may they ask about?"
without calling HR or the SIS while someone waits. Roles are those the board's configuration
maps the HR function titles to; a title without a mapping gives a post with role ``None``.

A pupil's ECK iD (the chain pseudonym, read from the SIS and never generated) is kept with
the pupil (``PupilEntry.eck_id``, column ``directory_people.eck_id``, migration 0003).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import normalise_title
from provisioner.domain.models import (
    ClassGroup,
    PersonName,
    Pupil,
    Role,
    StaffMember,
    pupil_key,
    staff_key,
)
from provisioner.store.tables import DirectoryGroup, DirectoryPerson


@dataclass(frozen=True)
class Post:
    """One employment (aanstelling) as the board's role mapping reads it."""

    location: str  # BRIN6
    role: Role | None  # None: the function title is not mapped
    function_title: str
    start: date
    end: date | None  # last working day, inclusive

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class StaffEntry:
    key: str
    employee_number: str
    name: PersonName
    email: str | None  # work address, once the account has a name
    posts: tuple[Post, ...]

    def active_on(self, day: date) -> bool:
        return any(post.active_on(day) for post in self.posts)

    def roles_at(self, location: str, day: date) -> frozenset[Role]:
        return frozenset(
            post.role
            for post in self.posts
            if post.location == location and post.role is not None and post.active_on(day)
        )

    def locations_on(self, day: date) -> frozenset[str]:
        return frozenset(post.location for post in self.posts if post.active_on(day))

    @property
    def last_day(self) -> date | None:
        """The last working day of the last post; ``None`` while any post is open-ended."""
        ends = [post.end for post in self.posts]
        if not ends or any(end is None for end in ends):
            return None
        return max(end for end in ends if end is not None)


@dataclass(frozen=True)
class PupilEntry:
    key: str
    sis_id: str
    name: PersonName
    birth_date: date | None
    location: str  # BRIN6
    group_id: str | None
    active: bool
    eck_id: str | None = None  # the ECK iD as the SIS gave it; None: the SIS has none

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class GroupEntry:
    group_id: str
    name: str
    location: str  # BRIN6
    teacher_keys: frozenset[str]


def fold(text: str) -> str:
    """Lower case without accents or extra spaces: "Çelik  van 't Hek" -> "celik van 't hek"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("’", "'").split())


class Directory:
    """Read access to the snapshot. Every call is one short query."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # -- staff -----------------------------------------------------------------------------

    def staff_by_email(self, email: str) -> StaffEntry | None:
        with self.sessions() as session:
            row = session.execute(
                select(DirectoryPerson).where(
                    DirectoryPerson.kind == "staff",
                    DirectoryPerson.email == email.strip().lower(),
                )
            ).scalar_one_or_none()
            return _staff(row) if row is not None else None

    def staff(self, key: str) -> StaffEntry | None:
        with self.sessions() as session:
            row = session.get(DirectoryPerson, key)
            return _staff(row) if row is not None and row.kind == "staff" else None

    def find_staff(self, text: str) -> list[StaffEntry]:
        """Staff whose name contains every word of ``text``; exact full names first."""
        rows = self._find("staff", text, locations=None)
        return [_staff(row) for row in rows]

    def all_staff(self) -> list[StaffEntry]:
        """Every staff member of the snapshot (for matching typed names, with typos, within
        the people someone may act on), in name order."""
        with self.sessions() as session:
            rows = session.execute(
                select(DirectoryPerson).where(DirectoryPerson.kind == "staff")
                .order_by(DirectoryPerson.search_name)
            ).scalars()
            return [_staff(row) for row in rows]

    # -- pupils ----------------------------------------------------------------------------

    def pupil(self, key: str) -> PupilEntry | None:
        with self.sessions() as session:
            row = session.get(DirectoryPerson, key)
            return _pupil(row) if row is not None and row.kind == "pupil" else None

    def find_pupils(self, text: str, locations: Iterable[str] | None = None) -> list[PupilEntry]:
        """Pupils whose name contains every word of ``text``; exact full names first."""
        return [_pupil(row) for row in self._find("pupil", text, locations)]

    def pupils_in(self, group_id: str) -> list[PupilEntry]:
        with self.sessions() as session:
            rows = session.execute(
                select(DirectoryPerson)
                .where(DirectoryPerson.kind == "pupil", DirectoryPerson.group_id == group_id)
                .order_by(DirectoryPerson.search_name)
            ).scalars()
            return [_pupil(row) for row in rows]

    # -- groups ----------------------------------------------------------------------------

    def group(self, group_id: str) -> GroupEntry | None:
        with self.sessions() as session:
            row = session.get(DirectoryGroup, group_id)
            return _group(row) if row is not None else None

    def find_groups(self, text: str, locations: Iterable[str] | None = None) -> list[GroupEntry]:
        """Groups named like ``text``: "5b", "groep 5b", "klas 7a", "group 5B"."""
        wanted = _group_words(text)
        if not wanted:
            return []
        query = select(DirectoryGroup)
        if locations is not None:
            query = query.where(DirectoryGroup.location.in_(list(locations)))
        with self.sessions() as session:
            rows = session.execute(query.order_by(DirectoryGroup.name)).scalars().all()
        return [_group(row) for row in rows if _group_words(row.name) == wanted]

    def groups_of_teacher(self, staff_key: str) -> list[GroupEntry]:
        with self.sessions() as session:
            rows = session.execute(select(DirectoryGroup).order_by(DirectoryGroup.name)).scalars()
            return [_group(row) for row in rows if staff_key in row.teacher_keys]

    def refreshed_at(self) -> datetime | None:
        with self.sessions() as session:
            return session.execute(select(func.max(DirectoryPerson.updated_at))).scalar()

    # -- internals -------------------------------------------------------------------------

    def _find(self, kind: str, text: str, locations: Iterable[str] | None) -> list[DirectoryPerson]:
        words = fold(text).split()
        if not words:
            return []
        query = select(DirectoryPerson).where(DirectoryPerson.kind == kind)
        for word in words:
            query = query.where(DirectoryPerson.search_name.contains(word, autoescape=True))
        if locations is not None:
            query = query.where(DirectoryPerson.location.in_(list(locations)))
        with self.sessions() as session:
            rows = list(session.execute(query.order_by(DirectoryPerson.search_name)).scalars())
        whole = " ".join(words)
        return sorted(rows, key=lambda row: row.search_name != whole)


def save_directory(
    session: Session,
    staff: Sequence[StaffMember],
    pupils: Sequence[Pupil],
    groups: Sequence[ClassGroup],
    *,
    roles: Mapping[str, Role],
    domain: str,
    usernames: Mapping[str, str],
    at: datetime,
) -> None:
    """Replace the snapshot with this read, in the caller's transaction."""
    session.execute(delete(DirectoryPerson))
    session.execute(delete(DirectoryGroup))
    role_of = {normalise_title(title): role for title, role in roles.items()}
    people: list[DirectoryPerson] = []
    for member in staff:
        key = staff_key(member.employee_number)
        username = usernames.get(key)
        people.append(
            DirectoryPerson(
                key=key,
                kind="staff",
                given=member.name.given,
                prefix=member.name.prefix,
                family=member.name.family,
                search_name=fold(member.name.display),
                email=f"{username}@{domain}".lower() if username else None,
                posts=[
                    {
                        "location": job.location,
                        "role": _role(role_of, job.function_title),
                        "function_title": job.function_title,
                        "start": job.start.isoformat(),
                        "end": job.end.isoformat() if job.end else None,
                    }
                    for job in member.employments
                ],
                location=None,
                group_id=None,
                birth_date=None,
                active=True,
                updated_at=at,
            )
        )
    for pupil in pupils:
        people.append(
            DirectoryPerson(
                key=pupil_key(pupil.sis_id),
                kind="pupil",
                given=pupil.name.given,
                prefix=pupil.name.prefix,
                family=pupil.name.family,
                search_name=fold(pupil.name.display),
                email=None,
                posts=[],
                eck_id=pupil.eck_id,
                location=pupil.location,
                group_id=pupil.group_id,
                birth_date=pupil.birth_date,
                active=pupil.enrolled_on(at.date()),
                updated_at=at,
            )
        )
    session.add_all(people)
    session.add_all(
        DirectoryGroup(
            group_id=group.group_id,
            name=group.name,
            location=group.location,
            teacher_keys=sorted(staff_key(n) for n in group.teacher_numbers),
            updated_at=at,
        )
        for group in groups
    )
    session.flush()


def _role(role_of: Mapping[str, Role], title: str) -> str | None:
    role = role_of.get(normalise_title(title))
    return role.value if role is not None else None


def _staff(row: DirectoryPerson) -> StaffEntry:
    return StaffEntry(
        key=row.key,
        employee_number=row.key.removeprefix("staff:"),
        name=PersonName(row.given, row.prefix, row.family),
        email=row.email,
        posts=tuple(
            Post(
                location=p["location"],
                role=Role(p["role"]) if p.get("role") else None,
                function_title=p["function_title"],
                start=date.fromisoformat(p["start"]),
                end=date.fromisoformat(p["end"]) if p.get("end") else None,
            )
            for p in row.posts
        ),
    )


def _pupil(row: DirectoryPerson) -> PupilEntry:
    return PupilEntry(
        key=row.key,
        sis_id=row.key.removeprefix("pupil:"),
        name=PersonName(row.given, row.prefix, row.family),
        birth_date=row.birth_date,
        location=row.location or "",
        group_id=row.group_id,
        active=row.active,
        eck_id=row.eck_id,
    )


def _group(row: DirectoryGroup) -> GroupEntry:
    return GroupEntry(
        group_id=row.group_id,
        name=row.name,
        location=row.location,
        teacher_keys=frozenset(row.teacher_keys),
    )


_GROUP_WORDS = frozenset({"groep", "group", "klas", "class", "de", "the", "van", "of"})


def _group_words(text: str) -> tuple[str, ...]:
    return tuple(word for word in fold(text).split() if word not in _GROUP_WORDS)
