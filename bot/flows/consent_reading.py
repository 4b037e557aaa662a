"""Reading a consent question in chat (pure, or with the directory): group code, name words,
media; the pupils who will not be recognisable ("behalve Sanne, die staat er onherkenbaar
op", "except Sanne and Noah, they are not recognisable"); a medium the school does not know.

The exclusion clause is read before the question itself, so that its names are not taken
for the subject's name and its words ("staat", "onherkenbaar") do not hide the subject.
Excluded names are matched against the group's own pupils only, allowing a typo ("Sane"
for Sanne) when exactly one pupil of the group is that close.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from provisioner.directory import Directory, GroupEntry, PupilEntry
from provisioner.privacy.media import Catalogue, Medium, normalise_text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words of a consent question that are never part of a pupil's name (normalised).
FILLER = _words(
    """
    mag mogen magik kan kun kunnen ik je jij u we wij de het een deze die dit dat er ook wel
    nog even graag vraag hoi hallo hey foto fotos fotootje fotootjes beeld beelden
    beeldmateriaal video videos filmpje film opname opnames van op in voor naar zetten zet
    gezet plaatsen plaats gebruiken gebruik delen posten publiceren toestemming is heeft
    hebben en of met bij mijn onze leerling leerlingen kind kinderen worden wordt s
    can could may might i you the a an photo photos picture pictures pic pics image images
    of on in for to go goes put post posted use used share publish are there consent does
    do did have has allowed ok okay it this that and or with my our pupil pupils student
    students child children kid kids please hi hello check be
    """
)
#: Words that say the question is about a whole group ("groep 5b", "the 7a class photo").
GROUP_WORDS = _words(
    """
    groep group klas class klassenfoto klasfoto klassefoto groepsfoto classphoto groupphoto
    """
)
#: A group's code: "5b", "7a", "h3a", "2hv1".
_GROUP_CODE = re.compile(r"^(?=[a-z0-9]{1,5}$)[a-z]{0,3}[0-9]{1,2}[a-z0-9]{0,2}$")
WANTS = re.compile(
    r"\b(foto|foto's|fotos|fotootje|beeldmateriaal|video|filmpje|toestemming|klassenfoto|"
    r"groepsfoto|photo|photos|picture|pictures|pic|image|consent)\b",
    re.IGNORECASE,
)


#: Words that may follow a medium in an answer without making it a new question.
POLITE = _words(
    """
    dank bedankt dankjewel dankjewel thanks thank alsjeblieft alstublieft aub svp ja prima
    """
)
#: At "which pupil or group?", an answer of more name-like words than this is a sentence,
#: not a name ("Jan de Vries gaat per 1 december uit dienst").
MAX_NAME_WORDS = 4


@dataclass(frozen=True)
class Question:
    """What one message says: a group code, the words that may be a name, the media named."""

    group_code: str | None
    name_words: tuple[str, ...]
    media: tuple[Medium, ...]


def read_question(text: str, catalogue: Catalogue) -> Question:
    """Split a message into group code, name words and media (pure)."""
    words = normalise_text(text).split()
    spans = catalogue.spans(words)
    in_medium = {i for start, end, _ in spans for i in range(start, end)}
    media: list[Medium] = []
    for _, _, medium in spans:
        if medium not in media:
            media.append(medium)
    published = [m for m in media if m.needs_consent]
    if published and len(published) < len(media):
        media = published  # "a photo taken in class, on Instagram": the publication counts
    rest = [w for i, w in enumerate(words) if i not in in_medium]
    codes = [
        w
        for n, w in enumerate(rest)
        if _GROUP_CODE.match(w)
        and any(c.isdigit() for c in w)
        and (not w.isdigit() or (n > 0 and rest[n - 1] in GROUP_WORDS))
    ]
    group_code = codes[0] if codes else None
    names = tuple(
        w
        for w in rest
        if w not in FILLER and w not in GROUP_WORDS and not any(c.isdigit() for c in w)
    )
    return Question(group_code, names, tuple(media))


def pick_typed(text: str, choices: list[str], labels: list[str]) -> str | None:
    """The choice a typed answer names: its number, or words found in one label only
    ("2", "Noah de Vries (Groep 7a)", "die van 7a")."""
    typed = text.strip().rstrip(".")
    if typed.isdigit():
        return choices[int(typed) - 1] if 1 <= int(typed) <= len(choices) else None
    words = normalise_text(typed)
    if not words:
        return None
    hits = [c for c, label in zip(choices, labels, strict=False) if words in normalise_text(label)]
    if not hits:  # every meaningful word in the label: "die van 7a", "7a"
        meaningful = set(words.split()) - FILLER
        hits = [c for c, label in zip(choices, labels, strict=False)
                if meaningful and meaningful <= set(normalise_text(label).split())]  # fmt: skip
    return hits[0] if len(hits) == 1 else None


def pupil_label(pupil: PupilEntry, group: GroupEntry | None) -> str:
    return f"{pupil.name.display} ({group.name})" if group else pupil.name.display


def groups_of(directory: Directory, pupils: Sequence[PupilEntry]) -> dict[str, GroupEntry]:
    groups: dict[str, GroupEntry] = {}
    for group_id in {p.group_id for p in pupils if p.group_id}:
        group = directory.group(group_id)
        if group is not None:
            groups[group_id] = group
    return groups


def name_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in normalise_text(text).split() if w not in FILLER)


def find_pupils(directory: Directory, words: tuple[str, ...]) -> list[PupilEntry]:
    """Active pupils named by all of ``words``; else by the longest run of at least two of
    them that names someone (a stray word such as "school" must not hide the name)."""
    runs = [words] + [
        words[i : i + size]
        for size in range(len(words) - 1, 1, -1)
        for i in range(len(words) - size + 1)
    ]
    for run in runs:
        pupils = [p for p in directory.find_pupils(" ".join(run)) if p.active]
        if pupils:
            return pupils
    return []


# -- who will not be recognisable -------------------------------------------------------------

#: Says a pupil will not be recognisable in the image (blurred, from behind, cut off).
UNRECOGNISABLE = re.compile(
    r"onherkenba\w*|niet\s+herkenbaar|niet\s+te\s+herkennen|wazig\w*|op\s+de\s+rug"
    r"|van\s+achteren|weggeknipt|afgesneden|unrecogni[sz]able|not\s+recogni[sz]able"
    r"|can'?t\s+be\s+recogni[sz]ed|cannot\s+be\s+recogni[sz]ed|blurr?(?:ed|y)"
    r"|from\s+behind|cropped|cut\s+off",
    re.IGNORECASE,
)
#: Opens the list of pupils left out: "behalve Sanne", "except (for) Sanne", "maar niet Sanne".
EXCEPT = re.compile(r"\b(?:behalve|uitgezonderd|except(?:\s+for)?|maar\s+niet|but\s+not)\b",
                    re.IGNORECASE)  # fmt: skip
#: Words that end the names of an exclusion ("..., die staat er onherkenbaar op").
NAME_STOP = _words(
    """
    die dat ze zij hij staat staan stond is zijn are will wordt worden want omdat
    because who she he they them her him op in on at as alleen only wel
    """
)
_SEPARATORS = re.compile(r",|\ben\b|\band\b|&|\+", re.IGNORECASE)
_CLAUSE = re.compile(r"[^.?!;]+[.?!;]*")
FUZZY = 0.8


@dataclass(frozen=True)
class Exclusion:
    """A message split into the question and who will not be recognisable in the image."""

    question: str  # the message without the exclusion and recognisability words
    names: tuple[tuple[str, ...], ...]  # the normalised name words of each pupil left out
    unrecognisable: bool  # the message says someone will not be recognisable


def _leading_names(text: str) -> list[tuple[str, ...]]:
    """The names at the start of ``text``: parts separated by commas and "en"/"and", each
    up to a word that is no part of a name; stops at a part that starts with one."""
    names: list[tuple[str, ...]] = []
    text = UNRECOGNISABLE.sub(" die ", text)  # "Sanne (onherkenbaar)": the name ends there
    for part in _SEPARATORS.split(text):
        words = normalise_text(part).split()
        name: list[str] = []
        stopped = False
        for word in words:
            if word in NAME_STOP:
                stopped = True
                break
            if word not in FILLER:  # "de", "van": part of a name, but not matched on
                name.append(word)
        if name:
            names.append(tuple(name))
        if stopped or not name:
            break
    return names


def read_exclusion(text: str) -> Exclusion:
    """Find "behalve X (en Y), die staan er onherkenbaar op" and "X staat er onherkenbaar
    op" in ``text``; what remains is the question. Pure."""
    names: list[tuple[str, ...]] = []
    kept: list[str] = []
    unrecognisable = bool(UNRECOGNISABLE.search(text))
    for clause in _CLAUSE.findall(text):
        found = EXCEPT.search(clause)
        if found is not None:
            after = clause[found.end() :]
            leading = _leading_names(after)
            names.extend(leading)
            remainder = after
            for name in leading:  # drop the names, keep what follows ("op de website")
                for word in name:
                    remainder = re.sub(rf"(?i)\b{re.escape(word)}\b", " ", remainder, count=1)
            clause = clause[: found.start()] + " " + _SEPARATORS.sub(" ", remainder)
        elif UNRECOGNISABLE.search(clause) and not WANTS.search(clause):
            names.extend(_leading_names(clause))  # "Sanne staat er onherkenbaar op."
            continue
        kept.append(UNRECOGNISABLE.sub(" ", clause))
    unique = tuple(dict.fromkeys(names))
    return Exclusion(" ".join(kept), unique, unrecognisable)


def match_in_group(
    names: Sequence[Sequence[str]], pupils: Sequence[PupilEntry]
) -> tuple[list[PupilEntry], list[str]]:
    """The group's pupils each name means, and the names that match none or several. A name
    matches a pupil whose name has all its words; else, for a typo, whose every word is
    close to one of the pupil's (exactly one such pupil)."""
    found: list[PupilEntry] = []
    unmatched: list[str] = []
    for words in names:
        exact = [p for p in pupils if set(words) <= set(name_words(p.name.display))]
        close = exact or [p for p in pupils if _close(words, name_words(p.name.display))]
        if len(close) == 1:
            if close[0] not in found:
                found.append(close[0])
        else:
            unmatched.append(" ".join(words))
    return found, unmatched


def _close(words: Sequence[str], name: Sequence[str]) -> bool:
    return bool(words) and all(
        any(SequenceMatcher(None, w, n).ratio() >= FUZZY for n in name) for w in words
    )


#: "in de wervingsfolder", "op het prikbord", "for the yearbook": where a photo would go.
_PLACE = re.compile(
    r"\b(?:in|op|on|voor|for|naar)\s+(?:de|het|een|onze|the|a|an|our)\s+([a-z][a-z0-9-]{3,})\b"
)


def unknown_medium(text: str, catalogue: Catalogue) -> str | None:
    """The word of a place for the photo that is no medium of the catalogue, if the message
    names no medium at all ("Mag de foto van Sanne in de wervingsfolder?")."""
    plain = normalise_text(text)
    if catalogue.find(plain):
        return None
    for word in _PLACE.findall(plain):
        if word not in FILLER and word not in GROUP_WORDS:
            return str(word)
    return None
