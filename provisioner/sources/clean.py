"""Clean input, the same for every source: applied to each SourceBatch right after its read.

A record is quarantined (a :class:`RecordProblem` with file, line, record, field and reason;
the person frozen for this run, exactly as a source's own rejections) when any of its text
fields holds

- a control character: C0 except tab (U+0000-U+0008, U+000A-U+001F, so NUL, BEL, ESC), DEL
  (U+007F) or C1 (U+0080-U+009F);
- a bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069), which makes a name
  read differently from what it is, or a zero-width character (U+200B-U+200D, U+2060,
  U+FEFF), which makes two names look the same; or a lone surrogate;
- more than :data:`MAX_TEXT` characters (a name part, a function title, a group name);

or when its key does not match the board's pattern (``[sources] employee_number_pattern``,
``pupil_id_pattern``). A key that does not match may be a mangled key of someone else (``1e5``
for 100000): it also counts as a record whose key could not be read, so that nobody missing
from that source is treated as gone while it is there. A group with a bad id or name is left
out and its pupils are frozen; a bad teacher number costs only that teacher's link.

Names that pass are NFC-normalised. Reasons name the field and what is wrong, never the bad
value itself: code points are shown as ``U+202E``.

For CSV sources the file, line and column of the record are looked up in the file (only
when a record is refused); API sources give their endpoint and the field's name.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from provisioner.config import EMPLOYEE_NUMBER_PATTERN, PUPIL_ID_PATTERN
from provisioner.domain.models import (
    ClassGroup,
    ConsentRecord,
    PersonName,
    Pupil,
    StaffMember,
    pupil_key,
    staff_key,
)
from provisioner.sources.models import LocatingSource, RecordProblem, Source, SourceBatch

if TYPE_CHECKING:
    from provisioner.config import SourcesConfig

#: The longest text field accepted: a name part (given name, prefix, family name), a function
#: title, a group's name, an id. Real Dutch names stay far below it.
MAX_TEXT = 200

_BAD = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200d\u2060\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0A: "LF", 0x0D: "CR", 0x1B: "ESC"}
_CONTROL_NAMES |= {0x7F: "DEL", 0x85: "NEL"}

#: (field as the report names it for API sources, what it is in words)
Issue = tuple[str, str, str]  # field, value (to find the CSV cell), reason


@dataclass(frozen=True, slots=True)
class CleanRules:
    """The board's key patterns (``[sources]``), matched against the whole key, ASCII only."""

    employee_number: re.Pattern[str] = re.compile(EMPLOYEE_NUMBER_PATTERN, re.ASCII)
    pupil_id: re.Pattern[str] = re.compile(PUPIL_ID_PATTERN, re.ASCII)

    @classmethod
    def of(cls, sources: SourcesConfig) -> CleanRules:
        return cls(
            re.compile(sources.employee_number_pattern, re.ASCII),
            re.compile(sources.pupil_id_pattern, re.ASCII),
        )


def shown(value: str, limit: int = 24) -> str:
    """A value safe to print: printable ASCII as is, anything else as U+XXXX, cut short."""
    out = [ch if " " <= ch <= "~" else f"U+{ord(ch):04X}" for ch in value[:limit]]
    text = "".join(out) if all(len(p) == 1 for p in out) else " ".join(_runs(out))
    return text + ("..." if len(value) > limit else "")


def _runs(parts: list[str]) -> Iterable[str]:
    """'a', 'b', 'U+0661' -> 'ab', 'U+0661': ASCII runs together, code points apart."""
    run = ""
    for part in parts:
        if len(part) == 1:
            run += part
            continue
        if run:
            yield run
            run = ""
        yield part
    if run:
        yield run


def _describe(ch: str) -> str:
    code = ord(ch)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(ch, "")
    label = f"U+{code:04X}" + (f" ({name})" if name else "")
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"{label}, a control character"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return f"{label}, a bidirectional override"
    if 0xD800 <= code <= 0xDFFF:
        return f"{label}, a lone surrogate"
    return f"{label}, a zero-width character"


def text_problem(what: str, value: str, limit: int = MAX_TEXT) -> str | None:
    """Why ``value`` (the ``what``, e.g. "given name") cannot be used, or None."""
    if len(value) <= limit and _BAD.search(value) is None:
        return None  # the usual value, quickly
    reasons = []
    found = list(dict.fromkeys(m.group() for m in _BAD.finditer(value)))
    if found:
        listed = "; ".join(_describe(ch) for ch in found[:3])
        more = f" and {len(found) - 3} other characters like them" if len(found) > 3 else ""
        reasons.append(f"the {what} contains {listed}{more}")
    if len(value) > limit:
        reasons.append(
            f"the {what} is {len(value):,} characters long; at most {limit} are accepted"
        )
    return "; ".join(reasons) or None


def _key_problem(what: str, value: str, pattern: re.Pattern[str], setting: str) -> str | None:
    if pattern.fullmatch(value):
        return None
    return (
        f"the {what} '{shown(value)}' does not match the board's pattern {pattern.pattern} "
        f"([sources] {setting})"
    )


def _name_issues(name: PersonName) -> list[Issue]:
    issues = []
    for what, value in (("given name", name.given), ("prefix", name.prefix)):
        if (reason := text_problem(what, value)) is not None:
            issues.append((what, value, reason))
    if (reason := text_problem("family name", name.family)) is not None:
        issues.append(("family name", name.family, reason))
    return issues


def _nfc(name: PersonName) -> PersonName:
    parts = (name.given, name.prefix, name.family)
    if all(p.isascii() or unicodedata.is_normalized("NFC", p) for p in parts):
        return name
    given, prefix, family = (unicodedata.normalize("NFC", p) for p in parts)
    return PersonName(given, prefix, family)


@dataclass
class _Cleaner:
    source: Source
    batch: SourceBatch
    rules: CleanRules
    problems: list[RecordProblem] = field(default_factory=list)
    #: the last consent's pupil id that passed, and the (medium, school year) pairs that did
    good_pupil_id: str | None = None
    good_texts: dict[tuple[str, str], bool] = field(default_factory=dict)

    # -- where a record is ------------------------------------------------------------------

    def _endpoint(self) -> str:
        config = getattr(self.source, "config", None)
        for attribute in ("users_connector", "api_url", "base_url", "url"):
            value = getattr(config, attribute, None)
            if isinstance(value, str) and value:
                return value
        return str(getattr(self.source, "system", "") or self.source.name)

    def locate(self, record: str, value: str, what: str) -> tuple[str, int | None, str]:
        """(file, line, field) of the record's value when the source can tell (a CSV source:
        :class:`~provisioner.sources.models.LocatingSource`), else the endpoint and the field."""
        if isinstance(self.source, LocatingSource):
            found = self.source.locate(record, value)
            if found is not None:
                return found
        return self._endpoint(), None, what

    # -- reporting --------------------------------------------------------------------------

    def refuse(self, record: str, issues: list[Issue], *, key_ok: bool = True) -> None:
        """Report each issue of the record whose key (as read) is ``record``."""
        system = str(getattr(self.source, "system", "") or "") or None
        label = record if key_ok else shown(record)
        for what, value, reason in issues:
            file, line, column = self.locate(record, value, what)
            self.problems.append(
                RecordProblem(self.batch.source, file, line, label, column, reason, system)
            )

    def freeze(self, key: str, *, key_ok: bool) -> None:
        self.batch.quarantined_keys.add(key)
        if not key_ok:  # maybe someone else's key, mangled: nobody missing is gone meanwhile
            self.batch.unkeyed_rejects += 1

    # -- the records ------------------------------------------------------------------------

    def staff(self, member: StaffMember) -> StaffMember | None:
        number = member.employee_number
        issues: list[Issue] = []
        bad_key = _key_problem(
            "employee number", number, self.rules.employee_number, "employee_number_pattern"
        )
        if bad_key:
            issues.append(("employee number", number, bad_key))
        issues += _name_issues(member.name)
        for employment in member.employments:
            title = employment.function_title
            if (reason := text_problem("function title", title)) is not None:
                issues.append(("function title", title, reason))
        if issues:
            self.refuse(number, list(dict.fromkeys(issues)), key_ok=not bad_key)
            self.freeze(staff_key(number), key_ok=not bad_key)
            return None
        name = _nfc(member.name)
        return member if name is member.name else dataclasses.replace(member, name=name)

    def group(self, group: ClassGroup) -> ClassGroup | None:
        issues: list[Issue] = []
        for what, value in (("group id", group.group_id), ("group name", group.name)):
            if (reason := text_problem(what, value)) is not None:
                issues.append((what, value, reason))
        if issues:
            self.refuse(group.group_id, issues, key_ok=False)
            return None
        teachers = set(group.teacher_numbers)
        for number in sorted(group.teacher_numbers):
            reason = _key_problem(
                "teacher's employee number",
                number,
                self.rules.employee_number,
                "employee_number_pattern",
            )
            if reason:  # it costs only this link, as a bad enrolment of a teacher does
                self.refuse(group.group_id, [("teacher", number, reason)])
                teachers.discard(number)
        name = unicodedata.normalize("NFC", group.name)
        if teachers != group.teacher_numbers or name != group.name:
            return dataclasses.replace(group, name=name, teacher_numbers=frozenset(teachers))
        return group

    def pupil(self, pupil: Pupil, bad_groups: set[str]) -> Pupil | None:
        issues: list[Issue] = []
        bad_key = _key_problem("SIS id", pupil.sis_id, self.rules.pupil_id, "pupil_id_pattern")
        if bad_key:
            issues.append(("SIS id", pupil.sis_id, bad_key))
        issues += _name_issues(pupil.name)
        for what, value in (("group", pupil.group_id), ("ECK iD", pupil.eck_id)):
            if value is not None and (reason := text_problem(what, value)) is not None:
                issues.append((what, value, reason))
        if pupil.group_id in bad_groups and not any(i[0] == "group" for i in issues):
            group = shown(pupil.group_id or "")
            issues.append(("group", pupil.group_id or "", f"the group '{group}' was refused"))
        if issues:
            self.refuse(pupil.sis_id, list(dict.fromkeys(issues)), key_ok=not bad_key)
            self.freeze(pupil_key(pupil.sis_id), key_ok=not bad_key)
            return None
        name = _nfc(pupil.name)
        return pupil if name is pupil.name else dataclasses.replace(pupil, name=name)

    def consent(self, record: ConsentRecord) -> ConsentRecord | None:
        if record.pupil_id is self.good_pupil_id and self.good_texts.get(
            (record.medium, record.school_year)
        ):
            return record  # the next answer of a pupil whose id and texts passed already
        found = self._consent(record)
        if found is not None:
            self.good_pupil_id = record.pupil_id
            if len(self.good_texts) < 1024:  # a file has a handful of media and years
                self.good_texts[record.medium, record.school_year] = True
        return found

    def _consent(self, record: ConsentRecord) -> ConsentRecord | None:
        issues: list[Issue] = []
        bad_key = _key_problem("pupil id", record.pupil_id, self.rules.pupil_id, "pupil_id_pattern")
        if bad_key:
            issues.append(("pupil id", record.pupil_id, bad_key))
        for what, value in (("medium", record.medium), ("school year", record.school_year)):
            if (reason := text_problem(what, value)) is not None:
                issues.append((what, value, reason))
        if issues:
            self.refuse(record.pupil_id, issues, key_ok=not bad_key)
            self.batch.quarantined_keys.add(pupil_key(record.pupil_id))
            return None
        return record


def clean_batch(source: Source, batch: SourceBatch, rules: CleanRules) -> SourceBatch:
    """``batch`` without the records :mod:`this module <provisioner.sources.clean>` refuses,
    each reported and its person frozen; names NFC. Changes and returns ``batch``."""
    cleaner = _Cleaner(source, batch, rules)
    batch.staff = [m for m in map(cleaner.staff, batch.staff) if m is not None]
    groups = [(g.group_id, cleaner.group(g)) for g in batch.groups]
    bad_groups = {group_id for group_id, kept in groups if kept is None}
    batch.groups = [kept for _, kept in groups if kept is not None]
    batch.pupils = [p for p in (cleaner.pupil(p, bad_groups) for p in batch.pupils) if p]
    batch.consents = [c for c in map(cleaner.consent, batch.consents) if c is not None]
    batch.problems += cleaner.problems
    return batch
