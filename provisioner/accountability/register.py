"""The register of processing activities (*register van verwerkingsactiviteiten*, AVG art. 30;
seed 001 "Wat moet ik als school in het register van verwerkingsactiviteiten opnemen?").

Pure: :func:`build_register` turns the configuration and the connected systems' processing
facts into entries, one per processing the product performs (its own: account provisioning,
the chat bot's requests, the consent register, the breach register, the audit trail) or
feeds (one per configured source and target). Each connected system carries its processor
agreement (AVG art. 28; seed 002 §4, the *model verwerkersovereenkomst* with its privacy
bijsluiter) from ``[processing.agreements.<system>]``, or is marked as missing one.
The composition root (``provisioner report register``) finds the facts in the connectors'
registry; a connector that declares none is listed as "not declared".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from provisioner.accountability.processing import ProcessingFacts
from provisioner.accountability.processing_config import ProcessorAgreement
from provisioner.accountability.register_own import (
    OWN_FACTS,
    OWN_RETENTION,
    OwnProcessing,
    RetentionRule,
)
from provisioner.config import Config, SourceConfig

#: The agreement key of the chat service (Slack), when the bot runs there.
CHAT_AGREEMENT = "slack"


class AgreementStatus(StrEnum):
    """Where a system stands with its processor agreement."""

    SIGNED = "signed"  # an agreement with the day it was signed
    NO_DATE = "no_date"  # an agreement without ``signed_on``
    MISSING = "missing"  # a supplier processes the data, no agreement configured
    NOT_NEEDED = "not_needed"  # the board runs the system itself, no agreement configured


@dataclass(frozen=True)
class ConnectedSystem:
    """A configured source (``key`` its slot: ``hr``, ``sis``...) or target (its ``name``),
    its ``type`` as configured (a SIS staff target with its system: ``sis-staff (somtoday)``)
    and its connector's processing facts (None: the connector declares none).
    ``covered_by``: another system whose agreement also covers this one when it has none of
    its own (the staff accounts in the SIS the board reads its pupils from: one supplier)."""

    key: str
    role: Literal["source", "target"]
    type_name: str
    facts: ProcessingFacts | None
    covered_by: str | None = None


@dataclass(frozen=True)
class Retention:
    """One sentence about how long the data is kept: a rule and the numbers it names."""

    rule: RetentionRule
    values: Mapping[str, int | str] = field(default_factory=dict)  # str: a period, "1y"


@dataclass(frozen=True)
class RegisterEntry:
    """One processing: the product's own (``own``) or a connected system's (``system``)."""

    id: str  # "own:accounts", "source:hr", "target:m365"
    own: OwnProcessing | None
    system: ConnectedSystem | None
    facts: ProcessingFacts | None
    retention: tuple[Retention, ...]
    agreement_key: str | None
    agreement: ProcessorAgreement | None
    agreement_status: AgreementStatus | None

    @property
    def declared(self) -> bool:
        return self.facts is not None


@dataclass(frozen=True)
class Register:
    """The whole register: the controller (the board), its contact and FG, and the entries."""

    controller: str
    controller_contact: str | None
    privacy_officer: str | None
    entries: tuple[RegisterEntry, ...]
    unknown_agreements: tuple[str, ...]  # [processing.agreements.X] of no connected system


def configured_sources(config: Config) -> list[tuple[str, SourceConfig]]:
    """Every configured source as (slot, its section), in the configuration's slot order
    (``hr``, ``sis``, ``consent``, and any slot added later, such as ``interns``)."""
    found = []
    for slot in type(config.sources).model_fields:
        value = getattr(config.sources, slot)
        if isinstance(value, SourceConfig):
            found.append((slot, value))
    return found


def build_register(
    config: Config, systems: Sequence[ConnectedSystem], *, chat_in_slack: bool
) -> Register:
    """The register of ``config``; ``systems`` are its connected systems with their facts,
    ``chat_in_slack``: the chat bot runs in Slack (so Slack's agreement is asked for)."""
    agreements = config.processing.agreements
    entries = [_own_entry(config, own, chat_in_slack) for own in OwnProcessing]
    entries += [_system_entry(config, system) for system in systems]
    known = {system.key for system in systems} | {CHAT_AGREEMENT}
    officers = ", ".join(config.bot.privacy_officers) or None
    return Register(
        controller=config.board.name,
        controller_contact=config.processing.controller_contact,
        privacy_officer=config.processing.privacy_officer or officers,
        entries=tuple(entries),
        unknown_agreements=tuple(sorted(set(agreements) - known)),
    )


def _own_entry(config: Config, own: OwnProcessing, chat_in_slack: bool) -> RegisterEntry:
    key = CHAT_AGREEMENT if own is OwnProcessing.CHAT else None
    agreement = config.processing.agreements.get(key) if key else None
    status = None
    if key is not None:
        status = _status(agreement, needed=chat_in_slack)
    return RegisterEntry(
        id=f"own:{own.value}",
        own=own,
        system=None,
        facts=OWN_FACTS[own],
        retention=tuple(_retention(config, rule) for rule in OWN_RETENTION[own]),
        agreement_key=key,
        agreement=agreement,
        agreement_status=status,
    )


def _system_entry(config: Config, system: ConnectedSystem) -> RegisterEntry:
    agreements = config.processing.agreements
    key = system.key
    if key not in agreements and system.covered_by in agreements:
        key = system.covered_by
    agreement = agreements.get(key)
    facts = system.facts
    needed = facts is None or facts.needs_agreement  # undeclared: assume a supplier
    return RegisterEntry(
        id=f"{system.role}:{system.key}",
        own=None,
        system=system,
        facts=facts,
        retention=tuple(_retention(config, rule) for rule in _system_rules(system)),
        agreement_key=key,
        agreement=agreement,
        agreement_status=_status(agreement, needed=needed),
    )


def _system_rules(system: ConnectedSystem) -> tuple[RetentionRule, ...]:
    if system.facts is None:
        return (RetentionRule.NOT_DECLARED,)
    if system.role == "source":
        return (RetentionRule.SOURCE_UNCHANGED,)
    if system.type_name.startswith("sis-staff"):
        return (RetentionRule.SIS_RECORDS_KEPT,)
    return (RetentionRule.ACCOUNT_GRACE,)


def _retention(config: Config, rule: RetentionRule) -> Retention:
    """``rule`` with its numbers: the grace days of ``[lifecycle]``, the periods of the
    product's own data of ``[retention.store]``."""
    store = config.retention.store
    values: dict[str, int | str] = {}
    if rule is RetentionRule.ACCOUNT_GRACE:
        lifecycle = config.lifecycle
        values = {"staff_days": lifecycle.grace_days, "pupil_days": lifecycle.pupil_grace_days}
    elif rule is RetentionRule.CONVERSATION:
        values = {
            "minutes": config.bot.conversation_minutes,
            "chat_conversations": store.period("chat_conversations").text(),
        }
    elif rule in (
        RetentionRule.DIRECTORY_GONE,
        RetentionRule.JOURNAL,
        RetentionRule.CONSENT_HISTORY,
    ):
        values = {rule.value: store.period(rule.value).text()}
    return Retention(rule, values)


def _status(agreement: ProcessorAgreement | None, *, needed: bool) -> AgreementStatus:
    if agreement is None:
        return AgreementStatus.MISSING if needed else AgreementStatus.NOT_NEEDED
    return AgreementStatus.SIGNED if agreement.signed_on else AgreementStatus.NO_DATE


@dataclass(frozen=True)
class AgreementFinding:
    """A connected system whose processor agreement is missing or undated, or an agreement
    that names no connected system: what ``config check`` warns about."""

    key: str
    type_name: str | None
    status: AgreementStatus | None  # None: the agreement names no connected system


def agreement_findings(register: Register) -> list[AgreementFinding]:
    """What the board still has to arrange: every system that needs an agreement and has
    none, every agreement without its signing day, every agreement of no system."""
    findings = []
    for entry in register.entries:
        status = entry.agreement_status
        if entry.agreement_key is None or status not in (
            AgreementStatus.MISSING,
            AgreementStatus.NO_DATE,
        ):
            continue
        if entry.system is not None and entry.agreement_key != entry.system.key:
            continue  # covered by another system's agreement, which is reported itself
        type_name = entry.system.type_name if entry.system else None
        findings.append(AgreementFinding(entry.agreement_key, type_name, status))
    findings += [AgreementFinding(key, None, None) for key in register.unknown_agreements]
    return findings
