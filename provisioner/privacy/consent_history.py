"""Writing the consent history (toestemmingshistorie): how answers from the SIS or a file are
stored, per giver.

Each answer keeps who gave it (the parents or the pupil) and how it was obtained (the
mechanism, or NULL when the source does not say). "Withdrawn" means the *same* giver said no
after saying yes: a 17-year-old's refusal after her parents' yes is her refusal, not a
withdrawal (she never consented), and decides from 16 whatever the parents said
(:func:`provisioner.privacy.consent.decide`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.domain.models import ConsentRecord, ConsentStatus
from provisioner.store.tables import Consent

#: (pupil, medium, school year, giver): the answers of one person about one medium and year.
_Thread = tuple[str, str, str, str]


def save_consent_history(
    session: Session, consents: Sequence[ConsentRecord], *, source: str = "consent"
) -> int:
    """Keep the history of every answer, once; returns the number of answers stored.

    A SIS that shows only the current tick (Somtoday) reports the same answer every night:
    an answer is stored only when it differs in meaning (yes or no, and how it was obtained)
    from the latest one stored for that pupil, medium, school year and giver. A "no" after
    the same giver's "yes" is a withdrawal, from that day on (not retroactive). Runs in the
    caller's transaction.
    """
    if not consents:
        return 0
    latest: dict[_Thread, tuple[date, str, str | None]] = {}
    stored: set[tuple[str, str, str, str, date, str]] = set()
    for row in session.execute(
        select(Consent.pupil_id, Consent.medium, Consent.school_year, Consent.given_by,
               Consent.recorded_on, Consent.status, Consent.mechanism)
        .order_by(Consent.recorded_on, Consent.id)
    ):  # fmt: skip
        pupil, medium, year, giver, day, status, mechanism = row
        stored.add((pupil, medium, year, giver, day, status))
        latest[pupil, medium, year, giver] = (day, status, mechanism)
    added = 0
    ordered = sorted(
        consents,
        key=lambda c: (c.pupil_id, c.medium, c.school_year, c.given_by.value, c.recorded_on),
    )
    for c in ordered:
        thread: _Thread = (c.pupil_id, c.medium, c.school_year, c.given_by.value)
        status = c.status.value
        mechanism = c.mechanism.value if c.mechanism is not None else None
        if (*thread, c.recorded_on, status) in stored:
            continue
        previous = latest.get(thread)
        if previous is not None and previous[0] <= c.recorded_on:
            was_yes = previous[1] == ConsentStatus.GRANTED.value
            is_yes = status == ConsentStatus.GRANTED.value
            if was_yes == is_yes and (not is_yes or previous[2] == mechanism):
                continue  # the same answer again
            if was_yes and status == ConsentStatus.REFUSED.value:
                status = ConsentStatus.WITHDRAWN.value
            if (*thread, c.recorded_on, status) in stored:
                continue  # a second "yes" on the same day, only obtained otherwise
        session.add(
            Consent(
                pupil_id=c.pupil_id,
                medium=c.medium,
                status=status,
                school_year=c.school_year,
                recorded_on=c.recorded_on,
                given_by=c.given_by.value,
                mechanism=mechanism,
                source=source,
            )
        )
        stored.add((*thread, c.recorded_on, status))
        latest[thread] = (c.recorded_on, status, mechanism)
        added += 1
    return added
