"""``[retention]``: the board's retention table (DOMAIN.md, seed 002 §10.3, 004, 000, 003).

The defaults are :data:`~provisioner.accountability.retention_rules.DEFAULT_RULES`; a board
changes a category's period, system or owner, switches one off, or adds its own::

    [retention.rules.pupil_file]
    period = "3y"
    system = "leerlingdossier (papier)"

    [retention.rules.camera_footage]
    enabled = false

    [retention.rules.reunion_addresses]
    what = "addresses of former pupils for reunions"
    start = "pupil_deregistered"
    period = "10y"
    action = "destroy"
    system = "reüniecommissie"
    owner = "location_leader"
    basis = "004 (alleen met toestemming)"

``[retention.store]`` says how long the product keeps its own data (docs/accountability.md).
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from provisioner.accountability.retention_rules import (
    CALENDAR_STARTS,
    DEFAULT_RULES,
    OWNERS,
    ClockEvent,
    Period,
    RetentionRule,
)
from provisioner.config_base import Strict

_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_STARTS = (*(event.value for event in ClockEvent), *CALENDAR_STARTS)
Owner = Literal["location_leader", "central_office", "privacy_officer"]


def _period(value: str | None) -> str | None:
    if value is not None:
        Period.parse(value)  # a ValueError names the text
    return value


class RuleSettings(Strict):
    """One category of ``[retention.rules.<category>]``: every field left out keeps the
    default's; a category of the board's own must give what, start, period, action, system
    and owner."""

    enabled: bool = Field(default=True, description="False: the board keeps no such data.")
    period: str | None = Field(default=None, description="How long: 5y, 6m, 4w, 30d, 1y6m.")
    start: str | None = Field(
        default=None,
        description="What starts the clock: " + ", ".join(_STARTS) + ".",
    )
    after: str | None = Field(
        default=None,
        description="An event of the same person the clock also waits for (its later day).",
    )
    action: Literal["destroy", "review"] | None = None
    system: str | None = Field(
        default=None,
        max_length=60,
        description="Where the data is: 'sis', a target's name, or free text.",
    )
    owner: Owner | None = Field(default=None, description="Who destroys or reviews it.")
    basis: str | None = Field(default=None, max_length=300, description="The legal basis.")
    what: str | None = Field(default=None, max_length=200, description="The data in words.")

    @field_validator("period")
    @classmethod
    def _valid_period(cls, value: str | None) -> str | None:
        return _period(value)

    @field_validator("start", "after")
    @classmethod
    def _known_start(cls, value: str | None) -> str | None:
        if value is not None and value not in _STARTS:
            raise ValueError(f"'{value}' is no retention clock: use one of {', '.join(_STARTS)}")
        return value


class StoreRetention(Strict):
    """How long the product keeps its own data; ``provisioner retention purge`` (and the
    nightly job) deletes what is older."""

    chat_conversations: str = Field(
        default="30d", description="A chat conversation, counted from when it expired."
    )
    chat_actions: str = Field(
        default="90d", description="A chat action's idempotency record, from when it was made."
    )
    directory_gone: str = Field(
        default="1y",
        description="A person the sources still list as gone (deregistered, left), in the "
        "directory snapshot, counted from the day they went.",
    )
    consent_history: str = Field(
        default="5y",
        description="The consent answers of a deregistered pupil, from the deregistration.",
    )
    journal: str = Field(
        default="1y",
        description="The journal and outcomes of a finished run, from when it finished.",
    )

    @field_validator("*")
    @classmethod
    def _periods(cls, value: str) -> str:
        Period.parse(value)
        return value

    def period(self, name: str) -> Period:
        return Period.parse(str(getattr(self, name)))


class RetentionConfig(Strict):
    """How long each category of data is kept, and what starts its clock."""

    rules: dict[str, RuleSettings] = Field(
        default_factory=dict,
        description="Per category: changes to the default table, or the board's own rules.",
    )
    store: StoreRetention = Field(default_factory=StoreRetention)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        known = {rule.category for rule in DEFAULT_RULES}
        for category, settings in self.rules.items():
            if not _CATEGORY.match(category):
                raise ValueError(
                    f"[retention.rules.{category}]: a category is lower case letters, digits "
                    f"and '_' (2-40)"
                )
            if category in known or not settings.enabled:
                continue
            missing = [
                name
                for name in ("what", "start", "period", "action", "system", "owner")
                if getattr(settings, name) is None
            ]
            if missing:
                raise ValueError(
                    f"[retention.rules.{category}] is not a default category: it needs "
                    + ", ".join(missing)
                )
        return self

    def table(self) -> tuple[RetentionRule, ...]:
        """The board's retention table: the defaults with its changes, then its own rules."""
        rules = [self._merged(rule) for rule in DEFAULT_RULES]
        defaults = {rule.category for rule in DEFAULT_RULES}
        for category, settings in self.rules.items():
            if category not in defaults and settings.enabled:
                rules.append(self._own(category, settings))
        return tuple(
            rule
            for rule in rules
            if rule is not None and self.rules.get(rule.category, RuleSettings()).enabled
        )

    def _merged(self, rule: RetentionRule) -> RetentionRule:
        settings = self.rules.get(rule.category)
        if settings is None:
            return rule
        return RetentionRule(
            category=rule.category,
            what=settings.what or rule.what,
            start=settings.start or rule.start,
            period=Period.parse(settings.period) if settings.period else rule.period,
            action=settings.action or rule.action,
            basis=settings.basis if settings.basis is not None else rule.basis,
            system=settings.system or rule.system,
            owner=settings.owner or rule.owner,
            after=settings.after if settings.after is not None else rule.after,
        )

    @staticmethod
    def _own(category: str, settings: RuleSettings) -> RetentionRule:
        assert settings.what and settings.start and settings.period and settings.action
        assert settings.system and settings.owner
        return RetentionRule(
            category=category,
            what=settings.what,
            start=settings.start,
            period=Period.parse(settings.period),
            action=settings.action,
            basis=settings.basis or "",
            system=settings.system,
            owner=settings.owner,
            after=settings.after,
        )


__all__ = ["OWNERS", "RetentionConfig", "RuleSettings", "StoreRetention"]
