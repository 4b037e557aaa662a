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

from provisioner.app.bot_services import CoreSync
from tests.conversations.drivers import FRONTS, Driver
from tests.conversations.world import Cast, World, world

Steps = Callable[[Driver, Cast], None]

MODULES = (
    "tests.conversations.defects",
    "tests.conversations.interruptions",
    "tests.conversations.names_dates",
    "tests.conversations.unauthorised",
    "tests.conversations.consent_breach",
    "tests.conversations.consent_recognisable",
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

FOLLOW_UP_WITHOUT_CONTEXT = (  # consent_breach
    "a follow-up question without a photo word (\"En in de nieuwsbrief?\") right after an "
    "answer gets the general help text (data {'help': True}): an answered consent question "
    "keeps no context, so the bot does not relate it to the pupil just asked about"
)



# -- small helpers the scenarios share ------------------------------------------------------


def without_privacy_officer(text: str) -> str:
    """The board's configuration with no privacy officer (FG) in ``[bot]``."""
    changed, count = re.subn(r"(?m)^privacy_officers = \[.*\]$", "privacy_officers = []", text)
    assert count == 1
    return changed
