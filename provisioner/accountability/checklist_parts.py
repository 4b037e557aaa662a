"""The evidence of the checklist's lines, judged from the facts (pure: facts in, parts out, in
the board's language). Each :class:`Part` is one piece of evidence (one target, the manual
tasks of the portals, the breach register) with its figures, its exceptions (by run id,
person key, task number or breach number; never a name) and its verdict."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from provisioner.accountability.checklist_facts import (
    BreachFact,
    ChecklistFacts,
    ConsentFacts,
    DeadlineFact,
    Period,
    TaskFact,
)
from provisioner.i18n import N_, tr

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: A leaver's account is on time when disabled by the day after the last working day: the
#: nightly run after it (002 §12: "direct").
ON_TIME_DAYS = 1
SIS_TASKS = frozenset({"sis_account", "sis_post", "sis_account_deactivate"})
PORTAL_TASKS = frozenset({"portal_access"})
RETENTION_PREFIX = "retention_"


class Verdict(StrEnum):
    OK = "ok"  # evidenced, in order
    NOT_OK = "not_ok"  # evidenced, with exceptions
    NO_EVIDENCE = "no_evidence"  # nothing recorded: the school answers
    SCHOOL = "school"  # the software cannot judge it: the school answers


VERDICT_TEXT = {
    Verdict.OK: N_("OK (evidenced)"),
    Verdict.NOT_OK: N_("Not OK (see the exceptions)"),
    Verdict.NO_EVIDENCE: N_("No evidence this year: to be answered by the school"),
    Verdict.SCHOOL: N_("To be answered by the school"),
}


@dataclass(frozen=True)
class Part:
    title: str
    verdict: Verdict
    figures: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    numbers: dict[str, Any] = field(default_factory=dict)


def combine(parts: Sequence[Part]) -> Verdict:
    """A line's verdict from its parts: any exception makes it not OK; any evidence OK."""
    verdicts = {part.verdict for part in parts}
    if Verdict.NOT_OK in verdicts:
        return Verdict.NOT_OK
    return Verdict.OK if Verdict.OK in verdicts else Verdict.NO_EVIDENCE


def day_text(day: date, language: str) -> str:
    return format_date(day, "d MMMM y", locale=language)


def moment_text(moment: datetime, language: str) -> str:
    local = moment.astimezone(AMSTERDAM)
    return format_datetime(local, "d MMMM y HH:mm", locale=language)


def _number(value: float, language: str) -> str:
    return format_decimal(value, locale=language)


# -- leavers (§12) --------------------------------------------------------------------------


def leaver_parts(facts: ChecklistFacts, kinds: Iterable[str]) -> list[Part]:
    """One part per connected target of these kinds: its leavers of the period."""
    wanted = set(kinds)
    return [
        _leaver_part(facts, target)
        for target, kind in sorted(facts.targets.items())
        if kind in wanted
    ]


def _leaver_part(facts: ChecklistFacts, target: str) -> Part:
    lang, period = facts.language, facts.period
    mine = [d for d in facts.disables if d.target == target]
    leavers = [d for d in mine if d.last_day is not None and period.holds(d.last_day)]
    unknown_day = [
        d for d in mine
        if d.last_day is None and d.disabled_on is not None and period.holds(d.disabled_on)
    ]  # fmt: skip
    title = tr(lang, "Accounts in {target}", target=target)
    if not leavers and not unknown_day:
        none = (tr(lang, "No leaver whose last working day fell in this period."),)
        return Part(title, Verdict.NO_EVIDENCE, none, numbers={"leavers": 0})
    done = [d for d in leavers if d.days is not None]
    days = [d.days for d in done if d.days is not None]
    late = [d for d in done if d.days is not None and d.days > ON_TIME_DAYS]
    missing = [d for d in leavers if d.disabled_on is None]
    figures = [tr(lang, "Leavers: {count}; disabled: {done}.", count=len(leavers), done=len(done))]
    median = statistics.median(days) if days else None
    if days:
        figures.append(
            tr(
                lang,
                "From the last working day to disabled: median {median} days, worst {worst} "
                "days (on time: within {limit} day).",
                median=_number(median or 0, lang),
                worst=max(days),
                limit=ON_TIME_DAYS,
            )
        )
    if unknown_day:
        figures.append(
            tr(lang, "Disabled because no source listed them any more: {count}.",
               count=len(unknown_day))
        )  # fmt: skip
    exceptions = [
        tr(lang, "{person}: disabled {days} days after the last working day (run {run}).",
           person=d.person, days=d.days, run=d.run_id or "-")
        for d in sorted(late, key=lambda d: (-(d.days or 0), d.person))
    ] + [
        tr(lang, "{person}: not disabled; failed in run {runs}.",
           person=d.person, runs=", ".join(d.failed_runs))
        if d.failed_runs
        else tr(lang, "{person}: not disabled yet.", person=d.person)
        for d in sorted(missing, key=lambda d: d.person)
    ]  # fmt: skip
    numbers = {
        "leavers": len(leavers),
        "disabled": len(done),
        "median_days": median,
        "worst_days": max(days) if days else None,
        "late": [{"person": d.person, "days": d.days, "run": d.run_id} for d in late],
        "not_disabled": [{"person": d.person, "failed_runs": list(d.failed_runs)} for d in missing],
        "without_last_day": len(unknown_day),
    }
    verdict = Verdict.NOT_OK if exceptions else Verdict.OK
    return Part(title, verdict, tuple(figures), tuple(exceptions), numbers)


# -- manual tasks (portals, a SIS without an API, retention) --------------------------------


def task_part(facts: ChecklistFacts, title: str, tasks: Sequence[TaskFact]) -> Part:
    """Tasks due in the period: done on time, done late, open and overdue."""
    lang, period = facts.language, facts.period
    due = [t for t in tasks if t.status != "cancelled" and _in(period, _task_day(t))]
    if not due:
        none = (tr(lang, "No task was due in this period."),)
        return Part(title, Verdict.NO_EVIDENCE, none, numbers={"tasks": 0})
    on_time = [t for t in due if t.status == "done" and not _late(t)]
    late = [t for t in due if t.status == "done" and _late(t)]
    overdue = [t for t in due if t.status == "open" and t.due_on and t.due_on < period.on]
    waiting = [t for t in due if t.status == "open" and t not in overdue]
    figures = [
        tr(lang, "Tasks due: {due}; done on time: {on_time}; done late: {late}; open: {open} "
           "(of which overdue: {overdue}).", due=len(due), on_time=len(on_time),
           late=len(late), open=len(overdue) + len(waiting), overdue=len(overdue))
    ]  # fmt: skip
    exceptions = [_late_task(t, lang) for t in late] + [
        _overdue_task(t, period, lang) for t in overdue
    ]
    numbers = {
        "tasks": len(due),
        "done_on_time": len(on_time),
        "done_late": [t.id for t in late],
        "open_overdue": [t.id for t in overdue],
        "open": len(overdue) + len(waiting),
    }
    return Part(
        title, Verdict.NOT_OK if exceptions else Verdict.OK, tuple(figures),
        tuple(exceptions), numbers,
    )  # fmt: skip


def _task_day(task: TaskFact) -> date | None:
    return task.due_on or task.done_on


def _in(period: Period, day: date | None) -> bool:
    return day is not None and period.holds(day)


def _late(task: TaskFact) -> bool:
    return bool(task.due_on and task.done_on and task.done_on > task.due_on)


def _who(task: TaskFact) -> str:
    about = f", {task.person}" if task.person else ""
    return f"{task.id} ({task.system}{about}; {task.origin})"


def _late_task(task: TaskFact, lang: str) -> str:
    assert task.due_on is not None and task.done_on is not None
    days = (task.done_on - task.due_on).days
    return tr(lang, "Task {task}: done {days} days late.", task=_who(task), days=days)


def _overdue_task(task: TaskFact, period: Period, lang: str) -> str:
    assert task.due_on is not None
    days = (period.on - task.due_on).days
    return tr(lang, "Task {task}: open, {days} days overdue.", task=_who(task), days=days)


def tasks_of(facts: ChecklistFacts, kinds: frozenset[str]) -> list[TaskFact]:
    return [t for t in facts.tasks if t.kind in kinds]


def retention_parts(facts: ChecklistFacts) -> list[Part]:
    """One part per retention category (tasks whose kind starts with ``retention_``)."""
    tasks = [t for t in facts.tasks if t.kind.startswith(RETENTION_PREFIX)]
    categories = sorted({t.category or t.kind.removeprefix(RETENTION_PREFIX) for t in tasks})
    parts = [
        task_part(
            facts,
            tr(facts.language, "Retention tasks: {category}", category=category),
            [t for t in tasks if (t.category or t.kind.removeprefix(RETENTION_PREFIX)) == category],
        )
        for category in categories
    ]
    if not parts:
        title = tr(facts.language, "Retention tasks")
        figures = (tr(facts.language, "No retention task was due in this period."),)
        parts.append(Part(title, Verdict.NO_EVIDENCE, figures, numbers={"tasks": 0}))
    return parts


# -- document hierarchy (§10.2) -------------------------------------------------------------


def hierarchy_parts(facts: ChecklistFacts) -> list[Part]:
    """Per target: the full runs of the period, drift put back, and repairs that failed."""
    lang = facts.language
    parts = []
    for drift in sorted(facts.drift, key=lambda d: d.target):
        title = tr(lang, "Access and document libraries in {target}", target=drift.target)
        figures = (
            tr(lang, "Full runs that checked it: {runs}; changes made by hand found and put "
               "back: {repaired}; repairs that failed: {failed}.", runs=drift.runs,
               repaired=drift.repaired, failed=drift.failed),
        )  # fmt: skip
        exceptions = tuple(
            tr(lang, "Repair failed in run {run}.", run=run) for run in drift.failed_runs
        )
        if drift.runs == 0:
            verdict = Verdict.NO_EVIDENCE
        else:
            verdict = Verdict.NOT_OK if drift.failed else Verdict.OK
        numbers = {"runs": drift.runs, "repaired": drift.repaired, "failed": drift.failed,
                   "failed_runs": list(drift.failed_runs)}  # fmt: skip
        parts.append(Part(title, verdict, figures, exceptions, numbers))
    return parts


# -- consent (§7) ---------------------------------------------------------------------------


def consent_parts(facts: ChecklistFacts) -> list[Part]:
    consent = facts.consent
    if consent is None:
        return []
    return [_media_part(facts, consent), _reminder_part(facts, consent)]


def _media_part(facts: ChecklistFacts, consent: ConsentFacts) -> Part:
    lang = facts.language
    title = tr(lang, "Consent asked per medium")
    if not any(m.answered for m in consent.media):
        why = (
            tr(lang, "No consent answer is recorded.")
            if consent.reads_consents
            else tr(lang, "No consent source is connected (a consent file or a SIS that "
                    "holds consents).")
        )  # fmt: skip
        return Part(title, Verdict.NO_EVIDENCE, (why,), numbers={"media": {}})
    figures = [tr(lang, "Pupils enrolled at the last full read: {count}.", count=consent.enrolled)]
    exceptions = []
    for m in consent.media:
        if not m.answered:
            figures.append(tr(lang, "{medium}: no answers recorded (not asked for).",
                              medium=m.label(lang)))  # fmt: skip
            continue
        figures.append(
            tr(lang, "{medium}: {answered} pupils answered ({granted} yes).",
               medium=m.label(lang), answered=m.answered, granted=m.granted)
        )  # fmt: skip
        if m.enrolled_without:
            exceptions.append(
                tr(lang, "{medium}: {count} enrolled pupils without an answer.",
                   medium=m.label(lang), count=m.enrolled_without)
            )  # fmt: skip
    numbers = {
        "enrolled": consent.enrolled,
        "media": {
            m.medium: {"answered": m.answered, "granted": m.granted,
                       "without_answer": m.enrolled_without}
            for m in consent.media
        },
    }  # fmt: skip
    verdict = Verdict.NOT_OK if exceptions else Verdict.OK
    return Part(title, verdict, tuple(figures), tuple(exceptions), numbers)


def _reminder_part(facts: ChecklistFacts, consent: ConsentFacts) -> Part:
    lang, period = facts.language, facts.period
    title = tr(lang, "Yearly reminder per location")
    figures, exceptions = [], []
    passed = period.on >= consent.reminder_due
    for r in consent.reminders:
        where = f"{r.location} {r.name}"
        if r.sent_on is not None:
            figures.append(tr(lang, "{location}: sent on {day}.", location=where,
                              day=day_text(r.sent_on, lang)))  # fmt: skip
        elif passed:
            exceptions.append(tr(lang, "{location}: not recorded by {due}.", location=where,
                                 due=day_text(consent.reminder_due, lang)))  # fmt: skip
        else:
            due = day_text(consent.reminder_due, lang)
            figures.append(tr(lang, "{location}: not yet recorded (due by {due}).",
                              location=where, due=due))  # fmt: skip
    sent = sum(1 for r in consent.reminders if r.sent_on is not None)
    numbers = {
        "locations": len(consent.reminders),
        "sent": sent,
        "missing": [r.location for r in consent.reminders if r.sent_on is None],
        "due": consent.reminder_due.isoformat(),
    }
    if exceptions:
        verdict = Verdict.NOT_OK
    else:
        verdict = Verdict.OK if sent and sent == len(consent.reminders) else Verdict.NO_EVIDENCE
    return Part(title, verdict, tuple(figures), tuple(exceptions), numbers)


# -- breaches (§13.3) -----------------------------------------------------------------------


def breach_parts(facts: ChecklistFacts) -> list[Part]:
    lang, period = facts.language, facts.period
    breaches = [b for b in facts.breaches if period.holds(b.discovered_on)]
    title = tr(lang, "Breach register")
    if not breaches:
        none = (tr(lang, "No breach registered in this period."),)
        return [Part(title, Verdict.NO_EVIDENCE, none, numbers={"breaches": 0})]
    now = facts.built_at
    counts: dict[str, list[int]] = {"privacy_officer": [0, 0], "authority": [0, 0]}
    exceptions: list[str] = []
    for breach in sorted(breaches, key=lambda b: b.id):
        for deadline in breach.deadlines:
            tally = counts[deadline.party]
            if deadline.done_at is None and deadline.due_at > now:
                continue  # still open and in time: not judged yet
            tally[1] += 1
            if deadline.done_at is not None and deadline.done_at <= deadline.due_at:
                tally[0] += 1
            else:
                exceptions.append(_late_breach(breach, deadline, now, lang))
    figures = (
        tr(lang, "Breaches registered: {count}.", count=len(breaches)),
        tr(lang, "Reported to the FG within 24 hours: {met} of {count}.",
           met=counts["privacy_officer"][0], count=counts["privacy_officer"][1]),
        tr(lang, "Reported to the Autoriteit Persoonsgegevens within 72 hours (where it had "
           "to be): {met} of {count}.", met=counts["authority"][0],
           count=counts["authority"][1]),
    )  # fmt: skip
    numbers = {
        "breaches": len(breaches),
        "privacy_officer": {
            "met": counts["privacy_officer"][0],
            "of": counts["privacy_officer"][1],
        },
        "authority": {"met": counts["authority"][0], "of": counts["authority"][1]},
    }
    verdict = Verdict.NOT_OK if exceptions else Verdict.OK
    return [Part(title, verdict, figures, tuple(exceptions), numbers)]


def _late_breach(breach: BreachFact, deadline: DeadlineFact, now: datetime, lang: str) -> str:
    whom = tr(lang, "the FG") if deadline.party == "privacy_officer" else tr(lang, "the AP")
    if deadline.done_at is None:
        hours = round((now - deadline.due_at).total_seconds() / 3600)
        return tr(lang, "{id}: {whom} not told; {hours} hours past the deadline.",
                  id=breach.id, whom=whom, hours=hours)  # fmt: skip
    hours = round((deadline.done_at - deadline.due_at).total_seconds() / 3600)
    return tr(lang, "{id}: {whom} told {hours} hours late.", id=breach.id, whom=whom,
              hours=hours)  # fmt: skip


# -- processor agreements (§4) --------------------------------------------------------------


def agreement_parts(facts: ChecklistFacts) -> list[Part]:
    lang, period = facts.language, facts.period
    title = tr(lang, "Processor agreements of the connected systems")
    figures, exceptions = [], []
    for a in facts.agreements:
        system = f"{a.system} ({a.connector})"
        if a.processor is None:
            exceptions.append(tr(lang, "{system}: no processor agreement recorded.",
                                 system=system))  # fmt: skip
        elif a.signed_on is None:
            exceptions.append(tr(lang, "{system}: the agreement with {processor} is not "
                                 "signed.", system=system, processor=a.processor))  # fmt: skip
        elif a.signed_on > period.last:
            exceptions.append(tr(lang, "{system}: the agreement with {processor} was signed "
                                 "only on {day}.", system=system, processor=a.processor,
                                 day=day_text(a.signed_on, lang)))  # fmt: skip
        else:
            figures.append(tr(lang, "{system}: {processor}, signed on {day}.", system=system,
                              processor=a.processor, day=day_text(a.signed_on, lang)))  # fmt: skip
    numbers = {
        "systems": len(facts.agreements),
        "present": len(figures),
        "missing": [a.system for a in facts.agreements if a.processor is None],
    }
    if not facts.agreements:
        return [Part(title, Verdict.NO_EVIDENCE, (), numbers=numbers)]
    verdict = Verdict.NOT_OK if exceptions else Verdict.OK
    return [Part(title, verdict, tuple(figures), tuple(exceptions), numbers)]
