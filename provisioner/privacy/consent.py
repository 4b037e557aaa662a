"""Photo and video consent (toestemming beeldmateriaal): may this pupil's image go on this medium?

Three parts:

- :func:`decide`, pure: one pupil's answers, their age and the school's settings give a
  :class:`ConsentAnswer` with a stable reason code (docs/consent.md has the rules);
- :class:`ConsentRegister`: the same question over the state store, for a pupil or a whole
  group (two queries, however large the group);
- :func:`save_consent_history`: how answers from the SIS or a file become the stored history
  (used by the nightly sync and by ``provisioner consent import``).

Rules (DOMAIN.md, seeds 002 §7, 003, 004): publishing a recognisable image needs consent per
medium; under 16 the parents decide, from 16 the pupil; consent can be withdrawn at any time,
not retroactively; an unanswered question is a no.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import Config, ConsentConfig
from provisioner.directory import Directory, PupilEntry
from provisioner.domain.models import ConsentGiver, ConsentRecord, ConsentStatus
from provisioner.privacy.media import Catalogue, Medium, catalogue_for, normalise_medium
from provisioner.store.tables import Consent

#: From this age the pupil decides, before it the parents (UAVG art. 5, 002 §5).
CONSENT_AGE = 16


class Reason(StrEnum):
    """Why an image may or may not be used: stable codes for the CLI's JSON and the bot."""

    GRANTED = "granted"  # toestemming gegeven
    NO_CONSENT_NEEDED = "no_consent_needed"  # gebruik in de klas, administratiefoto
    NO_CONSENT = "no_consent"  # geen antwoord: telt als nee
    REFUSED = "refused"  # geweigerd
    WITHDRAWN = "withdrawn"  # ingetrokken (from the date in ``since``)
    OTHER_MEDIA_ONLY = "other_media_only"  # alleen toestemming voor andere media
    WRONG_GIVER = "wrong_giver"  # parent for a pupil of 16+, or a pupil under 16 for themself
    EXPIRED_SCHOOL_YEAR = "expired_school_year"  # from an earlier school year; asked every year


class UnknownMedium(ValueError):
    """The text names no medium of the school's catalogue (or several)."""


class UnknownPupil(LookupError):
    """No pupil or group with this id in the directory."""


@dataclass(frozen=True)
class StoredAnswer:
    """One answer of the history, its medium already the catalogue's canonical name."""

    medium: str
    status: ConsentStatus
    school_year: str  # "2026-2027"
    recorded_on: date
    given_by: ConsentGiver


@dataclass(frozen=True)
class ConsentSettings:
    """A school's consent settings (from ``[consent]``, board-wide or per location)."""

    asks_every_year: bool = False
    year_start: tuple[int, int] = (8, 1)  # month, day

    def school_year(self, day: date) -> str:
        """The school year ``day`` falls in: "2026-2027" from 1 August 2026."""
        first = day.year if (day.month, day.day) >= self.year_start else day.year - 1
        return f"{first}-{first + 1}"


@dataclass(frozen=True)
class ConsentAnswer:
    """May the image be used on this medium on this day, and why (or why not)."""

    allowed: bool
    reason: Reason
    medium: str  # canonical name
    on: date
    since: date | None = None  # the date of the deciding answer (withdrawn on, granted on)
    school_year: str | None = None  # of the deciding answer
    pupil_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "medium": self.medium,
            "on": self.on.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "school_year": self.school_year,
            "pupil": self.pupil_key,
        }


@dataclass(frozen=True)
class PupilWithout:
    """A pupil of a group whose image may not be used, with the reason. The name is for the
    asker only: never log it."""

    key: str
    name: str
    answer: ConsentAnswer


@dataclass(frozen=True)
class GroupConsentAnswer:
    """A whole group: allowed for all ``total`` pupils, or who is missing and why."""

    group_id: str
    medium: str
    on: date
    total: int
    without: tuple[PupilWithout, ...] = field(default_factory=tuple)
    reason: Reason = Reason.GRANTED  # NO_CONSENT_NEEDED when the medium needs none

    @property
    def allowed(self) -> bool:
        return not self.without

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.value if self.allowed else "not_all_pupils",
            "group": self.group_id,
            "medium": self.medium,
            "on": self.on.isoformat(),
            "total": self.total,
            "without": [
                {"pupil": p.key, "name": p.name, "reason": p.answer.reason.value,
                 "since": p.answer.since.isoformat() if p.answer.since else None}
                for p in self.without
            ],
        }  # fmt: skip


# -- the decision (pure) ---------------------------------------------------------------------


def required_giver(age: int | None) -> ConsentGiver:
    """Who decides: the pupil from 16, the parents before (and when the age is unknown)."""
    return ConsentGiver.PUPIL if age is not None and age >= CONSENT_AGE else ConsentGiver.PARENT


#: On one day: a withdrawal wins over a refusal, a refusal over consent (the safe reading).
_RANK = {ConsentStatus.GRANTED: 0, ConsentStatus.REFUSED: 1, ConsentStatus.WITHDRAWN: 2}


def _latest(answers: Iterable[StoredAnswer]) -> StoredAnswer | None:
    """The last answer; on the same day a no wins over a yes. Deterministic in any order."""
    return max(
        answers,
        key=lambda a: (a.recorded_on, _RANK[a.status], a.school_year, a.given_by.value),
        default=None,
    )


def _verdict(
    answers: Sequence[StoredAnswer], giver: ConsentGiver
) -> tuple[Reason, StoredAnswer] | None:
    """The status of one medium from the answers in scope; None when there are none."""
    by_right = [a for a in answers if a.given_by is giver]
    latest = _latest(by_right)
    if latest is None:
        latest = _latest(answers)
        if latest is None:
            return None
        if latest.status is ConsentStatus.GRANTED:
            return Reason.WRONG_GIVER, latest
    reason = {
        ConsentStatus.GRANTED: Reason.GRANTED,
        ConsentStatus.REFUSED: Reason.REFUSED,
        ConsentStatus.WITHDRAWN: Reason.WITHDRAWN,
    }[latest.status]
    return reason, latest


def decide(
    history: Iterable[StoredAnswer],
    medium: Medium,
    *,
    age: int | None,
    on: date,
    settings: ConsentSettings,
) -> ConsentAnswer:
    """May a pupil's image be used on ``medium`` on ``on``? Pure; see docs/consent.md.

    1. A purpose that needs no consent (use in class, the administration photo): allowed.
    2. Answers after ``on`` do not count (withdrawal is not retroactive, nor is consent).
       Where the school asks every year, only answers for the school year of ``on`` count.
    3. Of those for this medium, the latest from the right person decides (the pupil from
       16, the parents before): granted, refused or withdrawn. When only the wrong person
       answered, a yes is ``wrong_giver`` and a no stays a no.
    4. No answer in scope: ``expired_school_year`` when an earlier year had a yes (school
       asks every year); ``other_media_only`` when another medium has a valid yes; else
       ``no_consent``. An unanswered question is a no.
    """
    if not medium.needs_consent:
        return ConsentAnswer(True, Reason.NO_CONSENT_NEEDED, medium.name, on)
    year = settings.school_year(on)
    past = [a for a in history if a.recorded_on <= on]
    in_scope = [a for a in past if not settings.asks_every_year or a.school_year == year]
    giver = required_giver(age)
    verdict = _verdict([a for a in in_scope if a.medium == medium.name], giver)
    if verdict is not None:
        reason, deciding = verdict
        return ConsentAnswer(
            reason is Reason.GRANTED, reason, medium.name, on,
            since=deciding.recorded_on, school_year=deciding.school_year,
        )  # fmt: skip
    if settings.asks_every_year:
        earlier = _verdict(
            [a for a in past if a.medium == medium.name and a.school_year < year], giver
        )
        if earlier is not None and earlier[0] is Reason.GRANTED:
            deciding = earlier[1]
            return ConsentAnswer(
                False, Reason.EXPIRED_SCHOOL_YEAR, medium.name, on,
                since=deciding.recorded_on, school_year=deciding.school_year,
            )  # fmt: skip
    others = {a.medium for a in in_scope} - {medium.name}
    for other in sorted(others):
        elsewhere = _verdict([a for a in in_scope if a.medium == other], giver)
        if elsewhere is not None and elsewhere[0] is Reason.GRANTED:
            return ConsentAnswer(False, Reason.OTHER_MEDIA_ONLY, medium.name, on)
    return ConsentAnswer(False, Reason.NO_CONSENT, medium.name, on)


# -- configuration ---------------------------------------------------------------------------


def settings_for(config: ConsentConfig, location: str | None) -> ConsentSettings:
    """The consent settings of one location (BRIN6): its own where set, else the board's."""
    own = config.locations.get(location) if location else None
    every_year = config.asks_every_year
    if own is not None and own.asks_every_year is not None:
        every_year = own.asks_every_year
    month, day = (int(part) for part in config.school_year_start.split("-"))
    return ConsentSettings(asks_every_year=every_year, year_start=(month, day))


def resolve_medium(text: str, catalogue: Catalogue) -> Medium:
    """The catalogue's medium for ``text``; :class:`UnknownMedium` when it names none or two."""
    medium = normalise_medium(text, catalogue)
    if medium is None:
        names = ", ".join(m.name for m in catalogue.media)
        raise UnknownMedium(f"'{text}' is not one medium of the catalogue ({names})")
    return medium


# -- the register over the store -------------------------------------------------------------


class ConsentRegister:
    """Answers consent questions from the stored history and the directory.

    ``check_group`` reads the group's pupils and all their answers in two queries.
    """

    def __init__(self, sessions: sessionmaker[Session], config: Config) -> None:
        self.sessions = sessions
        self.config = config
        self.directory = Directory(sessions)

    def check_pupil(self, pupil_key: str, medium: str, on: date) -> ConsentAnswer:
        """One pupil (``pupil:<SIS id>`` or the bare SIS id)."""
        key = pupil_key if pupil_key.startswith("pupil:") else f"pupil:{pupil_key}"
        pupil = self.directory.pupil(key)
        if pupil is None:
            raise UnknownPupil(f"no pupil {key} in the directory")
        catalogue = catalogue_for(self.config.consent, pupil.location)
        wanted = resolve_medium(medium, catalogue)
        history = self._histories([pupil], catalogue).get(pupil.sis_id, [])
        return self._decide(pupil, history, wanted, on)

    def check_group(self, group_id: str, medium: str, on: date) -> GroupConsentAnswer:
        """Every active pupil of a group; the answer names only those without consent."""
        pupils = [p for p in self.directory.pupils_in(group_id) if p.active]
        if pupils:
            location: str | None = pupils[0].location
        else:
            group = self.directory.group(group_id)
            if group is None:
                raise UnknownPupil(f"no group {group_id} in the directory")
            location = group.location
        catalogue = catalogue_for(self.config.consent, location)
        wanted = resolve_medium(medium, catalogue)
        if not wanted.needs_consent:
            return GroupConsentAnswer(
                group_id, wanted.name, on, len(pupils), reason=Reason.NO_CONSENT_NEEDED
            )
        histories = self._histories(pupils, catalogue)
        without = []
        for pupil in pupils:
            answer = self._decide(pupil, histories.get(pupil.sis_id, []), wanted, on)
            if not answer.allowed:
                without.append(PupilWithout(pupil.key, pupil.name.display, answer))
        return GroupConsentAnswer(group_id, wanted.name, on, len(pupils), tuple(without))

    def _decide(
        self, pupil: PupilEntry, history: Sequence[StoredAnswer], medium: Medium, on: date
    ) -> ConsentAnswer:
        settings = settings_for(self.config.consent, pupil.location)
        answer = decide(history, medium, age=pupil.age_on(on), on=on, settings=settings)
        return ConsentAnswer(
            answer.allowed, answer.reason, answer.medium, answer.on,
            answer.since, answer.school_year, pupil.key,
        )  # fmt: skip

    def _histories(
        self, pupils: Sequence[PupilEntry], catalogue: Catalogue
    ) -> dict[str, list[StoredAnswer]]:
        """SIS id -> answers, in one query; stored medium names mapped onto the catalogue."""
        if not pupils:
            return {}
        ids = [p.sis_id for p in pupils]
        with self.sessions() as session:
            rows = session.execute(
                select(
                    Consent.pupil_id, Consent.medium, Consent.status, Consent.school_year,
                    Consent.recorded_on, Consent.given_by,
                ).where(Consent.pupil_id.in_(ids))
            ).all()  # fmt: skip
        canonical: dict[str, str] = {}
        histories: dict[str, list[StoredAnswer]] = {}
        for pupil_id, stored_medium, status, year, day, giver in rows:
            name = canonical.get(stored_medium)
            if name is None:
                medium = normalise_medium(stored_medium, catalogue)
                name = canonical[stored_medium] = medium.name if medium else stored_medium
            histories.setdefault(pupil_id, []).append(
                StoredAnswer(name, ConsentStatus(status), year, day, ConsentGiver(giver))
            )
        return histories


# -- writing the history ---------------------------------------------------------------------


def save_consent_history(
    session: Session, consents: Sequence[ConsentRecord], *, source: str = "consent"
) -> int:
    """Keep the history of every answer, once; returns the number of answers stored.

    A SIS that shows only the current tick (Somtoday) reports the same answer every night:
    an answer is stored only when it differs in meaning from the latest one stored for
    that pupil, medium and school year. A "no" after a "yes" is a withdrawal, from that
    day on (not retroactive). Runs in the caller's transaction.
    """
    if not consents:
        return 0
    latest: dict[tuple[str, str, str], tuple[date, str]] = {}
    stored: set[tuple[str, str, str, date, str]] = set()
    for row in session.execute(
        select(Consent.pupil_id, Consent.medium, Consent.school_year, Consent.recorded_on,
               Consent.status).order_by(Consent.recorded_on, Consent.id)
    ):  # fmt: skip
        pupil, medium, year, day, status = row
        stored.add((pupil, medium, year, day, status))
        latest[pupil, medium, year] = (day, status)
    added = 0
    for c in sorted(consents, key=lambda c: (c.pupil_id, c.medium, c.school_year, c.recorded_on)):
        key = (c.pupil_id, c.medium, c.school_year)
        status = c.status.value
        if (*key, c.recorded_on, status) in stored:
            continue
        previous = latest.get(key)
        if previous is not None and previous[0] <= c.recorded_on:
            was_yes = previous[1] == ConsentStatus.GRANTED.value
            if was_yes == (status == ConsentStatus.GRANTED.value):
                continue  # the same answer again
            if was_yes and status == ConsentStatus.REFUSED.value:
                status = ConsentStatus.WITHDRAWN.value
        session.add(
            Consent(
                pupil_id=c.pupil_id,
                medium=c.medium,
                status=status,
                school_year=c.school_year,
                recorded_on=c.recorded_on,
                given_by=c.given_by.value,
                source=source,
            )
        )
        stored.add((*key, c.recorded_on, status))
        latest[key] = (c.recorded_on, status)
        added += 1
    return added
