"""Assessing a personal data breach (*datalek*): notify the supervisor, the people, or neither.

Pure: facts in, an :class:`Assessment` out. The rules follow GDPR Art. 33 and 34, the EDPB's
Guidelines 01/2021 on examples regarding personal data breach notification (version 2.0),
WP29's WP250 rev.01 and the Autoriteit Persoonsgegevens' (AP) guidance on the *meldplicht
datalekken*:

- Art. 33(1): notify the AP without undue delay and where feasible within 72 hours of
  becoming aware, *unless the breach is unlikely to result in a risk*.
- Art. 34(1): tell the people concerned (*betrokkenen*) when the breach is *likely to result
  in a high risk*; not when the data were unintelligible (Art. 34(3)(a)) or later measures
  took the high risk away (Art. 34(3)(b)); a public communication may replace telling each
  one (Art. 34(3)(c)).
- Art. 33(5): every breach is documented, notified or not (the register does that).
- The board's own rule (the seeds' protocols): the privacy officer (*functionaris
  gegevensbescherming*, FG) hears of it within 24 hours of discovery.

The risk model (:mod:`provisioner.privacy.breach_risk`) scores likelihood and severity per
factor; every factor is one sentence in ``reasons`` with its contribution, and
``contributions`` has the same in machine form. ``closest_example`` names the published
example the breach resembles most (:mod:`provisioner.privacy.breach_examples`). Unknown
facts are said out loud in ``assumptions``; they lean towards notifying the AP only where
the guidance does (an unknown recipient or restore counts as not contained; an unknown
special category or malice does not by itself make the risk high).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from provisioner.i18n import tr
from provisioner.privacy.breach_examples import PublishedExample, closest_example
from provisioner.privacy.breach_facts import (
    AMSTERDAM,
    CATEGORIES,
    HARMFUL,
    ORDINARY,
    RECIPIENTS,
    SPECIAL,
    BreachFacts,
    FactsError,
    Language,
    category_names,
    facts_field_names,
    parse_moment,
    read_facts,
)
from provisioner.privacy.breach_risk import MANY_CHILDREN, Factor, Risk, RiskModel, assess_risk
from provisioner.privacy.breach_sentences import (
    ASSUMPTIONS,
    AXES,
    DIMENSIONS,
    EDPB_CASES,
    LEVELS,
    SENTENCES,
)

#: The privacy officer (FG) hears of a breach within this time of its discovery (seed 000).
PRIVACY_OFFICER_WITHIN = timedelta(hours=24)
#: The supervisor is notified within this time of awareness (GDPR Art. 33(1)).
AUTHORITY_WITHIN = timedelta(hours=72)


@dataclass(frozen=True)
class Deadline:
    """One deadline: who must hear of the breach, by when, and whether it applies."""

    kind: Literal["privacy_officer", "authority"]
    due_at: datetime  # aware, Europe/Amsterdam
    applies: bool
    rule: str


@dataclass(frozen=True)
class Contribution:
    """One factor's part in the outcome, in machine form (``reasons`` has the sentence)."""

    factor: str
    dimension: str
    axis: str
    points: int
    sets: bool
    rule: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "dimension": self.dimension,
            "axis": self.axis,
            "points": self.points,
            "sets": self.sets,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Assessment:
    """The outcome. ``reasons`` and ``assumptions`` are sentences in the asked language,
    each naming its source; ``rules``, ``examples`` and ``contributions`` the same in
    machine form."""

    risk: Risk
    notify_authority: bool
    notify_subjects: bool
    reasons: tuple[str, ...]
    assumptions: tuple[str, ...]
    rules: tuple[str, ...]
    examples: tuple[int, ...]  # EDPB Guidelines 01/2021 case numbers cited
    deadlines: tuple[Deadline, ...]
    language: Language = "en"
    contributions: tuple[Contribution, ...] = ()
    dimensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    closest: PublishedExample | None = None

    def deadline(self, kind: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk": self.risk.value,
            "notify_authority": self.notify_authority,
            "notify_subjects": self.notify_subjects,
            "reasons": list(self.reasons),
            "assumptions": list(self.assumptions),
            "rules": list(self.rules),
            "edpb_examples": list(self.examples),
            "contributions": [c.to_dict() for c in self.contributions],
            "dimensions": self.dimensions,
            "closest_example": self.closest.to_dict() if self.closest else None,
            "deadlines": {
                d.kind: {"due_at": d.due_at.isoformat(), "applies": d.applies, "rule": d.rule}
                for d in self.deadlines
            },
            "language": self.language,
        }


_RULE_PO = {
    "en": "the board's protocol: the privacy officer within 24 hours of discovery",
    "nl": "protocol van het bestuur: de FG binnen 24 uur na ontdekking",
}
_RULE_AP = {
    "en": "GDPR Art. 33(1): the supervisor within 72 hours of awareness",
    "nl": "AVG art. 33 lid 1: de AP binnen 72 uur na kennisname",
}


def _say(rule: str, language: Language, **values: Any) -> str:
    return tr(language, SENTENCES[rule], **values)


def _pick(message: str, language: Language) -> str:
    return tr(language, message)


def _duration(minutes: int, language: Language) -> str:
    if minutes < 120:
        return f"{minutes} min"
    hours = round(minutes / 60)
    return f"{hours} {'hours' if language == 'en' else 'uur'}"


def _factor_sentence(factor: Factor, language: Language) -> str:
    values = dict(factor.values)
    if "categories" in values:
        values["what"] = category_names(set(values.pop("categories")), language)
    if "minutes" in values:
        values["duration"] = _duration(int(values.pop("minutes")), language)
    values.setdefault("many", MANY_CHILDREN)
    text = _say(factor.rule, language, **values)
    axis = _pick(AXES[factor.axis], language)
    effect = f"{factor.points}" if factor.sets else f"{factor.points:+d}"
    return f"{text} [{axis} {effect}]"


def assess(
    facts: BreachFacts, *, language: Language = "en", reported_at: datetime | None = None
) -> Assessment:
    """The risk, whom to notify, why, what was assumed, and the deadlines.

    ``reported_at`` stands in for an unknown time of discovery (the deadlines count from it).
    """
    model = assess_risk(facts)
    level = model.risk
    reasons: list[str] = []
    rules: list[str] = []
    contributions: list[Contribution] = []
    if not model.dimensions:
        reasons.append(_say("not_a_breach", language))
        rules.append("not_a_breach")
    for score in model.dimensions:
        for factor in score.factors:
            sentence = _factor_sentence(factor, language)
            if sentence not in reasons:
                reasons.append(sentence)
            rules.append(factor.rule)
            contributions.append(
                Contribution(
                    factor.name,
                    score.dimension,
                    factor.axis,
                    factor.points,
                    factor.sets,
                    factor.rule,
                    sentence,
                )
            )
        reasons.append(
            _say(
                "dimension",
                language,
                dimension=_pick(DIMENSIONS[score.dimension], language),
                likelihood=score.likelihood,
                severity=score.severity,
                level=_pick(LEVELS[score.risk.value], language),
            )
        )
    count = facts.subjects_count
    if level is Risk.HIGH and count is not None and count >= MANY_CHILDREN:
        reasons.append(_say("public_communication", language, count=count))
        rules.append("public_communication")
    closest = closest_example(facts, level)
    reasons.append(_closest_sentence(closest, language))
    outcome_rule = {Risk.NONE: "outcome_none", Risk.RISK: "outcome_risk", Risk.HIGH: "outcome_high"}
    reasons.append(_say(outcome_rule[level], language))
    rules.append(outcome_rule[level])
    assumed = [name for name in model.assumed]
    deadlines = _deadlines(facts, level, language, reported_at, assumed)
    examples = sorted({n for rule in rules for n in EDPB_CASES.get(rule, ())})
    return Assessment(
        risk=level,
        notify_authority=level is not Risk.NONE,
        notify_subjects=level is Risk.HIGH,
        reasons=tuple(reasons),
        assumptions=tuple(_pick(ASSUMPTIONS[name], language) for name in assumed),
        rules=tuple(rules),
        examples=tuple(examples),
        deadlines=deadlines,
        language=language,
        contributions=tuple(contributions),
        dimensions={
            d.dimension: {"likelihood": d.likelihood, "severity": d.severity, "risk": d.risk.value}
            for d in model.dimensions
        },
        closest=closest,
    )


def _closest_sentence(example: PublishedExample, language: Language) -> str:
    published = example.outcome()
    outcome = _pick(LEVELS[published.value if published else "open"], language)
    return _say("closest", language, source=example.source, case=example.case,
                title=example.title, paragraph=example.paragraph, outcome=outcome)  # fmt: skip


def deadlines_for(
    discovered_at: datetime, aware_at: datetime | None = None
) -> tuple[datetime, datetime]:
    """The privacy officer's and the supervisor's deadlines, in Europe/Amsterdam time.

    The hours are elapsed hours: they are added in UTC, so 72 hours across the end of summer
    time end at 09:00 for a 10:00 start (the clock went back one hour in between).
    """
    aware = aware_at or discovered_at
    officer = (discovered_at.astimezone(UTC) + PRIVACY_OFFICER_WITHIN).astimezone(AMSTERDAM)
    authority = (aware.astimezone(UTC) + AUTHORITY_WITHIN).astimezone(AMSTERDAM)
    return officer, authority


def _deadlines(
    facts: BreachFacts,
    level: Risk,
    language: Language,
    reported_at: datetime | None,
    assumed: list[str],
) -> tuple[Deadline, ...]:
    discovered = facts.discovered_at
    if discovered is None:
        assumed.append("discovered_at")
        if reported_at is None:
            return ()
        discovered = reported_at if reported_at.tzinfo else reported_at.replace(tzinfo=AMSTERDAM)
    if facts.aware_at is None:
        assumed.append("aware_at")
    officer, authority = deadlines_for(discovered, facts.aware_at)
    return (
        Deadline("privacy_officer", officer, True, _RULE_PO[language]),
        Deadline("authority", authority, level is not Risk.NONE, _RULE_AP[language]),
    )


__all__ = [
    "AMSTERDAM",
    "AUTHORITY_WITHIN",
    "CATEGORIES",
    "HARMFUL",
    "ORDINARY",
    "PRIVACY_OFFICER_WITHIN",
    "RECIPIENTS",
    "SPECIAL",
    "Assessment",
    "BreachFacts",
    "Contribution",
    "Deadline",
    "FactsError",
    "Language",
    "PublishedExample",
    "Risk",
    "RiskModel",
    "assess",
    "category_names",
    "closest_example",
    "deadlines_for",
    "facts_field_names",
    "parse_moment",
    "read_facts",
]
