"""The yearly privacy checklist (seed 002, annex c) with its evidence: pure, facts in, report out.

:func:`build_checklist` takes the facts of one school year (:mod:`.checklist_facts`, read by
:mod:`.checklist_store`) and fills every line of the checklist (:mod:`.checklist_lines`): a
line the software keeps evidence of gets its figures, its exceptions and a verdict
(:mod:`.checklist_parts`); every other line is "to be answered by the school", with its
paragraph. Everything is in the board's language (``board.language``). The report names the
audit chain head it was built from (seq and SHA-256), so anyone can check with ``provisioner
audit verify`` that the trail it summarises has not been changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provisioner.accountability.checklist_facts import ChainHead, ChecklistFacts, Period
from provisioner.accountability.checklist_lines import LINES, PROTOCOL, ChecklistLine, Evidence
from provisioner.accountability.checklist_parts import (
    PORTAL_TASKS,
    SIS_TASKS,
    VERDICT_TEXT,
    Part,
    Verdict,
    agreement_parts,
    breach_parts,
    combine,
    consent_parts,
    day_text,
    hierarchy_parts,
    leaver_parts,
    moment_text,
    retention_parts,
    task_part,
    tasks_of,
)
from provisioner.i18n import tr

__all__ = ["ChecklistReport", "LineReport", "Part", "Verdict", "build_checklist"]


@dataclass(frozen=True)
class LineReport:
    number: int
    section: str
    text: str
    paragraph: str
    evidence: Evidence
    verdict: Verdict
    verdict_text: str
    parts: tuple[Part, ...] = ()
    school_part: str | None = None


@dataclass(frozen=True)
class ChecklistReport:
    board: str
    language: str
    period: Period
    built_at: datetime
    head: ChainHead
    lines: tuple[LineReport, ...]
    texts: dict[str, str]  # the headings and sentences around the lines, translated

    def counts(self) -> dict[str, int]:
        """Lines per verdict."""
        out = {verdict.value: 0 for verdict in Verdict}
        for line in self.lines:
            out[line.verdict.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "board": self.board,
            "language": self.language,
            "school_year": self.period.school_year,
            "from": self.period.start.isoformat(),
            "to": self.period.last.isoformat(),
            "complete": self.period.complete,
            "built_at": self.built_at.isoformat(),
            "audit_head": {"seq": self.head.seq, "sha256": self.head.sha256},
            "counts": self.counts(),
            "lines": [
                {
                    "number": line.number,
                    "section": line.section,
                    "text": line.text,
                    "paragraph": line.paragraph,
                    "evidence": line.evidence.value,
                    "verdict": line.verdict.value,
                    "school_part": line.school_part,
                    "parts": [
                        {
                            "title": part.title,
                            "verdict": part.verdict.value,
                            "figures": list(part.figures),
                            "exceptions": list(part.exceptions),
                            "numbers": part.numbers,
                        }
                        for part in line.parts
                    ],
                }
                for line in self.lines
            ],
        }


def build_checklist(facts: ChecklistFacts) -> ChecklistReport:
    lines = tuple(_line(facts, line) for line in LINES)
    return ChecklistReport(
        board=facts.board,
        language=facts.language,
        period=facts.period,
        built_at=facts.built_at,
        head=facts.head,
        lines=lines,
        texts=_texts(facts),
    )


def _line(facts: ChecklistFacts, line: ChecklistLine) -> LineReport:
    lang = facts.language
    paragraph = tr(lang, PROTOCOL) if line.paragraph == PROTOCOL else line.paragraph
    parts = tuple(_parts(facts, line.evidence))
    verdict = Verdict.SCHOOL if line.evidence is Evidence.SCHOOL else combine(parts)
    return LineReport(
        number=line.number,
        section=tr(lang, line.section),
        text=tr(lang, line.text),
        paragraph=paragraph,
        evidence=line.evidence,
        verdict=verdict,
        verdict_text=tr(lang, VERDICT_TEXT[verdict]),
        parts=parts,
        school_part=tr(lang, line.school_part) if line.school_part else None,
    )


def _parts(facts: ChecklistFacts, evidence: Evidence) -> list[Part]:
    lang = facts.language
    if evidence is Evidence.SIS_LEAVERS:
        parts = leaver_parts(facts, ["sis_staff"])
        sis_tasks = tasks_of(facts, SIS_TASKS)
        if sis_tasks or "sis_staff_tasks" in facts.targets.values():
            parts.append(task_part(facts, tr(lang, "Manual tasks in the SIS"), sis_tasks))
        return parts or [_not_connected(lang, tr(lang, "No SIS staff accounts are kept."))]
    if evidence is Evidence.NETWORK_LEAVERS:
        parts = leaver_parts(facts, ["directory", "ad"])
        title = tr(lang, "Manual tasks for portals without an API")
        return [*parts, task_part(facts, title, tasks_of(facts, PORTAL_TASKS))]
    if evidence is Evidence.M365_LEAVERS:
        parts = leaver_parts(facts, ["m365"])
        return parts or [_not_connected(lang, tr(lang, "No Microsoft 365 target is connected."))]
    if evidence is Evidence.RETENTION:
        return retention_parts(facts)
    if evidence is Evidence.HIERARCHY:
        parts = hierarchy_parts(facts)
        return parts or [_not_connected(lang, tr(lang, "No target is connected."))]
    if evidence is Evidence.CONSENT:
        return consent_parts(facts)
    if evidence is Evidence.BREACHES:
        return breach_parts(facts)
    if evidence is Evidence.AGREEMENTS:
        return agreement_parts(facts)
    return []


def _not_connected(lang: str, why: str) -> Part:
    return Part(tr(lang, "Not connected"), Verdict.NO_EVIDENCE, (why,))


def _texts(facts: ChecklistFacts) -> dict[str, str]:
    lang, period = facts.language, facts.period
    until = (
        tr(lang, "figures over the whole school year")
        if period.complete
        else tr(
            lang,
            "figures up to {day} (the year is still running)",
            day=day_text(period.on, lang),
        )
    )
    return {
        "title": tr(lang, "Privacy checklist {year}", year=period.school_year),
        "subtitle": tr(
            lang,
            "{board}: school year {year}, from {start} to {end}; {until}.",
            board=facts.board,
            year=period.school_year,
            start=day_text(period.start, lang),
            end=day_text(period.end, lang),
            until=until,
        ),
        "intro": tr(
            lang,
            "Every line of the privacy checklist of the protocol (annex c). Where the "
            "provisioner keeps evidence (its audit trail and registers) the line shows the "
            "figures, the exceptions and a verdict; every other line is to be answered by the "
            "school.",
        ),
        "stamp": tr(
            lang,
            "Built on {built} from the audit trail up to event {seq} (sha256 {sha256}). "
            "Check that trail with: provisioner audit verify.",
            built=moment_text(facts.built_at, lang),
            seq=facts.head.seq,
            sha256=facts.head.sha256,
        ),
        "anchor": facts.head.line,
        "footer": tr(
            lang,
            "{board}, privacy checklist {year}: audit trail seq {seq}, sha256 {sha256}; built "
            "{built}",
            board=facts.board,
            year=period.school_year,
            seq=facts.head.seq,
            sha256=facts.head.sha256,
            built=moment_text(facts.built_at, lang),
        ),
        "exceptions": tr(lang, "Exceptions"),
        "school": tr(lang, "For the school"),
        "summary": tr(lang, "Summary"),
        "school_answers": tr(
            lang, "Answer of the school (who checked it, and when):"
        ),
        "not_ok": tr(lang, "Not OK"),
        **{f"verdict_{v.value}": tr(lang, VERDICT_TEXT[v]) for v in Verdict},
    }
