"""The consent decision (pure): one pupil's answers, their age and the school's settings give
a :class:`ConsentAnswer` with a stable reason code. docs/consent.md has the rules and their
sources; :mod:`provisioner.privacy.consent` asks it over the state store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from provisioner.domain.models import ConsentGiver, ConsentMechanism, ConsentStatus
from provisioner.privacy.media import Medium

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
    NOT_VALID_CONSENT = "not_valid_consent"  # a yes not freely and explicitly given (mechanism)


#: The condition of an answer about an image in which the pupil is not recognisable.
NOT_RECOGNISABLE = "not_recognisable"


@dataclass(frozen=True)
class StoredAnswer:
    """One answer of the history, its medium already the catalogue's canonical name."""

    medium: str
    status: ConsentStatus
    school_year: str  # "2026-2027"
    recorded_on: date
    given_by: ConsentGiver
    mechanism: ConsentMechanism | None = None  # None: the source did not say


@dataclass(frozen=True)
class ConsentSettings:
    """A school's consent settings (from ``[consent]``, board-wide or per location).

    ``default_mechanism`` is how answers whose source did not say were obtained; unknown
    (the default) counts as no consent, see docs/consent.md."""

    asks_every_year: bool = False
    year_start: tuple[int, int] = (8, 1)  # month, day
    default_mechanism: ConsentMechanism = ConsentMechanism.UNKNOWN

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
    given_by: ConsentGiver | None = None  # of the deciding answer
    #: how the deciding yes was obtained (for ``not_valid_consent``: why it is not valid)
    mechanism: ConsentMechanism | None = None
    #: ``not_recognisable``: allowed only as long as the pupil cannot be recognised
    condition: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "medium": self.medium,
            "on": self.on.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "school_year": self.school_year,
            "pupil": self.pupil_key,
            "given_by": self.given_by.value if self.given_by else None,
            "mechanism": self.mechanism.value if self.mechanism else None,
            "condition": self.condition,
        }


# -- the decision ----------------------------------------------------------------------------


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


def _valid(answer: StoredAnswer, settings: ConsentSettings) -> bool:
    """Whether a yes counts: only a free, explicit opt-in is consent (AVG art. 4(11), 7)."""
    return (answer.mechanism or settings.default_mechanism) is ConsentMechanism.OPT_IN


def decide(
    history: Iterable[StoredAnswer],
    medium: Medium,
    *,
    age: int | None,
    on: date,
    settings: ConsentSettings,
    recognisable: bool = True,
) -> ConsentAnswer:
    """May a pupil's image be used on ``medium`` on ``on``? Pure; see docs/consent.md.

    1. A purpose that needs no consent (use in class, the administration photo, the school
       pass), or an image in which the pupil is not recognisable: allowed (the latter on
       condition that the pupil stays unrecognisable).
    2. Answers after ``on`` do not count (withdrawal is not retroactive, nor is consent).
       Where the school asks every year, only answers for the school year of ``on`` count.
    3. Of those for this medium, the latest from the right person decides (the pupil from
       16, the parents before): granted, refused or withdrawn. When only the wrong person
       answered, a yes is ``wrong_giver`` and a no stays a no.
    4. A deciding yes counts only when it was a free, explicit opt-in (the answer's
       mechanism, else the school's default): otherwise ``not_valid_consent``.
    5. No answer in scope: ``expired_school_year`` when an earlier year had a yes (school
       asks every year); ``other_media_only`` when another medium has a valid yes; else
       ``no_consent``. An unanswered question is a no.
    """
    if not medium.needs_consent:
        return ConsentAnswer(True, Reason.NO_CONSENT_NEEDED, medium.name, on)
    if not recognisable:
        return ConsentAnswer(
            True, Reason.NO_CONSENT_NEEDED, medium.name, on, condition=NOT_RECOGNISABLE
        )
    year = settings.school_year(on)
    past = [a for a in history if a.recorded_on <= on]
    in_scope = [a for a in past if not settings.asks_every_year or a.school_year == year]
    giver = required_giver(age)
    verdict = _verdict([a for a in in_scope if a.medium == medium.name], giver)
    if verdict is not None:
        reason, deciding = verdict
        mechanism = None
        if reason is Reason.GRANTED:
            mechanism = deciding.mechanism or settings.default_mechanism
            if not _valid(deciding, settings):
                reason = Reason.NOT_VALID_CONSENT
        return ConsentAnswer(
            reason is Reason.GRANTED, reason, medium.name, on,
            since=deciding.recorded_on, school_year=deciding.school_year,
            given_by=deciding.given_by, mechanism=mechanism,
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
                given_by=deciding.given_by,
            )  # fmt: skip
    others = {a.medium for a in in_scope} - {medium.name}
    for other in sorted(others):
        elsewhere = _verdict([a for a in in_scope if a.medium == other], giver)
        if (
            elsewhere is not None
            and elsewhere[0] is Reason.GRANTED
            and _valid(elsewhere[1], settings)
        ):
            return ConsentAnswer(False, Reason.OTHER_MEDIA_ONLY, medium.name, on)
    return ConsentAnswer(False, Reason.NO_CONSENT, medium.name, on)
