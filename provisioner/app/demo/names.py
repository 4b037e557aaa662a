"""Names and days for the demo board: the name lists beside this module, a picker that never
repeats the demo's named people, and random days between two dates."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from functools import cache
from importlib.resources import files

RESERVED_NAMES = frozenset({"Jan de Vries", "Sanne Jansen", "Ömer Çelik", "Anne-Fleur van 't Hek"})


@cache
def name_list(name: str) -> tuple[str, ...]:
    text = files("provisioner.app.demo").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


@cache
def family_names() -> tuple[tuple[str, str], ...]:
    pairs = (line.split("|", 1) for line in name_list("family_names"))
    return tuple((prefix, family) for prefix, family in pairs)


class NamePicker:
    """Random names that never repeat the named people of the demo."""

    def __init__(self, rng: random.Random) -> None:
        self._random = rng.random
        self._family = family_names()
        self._reserved_given = {name.split(" ", 1)[0] for name in RESERVED_NAMES}

    def pick(self, givens: Sequence[str]) -> tuple[str, str, str]:
        while True:
            given = givens[int(self._random() * len(givens))]
            prefix, family = self._family[int(self._random() * len(self._family))]
            if given not in self._reserved_given:
                return given, prefix, family
            full = f"{given} {prefix} {family}" if prefix else f"{given} {family}"
            if full not in RESERVED_NAMES:
                return given, prefix, family


def day_between(rng: random.Random, first: date, last: date) -> date:
    start = first.toordinal()
    return date.fromordinal(start + int(rng.random() * (last.toordinal() - start + 1)))


def shift_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (negative: earlier); 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)
