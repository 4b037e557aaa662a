"""Days as people type them in chat, in Dutch or English.

"vandaag", "morgen", "overmorgen", "gisteren", "today", "tomorrow", "yesterday",
"per 1 december", "1 december 2026", "1 December", "December 1", "31-12", "31-12-2026",
"31/12", "2026-12-31". Day before month (the Dutch and European order). A date without a
year is the next such date from today (a date earlier this year means next year, unless it
is within the last 31 days: "per 15-11" said on 20 November is back-dated, not next year).

A small explicit parser rather than a general library: these are the only forms the bot
needs, and each is tested (``tests/test_bot_dates.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "february": 2,
    "maart": 3, "mrt": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "augustus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
RELATIVE = {
    "vandaag": 0, "today": 0,
    "morgen": 1, "tomorrow": 1,
    "overmorgen": 2,
    "gisteren": -1, "yesterday": -1,
}  # fmt: skip
BACK_DATED_WITHIN = timedelta(days=31)

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_LEAD = r"(?:(?:per|op|on|vanaf|from|tot|until|t/m)\s+)?"
_PATTERNS = [
    # 2026-12-31
    re.compile(rf"\b{_LEAD}(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})\b"),
    # 31-12, 31-12-2026, 31/12, 31.12.26
    re.compile(rf"\b{_LEAD}(?P<d>\d{{1,2}})[-/.](?P<m>\d{{1,2}})(?:[-/.](?P<y>\d{{2}}|\d{{4}}))?\b"),
    # 1 december (2026), 1st of December
    re.compile(
        rf"\b{_LEAD}(?P<d>\d{{1,2}})(?:st|nd|rd|th|e)?\s+(?:of\s+)?(?P<mn>{_MONTH})\.?"
        rf"(?:\s+(?P<y>\d{{4}}))?\b",
        re.IGNORECASE,
    ),
    # December 1(st)(, 2026)
    re.compile(
        rf"\b{_LEAD}(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?\b",
        re.IGNORECASE,
    ),
    # vandaag, morgen, today, ...
    re.compile(
        rf"\b{_LEAD}(?P<rel>{'|'.join(sorted(RELATIVE, key=len, reverse=True))})\b",
        re.IGNORECASE,
    ),
]


@dataclass(frozen=True)
class FoundDay:
    day: date
    rest: str  # the text without the date expression


def find_day(text: str, today: date) -> FoundDay | None:
    """The first day mentioned in ``text``, and the text without it; None if there is none
    (or the numbers are no date, like 31-02)."""
    for pattern in _PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        day = _day(match.groupdict(), today)
        if day is None:
            continue
        rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
        return FoundDay(day, rest)
    return None


def parse_day(text: str, today: date) -> date | None:
    found = find_day(text, today)
    return found.day if found else None


def _day(parts: dict[str, str | None], today: date) -> date | None:
    if parts.get("rel"):
        return today + timedelta(days=RELATIVE[str(parts["rel"]).lower()])
    month = MONTHS[str(parts["mn"]).lower()] if parts.get("mn") else int(str(parts["m"]))
    day = int(str(parts["d"]))
    year_text = parts.get("y")
    try:
        if year_text:
            year = int(year_text)
            return date(year + 2000 if year < 100 else year, month, day)
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    if candidate < today - BACK_DATED_WITHIN:
        try:
            return date(today.year + 1, month, day)
        except ValueError:  # 29 February
            return None
    return candidate
