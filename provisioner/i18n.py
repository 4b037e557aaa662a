"""The two languages the product speaks, and how it writes a day in them.

Dutch (*nl*) is the board's language by default; English (*en*) for those who ask in it.
Dates are written with the CLDR names through Babel, so no module keeps its own month names.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from babel.dates import format_date

Language = Literal["nl", "en"]


def format_day(day: date, language: Language) -> str:
    """ "dinsdag 1 december 2026" / "Tuesday 1 December 2026" (CLDR names through Babel)."""
    return format_date(day, "EEEE d MMMM y", locale="en" if language == "en" else "nl")


def pick(language: Language, nl: str, en: str) -> str:
    """The sentence in ``language``."""
    return en if language == "en" else nl
