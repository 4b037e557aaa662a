"""The two languages the product speaks: its message catalogues, and how it writes a day.

Every sentence a person reads is a message in the catalogues
``provisioner/locale/<language>/LC_MESSAGES/*.po`` (gettext, read with Babel; one domain per
feature: ``messages.po`` for the chat, reports and tasks, ``accountability.po`` and so on
beside it, read together as one catalogue): the message id is the English sentence with
``{named}`` placeholders, and each language's catalogue holds its translation. Code asks for
a sentence with :func:`tr`::

    tr(language, "Done: {name} is fully offboarded.", name=name)

Dutch (*nl*) is the board's language by default (the morning report, task titles); a chat
reply is in the asker's language. ``python -m provisioner.i18n check`` (run by ``make
lint``) fails when a message of the code is missing in either catalogue or a translation's
placeholders differ from its message's. Dates are written with the CLDR names through Babel,
so no module keeps its own month names.
"""

from __future__ import annotations

import os
import string
import sys
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from babel.dates import format_date
from babel.messages.pofile import read_po

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
LOCALE_DIR = Path(__file__).with_name("locale")
#: The function the code asks for a sentence with, and where its message stands.
KEYWORDS = {
    "tr": (2,),
    "N_": (1,),  # a message kept in a table, translated where it is shown
    "Question": (2,),  # the breach intake's questions
}


def format_day(day: date, language: Language) -> str:
    """ "dinsdag 1 december 2026" / "Tuesday 1 December 2026" (CLDR names through Babel)."""
    return format_date(day, "EEEE d MMMM y", locale="en" if language == "en" else "nl")


def N_(message: str) -> str:
    """Marks a message kept in a table (its English id); :func:`tr` translates it where it
    is shown."""
    return message


def pick(language: Language, nl: str, en: str) -> str:
    """One of two texts that are not sentences of the catalogue (a word typed by a user)."""
    return en if language == "en" else nl


def cli_language() -> Language:
    """The command line's language, the user's locale as for every gettext program:
    ``PROVISIONER_LANGUAGE`` ("nl"/"en") if set, else Dutch when the first of ``LC_ALL``,
    ``LC_MESSAGES`` and ``LANG`` that is set starts with "nl", otherwise English."""
    chosen = os.environ.get("PROVISIONER_LANGUAGE", "").strip().lower()
    if chosen in LANGUAGES:
        return "nl" if chosen == "nl" else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "nl" if value.lower().startswith("nl") else "en"
    return "en"


def catalogue_path(language: str, domain: str = "messages") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def catalogue_files(language: str) -> list[Path]:
    """Every domain's ``.po`` file of ``language``, in name order."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def _catalogue(language: str) -> dict[str, str]:
    """Every domain of ``language`` as one mapping; see :func:`conflicts` for a message two
    domains translate differently."""
    merged: dict[str, str] = {}
    for path in catalogue_files(language):
        for message, text in _read(path, language).items():
            merged.setdefault(message, text)
    return merged


def _read(path: Path, language: str) -> dict[str, str]:
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalogue
        if message.id and isinstance(message.id, str) and message.string
    }


def conflicts(language: str) -> list[str]:
    """Messages that two domains of ``language`` translate differently."""
    seen: dict[str, tuple[str, str]] = {}
    out: list[str] = []
    for path in catalogue_files(language):
        for message, text in _read(path, language).items():
            first = seen.setdefault(message, (path.name, text))
            if first[1] != text:
                out.append(
                    f"{path.name}: the '{language}' translation of {message[:60]!r} differs "
                    f"from the one in {first[0]}"
                )
    return out


def tr(language: str, message: str, /, **values: Any) -> str:
    """The sentence ``message`` (its English id) in ``language``, its ``{placeholders}``
    filled from ``values``. A message missing from the catalogue is shown as its id (English)
    rather than not at all; ``make lint`` keeps that from reaching a release."""
    text = _catalogue(language).get(message, message)
    return text.format_map(values)


def placeholders(text: str) -> set[str]:
    """The named placeholders of a message (``{name}`` -> ``name``)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def problems(root: Path) -> list[str]:
    """What is wrong with the catalogues for the code under ``root``: a message the code
    uses that a catalogue lacks, or whose translation has other placeholders."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, str] = {}
    for folder in ("provisioner", "bot", "connectors"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            root / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str):
                found.setdefault(message, f"{folder}/{filename}:{lineno}")
    out: list[str] = []
    for language in LANGUAGES:
        out.extend(conflicts(language))
        catalogue = _catalogue(language)
        for message, where in sorted(found.items(), key=lambda item: item[1]):
            text = catalogue.get(message)
            if text is None:
                out.append(f"{where}: no '{language}' translation of {message[:60]!r}")
            elif placeholders(text) != placeholders(message):
                out.append(
                    f"{where}: the '{language}' translation of {message[:60]!r} has "
                    f"other placeholders"
                )
    return out


def main(argv: list[str]) -> int:
    """``python -m provisioner.i18n check [ROOT]``: exit 1 listing every problem."""
    if not argv or argv[0] != "check":
        print("usage: python -m provisioner.i18n check [ROOT]", file=sys.stderr)
        return 2
    root = Path(argv[1]) if len(argv) > 1 else Path.cwd()
    found = problems(root)
    for line in found:
        print(line, file=sys.stderr)
    print(f"catalogues: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
