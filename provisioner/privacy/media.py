"""The media a school asks photo consent for (media, middelen), and the words people use for them.

A school asks consent per medium (002 §7, 004): the website, the newsletter (*nieuwsbrief*),
the school guide (*schoolgids*), a folder, social media, the parent app (*ouderapp*). Consent
for the website does not cover Facebook. Some purposes need no consent at all: use in class
(*gebruik in de klas*), the photo in the pupil administration (*administratiefoto*) and
the school pass (*schoolpas*): identification, not publication. The class photo handed to
all families is a publication and needs consent (Kennisnet, citing the AP: seed 001/004 and
docs/consent.md).

The catalogue is configuration (``[consent]`` in provisioner.toml, board-wide or per location);
:data:`DEFAULT_MEDIA` is used when a board configures none. :func:`normalise_medium` maps free
text in Dutch or English ("op Insta", "in de nieuwsbrief", "the class photo on the website")
to one medium. The SIS's own medium names ("Foto's op de website") go through the same
function, so answers stored under any of them count for the medium.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from provisioner.config import ConsentConfig, MediumConfig

#: Single words at least this long also match as the start of a longer word
#: ("websites", "facebookpagina", "foldertje").
_PREFIX_MIN = 5


@dataclass(frozen=True)
class Medium:
    """One medium or purpose (middel) in a school's catalogue.

    ``name`` is the canonical name, the one the SIS uses (``"social media"``), and what the
    register, the CLI and the bot report. ``needs_consent`` is False for purposes without
    publication (use in class, the administration photo).
    """

    name: str
    label_nl: str
    label_en: str
    synonyms: tuple[str, ...] = ()
    needs_consent: bool = True

    def label(self, language: str) -> str:
        """The name to show in a sentence: "de nieuwsbrief" / "the newsletter"."""
        return self.label_en if language == "en" else self.label_nl


def normalise_text(text: str) -> str:
    """Lower case, no accents, words separated by single spaces (punctuation dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


class Catalogue:
    """The media of one school, with every phrase that names one of them."""

    def __init__(self, media: Iterable[Medium]) -> None:
        self.media: tuple[Medium, ...] = tuple(media)
        self._by_name: dict[str, Medium] = {}
        self._phrases: dict[tuple[str, ...], Medium] = {}
        for medium in self.media:
            key = normalise_text(medium.name)
            if key in self._by_name:
                raise ValueError(f"medium '{medium.name}' is listed twice")
            self._by_name[key] = medium
        for medium in self.media:
            for phrase in (medium.name, *medium.synonyms):
                words = tuple(normalise_text(phrase).split())
                if not words:
                    continue
                other = self._phrases.setdefault(words, medium)
                if other is not medium:
                    raise ValueError(f"'{phrase}' names both '{other.name}' and '{medium.name}'")
        self._longest = max((len(p) for p in self._phrases), default=0)
        self._stems = [
            (p[0], m) for p, m in self._phrases.items() if len(p) == 1 and len(p[0]) >= _PREFIX_MIN
        ]

    def get(self, name: str) -> Medium | None:
        """The medium with this canonical name (any case or accents)."""
        return self._by_name.get(normalise_text(name))

    def find(self, text: str) -> list[Medium]:
        """Every distinct medium named in ``text``, in order of appearance.

        At each word the longest phrase wins ("social schools" is the parent app, not
        social media); a matched phrase is not searched again inside.
        """
        found: list[Medium] = []
        for _, _, medium in self.spans(normalise_text(text).split()):
            if medium not in found:
                found.append(medium)
        return found

    def spans(self, words: Sequence[str]) -> list[tuple[int, int, Medium]]:
        """Where media are named in normalised ``words``: (start, end, medium), end exclusive."""
        spans: list[tuple[int, int, Medium]] = []
        i = 0
        while i < len(words):
            match: tuple[int, Medium] | None = None
            for size in range(min(self._longest, len(words) - i), 0, -1):
                medium = self._phrases.get(tuple(words[i : i + size]))
                if medium is not None:
                    match = (size, medium)
                    break
            if match is None:
                medium = self._prefix_match(words[i])
                if medium is not None:
                    match = (1, medium)
            if match is None:
                i += 1
                continue
            spans.append((i, i + match[0], match[1]))
            i += match[0]
        return spans

    def _prefix_match(self, word: str) -> Medium | None:
        best: tuple[int, Medium] | None = None
        for stem, medium in self._stems:
            if word.startswith(stem) and (best is None or len(stem) > best[0]):
                best = (len(stem), medium)
        return best[1] if best else None


def normalise_medium(text: str, catalogue: Catalogue) -> Medium | None:
    """The one medium ``text`` names, in Dutch or English; None when it names none or several.

    When the text names a medium that needs consent as well as a purpose that does not ("in
    de klas"), the medium counts: publishing is what needs checking.

    >>> normalise_medium("mag het op Instagram?", Catalogue(DEFAULT_MEDIA)).name
    'social media'
    """
    exact = catalogue.get(text)
    if exact is not None:
        return exact
    found = catalogue.find(text)
    published = [m for m in found if m.needs_consent]
    if published and len(published) < len(found):
        found = published  # "a photo taken in class, on Instagram": the publication counts
    return found[0] if len(found) == 1 else None


#: The catalogue when the board configures none: the media of the seeds' consent forms.
DEFAULT_MEDIA: tuple[Medium, ...] = (
    Medium(
        "website", "de website", "the website",
        ("site", "schoolwebsite", "schoolsite", "web site", "webpagina", "homepage"),
    ),
    Medium(
        "nieuwsbrief", "de nieuwsbrief", "the newsletter",
        ("nieuwsbrieven", "newsletter", "newsletters", "weekbrief", "maandbrief",
         "infobrief", "schoolnieuwsbrief"),
    ),
    Medium(
        "schoolgids", "de schoolgids", "the school guide",
        ("school gids", "schoolgidsen", "school guide", "schoolguide", "prospectus"),
    ),
    Medium(
        "folder", "een folder", "a brochure",
        ("folders", "foldertje", "flyer", "flyers", "brochure", "brochures", "leaflet"),
    ),
    Medium(
        "social media", "sociale media", "social media",
        ("sociale media", "socials", "social", "facebook", "fb", "instagram", "insta",
         "tiktok", "tik tok", "x", "twitter", "linkedin", "youtube", "snapchat", "bluesky"),
    ),
    Medium(
        "ouderapp", "de ouderapp", "the parent app",
        ("ouder app", "ouderportaal", "parro", "parent app", "parents app", "parent portal",
         "social schools", "klasbord", "schoolapp", "school app", "digiduif"),
    ),
    Medium(
        "gebruik in de klas", "gebruik in de klas", "use in class",
        ("in de klas", "in de les", "klassengebruik", "digibord", "op het digibord",
         "in class", "in the classroom", "classroom use", "class use", "in lessons"),
        needs_consent=False,
    ),
    Medium(
        "administratiefoto", "de administratiefoto", "the administration photo",
        ("administratie foto", "leerlingadministratie", "administratie",
         "administration photo", "administration", "pupil records", "student records",
         "school records"),
        needs_consent=False,
    ),
    Medium(
        "schoolpas", "de schoolpas", "the school pass",
        ("schoolpasje", "leerlingenpas", "leerlingpas", "leerlingenpasje", "pasfoto",
         "school pass", "school card", "student card", "pupil pass", "id card"),
        needs_consent=False,
    ),
    Medium(
        "klassenfoto voor gezinnen", "de klassenfoto voor alle gezinnen",
        "the class photo for all families",
        ("klassenfoto voor alle gezinnen", "klassenfoto voor de gezinnen",
         "klassenfoto voor alle ouders", "klassenfoto voor de ouders", "schoolfotograaf",
         "class photo for families", "class photo for all families",
         "class photo for the families", "class photo for all parents", "school photographer"),
    ),
)  # fmt: skip


def catalogue_from(media: Sequence[MediumConfig] | None) -> Catalogue:
    """A catalogue from configured media; the default catalogue when None."""
    if media is None:
        return Catalogue(DEFAULT_MEDIA)
    return Catalogue(
        Medium(
            m.name,
            m.label_nl or m.name,
            m.label_en or m.name,
            tuple(m.synonyms),
            m.needs_consent,
        )
        for m in media
    )


def catalogue_for(config: ConsentConfig, location: str | None) -> Catalogue:
    """The catalogue of one location (BRIN6): its own media, else the board's."""
    own = config.locations.get(location) if location else None
    media = own.media if own is not None and own.media is not None else config.media
    return catalogue_from(media)
