"""The corpus: scenarios registered once, run through each front end.

    @scenario("defects")
    def new_request_wins(d: Driver, c: Cast) -> None:
        d.as_person(c.leader_a)
        ...

A scenario is a function over a :class:`~tests.conversations.drivers.Driver` and the
:class:`~tests.conversations.world.Cast`; it asserts the replies and the state of the
database. ``xfail`` names a product defect the scenario shows (strict: when the product is
fixed, the mark must go); ``config`` edits the board's ``provisioner.toml`` for the scenario;
``services`` replaces the engine's services (a sync that fails); ``start`` sets the clock.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.services import CoreSync
from tests.conversations.drivers import FRONTS, Driver
from tests.conversations.world import Cast, World, world

Steps = Callable[[Driver, Cast], None]

MODULES = (
    "tests.conversations.defects",
    "tests.conversations.interruptions",
    "tests.conversations.names_dates",
    "tests.conversations.unauthorised",
    "tests.conversations.consent_breach",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    area: str
    steps: Steps
    xfail: str | None = None
    xfail_fronts: tuple[str, ...] = ("console", "slack")
    config: Callable[[str], str] | None = None
    services: Callable[[World], dict[str, Any]] | None = None
    start: Callable[[], datetime] | None = None
    fronts: tuple[str, ...] = ("console", "slack")


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    area: str,
    *,
    xfail: str | None = None,
    xfail_fronts: tuple[str, ...] = ("console", "slack"),
    config: Callable[[str], str] | None = None,
    services: Callable[[World], dict[str, Any]] | None = None,
    start: Callable[[], datetime] | None = None,
) -> Callable[[Steps], Steps]:
    def register(steps: Steps) -> Steps:
        name = steps.__name__
        assert name not in SCENARIOS, f"two scenarios named {name}"
        SCENARIOS[name] = Scenario(name, area, steps, xfail, xfail_fronts, config, services,
                                   start)
        return steps

    return register


def load() -> dict[str, Scenario]:
    for module in MODULES:
        importlib.import_module(module)
    return SCENARIOS


def run(item: Scenario, front: str, folder: Path) -> None:
    with world(folder, config_edit=item.config,
               start=item.start() if item.start is not None else None) as here:
        here.services = (item.services(here) if item.services is not None
                         else {"sync": CoreSync(here.config, here.sessions())})
        driver = FRONTS[front](here)
        try:
            item.steps(driver, here.cast)
        finally:
            driver.close()


# -- the product defects the corpus shows: the reasons of its strict xfails -------------------

LAPSE_ON_SQLITE = (  # interruptions, consent_breach
    "a conversation does not lapse after bot.conversation_minutes (30) but after 90: "
    "chat_conversations.expires_at is an Europe/Amsterdam time, SQLite keeps it without its "
    "offset and the engine reads it back as UTC (engine._utc), so in winter it lives an hour "
    "longer (in summer two). After 31 minutes the next message still answers the old "
    "question (a 'ja' is refused as a stale confirmation and the plan shown afresh; a "
    "breach intake takes 'net' and asks its next question) instead of 'Ons vorige gesprek "
    "... is verlopen'"
)
RETRY_PAUSE_ON_THE_WALL_CLOCK = (  # defects
    "offboarding_run._pausing compares the tick's clock (BotRuntime.tick(now), the engine's "
    "clock) with the wall-clock time at which the offboarding.failed audit event was written, "
    "so with the engine's clock behind the wall clock no retry is ever due: after 1, 2 and 4 "
    "more minutes there is still 1 failed attempt and nobody is told"
)
FOLLOW_UP_WITHOUT_CONTEXT = (  # consent_breach
    "a follow-up question without a photo word (\"En in de nieuwsbrief?\") right after an "
    "answer gets the general help text (data {'help': True}): an answered consent question "
    "keeps no context, so the bot does not relate it to the pupil just asked about"
)
WEBSITE_READ_AS_ENGLISH = (  # consent_breach
    "a Dutch conversation answered with the one word \"website\" is answered in English "
    "(\"Yes, the photo of ... may go on the website\"): bot/language.py counts \"website\" "
    "(and \"social\", \"media\", \"newsletter\") as English only, though Dutch uses "
    "\"website\" and \"social media\" too"
)

PARTICLE_A = (  # names_dates
    "a full name typed exactly as HR writes it, \"Wouter Tjon A Fong gaat per 4 december "
    "uit dienst\", is not an exact match: bot/names.py counts \"a\" as a filler word (the "
    "English article), so the bot asks \"Bedoel je Wouter Tjon A Fong (Groepsleerkracht, "
    "OBS De Regenboog)?\" (data approximate: true) instead of showing the plan"
)


# -- small helpers the scenarios share ------------------------------------------------------


def without_privacy_officer(text: str) -> str:
    """The board's configuration with no privacy officer (FG) in ``[bot]``."""
    changed, count = re.subn(r"(?m)^privacy_officers = \[.*\]$", "privacy_officers = []", text)
    assert count == 1
    return changed
