"""The breach risk model: likelihood and severity per factor, combined into one outcome.

Pure functions. A breach can touch confidentiality, integrity and availability (WP250
rev.01 §I.2); each is scored on its own as *likelihood* (how likely it is that the people
concerned are harmed: 0 none ... 4 certain, anyone can read it) and *severity* (how badly:
1 low ... 4 very high). The factors are the ones EDPB Guidelines 01/2021 (§1, "risk
assessment") and WP250 rev.01 §IV.B name:

- type of breach (confidentiality, integrity, availability);
- nature and sensitivity of the data (special categories, BSN, credentials, financial,
  identity data, care and learning data), ease of identification, volume (people, records);
- the recipient (a known, trusted party; one person; several; the public), malice and
  insiders, and containment (recalled, deleted and confirmed, encryption with a safe key);
- for availability: whether and how fast the data were restored, and what the loss holds up;
- vulnerable people (children, GDPR Recitals 38 and 75).

:func:`risk_level` turns one (likelihood, severity) pair into document only / notify the AP
(*Autoriteit Persoonsgegevens*) / notify the AP and the people concerned; the breach's
outcome is the highest of its dimensions. Every factor is a :class:`Factor` with the rule
that explains it (the sentences are in :mod:`provisioner.privacy.breach_sentences`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from provisioner.privacy.breach_facts import CATEGORIES, HARMFUL, SPECIAL, BreachFacts

Dimension = Literal["confidentiality", "integrity", "availability"]
Axis = Literal["likelihood", "severity"]

#: From this many people the breach is large scale: severity +1 (WP250 Annex B example x:
#: "if a large number of individuals are affected"; EDPB case 14: 60,000 job seekers).
LARGE_SCALE_PEOPLE = 1000
#: ... or from this many records.
LARGE_SCALE_RECORDS = 10_000
#: From this many children, vulnerable people at scale: severity +1. A board's choice (a
#: school's worth of pupils), not a number from the GDPR (Recitals 38 and 75).
MANY_CHILDREN = 100
#: Unavailable at most this long (then restored): no lasting effect (WP250 Annex B iii, a
#: power cut of minutes; EDPB case 1, restored within hours).
QUICK_RESTORE_MINUTES = 4 * 60
#: Unavailable longer than this: the loss holds people up (WP250 Annex B viii: 30 hours).
LONG_OUTAGE_MINUTES = 24 * 60
#: Kinds of breach in which the data carrier itself is gone, so availability is affected.
CARRIER_GONE = frozenset({"lost_device", "stolen_device", "paper", "ransomware"})
#: Kinds of breach in which nobody chose the recipient: a finder or a thief.
NO_RECIPIENT = frozenset({"lost_device", "stolen_device", "paper"})


class Risk(StrEnum):
    """The outcome of the risk assessment (GDPR Art. 33(1) and 34(1))."""

    NONE = "none"  # unlikely to result in a risk: document only
    RISK = "risk"  # notify the supervisor
    HIGH = "high risk"  # notify the supervisor and the people concerned


@dataclass(frozen=True)
class Factor:
    """One factor's contribution to one dimension.

    ``sets`` factors give the starting level of their axis; the others add ``points``
    (negative for a mitigating factor, 0 for a factor that weighs in without moving it).
    """

    name: str
    dimension: Dimension
    axis: Axis
    points: int
    sets: bool
    rule: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DimensionScore:
    """Likelihood, severity and the outcome of one dimension, with its factors."""

    dimension: Dimension
    likelihood: int
    severity: int
    risk: Risk
    factors: tuple[Factor, ...]


@dataclass(frozen=True)
class RiskModel:
    """The scored dimensions and the assumptions (fact names) made for unknown facts."""

    dimensions: tuple[DimensionScore, ...]
    assumed: tuple[str, ...]

    @property
    def risk(self) -> Risk:
        order = [Risk.NONE, Risk.RISK, Risk.HIGH]
        return max((d.risk for d in self.dimensions), key=order.index, default=Risk.NONE)


#: Outcome by likelihood (row, 0-4) and severity (column, 1-4).
_MATRIX: tuple[tuple[Risk, Risk, Risk, Risk], ...] = (
    (Risk.NONE, Risk.NONE, Risk.NONE, Risk.NONE),  # 0: nobody can read or misuse it
    (Risk.NONE, Risk.NONE, Risk.RISK, Risk.RISK),  # 1: contained, or no copy taken
    (Risk.NONE, Risk.RISK, Risk.HIGH, Risk.HIGH),  # 2: a wrong recipient, a lost device
    (Risk.RISK, Risk.HIGH, Risk.HIGH, Risk.HIGH),  # 3: taken on purpose; lost for good
    (Risk.RISK, Risk.HIGH, Risk.HIGH, Risk.HIGH),  # 4: public
)


def risk_level(likelihood: int, severity: int) -> Risk:
    """The outcome of one dimension (a risk matrix, as in WP250 §IV.B and ENISA's method)."""
    row = min(max(likelihood, 0), 4)
    column = min(max(severity, 1), 4) - 1
    return _MATRIX[row][column]


class _Assumptions:
    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)


def assess_risk(facts: BreachFacts) -> RiskModel:
    """Score every dimension the breach touches."""
    assume = _Assumptions()
    dimensions: list[DimensionScore] = []
    severity = data_severity(facts, assume)
    confidentiality = facts.confidentiality_breach
    if confidentiality is None:
        assume("confidentiality_breach")
        confidentiality = True
    if confidentiality:
        likelihood = confidentiality_likelihood(facts, assume)
        dimensions.append(_score("confidentiality", likelihood, severity))
    if facts.integrity_breach is None:
        assume("integrity_breach")
    elif facts.integrity_breach:
        likelihood = [integrity_likelihood(facts)]
        dimensions.append(_score("integrity", likelihood, _as(severity, "integrity")))
    availability = facts.availability_breach
    if availability is None:
        availability = facts.kind in CARRIER_GONE
        assume("availability_breach" if availability else "availability_kept")
    if availability:
        likelihood = availability_likelihood(facts, assume)
        dimensions.append(_score("availability", likelihood, availability_severity(facts)))
    return RiskModel(tuple(dimensions), tuple(assume.names))


def _as(factors: list[Factor], dimension: Dimension) -> list[Factor]:
    return [Factor(f.name, dimension, f.axis, f.points, f.sets, f.rule, f.values) for f in factors]


def _score(
    dimension: Dimension, likelihood: list[Factor], severity: list[Factor]
) -> DimensionScore:
    factors = [*_as(likelihood, dimension), *_as(severity, dimension)]
    level = {"likelihood": 0, "severity": 1}
    for f in factors:
        level[f.axis] = f.points if f.sets else level[f.axis] + f.points
    chance = min(max(level["likelihood"], 0), 4)
    impact = min(max(level["severity"], 1), 4)
    return DimensionScore(dimension, chance, impact, risk_level(chance, impact), tuple(factors))


# -- severity ------------------------------------------------------------------------------


def data_level(categories: frozenset[str]) -> int:
    """1 ordinary contact details; 2 learning results, photos, other data; 3 special
    categories, BSN, credentials, financial and identity data (identity fraud)."""
    levels = [3 if c in SPECIAL | HARMFUL | {"identity"} else 1 if c == "contact" else 2
              for c in categories]  # fmt: skip
    return max(levels, default=2)


def data_severity(facts: BreachFacts, assume: _Assumptions) -> list[Factor]:
    """Nature of the data, volume, vulnerable people and ease of identification."""
    categories = facts.categories()
    out: list[Factor] = []
    if not categories:
        assume("data_categories")
        out.append(_sev("data", 2, True, "data_unknown"))
    else:
        level = data_level(categories)
        rule = {1: "data_ordinary", 2: "data_personal", 3: "data_sensitive"}[level]
        out.append(_sev("data", level, True, rule, categories=_named(categories)))
    if facts.special_categories is None and not categories & SPECIAL:
        assume("special_categories")
    if facts.national_id_number is None and "national_id" not in categories:
        assume("national_id_number")
    people, records = facts.subjects_count, facts.records_count
    if people is None and records is None:
        assume("subjects_count")
    elif (people or 0) >= LARGE_SCALE_PEOPLE or (records or 0) >= LARGE_SCALE_RECORDS:
        out.append(_sev("volume", 1, False, "large_scale", count=people or records))
    children = facts.subjects_are_children
    if children is None:
        assume("subjects_are_children")
    elif children and people is not None and people >= MANY_CHILDREN:
        out.append(_sev("vulnerable", 1, False, "children_scale", count=people))
    elif children:
        out.append(_sev("vulnerable", 0, False, "children"))
    if facts.identifiable is False:
        out.append(_sev("identification", -1, False, "hard_to_identify"))
    return out


def _named(categories: frozenset[str]) -> list[str]:
    """Only the product's own category names reach a sentence (a typed name may be anything:
    it stays in the facts, not in the reasons shown in chat)."""
    return sorted(c for c in categories if c in CATEGORIES) or ["other"]


def availability_severity(facts: BreachFacts) -> list[Factor]:
    """What the loss holds up: care and medical data are needed for care (EDPB case 3)."""
    categories = facts.categories()
    if not categories:
        return [_sev("data", 2, True, "unavailable_unknown_data")]
    if categories & SPECIAL:
        return [_sev("data", 3, True, "unavailable_care", categories=sorted(categories & SPECIAL))]
    return [_sev("data", 1, True, "unavailable_ordinary")]


def _sev(name: str, points: int, sets: bool, rule: str, **values: Any) -> Factor:
    return Factor(name, "confidentiality", "severity", points, sets, rule, values)


def _chance(name: str, points: int, sets: bool, rule: str, **values: Any) -> Factor:
    return Factor(name, "confidentiality", "likelihood", points, sets, rule, values)


# -- likelihood ----------------------------------------------------------------------------


def confidentiality_likelihood(facts: BreachFacts, assume: _Assumptions) -> list[Factor]:
    """Who could read the data, on purpose or not, and whether that was contained."""
    if facts.encrypted is None:
        assume("encrypted")
    elif facts.encrypted:
        if facts.key_compromised is None:
            assume("key_compromised")
        elif not facts.key_compromised:
            return [_chance("encryption", 0, True, "encrypted")]
    exposure = exposure_factor(facts, assume)
    out = [exposure]
    if exposure.name == "public":
        if facts.recalled or facts.deletion_confirmed:
            out.append(_chance("containment", -1, False, "taken_offline"))
        return out
    if exposure.name != "recipient":
        return out  # taken on purpose, or seen by a colleague: a recall does not change it
    contained = facts.recalled is True or facts.deletion_confirmed is True
    if not contained:
        if facts.recalled is None and facts.deletion_confirmed is None:
            assume("deletion_confirmed")
        return out
    sensitive = bool(facts.categories() & (SPECIAL | HARMFUL))
    if exposure.rule == "trusted_party":
        if sensitive:
            out.append(_chance("containment", -1, False, "contained_sensitive"))
        else:
            out.append(_chance("containment", -exposure.points, False, "contained_trusted"))
    else:
        out.append(_chance("containment", -1, False, "contained"))
    return out


def exposure_factor(facts: BreachFacts, assume: _Assumptions) -> Factor:
    """The starting likelihood from the recipient, malice and the kind of breach."""
    if facts.published_online is None and facts.recipient is None:
        assume("published_online")
    if facts.published_online or facts.recipient == "public":
        return _chance("public", 4, True, "public")
    malicious = facts.malicious
    if malicious is None and facts.kind in ("stolen_device", "hacking"):
        malicious = True  # a theft or a break-in is deliberate by its nature
    elif malicious is None:
        assume("malicious")
    if malicious:
        nothing_taken = facts.exfiltration_confirmed is False and facts.kind not in NO_RECIPIENT
        if nothing_taken:
            return _chance("malice", 1, True, "accessed_not_taken")
        if facts.exfiltration_confirmed is None and facts.kind not in NO_RECIPIENT:
            assume("exfiltration_confirmed")
        return _chance("malice", 3, True, "insider_malicious" if facts.insider else "malicious")
    recipient = facts.recipient_kind()
    if recipient is not None:
        return _chance("recipient", 2, True, recipient)
    if facts.insider:
        return _chance("insider", 1, True, "insider_mistake")
    if facts.kind in NO_RECIPIENT:
        return _chance("recipient", 2, True, "lost")
    assume("recipient")
    return _chance("recipient", 2, True, "unknown_recipient")


def integrity_likelihood(facts: BreachFacts) -> Factor:
    """Changed data harm while they are not restored (WP250 §I.2, integrity breach)."""
    restored = facts.recovered_quickly is True or (
        facts.unavailable_minutes is not None and facts.unavailable_minutes <= QUICK_RESTORE_MINUTES
    )
    if restored:
        return Factor("restore", "integrity", "likelihood", 0, True, "integrity_restored")
    return Factor("restore", "integrity", "likelihood", 2, True, "integrity")


def availability_likelihood(facts: BreachFacts, assume: _Assumptions) -> list[Factor]:
    """How lasting the loss is: restored within minutes, within a day, later, or never."""
    minutes = facts.unavailable_minutes
    if minutes is not None:
        if minutes <= QUICK_RESTORE_MINUTES:
            return [_avail(0, "restored_quickly", minutes=minutes)]
        if minutes <= LONG_OUTAGE_MINUTES:
            return [_avail(1, "restored_same_day", minutes=minutes)]
        return [_avail(2, "restored_late", minutes=minutes)]
    if facts.recovered_quickly:
        return [_avail(0, "restored")]
    if facts.backup_available is True:
        if facts.recovered_quickly is None:
            assume("recovered_quickly")
            return [_avail(1, "backup_restore_pending")]
        return [_avail(2, "restored_late_backup")]
    if facts.backup_available is False:
        return [_avail(3, "no_backup")]
    assume("backup_available")
    return [_avail(2, "not_known_restored")]


def _avail(points: int, rule: str, **values: Any) -> Factor:
    return Factor("restore", "availability", "likelihood", points, True, rule, values)
