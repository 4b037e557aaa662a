"""Dates and moments as people write them in a sentence, in Dutch or English (pure).

Dutch sentences get Dutch dates ("dinsdag 1 december 2026", "3 november 2026"), English ones
English dates ("Tuesday 1 December 2026"); never ISO dates in a sentence. Times are shown in
Europe/Amsterdam.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.conversation import Language
from provisioner.i18n import tr

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def day_text(day: date, language: Language) -> str:
    """ "3 november 2026" / "3 November 2026"."""
    return format_date(day, "d MMMM y", locale=language)


def long_day_text(day: date, language: Language) -> str:
    """ "dinsdag 1 december 2026" / "Tuesday 1 December 2026"."""
    return format_date(day, "EEEE d MMMM y", locale=language)


def moment_text(moment: datetime, language: Language) -> str:
    """ "dinsdag 24 november 2026 om 10:15" / "Tuesday 24 November 2026 at 10:15"."""
    local = moment.astimezone(AMSTERDAM) if moment.tzinfo else moment
    day = long_day_text(local.date(), language)
    return tr(language, "{day} at {local:%H:%M}", day=day, local=local)


def short_moment_text(moment: datetime, language: Language) -> str:
    """For a list of facts: "24-11-2026 10:15" / "24 Nov 2026, 10:15"."""
    local = moment.astimezone(AMSTERDAM) if moment.tzinfo else moment
    if language == "en":
        return f"{format_date(local.date(), 'd MMM y', locale='en')}, {local:%H:%M}"
    return f"{local:%d-%m-%Y %H:%M}"
