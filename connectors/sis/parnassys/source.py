"""Pupils and groups from the ParnasSys generic SOAP interface (GeneriekeService), read only.

For every BRIN4 in ``config.brins`` and the current school year (``"2026 / 2027"``; the new
year starts on 1 August) the source calls ``getLeerlingen`` (pupils, groups) and
``getMedewerkers`` (staff, for the teachers of the groups). SOAP 1.1: ``POST`` with
``SOAPAction: "<operation>"``, the body element in ``http://www.topicus.nl/parnassys`` with
unqualified ``leveranciernaam``, ``leveranciersleutel``, ``brinnummer`` and ``schooljaar``.
Answers are read by local element name, so either namespace style of the answer works.

Mapping (element names of docs research §4; the ones marked *EDEXML* are not in the public
evidence of the generic interface and are named after EDEXML, §8.3):

- ``sis_id``: ``leerling/id`` (the ParnasSys key; ``leerlingNummer`` is only unique per
  school, so it is not used);
- name: given ``roepNaam``, else the first of ``voornamen``; prefix ``tussenvoegsel`` and
  family name ``achternaam`` (the name in use), else ``tussenvoegselOfficieel`` and
  ``achternaamOfficieel``;
- ``birth_date``: ``geboortedatum`` (``YYYY-MM-DD``; a date-time counts as its date);
- location (BRIN6): the BRIN4 asked for, followed by the two-digit ``dependancecode``
  (*EDEXML*) of the ``leerling`` and of the ``groep``; no ``dependancecode`` means ``00``,
  the main location. A BRIN6 that is not a configured location quarantines the pupil;
- group: ``groepsindelingen/groepsindeling`` refers to ``groepen/groep`` by ``id``. Only
  placements in the school year asked for count (by their ``schooljaar`` reference, when
  given). The group is the placement active today (``vanafDatum``..``totDatum``), else the
  next one, else the last one that ended. A group named ``aangemeld`` (registered, not yet
  placed) is no group: the pupil has none;
- enrolment: ``inschrijvingen/inschrijving`` ``datumInschrijving`` / ``datumUitschrijving``:
  from the first start to the last end; an open start or end in any of them leaves that side
  open;
- teachers of a group: ``medewerker/groepen/groep`` (*EDEXML*: ``leerkracht/groepen``),
  references to ``groep/id`` of ``getLeerlingen``; the HR employee number is
  ``medewerker/personeelsnummer`` (*assumed*: the generic interface's public evidence has no
  such element). A teacher without one is reported and gets no group access.

Checked (the vendor's own connector, Tools4ever HelloID ParnasSys source, reads
``getMedewerkers`` as ``id``, ``aanhef``, ``roepNaam``, ``firstName``, ``lastName``,
``achternaam``, ``email``, ``geboortedatum``, ``mobile``, ``telefoonWerk`` and
``dienstverbanden``; its pupils carry no location code): ``dependancecode``,
``personeelsnummer`` and ``medewerker/groepen`` remain **unconfirmed** for the generic
interface. A school that does not send ``dependancecode`` is read as its main location
(``00``), which is right for a school with one location; a multi-location BRIN needs it. When
no medewerker carries ``groepen`` at all, that is reported once: teachers then get no class
access from ParnasSys (the OneRoster export or UWLR/EDEXML do carry teacher-group links).

ParnasSys gives no ECK iD and no enabled flag here: ``eck_id`` is None and
``enabled_in_sis`` True; leaving is the enrolment's end. Quarantine follows the OneRoster
rules (docs/formats.md): a bad pupil record is reported (``file`` = the operation, ``line``
None, ``record`` = the ``leerling/id``, ``field`` = the element) and quarantined; a bad group
is reported, and its pupils are quarantined; a bad teacher link costs only that access.
"""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date

import httpx

from connectors.csv_common import Issue, Rejections, clean_text, not_a_date, parse_date
from connectors.sis.parnassys.client import (
    GET_PUPILS,
    GET_STAFF,
    MAX_ATTEMPTS,
    MAX_WAIT,
    NAMESPACE,
    SOAP_ENV,
    TIMEOUT,
    ParnasSysClient,
    envelope,
    school_year,
    translate,
)
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.soap import child, child_text, items_at
from provisioner.domain.models import ClassGroup, PersonName, Pupil, pupil_key
from provisioner.errors import ConfigError
from provisioner.sources.models import SourceBatch, SourceKind

log = logging.getLogger(__name__)

#: The transport's names, importable from here as before the split.
__all__ = [
    "GET_PUPILS", "GET_STAFF", "MAX_ATTEMPTS", "MAX_WAIT", "NAMESPACE", "SOAP_ENV", "TIMEOUT",
    "ParnasSysClient", "ParnasSysSource", "envelope", "school_year", "translate",
]  # fmt: skip

NOT_PLACED = "aangemeld"  # the group of registered pupils who are not yet placed
MAIN_LOCATION = "00"  # the dependancecode of a school's main location


# -- the source -------------------------------------------------------------------------------


def _date(value: str) -> date | None:
    """An ISO date; a date-time or a date with a zone (``2026-08-01+02:00``) is its date."""
    return parse_date(value[:10]) if len(value) >= 10 else None


@dataclass(frozen=True, slots=True)
class _Placement:
    group_id: str
    begin: date | None
    end: date | None

    def active_on(self, day: date) -> bool:
        return (self.begin is None or self.begin <= day) and (self.end is None or day <= self.end)


@dataclass(slots=True)
class _Read:
    log: Rejections
    today: date
    pupils: dict[str, Pupil] = field(default_factory=dict)
    pupil_ids: set[str] = field(default_factory=set)  # every leerling id seen: the count
    groups: dict[str, ClassGroup] = field(default_factory=dict)
    group_ids: set[str] = field(default_factory=set)  # every group id seen: the count
    bad_groups: dict[str, str] = field(default_factory=dict)  # group id -> reason
    not_placed: set[str] = field(default_factory=set)  # ids of 'aangemeld' groups
    teachers: dict[str, set[str]] = field(default_factory=dict)  # group id -> employee numbers


class ParnasSysSource:
    """A ParnasSys school administration (LAS) as SIS source.

    ``locations`` are the configured BRIN6 codes; ``today`` (default: the day of the read)
    decides the school year, the current group and which teachers still teach. The key
    comes from the configuration (``key_env`` or ``key_file``) unless ``key`` is given.
    """

    kind: SourceKind = SourceKind.SIS
    system: str = "ParnasSys"

    def __init__(
        self,
        name: str,
        config: ParnasSysSourceConfig,
        locations: AbstractSet[str],
        *,
        key: str | None = None,
        transport: httpx.BaseTransport | None = None,
        today: date | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.config = config
        self.locations = frozenset(locations)
        self.today = today
        self._key = key
        self._transport = transport
        self._sleep = sleep

    def read(self) -> SourceBatch:
        """Call both operations for every BRIN and join the answers."""
        key = self._key
        if key is None:
            key = self.config.require_secret(
                "key", f"[sources.{self.name}]", "the ParnasSys supplier key"
            ).get_secret_value()
        if not key:
            raise ConfigError(f"source {self.name}: the ParnasSys supplier key is empty")
        today = self.today or date.today()
        year = school_year(today)
        client = ParnasSysClient(self.config, key, transport=self._transport, sleep=self._sleep)
        answers: list[tuple[str, ET.Element, ET.Element]] = []
        with client.client() as http:
            for raw_brin in self.config.brins:
                brin = raw_brin.strip().upper()
                pupils = client.call(http, GET_PUPILS, brin, year)
                staff = client.call(http, GET_STAFF, brin, year)
                answers.append((brin, pupils, staff))
        state = _Read(Rejections(self.name), today)
        for brin, pupils, _ in answers:
            self._groups(brin, year, pupils, state)
        for _brin, _, staff in answers:
            self._teachers(staff, state)
        duplicates: set[str] = set()
        for brin, pupils, _ in answers:
            self._pupils(brin, year, pupils, state, duplicates)
        return self._assemble(state).named(self.system)

    # -- groups -------------------------------------------------------------------------------

    def _groups(self, brin: str, year: str, answer: ET.Element, state: _Read) -> None:
        year_ids = _year_ids(answer, year)
        for element in items_at(answer, "groepen/groep"):
            group_id, title = child_text(element, "id"), child_text(element, "naam")
            if not group_id:
                state.log.note(GET_PUPILS, None, None, "groep/id", "a group has no id")
                continue
            if title.casefold() == NOT_PLACED:
                state.not_placed.add(group_id)
                continue
            ref = child_text(element, "schooljaar")
            if ref and year_ids and ref not in year_ids:
                continue  # a group of another year, listed for an old placement
            state.group_ids.add(group_id)
            brin6, reason = self._location(brin, child_text(element, "dependancecode"))
            field_name = "groep/dependancecode"
            if not title:
                field_name, reason = "groep/naam", "the group has no naam"
            if group_id in state.groups or group_id in state.bad_groups:
                field_name, reason = "groep/id", f"group '{group_id}' is listed twice"
                state.groups.pop(group_id, None)
            if reason is not None or brin6 is None:
                state.log.note(GET_PUPILS, None, group_id, field_name, str(reason))
                state.bad_groups[group_id] = f"group '{group_id}' is rejected: {reason}"
                continue
            state.groups[group_id] = ClassGroup(group_id, title, brin6)

    def _location(self, brin: str, code: str) -> tuple[str | None, str | None]:
        """(BRIN6, None) of a configured location, else (None, reason)."""
        code = code.upper() or MAIN_LOCATION
        if len(code) == 1 and code.isdigit():
            code = "0" + code
        if len(code) != 2 or not code.isalnum():
            return None, f"dependancecode '{code}' is not two digits"
        brin6 = brin + code
        if brin6 not in self.locations:
            return None, f"location {brin6} (BRIN {brin}, dependancecode {code}) is not configured"
        return brin6, None

    # -- teachers -----------------------------------------------------------------------------

    def _teachers(self, answer: ET.Element, state: _Read) -> None:
        staff = list(items_at(answer, "medewerkers/medewerker"))
        if staff and not any(child(e, "groepen") is not None for e in staff):
            reason = (
                "no medewerker has groepen: teachers get no class access from ParnasSys "
                "(teacher-group links are not known to be in the generic interface)"
            )
            state.log.note(GET_STAFF, None, None, "medewerker/groepen", reason)
        for element in staff:
            staff_id = child_text(element, "id") or None
            groups = [clean_text(g.text or "") for g in items_at(element, "groepen/groep")]
            if not groups:
                continue  # not a teacher of any group: nothing of theirs is used
            number = child_text(element, "personeelsnummer")
            if not number:
                reason = "teacher has no personeelsnummer: no group access"
                state.log.note(GET_STAFF, None, staff_id, "personeelsnummer", reason)
                continue
            for group_id in groups:
                if group_id in state.bad_groups or group_id in state.not_placed:
                    continue  # reported with the group
                if group_id not in state.groups:
                    reason = f"group '{group_id}' is not in {GET_PUPILS} groepen"
                    state.log.note(GET_STAFF, None, staff_id, "groepen/groep", reason)
                    continue
                state.teachers.setdefault(group_id, set()).add(number)

    # -- pupils -------------------------------------------------------------------------------

    def _pupils(
        self, brin: str, year: str, answer: ET.Element, state: _Read, duplicates: set[str]
    ) -> None:
        year_ids = _year_ids(answer, year)
        for element in items_at(answer, "leerlingen/leerling"):
            pupil_id = child_text(element, "id")
            if not pupil_id:
                state.log.reject(GET_PUPILS, None, None, None, [("id", "a pupil has no id")])
                continue
            key = pupil_key(pupil_id)
            if pupil_id in state.pupil_ids:
                if pupil_id not in duplicates:
                    duplicates.add(pupil_id)
                    state.pupils.pop(pupil_id, None)
                    issue = ("id", f"pupil '{pupil_id}' is listed more than once")
                    state.log.reject(GET_PUPILS, None, pupil_id, key, [issue])
                continue
            state.pupil_ids.add(pupil_id)
            pupil, issues = self._pupil(brin, pupil_id, element, year_ids, state)
            if pupil is None:
                state.log.reject(GET_PUPILS, None, pupil_id, key, issues)
            else:
                state.pupils[pupil_id] = pupil

    def _pupil(
        self,
        brin: str,
        pupil_id: str,
        element: ET.Element,
        year_ids: set[str],
        state: _Read,
    ) -> tuple[Pupil | None, list[Issue]]:
        issues: list[Issue] = []
        first_names = child_text(element, "voornamen").split()
        given = child_text(element, "roepNaam") or (first_names[0] if first_names else "")
        family, prefix = child_text(element, "achternaam"), child_text(element, "tussenvoegsel")
        if not family:
            family = child_text(element, "achternaamOfficieel")
            prefix = child_text(element, "tussenvoegselOfficieel")
        if not given:
            issues.append(("roepNaam", "no given name (roepNaam or voornamen)"))
        if not family:
            issues.append(("achternaam", "no family name (achternaam)"))
        raw_birth = child_text(element, "geboortedatum")
        birth = _date(raw_birth) if raw_birth else None
        if raw_birth and birth is None:
            issues.append(("geboortedatum", not_a_date(raw_birth)))
        location, reason = self._location(brin, child_text(element, "dependancecode"))
        if reason is not None:
            issues.append(("dependancecode", reason))
        group_id = self._group(element, year_ids, state, issues)
        start, end = _enrolment(element, issues)
        if issues or location is None:
            return None, issues
        pupil = Pupil(
            sis_id=pupil_id,
            name=PersonName(given, prefix, family),
            birth_date=birth,
            location=location,
            group_id=group_id,
            enrolment_start=start,
            enrolment_end=end,
        )
        return pupil, []

    def _group(
        self, element: ET.Element, year_ids: set[str], state: _Read, issues: list[Issue]
    ) -> str | None:
        """The pupil's current group (see the module text); problems go to ``issues``."""
        placements: list[_Placement] = []
        for placement in items_at(element, "groepsindelingen/groepsindeling"):
            ref = child_text(placement, "schooljaar")
            if ref and year_ids and ref not in year_ids:
                continue  # an earlier or later school year
            group_id = child_text(placement, "groep")
            raw_begin = child_text(placement, "vanafDatum")
            raw_end = child_text(placement, "totDatum")
            begin = _date(raw_begin) if raw_begin else None
            end = _date(raw_end) if raw_end else None
            count = len(issues)
            if not group_id:
                issues.append(("groepsindeling/groep", "a placement has no groep"))
            elif group_id in state.bad_groups:
                issues.append(("groepsindeling/groep", state.bad_groups[group_id]))
            elif group_id not in state.groups and group_id not in state.not_placed:
                reason = f"group '{group_id}' is not in groepen"
                issues.append(("groepsindeling/groep", reason))
            if raw_begin and begin is None:
                issues.append(("groepsindeling/vanafDatum", not_a_date(raw_begin)))
            if raw_end and end is None:
                issues.append(("groepsindeling/totDatum", not_a_date(raw_end)))
            if begin is not None and end is not None and end < begin:
                reason = f"totDatum '{raw_end}' is before vanafDatum '{raw_begin}'"
                issues.append(("groepsindeling/totDatum", reason))
            if len(issues) == count:
                placements.append(_Placement(group_id, begin, end))
        active = [p for p in placements if p.active_on(state.today)]
        if any(p.group_id != active[0].group_id for p in active):
            names = ", ".join(sorted({p.group_id for p in active}))
            issues.append(("groepsindelingen", f"placed in more than one group at once ({names})"))
            return None
        chosen = _current(placements, active, state.today)
        if chosen is None or chosen.group_id in state.not_placed:
            return None
        return chosen.group_id

    def _assemble(self, state: _Read) -> SourceBatch:
        batch = SourceBatch(source=self.name, kind=self.kind)
        batch.pupils.extend(state.pupils.values())
        for group_id, group in state.groups.items():
            teachers = frozenset(state.teachers.get(group_id, ()))
            batch.groups.append(ClassGroup(group_id, group.name, group.location, teachers))
        state.log.fill(batch)
        batch.counts = {"pupils": len(state.pupil_ids), "groups": len(state.group_ids)}
        return batch


def _year_ids(answer: ET.Element, year: str) -> set[str]:
    """The ids of ``schooljaren/schooljaar`` named ``year`` (spaces around '/' ignored)."""
    wanted = year.replace(" ", "")
    return {
        child_text(e, "id")
        for e in items_at(answer, "schooljaren/schooljaar")
        if child_text(e, "naam").replace(" ", "") == wanted
    }


def _enrolment(element: ET.Element, issues: list[Issue]) -> tuple[date | None, date | None]:
    """(start, end) over all ``inschrijving`` elements; problems go to ``issues``."""
    starts: list[date | None] = []
    ends: list[date | None] = []
    for enrolment in items_at(element, "inschrijvingen/inschrijving"):
        raw_start = child_text(enrolment, "datumInschrijving")
        raw_end = child_text(enrolment, "datumUitschrijving")
        start = _date(raw_start) if raw_start else None
        end = _date(raw_end) if raw_end else None
        if raw_start and start is None:
            issues.append(("inschrijving/datumInschrijving", not_a_date(raw_start)))
        if raw_end and end is None:
            issues.append(("inschrijving/datumUitschrijving", not_a_date(raw_end)))
        if start is not None and end is not None and end < start:
            reason = f"datumUitschrijving '{raw_end}' is before datumInschrijving '{raw_start}'"
            issues.append(("inschrijving/datumUitschrijving", reason))
        starts.append(start)
        ends.append(end)
    known_starts = [d for d in starts if d is not None]
    known_ends = [d for d in ends if d is not None]
    first = min(known_starts) if starts and len(known_starts) == len(starts) else None
    last = max(known_ends) if ends and len(known_ends) == len(ends) else None
    return first, last


def _current(
    placements: list[_Placement], active: list[_Placement], today: date
) -> _Placement | None:
    """The active placement, else the next one, else the last one that ended."""
    if active:
        return active[0]
    upcoming = [p for p in placements if p.begin is not None and p.begin > today]
    if upcoming:
        return min(upcoming, key=lambda p: p.begin or today)
    ended = [p for p in placements if p.end is not None]
    return max(ended, key=lambda p: p.end or today, default=None)
