"""The morning report's text (pure): facts in, subject + plain text + Slack blocks out.

Written in the board's language (``board.language``, :attr:`ReportFacts.language`) from the
message catalogues (:mod:`provisioner.i18n`): headings, sentences, the outcome and status
words and the kinds of failure. Target names, run ids, BRIN6 codes and the safety gate's
reasons (kept with the run) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from provisioner.i18n import N_, Language, tr

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CHANGES = ("created", "adopted", "updated", "enabled", "disabled", "deleted")
#: Slack refuses a section longer than this.
SLACK_SECTION_LIMIT = 2900

#: Outcome, status and failure words as the report shows them.
WORDS: dict[str, str] = {
    "created": N_("created"),
    "adopted": N_("adopted"),
    "updated": N_("updated"),
    "enabled": N_("enabled"),
    "disabled": N_("disabled"),
    "deleted": N_("deleted"),
    "applied": N_("applied"),
    "partial": N_("partial"),
    "stopped": N_("stopped"),
    "failed": N_("failed"),
    "interrupted": N_("interrupted"),
    "planning": N_("planning"),
    "applying": N_("applying"),
    "no run": N_("no run"),
    "temporarily unavailable": N_("temporarily unavailable"),
    "not found": N_("not found"),
    "already exists": N_("already exists"),
    "rejected": N_("rejected"),
    "not sent": N_("not sent"),
    "other": N_("other"),
    "privacy_officer": N_("privacy_officer"),
    "authority": N_("authority"),
    "subjects": N_("subjects"),
}


@dataclass(frozen=True)
class Deadline:
    breach_id: str
    kind: str
    due_at: datetime


@dataclass(frozen=True)
class ReportFacts:
    """Everything the report says, already free of personal data."""

    board: str
    run_id: str | None
    status: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: target -> outcome -> number of objects
    outcomes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: target -> kind of reason ("rejected", "temporarily unavailable", ...) -> objects
    failures: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    stop_reasons: Sequence[str] = ()
    problems: int = 0
    #: target -> changes made by hand that the run put back (journal reasons with "(drift)")
    drift_repaired: Mapping[str, int] = field(default_factory=dict)
    #: (location or "board", system) -> open manual tasks
    open_tasks: Mapping[tuple[str, str], int] = field(default_factory=dict)
    deadlines: Sequence[Deadline] = ()
    deadlines_within: timedelta = timedelta(days=7)
    #: "Audit anchor: seq N, sha256 H": the run's chain head, kept off the box by the readers
    audit_anchor: str | None = None
    #: Photo consent: lines of BRIN6 codes and counts (yearly reminder, unconfirmed form)
    consent: Sequence[str] = ()
    #: Requests of the people concerned: request numbers, kinds and deadlines (morning_subjects)
    subjects: Sequence[str] = ()
    #: Retention: open retention tasks and archive holds, in counts (morning_retention)
    retention: Sequence[str] = ()
    #: The board's language (``board.language``): the report is written in it.
    language: Language = "en"


@dataclass(frozen=True)
class MorningReport:
    subject: str
    text: str
    blocks: list[dict[str, Any]]


# -- the text ---------------------------------------------------------------------------------


def _word(word: str, language: Language) -> str:
    """An outcome, status or kind in the report's language; unknown words stay as they are
    (an error class name such as ``ConnectorError``)."""
    return tr(language, WORDS[word]) if word in WORDS else word


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}"


def _counts(counts: Mapping[str, int], language: Language, order: Sequence[str] = ()) -> str:
    keys = [k for k in order if counts.get(k)] + sorted(k for k in counts if k not in order)
    return ", ".join(f"{counts[k]} {_word(k, language)}" for k in keys if counts[k])


def _run_sections(facts: ReportFacts) -> list[tuple[str, list[str]]]:
    lang = facts.language
    parts: list[tuple[str, list[str]]] = []
    when = ""
    if facts.started_at:
        when = tr(lang, ", started {at}", at=_local(facts.started_at))
        if facts.finished_at:
            when += tr(lang, ", finished {at}", at=_local(facts.finished_at))
    status = _word(facts.status or "", lang)
    parts.append((tr(lang, "Run"), [f"{facts.run_id}: {status}{when}"]))
    details = tr(lang, "Details: provisioner runs show {run_id}", run_id=facts.run_id)
    changed = [
        f"{target}: {_counts({k: v for k, v in counts.items() if k in CHANGES}, lang, CHANGES)}"
        for target, counts in sorted(facts.outcomes.items())
        if any(counts.get(k) for k in CHANGES)
    ]
    nothing = tr(lang, "Nothing: every target was in step.")
    parts.append((tr(lang, "What changed"), changed or [nothing]))
    if any(facts.drift_repaired.values()):
        drift = [
            tr(lang, "{target}: {count} changed by hand, put back", target=target, count=count)
            for target, count in sorted(facts.drift_repaired.items())
            if count
        ]
        parts.append((tr(lang, "Drift repaired"), [*drift, details]))
    failed = [
        f"{target}: {sum(kinds.values())} ({_counts(kinds, lang)})"
        for target, kinds in sorted(facts.failures.items())
    ]
    skipped = {t: c.get("skipped", 0) for t, c in facts.outcomes.items() if c.get("skipped")}
    for target, count in sorted(skipped.items()):
        failed.append(
            tr(
                lang,
                "{target}: {count} left as they were (see the run for why)",
                target=target,
                count=count,
            )
        )
    if facts.problems:
        failed.append(
            tr(lang, "{count} source records or issues to look at", count=facts.problems)
            if facts.problems != 1
            else tr(lang, "1 source record or issue to look at")
        )
    if failed:
        parts.append((tr(lang, "What failed and why"), [*failed, details]))
    if facts.status == "stopped":
        approve = tr(lang, "Nothing was changed. When the sources are right, approve this plan:")
        lines = [*facts.stop_reasons, approve, f"provisioner sync --approve {facts.run_id}"]
        parts.append((tr(lang, "Stopped by the safety gate"), lines))
    return parts


def _sections(facts: ReportFacts) -> list[tuple[str, list[str]]]:
    """(heading, lines) per part of the report; empty parts are left out."""
    lang = facts.language
    if facts.run_id is None:
        parts = [(tr(lang, "Run"), [tr(lang, "No sync has run yet.")])]
    else:
        parts = _run_sections(facts)
    if facts.open_tasks:
        total = sum(facts.open_tasks.values())
        lines = [tr(lang, "{count} open", count=total)] + [
            f"{location} {system}: {count}"
            for (location, system), count in sorted(facts.open_tasks.items())
        ]
        parts.append((tr(lang, "Manual tasks"), lines))
    if facts.consent:
        parts.append((tr(lang, "Photo consent"), list(facts.consent)))
    if facts.subjects:
        parts.append((tr(lang, "Requests of the people concerned"), list(facts.subjects)))
    if facts.retention:
        parts.append((tr(lang, "Retention periods"), list(facts.retention)))
    if facts.deadlines:
        heading = tr(
            lang,
            "Data-breach deadlines in the next {days} days",
            days=facts.deadlines_within.days,
        )
        parts.append(
            (
                heading,
                [
                    tr(
                        lang,
                        "{breach} {kind}: due {at}",
                        breach=d.breach_id,
                        kind=_word(d.kind, lang),
                        at=_local(d.due_at),
                    )
                    for d in facts.deadlines
                ],
            )
        )
    return parts


def build_morning_report(facts: ReportFacts) -> MorningReport:
    """The report as a mail subject, plain text and Slack Block Kit blocks."""
    status = _word(facts.status or "no run", facts.language)
    subject = f"Provisioner {facts.board}: {status}"
    if facts.run_id:
        subject += f" ({facts.run_id})"
    text_parts = [subject, ""]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}}
    ]
    for heading, lines in _sections(facts):
        text_parts += [f"{heading}:", *(f"  {line}" for line in lines), ""]
        body = f"*{heading}*\n" + "\n".join(lines)
        if len(body) > SLACK_SECTION_LIMIT:
            body = body[:SLACK_SECTION_LIMIT] + "\n…"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
    if facts.audit_anchor:  # a line of its own, found again in a mailbox or Slack export
        text_parts.append(facts.audit_anchor)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": facts.audit_anchor}]}
        )
    return MorningReport(subject=subject, text="\n".join(text_parts).rstrip() + "\n", blocks=blocks)
