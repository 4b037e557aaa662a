"""Pupils, their groups and their photo consent from Somtoday Connect (REST), read only.

:class:`SomtodayClient` (:mod:`connectors.sis.somtoday.client`) is the transport: an OAuth2
client-credentials token per organisation (``token_url?organisation=<uuid>``),
``offset``/``amount`` paging (at most 200 a page, until a short page), the one retry policy
(:mod:`connectors.retry`) and the one error translation
(:func:`translate`). :class:`SomtodaySource` reads, per vestiging whose BRIN6 is a configured
location, ``leerling``, ``stamgroep``, ``medewerker``, ``velden/toestemming`` and, per consent
field, ``leerling/veldwaardes``, and quarantines what it cannot use by the OneRoster source's
rules (docs/formats.md). Shapes as in the Somtoday Connect OpenAPI specification (v14.10).

Mapping:

- pupil: ``sis_id`` = ``uuid``, ``eck_id`` = ``eckid``; given name ``roepnaam``, else the first
  of ``voornamen``; ``voorvoegsel``; ``achternaam``; ``geboortedatum``; location = the BRIN6 of
  the vestiging read; group = the ``stamgroep`` of the current ``Plaatsing`` (the one running
  today; else the next to start; else the last ended) and the enrolment its
  ``startdatum``/``einddatum``; ``enabled_in_sis`` = ``isActief``, and when that is absent
  (no permission for it) whether a plaatsing has not ended;
- group: ``stamgroep`` ``uuid``, ``naam``, the vestiging's BRIN6; its teachers are the
  stamgroep's ``mentoren`` (``medewerker_uuid``), each mapped to the HR employee number through
  the ``Medewerker``'s ``afkorting``. ``medewerkernummer`` is Somtoday's own number
  ("Medewerker 51326"), not HR's; boards that sync staff into Somtoday (HRM Webservice) put
  the HR employee number in ``afkorting`` (research section 10). A mentor not in
  ``medewerker`` or without ``afkorting`` is reported and gives no group access;
- consent: every ``ToestemmingVeld`` of ``velden/toestemming`` (``uuid``, ``naam``,
  ``veld_type``, ``omschrijving``: the spec gives it no ``categorie``) is a medium (its
  ``naam``). Its answers come from the paged bulk endpoint ``leerling/veldwaardes``
  (``vrijveldNaam`` is required there, with ``vrijveldUUID``, ``categorie`` =
  ``config.consent_category`` and ``peilschooljaar=HUIDIG``), as
  ``{"leerlingVeldWaardes": [{"leerling_uuid", "waardes": [VeldWaarde]}]}``: one listing per
  medium, not one call per pupil. A ``VeldWaarde`` (``uuid``, ``naam``, ``categorie``,
  ``aangekruist``) of another ``categorie`` is not a consent. ``aangekruist`` true is
  ``granted``, false ``refused``; absent means not answered, which is no: no record.
  The school year is the one ``peilschooljaar=HUIDIG`` means on ``today`` (from 1 August);
  ``recorded_on`` is the day of the read (Somtoday gives no date); ``given_by`` is ``parent``
  under 16 on ``today`` (or with no birth date), else ``pupil``. ``mechanism`` is left unset:
  Connect does not say whether the tick box started empty, so the board's
  ``[consent] default_mechanism`` decides whether a tick is consent (docs/consent.md).

Vestigingen whose BRINs are no configured location are reported once and skipped. Absent
fields mean "no value" (Somtoday omits nulls and fields the school does not share).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from connectors.csv_common import Issue, Rejections, clean_text, not_a_date, parse_date
from connectors.sis.somtoday.client import (
    MAX_AMOUNT,
    MAX_ATTEMPTS,
    MAX_WAIT,
    VESTIGINGEN,
    SomtodayClient,
    translate,
)
from connectors.sis.somtoday.config import SomtodaySourceConfig
from provisioner.domain.models import (
    ClassGroup,
    ConsentGiver,
    ConsentRecord,
    ConsentStatus,
    PersonName,
    Pupil,
    pupil_key,
)
from provisioner.errors import FatalError
from provisioner.sources.models import SourceBatch, SourceKind

log = logging.getLogger(__name__)

#: The transport's names, importable from here as before the split.
__all__ = [
    "MAX_AMOUNT", "MAX_ATTEMPTS", "MAX_WAIT", "VESTIGINGEN", "SomtodayClient", "SomtodaySource",
    "translate",
]  # fmt: skip

CONSENT_AGE = 16  # from 16 the pupil answers, before that a parent


# -- the source -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Read:
    log: Rejections
    pupils: dict[str, Pupil] = field(default_factory=dict)
    pupil_ids: set[str] = field(default_factory=set)
    group_ids: set[str] = field(default_factory=set)
    groups: dict[str, ClassGroup] = field(default_factory=dict)
    consents: list[ConsentRecord] = field(default_factory=list)


class SomtodaySource:
    """A SIS (leerlingadministratie) read from Somtoday Connect.

    ``locations`` are the configured BRIN6 codes. The client secret comes from the
    configuration (``client_secret_env`` or ``client_secret_file``) unless ``client_secret`` is
    given.
    ``page_size`` (at most 200) is the ``amount`` asked per page.
    """

    kind: SourceKind = SourceKind.SIS
    system: str = "Somtoday"

    def __init__(
        self,
        name: str,
        config: SomtodaySourceConfig,
        locations: AbstractSet[str],
        *,
        client_secret: str | None = None,
        transport: httpx.BaseTransport | None = None,
        today: date | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = MAX_AMOUNT,
    ) -> None:
        self.name = name
        self.config = config
        self.locations = frozenset(brin.upper() for brin in locations)
        self.today = today
        secret = (
            client_secret if client_secret is not None else config.secret_value("client_secret")
        )
        self._client = (
            SomtodayClient(config, secret, transport=transport, page_size=page_size, sleep=sleep)
            if secret
            else None
        )

    def read(self) -> SourceBatch:
        if self._client is None:
            self.config.require_secret(
                "client_secret", f"[sources.{self.name}]", "the Somtoday client secret"
            )
            raise FatalError(f"source {self.name}: the Somtoday client secret is empty")
        today = self.today or date.today()
        state = _Read(Rejections(self.name))
        with self._client as client:
            for vestiging in client.vestigingen():
                brin6 = self._brin6(vestiging, state.log)
                if brin6 is not None:
                    self._vestiging(client, str(vestiging["uuid"]), brin6, state, today)
        batch = SourceBatch(source=self.name, kind=self.kind)
        quarantined = state.log.quarantined
        batch.pupils = [p for p in state.pupils.values() if p.key not in quarantined]
        batch.groups = list(state.groups.values())
        batch.consents = [c for c in state.consents if pupil_key(c.pupil_id) not in quarantined]
        state.log.fill(batch)
        batch.counts = {
            "pupils": len(state.pupil_ids),
            "groups": len(state.group_ids),
            "consents": len(batch.consents),
        }
        return batch.named(self.system)

    def _brin6(self, vestiging: Any, log: Rejections) -> str | None:
        """The configured BRIN6 of a vestiging; others are reported (once) and skipped."""
        if not isinstance(vestiging, dict) or not _text(vestiging, "uuid"):
            log.note(VESTIGINGEN, None, None, "uuid", "a vestiging without uuid is skipped")
            return None
        brins = vestiging.get("brins")
        codes = (
            [clean_text(b).upper() for b in brins if isinstance(b, str)]
            if isinstance(brins, list)
            else []
        )
        ours = sorted({code for code in codes if code in self.locations})
        uuid = _text(vestiging, "uuid")
        if len(ours) == 1:
            return ours[0]
        if ours:
            reason = f"vestiging has more than one configured BRIN6 ({', '.join(ours)}): skipped"
        else:
            shown = ", ".join(codes) or "none"
            reason = f"vestiging BRIN6 ({shown}) is not a configured location: skipped"
        log.note(VESTIGINGEN, None, uuid, "brins", reason)
        return None

    def _vestiging(
        self, client: SomtodayClient, uuid: str, brin6: str, state: _Read, today: date
    ) -> None:
        base = f"{VESTIGINGEN}/{uuid}"
        year = {"peilschooljaar": "HUIDIG"}
        medewerkers = client.list_all(f"{base}/medewerker", "medewerkers", year)
        stamgroepen = client.list_all(f"{base}/stamgroep", "stamgroepen", year)
        leerlingen = client.list_all(f"{base}/leerling", "leerlingen", year)
        numbers = {
            _text(m, "uuid"): _text(m, "afkorting") for m in medewerkers if isinstance(m, dict)
        }
        groups = self._groups(f"{base}/stamgroep", stamgroepen, brin6, numbers, state)
        read = self._pupils(f"{base}/leerling", leerlingen, brin6, groups, state, today)
        if read:
            self._consents(client, base, read, state, today)

    def _groups(
        self,
        file: str,
        stamgroepen: list[Any],
        brin6: str,
        numbers: Mapping[str, str],
        state: _Read,
    ) -> set[str]:
        """The usable stamgroepen of one vestiging, added to the state; their uuids."""
        usable: set[str] = set()
        for record in stamgroepen:
            uuid = _text(record, "uuid") if isinstance(record, dict) else ""
            if not uuid:
                state.log.note(file, None, None, "uuid", "a stamgroep without uuid")
                continue
            state.group_ids.add(uuid)
            naam = _text(record, "naam")
            if not naam:
                state.log.note(file, None, uuid, "naam", "stamgroep has no naam")
                continue
            teachers: set[str] = set()
            for mentor in _list(record, "mentoren"):
                who = _text(mentor, "medewerker_uuid") if isinstance(mentor, dict) else ""
                number = numbers.get(who, "")
                if not number:
                    what = "is not in medewerker" if who not in numbers else "has no afkorting"
                    reason = f"mentor '{who}' {what}: no group access"
                    state.log.note(file, None, uuid, "mentoren", reason)
                else:
                    teachers.add(number)
            usable.add(uuid)
            state.groups[uuid] = ClassGroup(uuid, naam, brin6, frozenset(teachers))
        return usable

    def _pupils(
        self,
        file: str,
        leerlingen: list[Any],
        brin6: str,
        groups: set[str],
        state: _Read,
        today: date,
    ) -> list[Pupil]:
        """The pupils of one vestiging that passed their checks (also added to the state)."""
        read: list[Pupil] = []
        for record in leerlingen:
            uuid = _text(record, "uuid") if isinstance(record, dict) else ""
            if not uuid:
                state.log.reject(file, None, None, None, [("uuid", "a leerling without uuid")])
                continue
            key = pupil_key(uuid)
            pupil, issues = _pupil(record, uuid, brin6, groups, today)
            if uuid in state.pupil_ids:
                if pupil is not None and state.pupils.get(uuid) == pupil:
                    continue  # the same record again (paging, or listed twice)
                issues.append(("uuid", "this leerling appears twice with different data"))
                state.pupils.pop(uuid, None)
            state.pupil_ids.add(uuid)
            if issues or pupil is None:
                state.log.reject(file, None, uuid, key, issues)
                continue
            if key not in state.log.quarantined:
                state.pupils[uuid] = pupil
                read.append(pupil)
        return read

    def _consents(
        self, client: SomtodayClient, base: str, pupils: list[Pupil], state: _Read, today: date
    ) -> None:
        category = self.config.consent_category
        answer = client.get(f"{base}/velden/toestemming")
        velden = answer.get("toestemmingvelden") if isinstance(answer, dict) else None
        if not isinstance(velden, list):
            raise FatalError(f"{base}/velden/toestemming: the answer has no 'toestemmingvelden'")
        read = {pupil.sis_id: pupil for pupil in pupils}
        year = school_year(today)
        answers: dict[str, dict[str, bool]] = {}  # pupil -> medium -> ticked
        bad: dict[str, list[Issue]] = {}
        path = f"{base}/leerling/veldwaardes"
        for veld in velden:
            medium, uuid = _text(veld, "naam"), _text(veld, "uuid")
            if not medium or _text(veld, "categorie") not in ("", category):
                continue
            params: dict[str, str | int] = {
                "peilschooljaar": "HUIDIG", "vrijveldNaam": medium, "categorie": category,
            }  # fmt: skip
            if uuid:
                params["vrijveldUUID"] = uuid
            for entry in client.list_all(path, "leerlingVeldWaardes", params):
                pupil = _text(entry, "leerling_uuid")
                if pupil not in read:
                    continue  # not read here (another vestiging, or quarantined)
                for waarde in _list(entry, "waardes"):
                    if not isinstance(waarde, dict) or "aangekruist" not in waarde:
                        continue  # not answered: no record
                    if _text(waarde, "categorie") not in ("", category):
                        continue
                    if (_text(waarde, "uuid") or uuid) != uuid and _text(waarde, "naam") != medium:
                        continue  # another field's value
                    ticked = waarde["aangekruist"]
                    seen = answers.setdefault(pupil, {})
                    if not isinstance(ticked, bool):
                        reason = f"'{medium}': aangekruist is not true or false"
                        bad.setdefault(pupil, []).append(("aangekruist", reason))
                    elif seen.setdefault(medium, ticked) != ticked:
                        reason = f"'{medium}' is answered twice, differently"
                        bad.setdefault(pupil, []).append(("aangekruist", reason))
        for pupil_id, issues in bad.items():
            state.log.reject(path, None, pupil_id, pupil_key(pupil_id), issues)
        for pupil_id, media in answers.items():
            if pupil_id in bad:
                continue
            given_by = _giver(read[pupil_id].birth_date, today)
            for medium, ticked in media.items():
                status = ConsentStatus.GRANTED if ticked else ConsentStatus.REFUSED
                state.consents.append(
                    ConsentRecord(pupil_id, medium, status, year, today, given_by)
                )


def _pupil(
    record: Mapping[str, Any], uuid: str, brin6: str, groups: set[str], today: date
) -> tuple[Pupil | None, list[Issue]]:
    issues: list[Issue] = []
    first_names = _text(record, "voornamen").split()
    given = _text(record, "roepnaam") or (first_names[0] if first_names else "")
    if not given:
        issues.append(("roepnaam", "no given name (roepnaam or voornamen)"))
    family = _text(record, "achternaam")
    if not family:
        issues.append(("achternaam", "no achternaam"))
    raw_birth = _text(record, "geboortedatum")
    birth = _date(raw_birth) if raw_birth else None
    if raw_birth and birth is None:
        issues.append(("geboortedatum", not_a_date(raw_birth)))
    plaatsingen: list[tuple[date | None, date | None, str]] = []
    for plaatsing in _list(record, "plaatsingen"):
        if not isinstance(plaatsing, dict):
            continue
        raw_start, raw_end = _text(plaatsing, "startdatum"), _text(plaatsing, "einddatum")
        start = _date(raw_start) if raw_start else None
        end = _date(raw_end) if raw_end else None
        if raw_start and start is None:
            issues.append(("plaatsingen.startdatum", not_a_date(raw_start)))
        if raw_end and end is None:
            issues.append(("plaatsingen.einddatum", not_a_date(raw_end)))
        if start is not None and end is not None and end < start:
            reason = f"einddatum '{raw_end}' is before startdatum '{raw_start}'"
            issues.append(("plaatsingen.einddatum", reason))
        group = plaatsing.get("stamgroep")
        group_id = (
            _text(group, "uuid") if isinstance(group, dict) else _text(plaatsing, "stamgroep")
        )
        if group_id and group_id not in groups:
            reason = f"stamgroep '{group_id}' is not a usable stamgroep of this vestiging"
            issues.append(("plaatsingen.stamgroep", reason))
        plaatsingen.append((start, end, group_id))
    running = [p for p in plaatsingen if _runs(p, today)]
    if len({p[2] for p in running}) > 1:
        issues.append(("plaatsingen", "more than one current plaatsing in different stamgroepen"))
    if issues:
        return None, issues
    current = _current(plaatsingen, running, today)
    active = record.get("isActief")
    if not isinstance(active, bool):
        active = any(end is None or today <= end for _, end, _ in plaatsingen)
    return (
        Pupil(
            sis_id=uuid,
            name=PersonName(given, _text(record, "voorvoegsel"), family),
            birth_date=birth,
            location=brin6,
            group_id=(current[2] or None) if current else None,
            enrolment_start=current[0] if current else None,
            enrolment_end=current[1] if current else None,
            eck_id=_text(record, "eckid") or None,
            enabled_in_sis=active,
        ),
        [],
    )


_Plaatsing = tuple[date | None, date | None, str]


def _runs(plaatsing: _Plaatsing, today: date) -> bool:
    start, end, _ = plaatsing
    return (start is None or start <= today) and (end is None or today <= end)


def _current(
    plaatsingen: list[_Plaatsing], running: list[_Plaatsing], today: date
) -> _Plaatsing | None:
    """The running plaatsing, else the next to start, else the last one ended."""
    if running:
        return running[0]
    upcoming = [p for p in plaatsingen if p[0] is not None and p[0] > today]
    if upcoming:
        return min(upcoming, key=lambda p: p[0] or today)
    ended = [p for p in plaatsingen if p[1] is not None]
    return max(ended, key=lambda p: p[1] or today, default=None)


def school_year(day: date) -> str:
    """The school year ``peilschooljaar=HUIDIG`` means on ``day``: "2026-2027" from 1 August."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{first + 1}"


def _giver(birth: date | None, today: date) -> ConsentGiver:
    if birth is None:
        return ConsentGiver.PARENT
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return ConsentGiver.PARENT if age < CONSENT_AGE else ConsentGiver.PUPIL


def _text(record: Any, name: str) -> str:
    """A property as clean text; '' when absent, null or not text (Somtoday omits nulls)."""
    value = record.get(name) if isinstance(record, dict) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _list(record: Any, name: str) -> list[Any]:
    value = record.get(name) if isinstance(record, dict) else None
    return value if isinstance(value, list) else []


def _date(value: str) -> date | None:
    """An ISO date; a date-time counts as its date."""
    if len(value) > 10 and value[10] == "T":
        value = value[:10]
    return parse_date(value)
