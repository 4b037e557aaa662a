"""Days as people type them in chat, in Dutch or English.

``find_day`` finds the day in a sentence ("Jan de Vries gaat per 1 december uit dienst") and
returns it with the rest of the text (the name). Two layers:

1. **Where** the date is: a small scanner over the words of the sentence, with the vocabulary
   below. It only accepts whole date expressions, so it can keep names apart from dates:

   - a month word is a date only next to a day number: "Mei Chen", "Juni de Boer",
     "April Jansen", "Maart" are names, "1 mei" and "May 1" are dates. The months that are
     also given names ("Jan", "Mei", "Juni", "April", ...) capitalised after a day number and
     followed by a name ("per 4 Jan de Vries") are the name, not the month;
   - a Dutch weekday or "vandaag"/"morgen"/... written with a capital directly after a name
     ("Piet Zondag", "Jan de Vrijdag", "Smit-Maandag"), or in mid-sentence directly before
     one, is a surname (Dutch writes weekdays in lower case; English "Friday" is always the
     day). At the start of a sentence it is the day: "Vrijdag Jan de Vries uit dienst";
   - numbers after "groep", "om", "at", ... are a group or a time ("groep 1/2", "om 10.30").

2. **What** day it is: `dateparser <https://dateparser.readthedocs.io>`_ (languages nl and en,
   day before month, relative to ``today``) reads the expression the scanner found: "31-12",
   "31/12/27", "2026-12-31", "1 dec.", "1st of December", "December 1, 2026", "morgen",
   "overmorgen", "yesterday", "over 2 weken", "in two weeks". Where dateparser reads Dutch
   differently from what the people here mean, this module decides itself:

   - a weekday ("vrijdag", "Friday", "deze vrijdag") is the coming one, and today counts if
     today is that day (dateparser would give next week's). "volgende vrijdag",
     "aanstaande vrijdag", "next Friday": the first one after today. "volgende week vrijdag"
     / "next week Friday" / "vrijdag volgende week": that day in the week (Monday to Sunday)
     after this one. "afgelopen vrijdag", "last Friday": the last one before today;
     "vorige week vrijdag": that day in last week;
   - "eind van de maand", "einde van de maand", "eind deze maand", "end of the month": the
     last day of this month; "eind volgende maand"; "eind december", "ultimo december", "end
     of December": the last day of that month (dateparser knows none of these);
   - "over twee weken": number words become digits first (dateparser only reads "over 2
     weken"); "1e december", "per 1 december": ordinal and lead words are dropped;
   - a day and month without a year is the first such date on or after 60 days ago: a leaver
     reported up to 60 days late stays this year ("per 15-11" said on 22 November), a date
     more than 60 days in the past means next year ("per 3 januari" said in November);
   - day before month, always: "1-12" is 1 December; "12/31" is no date (dateparser would
     quietly swap the two).

The first date in the text counts. "per", "op", "vanaf", "on", "from", ... before it are part of
the date, so the rest is "Jan de Vries gaat uit dienst".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from dateparser.date import DateDataParser

from provisioner.i18n import format_day as format_day  # re-exported: the flows' one import

if TYPE_CHECKING:
    pass

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
# Month words that come first in English ("December 1"): not "jan" (a Dutch given name) and
# not lower-case "may" (a verb); Dutch never writes the month first.
MONTH_FIRST = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec",
})  # fmt: skip
# Months that are also given names: after a day number, with a capital and a name after them,
# they are the name ("per 4 Jan de Vries").
NAME_MONTHS = frozenset({"jan", "mei", "juni", "april", "may", "june", "august", "augustus"})
WEEKDAYS = {
    "maandag": 0, "dinsdag": 1, "woensdag": 2, "donderdag": 3, "vrijdag": 4, "zaterdag": 5,
    "zondag": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
RELATIVE = frozenset(
    "vandaag morgen overmorgen gisteren eergisteren today tomorrow yesterday".split()  # noqa: SIM905
)
# Dutch words that are also surnames (Zondag, Maandag, Morgen): see _is_surname.
DUTCH_DAY_WORDS = frozenset(
    {w for w, n in WEEKDAYS.items() if w.endswith("dag")} | {"vandaag", "morgen", "gisteren"}
)
NUMBER_WORDS = {
    "een": 1, "één": 1, "1": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12, "veertien": 14,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fourteen": 14,
}  # fmt: skip
UNITS = frozenset("dag dagen week weken maand maanden day days weeks month months".split())  # noqa: SIM905
# Words before a date that belong to it: "per 1 december", "met ingang van 1-12", "on Friday".
LEADS = (
    ("met", "ingang", "van"), ("tot", "en", "met"), ("t", "/", "m"), ("as", "of"),
    ("per",), ("op",), ("vanaf",), ("tot",), ("uiterlijk",), ("on",), ("from",),
    ("until",), ("by",), ("effective",),
)  # fmt: skip
# Weekday modifiers: (words, mode). See _weekday for the modes.
BEFORE_WEEKDAY = (
    (("volgende", "week"), "next_week"), (("next", "week"), "next_week"),
    (("vorige", "week"), "last_week"), (("last", "week"), "last_week"),
    (("a", ".", "s", "."), "next"), (("aanstaande",), "next"), (("komende",), "next"),
    (("volgende",), "next"), (("next",), "next"), (("coming",), "next"),
    (("deze",), "coming"), (("this",), "coming"),
    (("afgelopen",), "last"), (("vorige",), "last"), (("last",), "last"), (("past",), "last"),
)  # fmt: skip
AFTER_WEEKDAY = (
    (("volgende", "week"), "next_week"), (("next", "week"), "next_week"),
    (("vorige", "week"), "last_week"), (("last", "week"), "last_week"),
)  # fmt: skip
END_WORDS = frozenset({"eind", "einde", "end", "ultimo"})
THIS_MONTH = (
    ("van", "de", "maand"), ("van", "deze", "maand"), ("deze", "maand"), ("de", "maand"),
    ("maand",), ("of", "the", "month"), ("of", "this", "month"), ("of", "month"),
    ("this", "month"), ("the", "month"),
)  # fmt: skip
NEXT_MONTH = (
    ("van", "volgende", "maand"), ("volgende", "maand"), ("of", "next", "month"),
    ("next", "month"),
)  # fmt: skip
# Numbers after these words are no date: "groep 1/2", "om 10.30", "versie 2.1".
NOT_BEFORE_DATE = frozenset({
    "groep", "group", "klas", "class", "leerjaar", "jaar", "versie", "version", "nummer", "nr",
    "no", "om", "at", "rond", "around", "tegen", "tussen", "between",
})  # fmt: skip
NOT_AFTER_DATE = frozenset({"uur", "u", "h", "uhr", "hours"})
# Lower-case words between a given name and a surname: "Jan de Vrijdag", "Piet van Zondag".
TUSSENVOEGSELS = frozenset("de den der van von 't te ten ter het la le du da di".split())  # noqa: SIM905
DATE_VOCABULARY = frozenset(
    set(MONTHS)
    | set(WEEKDAYS)
    | RELATIVE
    | END_WORDS
    | {w for lead in LEADS for w in lead}
    | {w for words, _ in BEFORE_WEEKDAY for w in words}
    | {"over", "in", "week"}
)
BACK_DATED_WITHIN = timedelta(days=60)
SENTENCE_ENDS = frozenset(".!?:;")

_TOKEN = re.compile(
    r"(?P<numeric>(?<![\w./:-])(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}(?P<sep>[-/.])\d{1,2}(?:(?P=sep)(?:\d{4}|\d{2}))?)(?![\w/:-]|[.,]\d))"
    r"|(?P<number>(?<![\w.:/-])\d+)(?:st|nd|rd|th|ste|de|e)?(?![\w:/-]|[.,]\d)"
    r"|(?P<word>['’]?[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<other>\S)"
)


@dataclass(frozen=True)
class FoundDay:
    day: date
    rest: str  # the text without the date expression, spaces collapsed
    matched: str = ""  # the date expression as typed, lead word included: "per 1 december"


@dataclass(frozen=True)
class _Token:
    kind: str  # numeric, number, word, other
    text: str
    start: int
    end: int
    value: int = 0  # for numbers

    @property
    def low(self) -> str:
        return self.text.lower().replace("’", "'")

    @property
    def capital(self) -> bool:
        return self.kind == "word" and self.text[:1].isupper()


def find_day(text: str, today: date) -> FoundDay | None:
    """The first day mentioned in ``text`` and the text without it; None if there is none
    (or the numbers are no date, like 31-02)."""
    tokens = _tokens(text)
    for i in range(len(tokens)):
        lead_end = _lead(tokens, i)
        for start in (i, lead_end) if lead_end > i else (i,):
            found = _expression(tokens, start, today)
            if found is None:
                continue
            end, day = found
            first, last = tokens[i].start, tokens[end - 1].end
            rest = " ".join((text[:first] + " " + text[last:]).split())
            return FoundDay(day, rest, text[first:last])
    return None


def parse_day(text: str, today: date) -> date | None:
    found = find_day(text, today)
    return found.day if found else None


# -- where: the scanner ---------------------------------------------------------------------


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = next(k for k in ("numeric", "number", "word", "other") if match.group(k))
        value = int(match.group("number")) if kind == "number" else 0
        tokens.append(_Token(kind, match.group(0), match.start(), match.end(), value))
    return tokens


def _words(tokens: list[_Token], j: int, words: tuple[str, ...]) -> int | None:
    """The index after ``words`` if they stand at ``j``, else None."""
    if j + len(words) > len(tokens):
        return None
    if all(tokens[j + k].low == word for k, word in enumerate(words)):
        return j + len(words)
    return None


def _first_of(
    tokens: list[_Token], j: int, options: tuple[tuple[tuple[str, ...], str], ...]
) -> tuple[int, str] | None:
    for words, mode in options:
        end = _words(tokens, j, words)
        if end is not None:
            return end, mode
    return None


def _lead(tokens: list[_Token], i: int) -> int:
    for words in LEADS:
        end = _words(tokens, i, words)
        if end is not None:
            return end
    return i


def _expression(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """A date expression that starts at token ``j``: (index after it, the day)."""
    if j >= len(tokens):
        return None
    for reader in (_end_of_month, _weekday, _period, _numeric, _day_month, _month_day,
                   _relative):  # fmt: skip
        found = reader(tokens, j, today)
        if found is not None:
            return found
    return None


def _numeric(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """ "31-12", "31-12-2026", "31/12/27", "31.12", "2026-12-31"."""
    token = tokens[j]
    if token.kind != "numeric":
        return None
    if j > 0 and tokens[j - 1].low in NOT_BEFORE_DATE:
        return None
    if j + 1 < len(tokens) and tokens[j + 1].low in NOT_AFTER_DATE:
        return None
    parts = re.split(r"[-/.]", token.text)
    if len(parts[0]) == 4:  # ISO
        iso = [int(p) for p in parts]
        return _checked(j + 1, _read(token.text, today), iso[2], iso[1], iso[0])
    if "." in token.text and len(parts) == 2 and len(parts[1]) == 1:
        return None  # "8.5" is a mark or an amount, not 8 May
    day, month = int(parts[0]), int(parts[1])
    year = int(parts[2]) if len(parts) == 3 else None
    if year is not None and year < 100:
        year += 2000
    return _checked(j + 1, _read(token.text, today, yearless=year is None), day, month, year)


def _day_month(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """ "1 december", "1 Dec.", "1e december 2026", "1st of December"."""
    if tokens[j].kind != "number" or not 1 <= tokens[j].value <= 31:
        return None
    k = j + 1
    if k < len(tokens) and tokens[k].low == "of":
        k += 1
    if k >= len(tokens) or tokens[k].low not in MONTHS:
        return None
    month_token = tokens[k]
    k = _dot(tokens, k)
    year, k = _year(tokens, k)
    if year is None and _name_month(month_token) and _name_follows(tokens, k):
        return None  # "per 4 Jan de Vries": Jan is the name
    typed = f"{tokens[j].value} {month_token.text}" + (f" {year}" if year else "")
    day, month = tokens[j].value, MONTHS[month_token.low]
    return _checked(k, _read(typed, today, yearless=year is None), day, month, year)


def _month_day(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """ "December 1", "December 1st, 2026", "Sept 1"."""
    month_token = tokens[j]
    if month_token.low not in MONTH_FIRST or (month_token.low == "may" and not month_token.capital):
        return None
    k = _dot(tokens, j)
    if k >= len(tokens) or tokens[k].kind != "number" or not 1 <= tokens[k].value <= 31:
        return None
    day = tokens[k].value
    after_day = k + 1
    if after_day < len(tokens) and tokens[after_day].low in MONTHS and _name_month(month_token):
        return None  # "April 1 december": April is a name, the number the day of December
    comma = after_day < len(tokens) and tokens[after_day].text == ","
    year, end = _year(tokens, after_day + 1 if comma else after_day)
    if year is None:
        end = after_day
    typed = f"{month_token.text} {day}" + (f", {year}" if year else "")
    month = MONTHS[month_token.low]
    return _checked(end, _read(typed, today, yearless=year is None), day, month, year)


def _relative(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """ "vandaag", "morgen", "overmorgen", "gisteren", "today", "tomorrow", ..."""
    token = tokens[j]
    if token.low not in RELATIVE or _is_surname(tokens, j):
        return None
    day = _read(token.low, today)
    return (j + 1, day) if day is not None else None


def _period(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """ "over twee weken", "over 2 weken", "in two weeks", "over een maand", "in 10 days"."""
    if tokens[j].low not in {"over", "in"} or j + 2 >= len(tokens):
        return None
    count_token, unit = tokens[j + 1], tokens[j + 2].low
    count: int | None = count_token.value
    if count_token.kind != "number":
        count = NUMBER_WORDS.get(count_token.low)
    if count is None or unit not in UNITS or not 0 < count <= 400:
        return None
    day = _read(f"{tokens[j].low} {count} {unit}", today)
    return (j + 3, day) if day is not None else None


def _weekday(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """ "vrijdag", "volgende week vrijdag", "next Friday", "vrijdag volgende week", ..."""
    before = _first_of(tokens, j, BEFORE_WEEKDAY)
    k, mode = before if before is not None else (j, "coming")
    if k >= len(tokens) or tokens[k].low not in WEEKDAYS:
        return None
    if before is None and _is_surname(tokens, k):
        return None
    weekday = WEEKDAYS[tokens[k].low]
    end = k + 1
    if before is None:
        after = _first_of(tokens, end, AFTER_WEEKDAY)
        if after is not None:
            end, mode = after
    return end, _weekday_day(weekday, mode, today)


def _end_of_month(tokens: list[_Token], j: int, today: date) -> tuple[int, date] | None:
    """ "eind van de maand", "einde deze maand", "end of the month", "eind december"."""
    if tokens[j].low not in END_WORDS:
        return None
    k = j + 1
    this = _first_of(tokens, k, tuple((words, "this") for words in THIS_MONTH))
    following = _first_of(tokens, k, tuple((words, "next") for words in NEXT_MONTH))
    if following is not None:
        month_start = _month_after(today.replace(day=1))
        return following[0], _last_of_month(month_start.year, month_start.month)
    if this is not None:
        return this[0], _last_of_month(today.year, today.month)
    if k < len(tokens) and tokens[k].low in {"van", "of"}:
        k += 1
    if k >= len(tokens) or tokens[k].low not in MONTHS:
        return None
    month = MONTHS[tokens[k].low]
    year, end = _year(tokens, _dot(tokens, k))
    if year is None:
        year = today.year
        if _last_of_month(year, month) < today - BACK_DATED_WITHIN:
            year += 1
    return end, _last_of_month(year, month)


def _dot(tokens: list[_Token], k: int) -> int:
    """After a month word at ``k``: skip a "." written right after it ("1 dec.")."""
    after = k + 1
    if after < len(tokens) and tokens[after].text == "." and tokens[after].start == tokens[k].end:
        return after + 1
    return after


def _year(tokens: list[_Token], k: int) -> tuple[int | None, int]:
    if k < len(tokens) and tokens[k].kind == "number" and 1900 <= tokens[k].value <= 2100:
        return tokens[k].value, k + 1
    return None, k


def _name_month(token: _Token) -> bool:
    return token.capital and token.low in NAME_MONTHS


def _name_like(token: _Token) -> bool:
    """A capitalised word that is no date word ("Jan" and "Mei" are names here)."""
    return token.capital and (token.low not in DATE_VOCABULARY or token.low in NAME_MONTHS)


def _name_follows(tokens: list[_Token], k: int) -> bool:
    """A capitalised name (or a tussenvoegsel and one) starts at ``k``."""
    if k < len(tokens) and tokens[k].low in TUSSENVOEGSELS:
        k += 1
    return k < len(tokens) and _name_like(tokens[k])


def _is_surname(tokens: list[_Token], k: int) -> bool:
    """A capitalised Dutch day word that is part of a name: right after a name ("Piet Zondag"),
    a tussenvoegsel ("de Vrijdag") or a hyphen ("Smit-Maandag"); or in mid-sentence right
    before a name. At the start of a sentence it is the day ("Vrijdag Jan de Vries weg")."""
    token = tokens[k]
    if not token.capital or token.low not in DUTCH_DAY_WORDS:
        return False
    if k == 0 or tokens[k - 1].text in SENTENCE_ENDS:
        return False
    before = tokens[k - 1]
    if before.low in TUSSENVOEGSELS:
        return True
    if before.text == "-" and before.end == token.start:
        return True
    if _name_like(before):
        return True
    return _name_follows(tokens, k + 1)


# -- what: dateparser and the days it reads otherwise ---------------------------------------


def _read(text: str, today: date, *, yearless: bool = False) -> date | None:
    """What dateparser makes of one date expression (never of the whole sentence: it would
    read names such as "Mei" as dates). A date without a year: the first one after 61 days
    ago (PREFER_DATES_FROM future), so back-dated leavers within 60 days stay this year."""
    base = today - (BACK_DATED_WITHIN + timedelta(days=1)) if yearless else today
    try:
        parsed = _parser(base).get_date_data(text).date_obj
    except (ValueError, OverflowError):
        return None
    return parsed.date() if parsed is not None else None


@lru_cache(maxsize=8)
def _parser(base: date) -> DateDataParser:
    """One parser per base day (two a day): making one per call costs more than parsing."""
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime.combine(base, datetime.min.time()),
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
    }
    return DateDataParser(languages=["nl", "en"], settings=settings)  # fewer: faster


def _checked(
    end: int, parsed: date | None, day: int, month: int, year: int | None
) -> tuple[int, date] | None:
    """dateparser's answer, if it read the day and month as typed (day first): it may swap
    "12/31" into 31 December, and 31-02 is no date."""
    if parsed is None or (parsed.day, parsed.month) != (day, month):
        return None
    if year is not None and parsed.year != year:
        return None
    return end, parsed


def _weekday_day(weekday: int, mode: str, today: date) -> date:
    monday = today - timedelta(days=today.weekday())
    if mode == "next_week":
        return monday + timedelta(days=7 + weekday)
    if mode == "last_week":
        return monday - timedelta(days=7 - weekday)
    if mode == "next":  # after today
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    if mode == "last":  # before today
        return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    return today + timedelta(days=(weekday - today.weekday()) % 7)  # coming: today counts


def _last_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_after(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
