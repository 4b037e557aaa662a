"""The bot's conversations, in the order free text is offered to them.

Consent and breach are imported when present, so the bot works while they are written or if
one fails to import for a missing optional piece (the error is logged, not hidden: the flow
is then absent from the bot, and the help text still lists it).
"""

from __future__ import annotations

import importlib
import logging

from bot.conversation import Flow

log = logging.getLogger("provisioner.bot")

OPTIONAL = (("bot.flows.consent", "ConsentFlow"), ("bot.flows.breach", "BreachFlow"))


def available_flows() -> list[Flow]:
    """A fresh instance of every flow: offboarding, consent, breach."""
    from bot.flows.offboarding import OffboardingFlow

    flows: list[Flow] = [OffboardingFlow()]
    for module_name, class_name in OPTIONAL:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            log.warning("flow %s is not installed; the bot runs without it", module_name)
            continue
        flows.append(getattr(module, class_name)())
    return flows
