"""The board's retention table as data: periods, what starts each clock, and the defaults of
DOMAIN.md's "Retention" table (seed 002 §10.3, 004, 000, 003). Pure: no I/O.

A rule keeps one category of data for a period after its start, then its data is destroyed
(``destroy``) or looked at again (``review``: the seed gives a minimum, or only the board can
judge). A rule starts at a :class:`~provisioner.accountability.retention_events.ClockEvent`,
at the end of every school year (``school_year_end``, 31 July), or is ``standing`` (the
system deletes by itself, e.g. a camera's four weeks: shown in the table, never a due line).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from provisioner.i18n import N_

__all__ = [
    "ACTIONS",
    "CALENDAR_STARTS",
    "DEFAULT_RULES",
    "OWNERS",
    "ClockEvent",
    "Period",
    "RetentionRule",
    "add_months",
]


class ClockEvent(StrEnum):
    """The events that start retention clocks (the values are stored)."""

    PUPIL_DEREGISTERED = "pupil_deregistered"
    STAFF_LEFT = "staff_left"
    INTERNSHIP_ENDED = "internship_ended"
    BREACH_CLOSED = "breach_closed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    COMPLAINT_CLOSED = "complaint_closed"


Action = Literal["destroy", "review"]
ACTIONS: tuple[Action, ...] = ("destroy", "review")
#: Who does a retention task (the assignees of :mod:`provisioner.tasks`).
OWNERS = ("location_leader", "central_office", "privacy_officer")
#: Starts that are no event: the school year's end, and standing rules.
CALENDAR_STARTS = ("school_year_end", "standing")

_PERIOD = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?$")


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; the 29th-31st become the month's last day
    when the month is shorter (29 February plus a year is 28 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Period:
    """Years, months, weeks and days, written ``5y``, ``6m``, ``4w``, ``30d``, ``1y6m``."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """``5y`` -> five years; a ``ValueError`` naming the text when it is not a period."""
        match = _PERIOD.match(text.strip().lower().replace(" ", ""))
        if match is None or not text.strip():
            raise ValueError(
                f"'{text}' is not a period: write years, months, weeks and days as 5y, 6m, "
                f"4w, 30d or 1y6m"
            )
        years, months, weeks, days = (int(part) if part else 0 for part in match.groups())
        return cls(years, months, weeks, days)

    def after(self, start: date) -> date:
        """The day the period has passed, counted from ``start``."""
        return add_months(start, self.years * 12 + self.months) + timedelta(
            weeks=self.weeks, days=self.days
        )

    def before(self, end: date) -> date:
        """The start whose period passes on ``end`` (for "older than the period")."""
        back = add_months(end, -(self.years * 12 + self.months))
        return back - timedelta(weeks=self.weeks, days=self.days)

    def text(self) -> str:
        parts = zip((self.years, self.months, self.weeks, self.days), "ymwd", strict=True)
        return "".join(f"{n}{unit}" for n, unit in parts if n) or "0d"


@dataclass(frozen=True)
class RetentionRule:
    """One line of the retention table.

    ``start``: a clock event's value, ``school_year_end`` or ``standing``. ``after``: an event
    of the same person the clock also waits for (a complaint's clock runs from the later of
    the complaint's closing and the pupil's deregistration); people who cannot have it (not
    a pupil for ``pupil_deregistered``) do not wait. ``system``: where the data is (``sis``,
    a target's name, or free text like ``leerlingdossier (papier)``); ``owner``: who destroys
    or reviews it. ``what``: the category in words (an English catalogue id for the defaults,
    the board's own text for its own categories).
    """

    category: str
    what: str
    start: str
    period: Period
    action: Action
    basis: str
    system: str
    owner: str
    after: str | None = None


def _rule(
    category: str, what: str, start: str, period: str, action: Action, basis: str,
    system: str, owner: str, after: str | None = None,
) -> RetentionRule:  # fmt: skip
    return RetentionRule(
        category, what, start, Period.parse(period), action, basis, system, owner, after
    )


#: DOMAIN.md's "Retention" table, with the seed each line comes from.
DEFAULT_RULES: tuple[RetentionRule, ...] = (
    _rule("pupil_administration",
          N_("pupil administration (enrolment, deregistration, absence)"),
          "pupil_deregistered", "5y", "destroy",
          "002 §10.3 (leerlingenadministratie: 5 jaar na uitschrijving); 004", "sis",
          "location_leader"),
    _rule("pupil_file", N_("pupil file (leerlingdossier)"), "pupil_deregistered", "2y",
          "destroy", "002 §10.3 (leerlingendossiers: 2 jaar na uitschrijving); 004", "sis",
          "location_leader"),
    _rule("special_education_referral",
          N_("file of a move to special education (overstapdossier), if there is one"),
          "pupil_deregistered", "3y", "destroy",
          "002 §10.3 (overstapdossier speciaal onderwijs: 3 jaar); 004", "sis",
          "location_leader"),
    _rule("complaint_file", N_("objection, complaint or court procedure file"),
          "complaint_closed", "5y", "destroy",
          "004 (bezwaar-, klachten- of gerechtelijke procedure: 5 jaar na uitschrijving)",
          "klachtendossier", "central_office", after="pupil_deregistered"),
    _rule("funding_data", N_("funding data (bekostiging) of the school year"),
          "school_year_end", "7y", "review",
          "004 (bekostiging: minimaal 7 jaar na afloop van het schooljaar)",
          "financiële administratie", "central_office"),
    _rule("central_exam", N_("central exam and its grade lists"), "school_year_end", "6m",
          "review", "004 (centraal examen incl. cijferlijsten: minstens 6 maanden)", "sis",
          "location_leader"),
    _rule("camera_footage", N_("camera footage"), "standing", "4w", "destroy",
          "004 (camerabeelden: maximaal 4 weken, tenzij bij een incident in behandeling)",
          "camerasysteem", "location_leader"),
    _rule("intern_personal_data", N_("intern's name, address and contact details"),
          "internship_ended", "0d", "destroy",
          "000 §1.2 (na afronding van de stage vernietigt de stageschool de gegevens)",
          "stage-administratie", "location_leader"),
    _rule("intern_assessment", N_("intern's assessment data (kept by the teacher training)"),
          "standing", "7y", "destroy", "000 §2.4 (beoordeling: wettelijke bewaartermijn 7 jaar)",
          "lerarenopleiding", "location_leader"),
    _rule("staff_file", N_("personnel file of a staff member who left"), "staff_left", "2y",
          "review",
          "AP: personeelsdossier 2 jaar na uitdiensttreding, loongegevens 7 jaar (fiscaal); "
          "not in the seeds", "hr", "central_office"),
    _rule("breach_file", N_("documentation of a closed data breach"), "breach_closed", "5y",
          "review", "AVG art. 33(5) (documentatie); the period is the board's choice", "breaches",
          "privacy_officer"),
    _rule("withdrawn_consent_images",
          N_("photos and video of the pupil on the medium whose consent was withdrawn"),
          "consent_withdrawn", "4w", "review",
          "002 §7 and 004 (intrekken, niet met terugwerkende kracht); 002 §5 (binnen 4 weken)",
          "school media", "location_leader"),
)  # fmt: skip
