"""Offboarding a leaver from chat (uit dienst melden; leaver procedure, 002 §12).

    "Jan de Vries gaat per 1 december uit dienst"  |  /uitdienst  |  /offboard

Who may: the location leader of the leaver's location, a director (board-wide or of that
school, as ``board.director_scope`` says) and the central office (Stafbureau). The flow finds
the person (asks which one when several match), reads the last working day, shows exactly
what will happen and when, and asks for confirmation. On confirmation it records an
:class:`~provisioner.store.tables.Override` (the policy caps the person's end date with it),
opens the manual tasks (the SIS step, the portals without an API, approving the deletion)
and, when the last working day has passed, runs the core engine for that one person at once:
the same ``Engine.sync`` as the nightly run, scoped to the person. Otherwise the scheduler
(:func:`run_due_offboardings`, every minute from ``provisioner serve``) runs it the day after
the last working day. The requester hears when everything is done.

Everything is audited with the requester as actor; refusals name their reason
(``not_allowed``, ``other_location``, ``not_found``, ``already_gone``) in ``Reply.data``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import (
    Asker,
    Audience,
    Button,
    FlowContext,
    Language,
    Notice,
    Reply,
    Turn,
)
from bot.dates import find_day
from provisioner.audit.service import record
from provisioner.config import Config, M365TargetConfig, SisStaffTargetConfig
from provisioner.directory import Directory, StaffEntry, fold
from provisioner.domain.models import Role
from provisioner.store.tables import AuditEvent, Override, TargetLock
from provisioner.tasks import ManualTask, ManualTasks, TaskError, TaskStatus, open_task

#: A run for one person: (person key, actor, today) -> an object with ``run_id``, ``status``.
SyncService = Callable[[str, str, date], Any]

#: Words of an offboarding message that are never part of a name.
FILLER = frozenset(
    """
    gaat ga uit dienst uitdienst vertrekt vertrek stopt stop is per op met ingang vanaf
    laatste werkdag werkt wil graag melden meld dat collega medewerker leerkracht leaves
    leaving left will be is on as of from last working day offboard offboarding please
    colleague teacher staff member our my mijn onze
    """.split()  # noqa: SIM905
)
MAX_CHOICES = 6
MAX_DAYS_AHEAD = 366
ORIGIN = "offboarding:"

DAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")  # fmt: skip


def _t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


def format_day(day: date, language: Language) -> str:
    """ "dinsdag 1 december 2026" / "Tuesday 1 December 2026"."""
    if language == "en":
        return f"{day:%A} {day.day} {day:%B %Y}"
    return f"{DAYS_NL[day.weekday()]} {day.day} {MONTHS_NL[day.month - 1]} {day.year}"


# -- who may offboard whom (pure) -----------------------------------------------------------


def may_start(asker: Asker, today: date) -> bool:
    """Only the central office, directors and location leaders may report leavers."""
    if asker.is_central_office:
        return True
    return any(
        {Role.DIRECTOR, Role.LOCATION_LEADER} & asker.staff.roles_at(location, today)
        for location in asker.staff.locations_on(today)
    )


def person_locations(person: StaffEntry, today: date) -> frozenset[str]:
    """Where the person works today, else where their last posts were."""
    now = person.locations_on(today)
    if now:
        return now
    return frozenset(post.location for post in person.posts)


def refusal_for(
    asker: Asker, person: StaffEntry, today: date, director_scope: str
) -> str | None:
    """None when ``asker`` may offboard ``person``; else ``not_allowed`` or ``other_location``."""
    if asker.is_central_office:
        return None
    theirs = person_locations(person, today)
    mine = asker.staff.locations_on(today)
    directing = {loc for loc in mine if Role.DIRECTOR in asker.staff.roles_at(loc, today)}
    leading = {loc for loc in mine if Role.LOCATION_LEADER in asker.staff.roles_at(loc, today)}
    if directing and (director_scope == "board" or directing & theirs):
        return None
    if leading & theirs:
        return None
    if directing or leading:
        return "other_location"
    return "not_allowed"


def already_gone(person: StaffEntry, overrides: Sequence[date], today: date) -> date | None:
    """The day the person left, if that is before today (by HR or an earlier offboarding)."""
    ends = [d for d in overrides if d < today]
    if person.last_day is not None and person.last_day < today:
        ends.append(person.last_day)
    return max(ends) if ends else None


def name_words(text: str) -> list[str]:
    words = re.findall(r"[\w'’-]+", text)
    return [w for w in words if w.casefold() not in FILLER]


def find_people(directory: Directory, text: str) -> list[StaffEntry]:
    """Staff named in ``text``: the longest run of words that names someone wins; an exact
    full name beats people whose name merely contains the words."""
    words = name_words(text)
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size + 1):
            run = words[start : start + size]
            if size == 1 and len(run[0]) < 3:
                continue
            found = directory.find_staff(" ".join(run))
            if found:
                exact = [p for p in found if fold(p.name.display) == fold(" ".join(run))]
                return exact or found
    return []


# -- the flow -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What will happen, computed from the configuration (shown before confirmation)."""

    person: StaffEntry
    last_day: date  # as requested
    effective_day: date  # earlier of the requested day and HR's
    access_ends: date  # the day after the last working day (or today when back-dated)
    mailbox_until: date
    delete_on: date
    due_now: bool


#: Microsoft 365 keeps the mailbox of an account without a licence this long, then removes it.
UNLICENSED_MAILBOX_DAYS = 30


def make_plan(config: Config, person: StaffEntry, day: date, today: date) -> Plan:
    """When what happens. The mailbox goes with the account: nothing deletes it before the
    account is deleted (``lifecycle.grace_days`` after access ends), except
    that Microsoft 365 removes an unlicensed mailbox after its own 30 days, and the sync takes
    the managed licences away when access ends."""
    effective = min(day, person.last_day) if person.last_day else day
    ends = max(effective + timedelta(days=1), today)
    delete_on = max(effective, today) + timedelta(days=config.lifecycle.grace_days)
    mailbox = delete_on
    if _licences_removed(config):
        mailbox = min(delete_on, ends + timedelta(days=UNLICENSED_MAILBOX_DAYS))
    return Plan(person, day, effective, ends, mailbox, delete_on, due_now=effective < today)


def _licences_removed(config: Config) -> bool:
    return any(isinstance(t, M365TargetConfig) and any(t.licences.values())
               for t in config.targets)


class OffboardingFlow:
    name = "offboarding"
    commands: tuple[str, ...] = ("/uitdienst", "/offboard")

    _WANTS = re.compile(
        r"\buit\s+dienst\b|\buitdienst|\bvertrekt\b|\boffboard|\bleaves?\b|\bleaving\b"
        r"|\blast\s+working\s+day\b|\blaatste\s+werkdag\b",
        re.IGNORECASE,
    )

    def wants(self, text: str) -> bool:
        return bool(self._WANTS.search(text))

    # -- the conversation -------------------------------------------------------------------

    def start(self, ctx: FlowContext, text: str) -> Turn:
        lang, today = ctx.language, ctx.now.date()
        if not may_start(ctx.asker, today):
            return _refuse(lang, "not_allowed", None, _t(
                lang,
                "Alleen de locatieleider, een directeur of het Stafbureau kan iemand uit dienst "
                "melden. Vraag je locatieleider.",
                "Only the location leader, a director or the central office can report a "
                "leaver. Please ask your location leader.",
            ))
        found = find_day(text, today)
        day = found.day if found else None
        rest = found.rest if found else text
        if not name_words(rest):
            return Turn(
                (Reply(_t(lang, "Wie gaat er uit dienst, en wat is de laatste werkdag? "
                              "Bijvoorbeeld: Jan de Vries per 1 december.",
                          "Who is leaving, and what is their last working day? For "
                          "example: Jan de Vries, 1 December."),
                       data={"step": "who"}),),
                state={"step": "who", "day": _iso(day)},
            )
        return self._choose(ctx, rest, day)

    def answer(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        lang, today = ctx.language, ctx.now.date()
        step = state.get("step")
        if step == "who":
            found = find_day(text, today)
            day = found.day if found else _day(state.get("day"))
            return self._choose(ctx, found.rest if found else text, day)
        if step == "pick":
            return self._pick_by_text(ctx, text, state)
        if step == "day":
            found = find_day(text, today)
            if found is None:
                return Turn(
                    (Reply(_t(lang, "Die datum begrijp ik niet. Schrijf bijvoorbeeld "
                                    "\"31-12\", \"per 1 december\" of \"vandaag\".",
                              "I don't understand that date. Write e.g. \"31-12\", "
                              "\"1 December\" or \"today\"."),
                           data={"step": "day", "problem": "no_date"}),),
                    state=state,
                )
            return self._person_and_day(ctx, str(state["person"]), found.day)
        if step == "confirm":
            if text.strip().casefold() in {"ja", "yes", "ok", "bevestig", "confirm"}:
                return self._confirm(ctx, state)
            if text.strip().casefold() in {"nee", "no"}:
                return self._cancelled(lang)
            return Turn(
                (Reply(_t(lang, "Bevestig met de knop, of antwoord ja of nee.",
                          "Please confirm with the button, or answer yes or no."),
                       data={"step": "confirm"}),),
                state=state,
            )
        return self.start(ctx, text)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        if action == "pick" and state.get("step") == "pick":
            if value not in state.get("candidates", []):
                return self._expired(ctx.language)
            return self._person_and_day(ctx, value, _day(state.get("day")))
        if action == "confirm" and state.get("step") == "confirm" and value == state.get("person"):
            return self._confirm(ctx, state)
        if action == "cancel":
            return self._cancelled(ctx.language)
        if action in ("task_done", "approve_deletion"):
            return self._task_done(ctx, action, value)
        return self._expired(ctx.language)

    # -- steps ------------------------------------------------------------------------------

    def _choose(self, ctx: FlowContext, text: str, day: date | None) -> Turn:
        lang = ctx.language
        people = find_people(ctx.directory, text)
        if not people:
            return _refuse(lang, "not_found", None, _t(
                lang,
                "Ik vind niemand met die naam bij het bestuur. Controleer de spelling en "
                "probeer het opnieuw (voornaam en achternaam).",
                "I can't find anyone by that name at the board. Please check the spelling "
                "and try again (first and last name).",
            ), state={"step": "who", "day": _iso(day)})
        if len(people) == 1:
            return self._person_and_day(ctx, people[0].key, day)
        shown = people[:MAX_CHOICES]
        buttons = tuple(
            Button(_describe(ctx, p), "pick", p.key) for p in shown
        )
        return Turn(
            (Reply(_t(lang, f"Ik vind {len(people)} mensen met die naam. Wie bedoel je?",
                      f"I found {len(people)} people by that name. Whom do you mean?"),
                   buttons=buttons,
                   data={"step": "pick", "candidates": [p.key for p in shown]}),),
            state={"step": "pick", "candidates": [p.key for p in shown], "day": _iso(day)},
        )

    def _pick_by_text(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        candidates = [str(k) for k in state.get("candidates", [])]
        chosen = text.strip()
        if chosen.isdigit() and 1 <= int(chosen) <= len(candidates):
            return self._person_and_day(ctx, candidates[int(chosen) - 1], _day(state.get("day")))
        people = [p for p in find_people(ctx.directory, chosen) if p.key in candidates]
        if len(people) == 1:
            return self._person_and_day(ctx, people[0].key, _day(state.get("day")))
        return Turn(
            (Reply(_t(ctx.language, "Kies een van de knoppen, of typ het nummer.",
                      "Please pick one of the buttons, or type its number."),
                   data={"step": "pick"}),),
            state=state,
        )

    def _person_and_day(self, ctx: FlowContext, key: str, day: date | None) -> Turn:
        lang, today = ctx.language, ctx.now.date()
        person = ctx.directory.staff(key)
        if person is None:
            return _refuse(lang, "not_found", key, _t(
                lang, "Die persoon staat niet (meer) in de administratie.",
                "That person is not (or no longer) in the records."))
        refusal = refusal_for(ctx.asker, person, today, ctx.config.board.director_scope)
        if refusal == "other_location":
            return _refuse(lang, refusal, key, _t(
                lang,
                f"{person.name.display} werkt op een andere locatie dan jij. Alleen de "
                "locatieleider van die locatie, een directeur of het Stafbureau kan dit melden.",
                f"{person.name.display} works at another location. Only the location leader "
                "there, a director or the central office can report this.",
            ))
        if refusal is not None:
            return _refuse(lang, refusal, key, _t(
                lang, "Je mag deze collega niet uit dienst melden.",
                "You are not allowed to report this colleague as a leaver."))
        gone = already_gone(person, _override_days(ctx.sessions, key), today)
        if gone is not None:
            return _refuse(lang, "already_gone", key, _t(
                lang,
                f"{person.name.display} is al uit dienst (laatste werkdag "
                f"{format_day(gone, lang)}). Er hoeft niets meer te gebeuren.",
                f"{person.name.display} has already left (last working day "
                f"{format_day(gone, lang)}). Nothing more to do.",
            ))
        if day is None:
            return Turn(
                (Reply(_t(lang, f"Wat is de laatste werkdag van {person.name.display}?",
                          f"What is {person.name.display}'s last working day?"),
                       data={"step": "day", "person_key": key}),),
                state={"step": "day", "person": key},
            )
        if day > today + timedelta(days=MAX_DAYS_AHEAD):
            return Turn(
                (Reply(_t(lang, "Die datum ligt meer dan een jaar vooruit. Welke laatste "
                                "werkdag bedoel je?",
                          "That date is more than a year ahead. Which last working day do "
                          "you mean?"),
                       data={"step": "day", "person_key": key, "problem": "too_far"}),),
                state={"step": "day", "person": key},
            )
        plan = make_plan(ctx.config, person, day, today)
        return Turn(
            (self._summary(ctx, plan),),
            state={"step": "confirm", "person": key, "day": day.isoformat()},
        )

    def _summary(self, ctx: FlowContext, plan: Plan) -> Reply:
        lang, config, person = ctx.language, ctx.config, plan.person
        when = (
            _t(lang, "direct na bevestiging", "immediately after confirmation")
            if plan.due_now
            else _t(lang, f"{format_day(plan.access_ends, lang)}, 00:00",
                    f"{format_day(plan.access_ends, lang)}, 00:00")
        )
        facts: list[tuple[str, str]] = [
            (_t(lang, "Wie", "Who"), _describe(ctx, person)),
            (_t(lang, "Laatste werkdag", "Last working day"), format_day(plan.effective_day, lang)),
            (_t(lang, "Toegang stopt", "Access ends"), when),
        ]
        if plan.effective_day < plan.last_day:
            facts.append((
                _t(lang, "Let op", "Note"),
                _t(lang, "HR heeft al een eerdere laatste werkdag; die geldt.",
                   "HR already has an earlier last working day; that one applies."),
            ))
        if _sis_staff_target(config) is None:  # no SIS staff connector: a task by hand
            facts.append((
                _t(lang, "Leerlingadministratie", "Pupil administration (SIS)"),
                _t(lang, f"account op niet-actief ({_sis_name(config)}, met de hand; taak "
                         f"voor {_sis_assignee_label(ctx, person, lang)})",
                   f"account set to inactive ({_sis_name(config)}, by hand; task for "
                   f"{_sis_assignee_label(ctx, person, lang)})"),
            ))
        for target in config.targets:
            if isinstance(target, SisStaffTargetConfig):
                system = _SIS_NAMES[target.system]
                facts.append((
                    _t(lang, f"Leerlingadministratie ({target.name})",
                       f"Pupil administration (SIS, {target.name})"),
                    _t(lang, f"account op niet-actief in {system} met de einddatum "
                             "(automatisch)", f"account set to inactive in {system} with the "
                             "end date (automatic)")
                    if target.system != "parnassys"
                    else _t(lang, "account op niet-actief in ParnasSys: de synchronisatie "
                                  "maakt de taak voor de locatieleider",
                            "account set to inactive in ParnasSys: the sync opens the task "
                            "for the location leader"),
                ))
            elif isinstance(target, M365TargetConfig):
                facts.append((
                    f"Microsoft 365 ({target.name})",
                    _t(lang, "aanmelden geblokkeerd en sessies ingetrokken; groepen, licenties "
                             "en toegang tot gedeelde mappen en bibliotheken verwijderd",
                       "sign-in blocked and sessions revoked; groups, licences and access to "
                       "shared folders and libraries removed"),
                ))
            else:
                facts.append((
                    target.name,
                    _t(lang, "account uitgeschakeld; groepen, licenties en deelrechten "
                             "verwijderd",
                       "account disabled; groups, licences and share access removed"),
                ))
        facts += [
            (_t(lang, "Mailbox", "Mailbox"), _mailbox_text(config, plan, lang)),
            (_t(lang, "Verwijderen", "Deletion"),
             _t(lang, f"{format_day(plan.delete_on, lang)}, na akkoord van het Stafbureau",
                f"{format_day(plan.delete_on, lang)}, after approval by the central office")),
        ]
        if config.bot.manual_portals:
            facts.append((
                _t(lang, "Met de hand (Stafbureau)", "By hand (central office)"),
                _t(lang, "toegang intrekken: ", "remove access: ")
                + ", ".join(config.bot.manual_portals),
            ))
        return Reply(
            _t(lang, f"*{person.name.display} uit dienst melden.* Dit gaat er gebeuren:",
               f"*Offboarding {person.name.display}.* This is what will happen:"),
            facts=tuple(facts),
            buttons=(
                Button(_t(lang, "Bevestigen", "Confirm"), "confirm", person.key, "primary"),
                Button(_t(lang, "Annuleren", "Cancel"), "cancel", person.key, "danger"),
            ),
            data={
                "step": "confirm",
                "person_key": person.key,
                "last_day": plan.effective_day.isoformat(),
                "access_ends": plan.access_ends.isoformat(),
                "mailbox_until": plan.mailbox_until.isoformat(),
                "delete_on": plan.delete_on.isoformat(),
                "due_now": plan.due_now,
                "manual_portals": list(config.bot.manual_portals),
            },
        )

    def _confirm(self, ctx: FlowContext, state: dict[str, Any]) -> Turn:
        """Check again (things change while someone reads), then record and run."""
        lang, today = ctx.language, ctx.now.date()
        key, day = str(state["person"]), _day(state.get("day"))
        checked = self._person_and_day(ctx, key, day)
        if checked.state is None or checked.state.get("step") != "confirm" or day is None:
            return checked
        person = ctx.directory.staff(key)
        assert person is not None
        plan = make_plan(ctx.config, person, day, today)
        actor = ctx.asker.actor
        with ctx.sessions() as session:
            override_id = record_offboarding(session, ctx, plan)
            tasks = open_offboarding_tasks(session, ctx, plan, override_id)
            session.commit()
        # The central office's staff have no language of their own here: the requester's.
        notices = tuple(_task_notice(ctx.config, task, person, lang) for task in tasks
                        if task.assignee == "central_office")
        replies = []
        data: dict[str, Any] = {
            "confirmed": True,
            "person_key": key,
            "override_id": override_id,
            "last_day": plan.effective_day.isoformat(),
            "tasks": [task.id for task in tasks],
        }
        if plan.due_now:
            outcome = run_offboarding(ctx.config, ctx.sessions, ctx.services, override_id,
                                      key, actor, today)
            data["run"] = outcome
            replies.append(Reply(_run_text(lang, person, outcome), data=data))
        else:
            data["scheduled_for"] = plan.access_ends.isoformat()
            replies.append(Reply(
                _t(lang, f"Vastgelegd. De toegang van {person.name.display} stopt op "
                         f"{format_day(plan.access_ends, lang)} om 00:00; ik meld het als "
                         "alles klaar is.",
                   f"Recorded. {person.name.display}'s access ends on "
                   f"{format_day(plan.access_ends, lang)} at 00:00; I'll tell you when "
                   "everything is done."),
                data=data,
            ))
        mine = [t for t in tasks if t.assignee == ctx.asker.staff.key]
        for task in mine:
            replies.append(_task_reply(task, lang))
        return Turn(tuple(replies), state=None, notices=notices)

    def _task_done(self, ctx: FlowContext, action: str, value: str) -> Turn:
        lang = ctx.language
        tasks = ManualTasks(ctx.sessions)
        task = tasks.get(int(value)) if value.isdigit() else None
        if task is None or not task.origin.startswith(ORIGIN):
            return self._expired(lang)
        allowed = (
            (task.assignee == "central_office" and ctx.asker.is_central_office)
            or task.assignee == ctx.asker.staff.key
        )
        if not allowed:
            return _refuse(lang, "not_allowed", task.person_key, _t(
                lang, "Deze taak is niet voor jou.", "This task is not yours."))
        if task.status is not TaskStatus.OPEN:
            return Turn((Reply(_t(lang, "Deze taak was al afgerond.",
                                  "This task was already closed."),
                               data={"task": task.id, "status": task.status.value,
                                     "person_key": task.person_key}),))
        try:
            tasks.complete(task.id, actor=ctx.asker.actor)
        except TaskError:
            return Turn((Reply(_t(lang, "Deze taak was al afgerond.",
                                  "This task was already closed."),
                               data={"task": task.id, "person_key": task.person_key}),))
        word = (
            _t(lang, "Verwijdering goedgekeurd.", "Deletion approved.")
            if action == "approve_deletion"
            else _t(lang, "Genoteerd als gedaan.", "Marked as done.")
        )
        notices = tuple(finished_notices(ctx.config, ctx.sessions, ctx.directory,
                                         int(task.origin.removeprefix(ORIGIN))))
        return Turn(
            (Reply(f"{word} ({_task_words(task, lang)[0]})",
                   data={"task": task.id, "status": "done", "person_key": task.person_key}),),
            notices=notices,
        )

    def _cancelled(self, language: Language) -> Turn:
        return Turn((Reply(_t(language, "Geannuleerd: er is niets veranderd.",
                              "Cancelled: nothing was changed."),
                           data={"cancelled": True}),))

    def _expired(self, language: Language) -> Turn:
        return Turn((Reply(_t(language, "Deze knop hoort bij een afgelopen gesprek. Begin "
                                        "opnieuw met /uitdienst.",
                              "This button belongs to a finished conversation. Start again "
                              "with /offboard."),
                           data={"refused": "expired"}),))


# -- recording, tasks and the run -----------------------------------------------------------


def record_offboarding(session: Session, ctx: FlowContext, plan: Plan) -> int:
    """Cancel earlier requests for the person, add the override, audit; returns its id."""
    key, actor = plan.person.key, ctx.asker.actor
    for earlier in session.execute(
        select(Override).where(Override.person_key == key, Override.cancelled.is_(False))
    ).scalars():
        earlier.cancelled = True
        record(session, actor=actor, action="offboarding.replaced", target="bot",
               object_key=key, reason=f"override {earlier.id} replaced by a new request",
               change={"override_id": earlier.id})
    override = Override(
        person_key=key,
        last_day=plan.effective_day,
        requested_by=actor,
        reason="offboarding confirmed in chat",
        created_at=datetime.now(UTC),
        cancelled=False,
    )
    session.add(override)
    session.flush()
    record(
        session,
        actor=actor,
        action="offboarding.requested",
        target="bot",
        object_key=key,
        reason=f"last working day {plan.effective_day.isoformat()}",
        change={
            "override_id": override.id,
            "last_day": plan.effective_day.isoformat(),
            "access_ends": plan.access_ends.isoformat(),
            "delete_on": plan.delete_on.isoformat(),
            "requester": ctx.asker.staff.key,
            "language": ctx.language,
        },
    )
    return override.id


def open_offboarding_tasks(
    session: Session, ctx: FlowContext, plan: Plan, override_id: int
) -> list[ManualTask]:
    person, config, actor = plan.person, ctx.config, ctx.asker.actor
    location = sorted(person_locations(person, ctx.now.date()))[0] if person.posts else None
    name = person.name.display
    sis = _sis_name(config)
    tasks = [] if _sis_staff_target(config) is not None else [  # else the sync does it
        open_task(
            session,
            kind="sis_account",
            system=_slug(sis),
            title=f"{name}: niet-actief in {sis}",
            instructions=f"Zet {name} ({person.employee_number}) op niet-actief in {sis} "
            f"per {plan.access_ends.isoformat()}. Basispoort volgt na de nachtelijke koppeling.",
            assignee=_sis_assignee(ctx, person),
            origin=f"{ORIGIN}{override_id}",
            actor=actor,
            person_key=person.key,
            location=location,
            due_on=plan.access_ends,
        )
    ]
    for portal in config.bot.manual_portals:
        tasks.append(
            open_task(
                session,
                kind="portal_access",
                system=_slug(portal),
                title=f"{name}: toegang {portal} intrekken",
                instructions=f"Trek de toegang van {name} ({person.employee_number}) tot "
                f"{portal} in per {plan.access_ends.isoformat()}.",
                assignee="central_office",
                origin=f"{ORIGIN}{override_id}",
                actor=actor,
                person_key=person.key,
                location=location,
                due_on=plan.access_ends,
            )
        )
    tasks.append(
        open_task(
            session,
            kind="approve_deletion",
            system="accounts",
            title=f"{name}: verwijderen goedkeuren",
            instructions=f"De accounts van {name} ({person.employee_number}) worden op "
            f"{plan.delete_on.isoformat()} verwijderd. Keur goed als er niets meer bewaard "
            "hoeft te worden.",
            assignee="central_office",
            origin=f"{ORIGIN}{override_id}",
            actor=actor,
            person_key=person.key,
            location=location,
            due_on=plan.delete_on,
        )
    )
    return tasks


#: How long a claim on an offboarding holds when its holder neither finishes nor releases it
#: (a replica killed mid-run): then another replica may take it over.
CLAIM_FOR = timedelta(minutes=15)


@contextmanager
def claimed(sessions: sessionmaker[Session], name: str, *,
            wait: float = 0.0) -> Iterator[bool]:
    """Claim ``name`` for the block, so that of several ``serve`` replicas exactly one does
    the work: yields True for the one holder, False for everyone else.

    The claim is a row in ``target_locks`` (its key is unique): one INSERT, or one
    conditional UPDATE of an expired row checked by its row count. Each is a single
    statement, so the database decides on SQLite and PostgreSQL alike; nothing is read
    first. ``wait`` seconds: keep trying while someone else holds it (a short step)."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait
    while True:
        got = _claim(sessions, name, owner)
        if got or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    try:
        yield got
    finally:
        if got:
            with sessions() as session:
                session.execute(delete(TargetLock).where(TargetLock.target == name,
                                                         TargetLock.owner == owner))
                session.commit()


def _claim(sessions: sessionmaker[Session], name: str, owner: str) -> bool:
    now = datetime.now(UTC)
    values = {"run_id": "offboarding", "owner": owner, "expires_at": now + CLAIM_FOR}
    with sessions() as session:
        try:
            session.execute(insert(TargetLock).values(target=name, **values))
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
        taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(TargetLock)
            .where(TargetLock.target == name, TargetLock.expires_at < now)
            .values(**values)
        )
        session.commit()
        return taken.rowcount == 1


def run_offboarding(
    config: Config,
    sessions: sessionmaker[Session],
    services: Any,
    override_id: int,
    person_key: str,
    actor: str,
    today: date,
) -> dict[str, Any]:
    """Run the core engine for one person now, once: claimed first, so a chat confirmation
    and the ticks of several ``serve`` replicas never run it twice. Audited. The outcome as
    plain data (status ``"claimed"`` when another process has it or it has already run)."""
    sync: SyncService | None = services.get("sync") if services else None
    if sync is None:
        return {"status": "scheduled", "reason": "no sync service in this process"}
    with claimed(sessions, f"(offboarding {override_id})") as mine:
        if not mine:
            return {"status": "claimed", "reason": "another process is running it"}
        with sessions() as session:
            override = session.get(Override, override_id)
            if override is None or _has_run(session, override):
                return {"status": "claimed", "reason": "it has already run"}
        return _run(sessions, sync, override_id, person_key, actor, today)


def _run(sessions: sessionmaker[Session], sync: SyncService, override_id: int,
         person_key: str, actor: str, today: date) -> dict[str, Any]:
    try:
        report = sync(person_key, actor, today)
    except Exception as exc:  # LockHeld (the nightly run), a target down: the scheduler retries
        outcome = {"status": "retry", "reason": type(exc).__name__}
    else:
        outcome = {"status": str(report.status), "run_id": str(report.run_id)}
    if outcome["status"] != "retry":
        with sessions() as session:
            record(session, actor=actor, action="offboarding.run", target="bot",
                   object_key=person_key, run_id=outcome.get("run_id"),
                   reason=f"ran the sync for one person: {outcome['status']}",
                   change={"override_id": override_id, **outcome})
            session.commit()
    return outcome


def run_due_offboardings(
    config: Config,
    sessions: sessionmaker[Session],
    services: Any,
    now: datetime,
) -> list[Notice]:
    """The scheduler's part: run every confirmed offboarding whose last day has passed and
    that has not run yet; the notices tell the requesters."""
    today = now.date()
    directory = Directory(sessions)
    notices: list[Notice] = []
    with sessions() as session:
        due = list(session.execute(
            select(Override).where(
                Override.cancelled.is_(False),
                Override.last_day < today,
                Override.requested_by.startswith("chat:"),
            ).order_by(Override.id)
        ).scalars())
        pending = [o for o in due if _request(session, o.id) and not _has_run(session, o)]
    for override in pending:
        outcome = run_offboarding(config, sessions, services, override.id, override.person_key,
                                  override.requested_by, today)
        if outcome["status"] in ("retry", "scheduled", "claimed"):
            continue
        with sessions() as session:
            request = _request(session, override.id) or {}
        person = directory.staff(override.person_key)
        requester = request.get("requester")
        lang: Language = "en" if request.get("language") == "en" else "nl"
        if person is not None and requester:
            notices.append(Notice(
                Audience.PERSON,
                Reply(_run_text(lang, person, outcome),
                      data={"person_key": person.key, "run": outcome,
                            "override_id": override.id}),
                person_key=str(requester),
            ))
        notices += finished_notices(config, sessions, directory, override.id)
    return notices


def finished_notices(
    config: Config, sessions: sessionmaker[Session], directory: Directory, override_id: int
) -> list[Notice]:
    """"Everything is done" for the requester, once the run has applied and every task but
    the (later) deletion approval is closed. Exactly once: the last task closed at the same
    moment as a tick on another replica (or two last tasks at once) both get here, and the
    claim lets one of them look and tell."""
    with claimed(sessions, f"(offboarding {override_id} done)", wait=10.0) as mine:
        if not mine:
            return []
        return _finished_notices(sessions, directory, override_id)


def _finished_notices(
    sessions: sessionmaker[Session], directory: Directory, override_id: int
) -> list[Notice]:
    with sessions() as session:
        override = session.get(Override, override_id)
        request = _request(session, override_id)
        if override is None or request is None or not _has_run(session, override, "applied"):
            return []
        if _has_event(session, "offboarding.finished", override):
            return []
        open_steps = [
            t for t in ManualTasks(sessions).list(person_key=override.person_key)
            if t.origin == f"{ORIGIN}{override_id}" and t.kind != "approve_deletion"
        ]
        if open_steps:
            return []
        record(session, actor=override.requested_by, action="offboarding.finished",
               target="bot", object_key=override.person_key,
               reason="automatic steps applied and manual steps done",
               change={"override_id": override_id})
        session.commit()
    person = directory.staff(override.person_key)
    lang: Language = "en" if request.get("language") == "en" else "nl"
    name = person.name.display if person else override.person_key
    return [Notice(
        Audience.PERSON,
        Reply(_t(lang, f"Klaar: {name} is volledig uit dienst verwerkt (accounts "
                       "geblokkeerd, handmatige stappen gedaan).",
                 f"Done: {name} is fully offboarded (accounts blocked, manual steps done)."),
              data={"finished": True, "person_key": override.person_key,
                    "override_id": override_id}),
        person_key=str(request["requester"]),
    )]


# -- helpers --------------------------------------------------------------------------------


def _request(session: Session, override_id: int) -> dict[str, Any] | None:
    for change_text in session.execute(
        select(AuditEvent.change).where(AuditEvent.action == "offboarding.requested")
        .order_by(AuditEvent.seq.desc())
    ).scalars():
        change = json.loads(change_text)
        if change.get("override_id") == override_id:
            return dict(change)
    return None


def _has_event(session: Session, action: str, override: Override,
               status: str | None = None) -> bool:
    for change_text in session.execute(
        select(AuditEvent.change).where(
            AuditEvent.action == action, AuditEvent.object_key == override.person_key
        )
    ).scalars():
        change = json.loads(change_text)
        if change.get("override_id") == override.id and (
            status is None or change.get("status") == status
        ):
            return True
    return False


def _has_run(session: Session, override: Override, status: str | None = None) -> bool:
    return _has_event(session, "offboarding.run", override, status)


def _override_days(sessions: sessionmaker[Session], key: str) -> list[date]:
    with sessions() as session:
        return list(session.execute(
            select(Override.last_day).where(Override.person_key == key,
                                            Override.cancelled.is_(False))
        ).scalars())


def _refuse(
    language: Language, reason: str, person_key: str | None, text: str,
    state: dict[str, Any] | None = None,
) -> Turn:
    data: dict[str, Any] = {"refused": reason}
    if person_key:
        data["person_key"] = person_key
    return Turn((Reply(text, data=data),), state=state)


def _run_text(language: Language, person: StaffEntry, outcome: dict[str, Any]) -> str:
    name = person.name.display
    status = outcome.get("status")
    if status == "applied":
        return _t(language,
                  f"Klaar: de toegang van {name} is geblokkeerd (run {outcome['run_id']}). "
                  "Het Stafbureau doet de stappen die met de hand moeten.",
                  f"Done: {name}'s access is blocked (run {outcome['run_id']}). The central "
                  "office does the steps that need a person.")
    if status in ("retry", "scheduled", "claimed"):
        return _t(language,
                  f"Vastgelegd. De synchronisatie voor {name} is nu bezig of niet bereikbaar; "
                  "ik probeer het binnen een minuut opnieuw en meld het als het klaar is.",
                  f"Recorded. The sync for {name} is busy or unreachable right now; I'll try "
                  "again within a minute and tell you when it's done.")
    return _t(language,
              f"Vastgelegd, maar niet alles lukte (run {outcome.get('run_id')}: {status}). "
              "Het Stafbureau kijkt ernaar.",
              f"Recorded, but not everything worked (run {outcome.get('run_id')}: {status}). "
              "The central office will look into it.")


def _mailbox_text(config: Config, plan: Plan, lang: Language) -> str:
    deleted = format_day(plan.delete_on, lang)
    if plan.mailbox_until < plan.delete_on:
        until = format_day(plan.mailbox_until, lang)
        return _t(lang,
                  f"de licentie gaat er af als de toegang stopt; Microsoft 365 bewaart de "
                  f"mailbox zonder licentie {UNLICENSED_MAILBOX_DAYS} dagen, tot {until} "
                  "(niemand kan zich aanmelden)",
                  f"the licence goes when access ends; Microsoft 365 keeps a mailbox without "
                  f"a licence for {UNLICENSED_MAILBOX_DAYS} days, until {until} (nobody can "
                  "sign in)")
    return _t(lang,
              f"blijft bij het account tot dat op {deleted} verwijderd wordt (niemand kan "
              "zich aanmelden)",
              f"kept with the account until the account is deleted on {deleted} (nobody "
              "can sign in)")


def _task_words(task: ManualTask, language: Language) -> tuple[str, str]:
    """The task's title and instructions in ``language``. The stored ones are Dutch (the
    register's language); the offboarding tasks are told again from their facts."""
    if language == "nl" or task.origin.partition(":")[0] + ":" != ORIGIN:
        return task.title, task.instructions
    name, _, rest = task.title.partition(": ")
    number = task.instructions.partition("(")[2].partition(")")[0]
    due = task.due_on.isoformat() if task.due_on else "-"
    if task.kind == "sis_account":
        system = rest.removeprefix("niet-actief in ")
        return (f"{name}: inactive in {system}",
                f"Set {name} ({number}) to inactive in {system} as of {due}. Basispoort "
                "follows after the nightly link.")
    if task.kind == "portal_access":
        portal = rest.removeprefix("toegang ").removesuffix(" intrekken")
        return (f"{name}: remove access to {portal}",
                f"Remove the access of {name} ({number}) to {portal} as of {due}.")
    if task.kind == "approve_deletion":
        return (f"{name}: approve the deletion",
                f"The accounts of {name} ({number}) will be deleted on {due}. Approve when "
                "nothing more needs to be kept.")
    return task.title, task.instructions


def _task_reply(task: ManualTask, language: Language) -> Reply:
    action = "approve_deletion" if task.kind == "approve_deletion" else "task_done"
    label = (_t(language, "Goedkeuren", "Approve") if action == "approve_deletion"
             else _t(language, "Gedaan", "Done"))
    title, instructions = _task_words(task, language)
    return Reply(
        f"*{_t(language, 'Taak', 'Task')} {task.id}:* {title}",
        facts=((_t(language, "Wat", "What"), instructions),
               (_t(language, "Uiterlijk", "Due"),
                task.due_on.isoformat() if task.due_on else "-")),
        buttons=(Button(label, action, str(task.id), "primary"),),
        data={"task": task.id, "kind": task.kind, "person_key": task.person_key},
    )


def _task_notice(config: Config, task: ManualTask, person: StaffEntry,
                 language: Language) -> Notice:
    return Notice(Audience.CENTRAL_OFFICE, _task_reply(task, language))


def _describe(ctx: FlowContext, person: StaffEntry) -> str:
    today = ctx.now.date()
    names = {loc.brin6: loc.name for loc in ctx.config.locations}
    posts = [p for p in person.posts if p.active_on(today)] or list(person.posts)
    if not posts:
        return person.name.display
    post = posts[0]
    where = names.get(post.location, post.location)
    return f"{person.name.display} ({post.function_title}, {where})"


_SIS_NAMES = {"parnassys": "ParnasSys", "somtoday": "Somtoday", "magister": "Magister"}


def _sis_name(config: Config) -> str:
    source = config.sources.sis
    kind = getattr(source, "type", "") if source is not None else ""
    return _SIS_NAMES.get(kind, "SIS")


def _sis_staff_target(config: Config) -> SisStaffTargetConfig | None:
    """The connector that keeps staff accounts in the SIS, when the board has one."""
    return next((t for t in config.targets if isinstance(t, SisStaffTargetConfig)), None)


def _sis_assignee(ctx: FlowContext, person: StaffEntry) -> str:
    """The SIS step is the location leader's (002 §12): the requester when they lead the
    person's location, else the central office."""
    today = ctx.now.date()
    mine = ctx.asker.staff
    if any(Role.LOCATION_LEADER in mine.roles_at(loc, today)
           for loc in person_locations(person, today)):
        return mine.key
    return "central_office"


def _sis_assignee_label(ctx: FlowContext, person: StaffEntry, language: Language) -> str:
    if _sis_assignee(ctx, person) == "central_office":
        return _t(language, "het Stafbureau", "the central office")
    return _t(language, "jou", "you")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None
