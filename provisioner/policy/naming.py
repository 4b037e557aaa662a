"""Account names: a template turns a Dutch name into a username; collisions get 2, 3, ...

Pure functions, no I/O. The rules follow the HelloID reference rules most Dutch school
boards start from (research notes, section 10): lower case, diacritics removed, only
``a-z 0-9 . - _`` kept, at most 64 characters, and a collision suffix that starts at 2.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

from provisioner.domain.models import PersonKind, PersonName
from provisioner.planning.gc_pause import without_gc
from provisioner.planning.models import DesiredAccount

#: Longest username (UPN local part) the targets accept.
MAX_LENGTH = 64
#: The fields a naming template may use.
TEMPLATE_FIELDS = frozenset({"given", "initial", "prefix", "family", "id"})
#: Used only when both the name and the id reduce to nothing; the suffix keeps it unique.
LAST_RESORT = "user"

# Letters that NFKD does not decompose. ĳ needs no entry: NFKD turns it into "ij".
_LETTERS = str.maketrans(
    {
        "ß": "s",
        "æ": "a",
        "œ": "o",
        "ø": "o",
        "ı": "i",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "n",
        "ĸ": "k",
        "ƒ": "f",
        # Typographic hyphens (e.g. a non-breaking hyphen in "Anne‑Fleur") and dashes.
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
    }
)
_NOT_ALLOWED = re.compile(r"[^a-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")
_EDGES = ".-"


@dataclass(frozen=True, slots=True)
class NameRequest:
    """A person who needs a username: board-wide key, name, template and id for ``{id}``."""

    key: str  # "staff:1234" or "pupil:5678"
    name: PersonName
    template: str  # e.g. "{given}.{prefix}{family}"
    ident: str  # employee number or SIS id, available to templates as {id}


@without_gc
def naming_requests(
    accounts: Iterable[DesiredAccount], *, staff_template: str, pupil_template: str
) -> list[NameRequest]:
    """A request for every account, with the template of its kind."""
    pupil = PersonKind.PUPIL
    return [
        NameRequest(a.key, a.name, pupil_template if a.kind is pupil else staff_template, a.ident)
        for a in accounts
    ]


def check_template(template: str) -> None:
    """Raise ValueError unless ``template`` is text with fields from TEMPLATE_FIELDS (no
    format specs or conversions: ``{initial}`` covers "first letter")."""
    _compile(template)


@dataclass(frozen=True, slots=True)
class _Template:
    """A checked template for str.format; its literal text is already cleaned (no braces)."""

    text: str
    uses_initial: bool
    uses_id: bool


@lru_cache(maxsize=64)
def _compile(template: str) -> _Template:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"naming template {template!r} is malformed: {exc}") from None
    text: list[str] = []
    fields: set[str] = set()
    for literal, field, spec, conversion in parsed:
        text.append(_clean(literal))  # cleaning leaves no braces to escape
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS:
            allowed = ", ".join("{" + name + "}" for name in sorted(TEMPLATE_FIELDS))
            raise ValueError(
                f"naming template {template!r} uses {{{field}}}; allowed fields: {allowed}"
            )
        if spec or conversion:
            raise ValueError(
                f"naming template {template!r}: {{{field}}} may not have a format spec"
                " or conversion"
            )
        text.append("{" + field + "}")
        fields.add(field)
    return _Template("".join(text), "initial" in fields, "id" in fields)


@lru_cache(maxsize=16384)
def _clean(text: str) -> str:
    """Lower case, diacritics removed, only ``a-z 0-9 . - _`` kept.

    NFKD splits "ö" into "o" plus a combining mark; the mark, like every other character
    outside the allowed set (spaces, apostrophes, other scripts), is then dropped.
    """
    if text.isascii():  # the common case needs neither NFKD nor the table
        return _NOT_ALLOWED.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return _NOT_ALLOWED.sub("", decomposed.lower().translate(_LETTERS))


def _tidy(text: str) -> str:
    """Collapse repeated dots, strip dots and hyphens at both ends, cap the length."""
    if ".." in text:
        text = _DOTS.sub(".", text)
    return text.strip(_EDGES)[:MAX_LENGTH].rstrip(_EDGES)


def username_base(name: PersonName, template: str, ident: str) -> str:
    """The username a template gives this person, before any collision suffix.

    Fields: ``{given}``, ``{initial}`` (first letter of the given name), ``{prefix}`` (the
    tussenvoegsel, spaces removed), ``{family}`` and ``{id}``. "Anne-Fleur van 't Hek"
    gives "anne-fleur.vanthek". A name that reduces to nothing (e.g. written only in a
    non-Latin script) falls back to the cleaned id, and to LAST_RESORT if that is empty too,
    so the result always matches ``^[a-z0-9._-]{1,64}$``. Raises ValueError for a bad template.
    """
    compiled = _compile(template)
    given = _clean(name.given)
    text = compiled.text.format(
        given=given,
        initial=_initial(given) if compiled.uses_initial else "",
        prefix=_clean(name.prefix),
        family=_clean(name.family),
        id=_clean(ident) if compiled.uses_id else "",
    )
    return _tidy(text) or _tidy(_clean(ident)) or LAST_RESORT


def _initial(given: str) -> str:
    return next((ch for ch in given if ch.isalnum()), "")


def _with_suffix(base: str, number: int) -> str:
    """``base`` + number, the base shortened (and any dot or hyphen it ends on dropped)
    so the whole stays within MAX_LENGTH."""
    suffix = str(number)
    return base[: MAX_LENGTH - len(suffix)].rstrip(_EDGES) + suffix


def _is_variant(username: str, base: str) -> bool:
    """True if ``username`` is ``base`` or ``base`` with a collision suffix (2, 3, ...)."""
    username = username.lower()
    if username == base:
        return True
    start = len(username)
    while start > 0 and "0" <= username[start - 1] <= "9":
        start -= 1
    for cut in range(start, len(username)):
        digits = username[cut:]
        if digits[0] != "0" and int(digits) >= 2 and _with_suffix(base, int(digits)) == username:
            return True
    return False


@without_gc
def assign_usernames(
    requests: Sequence[NameRequest],
    existing: Mapping[str, str],
    taken: AbstractSet[str],
    *,
    rename_on_name_change: bool = False,
) -> dict[str, str]:
    """A username for every request key, unique within the call and against the targets.

    ``existing`` maps keys to the names they already have; ``taken`` holds every name in use
    in the targets (managed or not), compared case-insensitively. A key in ``existing``
    keeps its name; with ``rename_on_name_change`` it gets a new one when its template base
    no longer matches that name (collision suffix ignored). Every name in ``existing`` stays
    reserved, including the old names of renamed keys. New names are the base if free, else
    base2, base3, ...; staff are named before pupils (a teacher's address is the one parents
    and colleagues see), each in sorted key order, so the order of ``requests`` does not
    matter. Raises ValueError for a duplicate key or a bad template.
    """
    by_key: dict[str, NameRequest] = {}
    for request in requests:
        if request.key in by_key:
            raise ValueError(f"two naming requests for {request.key}")
        by_key[request.key] = request

    reserved = {name.lower() for name in taken}
    reserved.update(name.lower() for name in existing.values())
    # staff first, then everyone else; within each, by key (no key tuple per person)
    staff = sorted(key for key in by_key if key.startswith("staff:"))
    others = sorted(key for key in by_key if not key.startswith("staff:"))
    result = dict.fromkeys(staff, "")  # filled below, in this order
    result.update(dict.fromkeys(others, ""))
    to_name: list[tuple[str, str]] = []
    for key in result:
        current = existing.get(key)
        if current and not rename_on_name_change:
            result[key] = current
            continue
        request = by_key[key]
        base = username_base(request.name, request.template, request.ident)
        if current and _is_variant(current, base):
            result[key] = current
        else:
            to_name.append((key, base))

    # Per base, the lowest suffix not yet known to be in use: probing never starts over.
    next_suffix: dict[str, int] = {}
    for key, base in to_name:
        number = next_suffix.get(base)
        if number is None and base not in reserved:
            candidate = base
            next_suffix[base] = 2
        else:
            number = number or 2
            while (candidate := _with_suffix(base, number)) in reserved:
                number += 1
            next_suffix[base] = number + 1
        reserved.add(candidate)
        result[key] = candidate
    return result
