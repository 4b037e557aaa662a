"""The deadlines of a request of a person concerned, and who may make it (pure).

- Access (Art. 15), rectification (Art. 16) and erasure (Art. 17): without undue delay and in
  any event within **one month of receipt** (GDPR Art. 12(3)). A month is a calendar month
  counted from the day of receipt, as the EDPB explains it (Guidelines 01/2022 on the right
  of access, after Regulation 1182/71): the deadline is the same date of the next month; a
  month without that date ends on its last day (received 31 January: due 28 February, or 29
  in a leap year). A deadline on a weekend is not moved: the earlier day is always safe.
- An objection (Art. 21): the board acts within **four weeks** (seed 002 §5, "De school heeft
  na het verzoek maximaal 4 weken tijd om hierop actie te ondernemen"): 28 days.
- Extension (Art. 12(3)): "by two further months where necessary, taking into account the
  complexity and number of the requests", once, with a reason, and the person must be told
  within the first month: so it can only be decided on or before the first deadline. The two
  months run from the first deadline (received 31 January: 28 February, then 28 April), the
  earlier of the two readings. The board's protocol gives no extension for an objection
  (4 weeks at most), so an objection is never extended.
- Who may ask (seed 002 §5 "Rechten van ouders": until 16 the parents decide about a pupil's
  personal data; DOMAIN.md "Under 16, parents exercise these rights"): for a pupil under 16
  on the day of receipt a request by the pupil is refused (a parent, guardian or
  representative makes it); from 16 the pupil asks, and a parent's request is flagged (it
  needs the pupil's authorisation). A pupil without a birth date is flagged. A staff member
  asks in person or through a representative, not through a parent or guardian.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from provisioner.i18n import N_

Kind = Literal["access", "rectification", "erasure", "objection"]
Maker = Literal["self", "parent", "guardian", "representative"]
KINDS: tuple[Kind, ...] = ("access", "rectification", "erasure", "objection")
MAKERS: tuple[Maker, ...] = ("self", "parent", "guardian", "representative")
#: The age from which a pupil exercises the rights in person (seed 002 §5).
AGE_OF_CONSENT = 16
OBJECTION_DAYS = 28
EXTENSION_MONTHS = 2

#: The legal ground of each kind, as the bundle and the list show it.
GROUNDS: dict[str, str] = {
    "access": "GDPR Art. 15, Art. 12(3)",
    "rectification": "GDPR Art. 16, Art. 12(3)",
    "erasure": "GDPR Art. 17, Art. 12(3)",
    "objection": "GDPR Art. 21, seed 002 §5",
}

#: How a kind of request is named to people.
KIND_WORDS: dict[str, str] = {
    "access": N_("access request"),
    "rectification": N_("rectification request"),
    "erasure": N_("erasure request"),
    "objection": N_("objection"),
}

#: The flags a request can carry: something to check before acting on it.
FLAG_TEXT: dict[str, str] = {
    "age_unknown": N_("the pupil's birth date is not known: check who may make this request"),
    "parent_for_16_plus": N_("the pupil is 16 or older: a parent needs the pupil's authorisation"),
}


def add_months(day: date, months: int) -> date:
    """The same date ``months`` later; the month's last day when it has no such date."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(kind: Kind, received: date) -> date:
    """The deadline of a request received on ``received``."""
    if kind == "objection":
        return received + timedelta(days=OBJECTION_DAYS)
    return add_months(received, 1)


@dataclass(frozen=True)
class Refusal:
    """Why something cannot be done: a catalogue message and its values."""

    message: str
    values: dict[str, str]


def extension(kind: Kind, first_due: date, on: date) -> date | Refusal:
    """The extended deadline, decided on ``on``; or why the request cannot be extended."""
    if kind == "objection":
        return Refusal(
            N_("an objection is not extended: the board acts within 4 weeks (seed 002 §5)"), {}
        )
    if on > first_due:
        return Refusal(
            N_(
                "too late to extend: the person must be told within the first month, by"
                " {due} (GDPR Art. 12(3))"
            ),
            {"due": first_due.isoformat()},
        )
    return add_months(first_due, EXTENSION_MONTHS)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_maker(
    person_kind: str, made_by: Maker, birth: date | None, received: date
) -> list[str] | Refusal:
    """The flags of a request made by ``made_by`` for a person of ``person_kind`` (staff or
    pupil), or why it is refused."""
    if person_kind != "pupil":
        if made_by in ("parent", "guardian"):
            return Refusal(
                N_("a staff member asks in person or through a representative, not a {who}"),
                {"who": made_by},
            )
        return []
    if birth is None:
        return ["age_unknown"]
    if age_on(birth, received) < AGE_OF_CONSENT:
        if made_by == "self":
            return Refusal(
                N_(
                    "the pupil was under 16 on {day}: the parents or guardians make this"
                    " request (seed 002 §5); register it with --by parent or --by guardian"
                ),
                {"day": received.isoformat()},
            )
        return []
    return ["parent_for_16_plus"] if made_by in ("parent", "guardian") else []
