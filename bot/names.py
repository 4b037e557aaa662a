"""Who is meant: people's names as they are typed in chat, matched against the directory.

``match_people`` reads free text such as "jost de grot gaat uit dienst" (the date already
taken out by :func:`bot.dates.find_day`) and finds "Joost de Groot". Pure: the caller passes
the candidates (e.g. the staff of the asker's locations); nothing here reads the database.

Names are compared folded (:func:`provisioner.directory.fold`: lower case, no accents, so
"rene muller" is "René Müller"; here also "ı" is "i", so "ozlem yilmaz" is "Özlem Yılmaz")
and with hyphens as spaces ("Vries-Bakker" is "vries bakker"). Filler words ("gaat", "uit",
"dienst", "leaves", ...) are ignored; tussenvoegsels ("de", "van", "'t") never are.

What comes back, best first (:class:`NameMatch`):

1. ``exact`` (``NameMatch.exact``): the full name, typed as it is written (folded). An exact
   match beats all partial and fuzzy ones: only the exact ones come back, together with the
   people whose longer name *starts with* the typed full name ("contains", not exact: "Jan
   de Vries" typed, "Jan de Vries-Bakker" exists), so the caller can ask which one is meant.
   "Jan de Vries-Bakker" typed gives only her, not also Jan de Vries.
2. Partial names, written as in the name (never exact: the caller confirms): the name in
   another order ("reordered": "de Groot, Joost"), a given name and the surname without the
   tussenvoegsel ("short": "Joost Groot"), a given name and the surname's initial or an
   initial and the surname ("initial": "Joost G.", "J. de Groot"), a surname alone
   ("surname": "de Groot", "Groot", or a part of a double surname, "Bakker"; not when another
   word stands before it: "piet de groot" is not Joost de Groot). Everyone with that surname
   comes back. A given name alone ("Piet") is not matched: too many people share one; the
   bot asks for the surname.
3. Typos (``fuzzy``): when nothing above matched. The score is rapidfuzz's normalised Indel
   similarity (the measure of ``fuzz.ratio``, 0-100) of the folded name and the typed words,
   in the typed order or with the words sorted (``fuzz.token_sort_ratio``: "de Groot Joost").
   Cut-off 85, tuned on the cases in ``tests/test_bot_names.py``: one or two wrong letters in
   a two- or three-word name score 89-96 ("jost de grot" 92, "sane jansen" 96, "daan smid"
   89); a different given name with the same surname scores below 85 ("piet de groot" for
   Joost de Groot: 81); a given name alone against a full name scores about 50 ("piet" for
   Piet Jansen: 53). Of the names above the cut-off only those needing the fewest edits
   come back: "sane jansen" gives Sanne Jansen (one letter), not also Anne Jansen (two);
   "ann visser" gives Anne Visser and Anna Visser (one each), and the caller asks.
   ``WRatio`` and ``token_set_ratio`` are not used: they score a part of a name 90-100
   ("piet" for "Piet Jansen"), so "Piet" would match everyone called Piet or Pieter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, Literal, Protocol, TypeVar

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from provisioner.directory import fold

# Words in a leaver's message that are no part of a name. Not the tussenvoegsels ("de", "van",
# "ter", "op", "in") nor particles such as "el" and "al" (Mohammed El Amrani).
FILLER = frozenset(
    """
    gaat ga gaan uit dienst uitdienst vertrekt vertrek vertrekken stopt stop stoppen is per met
    ingang vanaf laatste werkdag werkdag dag werkt wil graag melden meld meldt dat collega
    collegas medewerker medewerkster leerkracht juf meester docent docente weg ontslag neemt
    afscheid verlaat verlaten school ons onze mijn hij zij ze hem haar zijn heeft hebben wordt
    worden ik we wij hoi hallo hey beste bot nog ook even en of want omdat pensioen
    account accounts uitschrijven afmelden blokkeren deactiveren graag alsjeblieft aub svp
    leaves leaving left be on as from last working day offboard offboarding please
    colleague teacher staff member our my his her he she they has have is retires retiring
    retirement resigns resigned quits quitting hi hello dear the and a to of can you
    """.split()  # noqa: SIM905
)
TUSSENVOEGSELS = frozenset(
    "de den der van von vande vanden t te ten ter het in op la le du da di dos del".split()  # noqa: SIM905
)
# See the module docstring: the scores of real typos and of different people around it.
FUZZY_CUTOFF = 85.0
ORDINALS = {
    "eerste": 1, "first": 1, "tweede": 2, "second": 2, "derde": 3, "third": 3,
    "vierde": 4, "fourth": 4, "vijfde": 5, "fifth": 5, "zesde": 6, "sixth": 6,
}  # fmt: skip
LAST_WORDS = frozenset({"laatste", "last"})

MatchKind = Literal["exact", "contains", "reordered", "short", "initial", "surname", "fuzzy"]
SCORES: dict[MatchKind, float] = {
    "exact": 100.0, "contains": 95.0, "reordered": 98.0, "short": 95.0, "initial": 92.0,
    "surname": 90.0,
}  # fmt: skip


class HasDisplay(Protocol):
    @property
    def display(self) -> str: ...


class Candidate(Protocol):
    """What a person needs to be matched: a key and a name (e.g. ``StaffEntry``)."""

    @property
    def key(self) -> str: ...

    @property
    def name(self) -> HasDisplay: ...


P = TypeVar("P", bound=Candidate)


@dataclass(frozen=True)
class NameMatch(Generic[P]):
    person: P
    score: float  # 0-100
    exact: bool  # the full name was typed: no need to confirm who is meant
    kind: MatchKind

    @property
    def key(self) -> str:
        return self.person.key


@dataclass(frozen=True)
class _Name:
    """A candidate's name in words: "Jan de Vries-Bakker" -> given ("jan",),
    prefix ("de",), family ("vries", "bakker")."""

    words: tuple[str, ...]
    given: tuple[str, ...]
    prefix: tuple[str, ...]
    family: tuple[str, ...]

    @property
    def short(self) -> tuple[str, ...]:
        return self.given + self.family

    def surnames(self) -> set[tuple[str, ...]]:
        """ "de vries bakker", "vries bakker", "vries", "bakker", "de vries"."""
        forms = {self.prefix + self.family, self.family}
        forms |= {(part,) for part in self.family if len(part) >= 3}
        if self.family:
            forms.add(self.prefix + self.family[:1])
        return {form for form in forms if form}


def match_people(candidates: Sequence[P], text: str, *, limit: int = 6) -> list[NameMatch[P]]:
    """The people ``text`` names, best first, at most ``limit`` (see the module docstring)."""
    everything = words(text)
    content = [w for w in everything if w not in FILLER]
    if not content:
        return []
    names = [_name(person.name.display) for person in candidates]
    spans: list[tuple[NameMatch[P], range]] = []
    for person, name in zip(candidates, names, strict=True):
        # A name may hold a word that is filler elsewhere ("Tjon A Fong", "Van Dijk-Op"): the
        # full name as typed, filler and all, is exact too.
        span = _run(content, name.words)
        if span is None and _run(everything, name.words) is not None:
            span = range(0, len(content))  # the whole name was typed: nothing outside it
        if span is not None:
            spans.append((NameMatch(person, SCORES["exact"], True, "exact"), span))
        elif (span := _starts_name(content, name)) is not None:
            spans.append((NameMatch(person, SCORES["contains"], False, "contains"), span))
    if not spans:
        for person, name in zip(candidates, names, strict=True):
            partial = _partial(content, name)
            if partial is not None:
                spans.append((NameMatch(person, SCORES[partial[0]], False, partial[0]), partial[1]))
    # "Jan de Vries-Bakker" typed: not also Jan de Vries, whose name is only a part of it.
    found = [m for m, span in spans if not any(_inside(span, other) for _, other in spans)]
    if not found:
        found = _fuzzy(candidates, names, content)
    found.sort(key=lambda m: (not m.exact, -m.score, fold(m.person.name.display)))
    return found[:limit]


def match_one_of(candidates: Sequence[P], text: str) -> P | None:
    """The one of a shown list that ``text`` picks: "2", "de tweede", "nummer 2", "the
    second", "de laatste", or (a part of) a name ("Bakker", "Anna"). None if it picks none or
    more than one."""
    typed = words(text)
    number = _ordinal(text, typed)
    if number is not None:
        return candidates[number - 1] if 1 <= number <= len(candidates) else None
    if typed and LAST_WORDS & set(typed) and len(typed) <= 2 and candidates:
        return candidates[-1]
    matches = match_people(candidates, text, limit=len(candidates))
    exact = [m for m in matches if m.exact]
    if len(exact) == 1:
        return exact[0].person
    if len(matches) == 1:
        return matches[0].person
    content = {w for w in typed if w not in FILLER and w not in TUSSENVOEGSELS}
    if not content:
        return None
    having = [p for p in candidates if content <= set(_name(p.name.display).words)]
    return having[0] if len(having) == 1 else None


def words(text: str) -> list[str]:
    """The folded words of ``text``: no digits, hyphens as spaces ("Vries-Bakker" is two)."""
    folded = fold(text.replace("-", " ").replace("ı", "i"))
    found = (w.strip("'") for w in re.findall(r"[\w']+", folded))
    return [w for w in found if w and not any(c.isdigit() or c == "_" for c in w)]


# -- the kinds of match ---------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _name(display: str) -> _Name:
    parts = display.split()
    given = tuple(words(parts[0])) if parts else ()
    rest = [w for part in parts[1:] for w in words(part)]
    prefix: list[str] = []
    while rest[:-1] and rest[0] in TUSSENVOEGSELS:
        prefix.append(rest.pop(0))
    return _Name(tuple(words(display)), given, tuple(prefix), tuple(rest))


def _run(typed: Sequence[str], run: Sequence[str]) -> range | None:
    """Where the words ``run`` stand in ``typed`` (the first time), as a range of indexes."""
    size = len(run)
    for i in range(len(typed) - size + 1 if size else 0):
        if tuple(typed[i : i + size]) == tuple(run):
            return range(i, i + size)
    return None


def _inside(span: range, other: range) -> bool:
    """``span`` is a strict part of ``other``."""
    return span != other and other.start <= span.start and span.stop <= other.stop


def _starts_name(content: Sequence[str], name: _Name) -> range | None:
    """The typed words are the start of a longer name, given name and a surname word
    included: "jan de vries" for "Jan de Vries-Bakker"."""
    for size in range(len(name.words) - 1, len(name.given) + len(name.prefix), -1):
        span = _run(content, name.words[:size])
        if span is not None:
            return span
    return None


def _partial(content: Sequence[str], name: _Name) -> tuple[MatchKind, range] | None:
    if not name.family:
        return None
    span = _run(content, name.short)
    if span is not None:
        return "short", span  # Joost Groot
    for form in (name.words, name.short):
        for start in range(len(content) - len(form) + 1):
            if sorted(content[start : start + len(form)]) == sorted(form):
                return "reordered", range(start, start + len(form))  # de Groot, Joost
    for middle in ((), name.prefix):
        span = _run(content, (*name.given, *middle, name.family[0][0]))
        if span is not None:
            return "initial", span  # Joost G., Joost de G.
    for surname in sorted(name.surnames(), key=len, reverse=True):
        span = _run(content, surname)
        if span is None:
            continue
        if span.start == 0:
            return "surname", span  # de Groot
        before = content[span.start - 1]
        if name.given and before == name.given[0][0]:
            return "initial", range(span.start - 1, span.stop)  # J. de Groot
    return None


def _fuzzy(
    candidates: Sequence[P], names: Sequence[_Name], content: Sequence[str]
) -> list[NameMatch[P]]:
    """Every run of one word fewer to one word more than a name (full, or without the
    tussenvoegsel) against it, in the typed order and with the words sorted."""
    forms = [(i, form) for i, name in enumerate(names) for form in {name.words, name.short}]
    in_order = [" ".join(form) for _, form in forms]
    by_word = [" ".join(sorted(form)) for _, form in forms]
    longest = max((len(form) for _, form in forms), default=0)
    best: dict[int, tuple[float, int]] = {}  # candidate -> (score, edits)
    for size in range(1, min(longest + 1, len(content)) + 1):
        for start in range(len(content) - size + 1):
            window = content[start : start + size]
            queries = ((" ".join(window), in_order), (" ".join(sorted(window)), by_word))
            for query, choices in queries:
                for _, score, f in process.extract_iter(
                    query, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
                ):
                    person, form = forms[f]
                    if abs(len(form) - size) > 1:
                        continue
                    if person not in best or score > best[person][0]:
                        best[person] = (score, Indel.distance(query, choices[f]))
    if not best:
        return []
    fewest = min(edits for _, edits in best.values())
    return [
        NameMatch(candidates[i], round(score, 1), False, "fuzzy")
        for i, (score, edits) in best.items()
        if edits == fewest
    ]


def _ordinal(text: str, typed: Sequence[str]) -> int | None:
    """ "2", "nr. 2", "#2", "de 2e", "de tweede", "the second one"."""
    numbers = re.findall(r"(?<!\d)(\d{1,2})(?:e|ste|de|st|nd|rd|th)?(?![\d\w])", fold(text))
    if len(numbers) == 1:
        return int(numbers[0])
    ordinals = [ORDINALS[w] for w in typed if w in ORDINALS]
    if len(ordinals) == 1:
        return ordinals[0]
    return None
