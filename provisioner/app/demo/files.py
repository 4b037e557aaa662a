"""The demo board's CSV files other than the SIS's: the HR export and the consents."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

from provisioner.app.demo.board import Pupil, StaffMember
from provisioner.app.demo.names import day_between

HR_HEADER = (
    "employee_number",
    "given_name",
    "prefix",
    "family_name",
    "org_unit",
    "function_title",
    "start_date",
    "end_date",
)
CONSENT_HEADER = ("pupil_id", "medium", "status", "school_year", "recorded_on", "given_by")


#: The media parents answer for, with cumulative odds of granted, refused and no answer;
#: the remaining share is granted and later withdrawn.
CONSENT_MEDIA: dict[str, tuple[float, float, float]] = {
    "website": (0.80, 0.89, 0.97),
    "nieuwsbrief": (0.84, 0.91, 0.975),
    "schoolgids": (0.82, 0.90, 0.975),
    "social media": (0.58, 0.86, 0.96),
    "ouderapp": (0.86, 0.92, 0.98),
}

Row = tuple[str, ...]


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def write_hr(path: Path, people: Sequence[StaffMember]) -> None:
    rows = [
        (p.number, p.given, p.prefix, p.family, e.org_unit, e.title, iso(e.start), iso(e.end))
        for p in people
        for e in p.employments
    ]
    write_csv(path, HR_HEADER, rows)


def write_consents(
    path: Path, rng: random.Random, pupils: Sequence[Pupil], today: date, year: int
) -> None:
    """Per pupil and medium: mostly granted, some refused, some unanswered, a few withdrawn.

    Parents answer once per school year, between 1 July and mid-October (or when the pupil
    starts). A few pupils also have answers of the previous school year.
    """
    current, previous = f"{year}-{year + 1}", f"{year - 1}-{year}"
    window_start = date(year, 7, 1)
    window_end = min(today - timedelta(days=1), date(year, 10, 15))
    last_year_from, last_year_to = date(year - 1, 7, 1), date(year - 1, 10, 15)
    rows: list[Row] = []
    for pupil in pupils:
        pid = pupil.sourced_id
        if pupil.start <= last_year_from and rng.random() < 0.05:
            answered = day_between(rng, last_year_from, last_year_to).isoformat()
            for medium in ("website", "schoolgids"):
                status = "granted" if rng.random() < 0.85 else "refused"
                rows.append((pid, medium, status, previous, answered, "parent"))
        if rng.random() < 0.03:  # the form never came back
            continue
        answered_on = day_between(rng, min(max(window_start, pupil.start), window_end), window_end)
        answered = answered_on.isoformat()
        for medium, (granted, refused, unanswered) in CONSENT_MEDIA.items():
            draw = rng.random()
            if draw < granted:
                rows.append((pid, medium, "granted", current, answered, "parent"))
            elif draw < refused:
                rows.append((pid, medium, "refused", current, answered, "parent"))
            elif draw >= unanswered:
                withdrawn = day_between(rng, answered_on + timedelta(days=1), today).isoformat()
                rows.append((pid, medium, "granted", current, answered, "parent"))
                rows.append((pid, medium, "withdrawn", current, withdrawn, "parent"))
    write_csv(path, CONSENT_HEADER, rows)
