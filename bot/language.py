"""Which language someone writes in: Dutch (the default) or English.

A small, honest heuristic: count words that occur in only one of the two languages. Short
messages without such words ("ja", "Jan de Vries", "31-12") give no signal, and the
conversation keeps the language it had.
"""

from __future__ import annotations

import re

from bot.conversation import Language

_WORD = re.compile(r"[a-zà-ÿ']+")

#: Everyday words that are English and not Dutch (the bot's own topics included). Words Dutch
#: has borrowed ("website", "social media", "e-mail", "laptop", "usb-stick", "data",
#: "school", "post") are in neither list: a Dutch colleague types them too.
ENGLISH = frozenset(
    """
    the a an is are was were be been can could may might will would should shall do does
    did i my me you your he she his her it its we our they their this that these those
    what who which when where why how and or not no yes please thanks thank help with from
    about for to of on at by as has have had leave leaves leaving left last working day
    today tomorrow yesterday photo picture class group lost stolen sent wrong
    breach consent offboard offboarding newsletter guide
    allowed put there here someone something january february march
    april june july august october
    """.split()  # noqa: SIM905
)

#: Everyday words that are Dutch and not English ("de" and "van" are left out: they are in
#: Dutch names, "Jan de Vries", which English speakers type too).
DUTCH = frozenset(
    """
    het een is zijn was waren ben bent heb hebt heeft hebben kan kun kunt mag mogen moet
    wil ik mijn jij je jouw hij zij haar wij we ons onze jullie hun dit dat deze die wat
    wie welke wanneer waar waarom hoe en of niet geen ja nee alsjeblieft graag bedankt
    dank hulp met voor naar over op bij als uit dienst gaat vertrekt laatste werkdag
    vandaag morgen overmorgen gisteren foto groep klas kwijt gestolen verstuurd verkeerde
    datalek toestemming nieuwsbrief schoolgids iemand iets gegevens januari februari maart
    mei juni juli augustus oktober
    """.split()  # noqa: SIM905
)


def detect_language(text: str) -> str | None:
    """``"en"`` or ``"nl"`` when the text says so; ``None`` when it gives no signal."""
    words = _WORD.findall(text.casefold())
    english = sum(1 for word in words if word in ENGLISH and word not in DUTCH)
    dutch = sum(1 for word in words if word in DUTCH and word not in ENGLISH)
    if english > dutch:
        return "en"
    if dutch > english:
        return "nl"
    return None


def choose_language(text: str, previous: Language | None, default: Language) -> Language:
    """The language to answer in: what the text says, else the conversation's, else the
    board's default. A conversation changes language only on a clear signal (two words more
    of the other language): a one-word answer ("yes", "Instagram") keeps it."""
    words = _WORD.findall(text.casefold())
    english = sum(1 for word in words if word in ENGLISH and word not in DUTCH)
    dutch = sum(1 for word in words if word in DUTCH and word not in ENGLISH)
    margin = 2 if previous is not None else 1
    if english - dutch >= margin:
        return "en"
    if dutch - english >= margin:
        return "nl"
    return previous or default
