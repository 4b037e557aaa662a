"""Offboarding a leaver from chat (uit dienst melden; leaver procedure, 002 §12).

    "Jan de Vries gaat per 1 december uit dienst"  |  /uitdienst  |  /offboard

Who may: the location leader of the leaver's location (for her posts there), a director
(``board.director_scope``) and the central office (*Stafbureau*, every post). The flow finds
the person among those the asker may act on, reads the last working day, and shows exactly
what will happen to which post and when. The question names its subject; the confirmation
(button or typed "ja") carries the plan's identity -- a nonce and the fingerprint of the
steps shown (``provisioner.offboarding.policy.fingerprint``) -- and applies only to that plan, only
within ``bot.confirm_minutes``, and only while HR still says the same: otherwise the plan is
shown afresh and nothing is done. It applies once, however often it arrives
(``provisioner.offboarding.record.record_once``).

On confirmation it records an override with its scope (the policy ends the posts in scope),
opens the manual tasks, and -- when the last working day has passed -- runs the core engine
for that one person: in the background when the front end offers it (Slack: the listener
pool is never blocked), else at once (the console). The scheduler
(:func:`run_due_offboardings`, every minute from ``provisioner serve``) runs later ones.
Refusals name their reason (``not_allowed``, ``other_location``, ``not_found``,
``already_gone``, ``stale``) in ``Reply.data``.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

from bot.conversation import Button, FlowContext, Language, Reply, Turn
from bot.dates import find_day, format_day
from bot.flows.offboarding_confirm import cancel, cancelled, confirm, expired, sis_assignee
from bot.flows.offboarding_notices import run_due_offboardings
from bot.flows.offboarding_tasks import close_task
from bot.flows.offboarding_text import (
    confirm_buttons,
    describe,
    summary_facts,
    title,
)
from bot.names import FILLER, match_one_of, match_people, words
from provisioner.directory import StaffEntry
from provisioner.i18n import tr
from provisioner.offboarding.policy import (
    MAX_DAYS_AHEAD,
    Plan,
    Scope,
    already_gone,
    fingerprint,
    location_names,
    make_plan,
    may_act_on,
    may_start,
    scope_for,
)
from provisioner.offboarding.runs import override_days

__all__ = ["OffboardingFlow", "format_day", "run_due_offboardings"]

MAX_CHOICES = 6
YES = frozenset(
    {
        "ja",
        "jawel",
        "yes",
        "yep",
        "ok",
        "oké",
        "oke",
        "okay",
        "bevestig",
        "bevestigen",
        "confirm",
        "klopt",
        "akkoord",
        "j",
        "y",
    }
)
NO = frozenset({"nee", "neen", "no", "nope", "n"})


def name_words(text: str) -> list[str]:
    """The words of ``text`` that may be part of a name (no filler, no numbers)."""
    return [w for w in words(text) if w not in FILLER]


def _word(text: str) -> str:
    return text.strip().strip("!.?, ").casefold()


class OffboardingFlow:
    name = "offboarding"
    commands: tuple[str, ...] = ("/uitdienst", "/offboard")
    urgent = False

    _WANTS = re.compile(
        r"\buit\s+dienst\b|\buitdienst|\bvertrekt\b|\boffboard|\bleaves?\b|\bleaving\b"
        r"|\blast\s+working\s+day\b|\blaatste\s+werkdag\b",
        re.IGNORECASE,
    )

    def wants(self, text: str) -> bool:
        return bool(self._WANTS.search(text))

    def accepts(self, text: str, state: dict[str, Any]) -> bool:
        """A date when a date was asked, yes/no at the confirmation, a number or a name at
        the pick list, a name when a name was asked; never a new request."""
        step = state.get("step")
        if self.wants(text) or "?" in text:
            return False
        if step == "confirm":
            return _word(text) in YES | NO
        if step == "day":
            return find_day(text, date.today()) is not None  # any day will do to find one
        if step == "pick":
            return (
                _word(text).isdigit()
                or _word(text) in YES | NO
                or bool(name_words(text))
                or bool(re.search(r"\d", text))
            )
        return step == "who" and bool(name_words(text))

    def topic(self, ctx: FlowContext, state: dict[str, Any]) -> str:
        person = ctx.directory.staff(str(state.get("person") or ""))
        if person is None:
            return tr(ctx.language, "the offboarding")
        return tr(ctx.language, "the offboarding of {display}", display=person.name.display)

    # -- the conversation -------------------------------------------------------------------

    def start(self, ctx: FlowContext, text: str) -> Turn:
        lang, today = ctx.language, ctx.now.date()
        if not may_start(ctx.asker, today):
            return _refuse(
                lang,
                "not_allowed",
                None,
                tr(
                    lang,
                    "Only the location leader, a director or the central office can "
                    "report a leaver. Please ask your location leader.",
                ),
            )
        found = find_day(text, today)
        day = found.day if found else None
        rest = found.rest if found else text
        if not name_words(rest):
            return Turn(
                (
                    Reply(
                        tr(
                            lang,
                            "Who is leaving, and what is their last working day? For example: "
                            "Jan de Vries, 1 December.",
                        ),
                        data={"step": "who"},
                        expects_text=True,
                    ),
                ),
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
                    (
                        Reply(
                            tr(
                                lang,
                                "I don't understand that date. Write e.g. "
                                '"31-12", "1 December" or "today".',
                            ),
                            data={"step": "day", "problem": "no_date"},
                            expects_text=True,
                        ),
                    ),
                    state=state,
                )
            return self.person_and_day(ctx, str(state["person"]), found.day)
        if step == "confirm":
            word = _word(text)
            if word in YES:
                return confirm(self, ctx, state, _token_of(state))
            if word in NO:
                return cancelled(lang)
            person = ctx.directory.staff(str(state.get("person")))
            name = person.name.display if person else "?"
            day = _day(state.get("day"))
            when = format_day(day, lang) if day else "?"
            return Turn(
                (
                    Reply(
                        tr(
                            lang,
                            "You have not confirmed yet: offboarding {name}, last working day "
                            "{when}. Answer yes or no, or use the buttons.",
                            name=name,
                            when=when,
                        ),
                        data={"step": "confirm", "person_key": state.get("person")},
                    ),
                ),
                state=state,
            )
        return self.start(ctx, text)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        if action == "pick":
            if state.get("step") != "pick" or value not in state.get("candidates", []):
                return expired(ctx.language)
            return self.person_and_day(ctx, value, _day(state.get("day")))
        if action == "confirm":
            return confirm(self, ctx, state, value)
        if action == "cancel":
            return cancel(ctx, state, value)
        if action in ("task_done", "approve_deletion"):
            return close_task(ctx, action, value)
        return expired(ctx.language)

    # -- steps ------------------------------------------------------------------------------

    def _choose(self, ctx: FlowContext, text: str, day: date | None) -> Turn:
        """Find the person among those the asker may act on (typos allowed); a name matched
        only approximately is asked about ("Bedoel je ...?"), several are offered as buttons
        with role and location."""
        lang, today = ctx.language, ctx.now.date()
        scope = ctx.config.board.director_scope
        everyone = ctx.directory.all_staff()
        mine = [p for p in everyone if may_act_on(ctx.asker, p, today, scope)]
        matches = match_people(mine, text, limit=MAX_CHOICES)
        if not matches:
            elsewhere = [m for m in match_people(everyone, text, limit=2) if m.exact]
            if len(elsewhere) == 1:  # someone the asker may not act on: say why
                return self.person_and_day(ctx, elsewhere[0].person.key, day)
            return _refuse(
                lang,
                "not_found",
                None,
                tr(
                    lang,
                    "I can't find anyone by that name whom you can offboard. Please "
                    "check the spelling and try again (first and last name).",
                ),
                state={"step": "who", "day": _iso(day)},
            )
        if len(matches) == 1 and matches[0].exact:
            return self.person_and_day(ctx, matches[0].person.key, day)
        shown = [m.person for m in matches]
        names = location_names(ctx.config)
        buttons = tuple(
            Button(describe(p, names, _current(p, today)), "pick", p.key) for p in shown
        )
        if len(shown) == 1:
            question = tr(
                lang,
                "Do you mean {describe}?",
                describe=describe(shown[0], names, _current(shown[0], today)),
            )
            buttons += (Button(tr(lang, "No"), "cancel", ""),)
        else:
            question = tr(
                lang,
                "I found {count_shown} people by that name. Whom do you mean?",
                count_shown=len(shown),
            )
        return Turn(
            (
                Reply(
                    question,
                    buttons=buttons,
                    data={
                        "step": "pick",
                        "candidates": [p.key for p in shown],
                        "approximate": not any(m.exact for m in matches),
                    },
                ),
            ),
            state={"step": "pick", "candidates": [p.key for p in shown], "day": _iso(day)},
        )

    def _pick_by_text(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        candidates = [str(k) for k in state.get("candidates", [])]
        chosen = _word(text)
        if chosen in YES and len(candidates) == 1:
            return self.person_and_day(ctx, candidates[0], _day(state.get("day")))
        if chosen in NO:
            return cancelled(ctx.language)
        people = [p for p in (ctx.directory.staff(k) for k in candidates) if p is not None]
        picked = match_one_of(people, text)
        if picked is not None:
            return self.person_and_day(ctx, picked.key, _day(state.get("day")))
        return Turn(
            (
                Reply(
                    tr(ctx.language, "Please pick one of the buttons, or type its number."),
                    data={"step": "pick"},
                ),
            ),
            state=state,
        )

    def checked(
        self, ctx: FlowContext, key: str, day: date | None
    ) -> tuple[StaffEntry, Scope] | Turn:
        """The person and the scope the asker may end, or the refusal (a Turn)."""
        lang, today = ctx.language, ctx.now.date()
        person = ctx.directory.staff(key)
        if person is None:
            return _refuse(
                lang,
                "not_found",
                key,
                tr(lang, "That person is not (or no longer) in the records."),
            )
        scope = scope_for(ctx.asker, person, today, ctx.config.board.director_scope)
        if scope == "other_location":
            return _refuse(
                lang,
                "other_location",
                key,
                tr(
                    lang,
                    "{display} works at another location. Only the location leader "
                    "there, a director or the central office can report this.",
                    display=person.name.display,
                ),
            )
        if not isinstance(scope, Scope):
            return _refuse(
                lang,
                "not_allowed",
                key,
                tr(lang, "You are not allowed to report this colleague as a leaver."),
            )
        gone = already_gone(scope, override_days(ctx.sessions, key), today)
        if gone is not None:
            return _refuse(
                lang,
                "already_gone",
                key,
                tr(
                    lang,
                    "{display} has already left (last working day {format_day}). Nothing "
                    "more to do.",
                    display=person.name.display,
                    format_day=format_day(gone, lang),
                ),
            )
        return person, scope

    def person_and_day(self, ctx: FlowContext, key: str, day: date | None) -> Turn:
        lang, today = ctx.language, ctx.now.date()
        checked = self.checked(ctx, key, day)
        if isinstance(checked, Turn):
            return checked
        person, scope = checked
        if day is None:
            return Turn(
                (
                    Reply(
                        tr(
                            lang,
                            "What is {display}'s last working day?",
                            display=person.name.display,
                        ),
                        data={"step": "day", "person_key": key},
                        expects_text=True,
                    ),
                ),
                state={"step": "day", "person": key},
            )
        if day > today + timedelta(days=MAX_DAYS_AHEAD):
            return Turn(
                (
                    Reply(
                        tr(
                            lang,
                            "That date is more than a year ahead. Which last working day do you "
                            "mean?",
                        ),
                        data={"step": "day", "person_key": key, "problem": "too_far"},
                        expects_text=True,
                    ),
                ),
                state={"step": "day", "person": key},
            )
        plan = make_plan(ctx.config, person, scope, day, today)
        reply, fp = self.summary(ctx, plan, nonce := uuid.uuid4().hex[:12])
        return Turn(
            (reply,),
            state={
                "step": "confirm",
                "person": key,
                "day": day.isoformat(),
                "fp": fp,
                "nonce": nonce,
                "shown_at": ctx.now.isoformat(),
            },
        )

    def summary(self, ctx: FlowContext, plan: Plan, nonce: str) -> tuple[Reply, str]:
        lang = ctx.language
        names = location_names(ctx.config)
        assignee = tr(lang, "the central office")
        if sis_assignee(ctx, plan) != "central_office":
            assignee = tr(lang, "you")
        facts = summary_facts(ctx.config, plan, lang, names, assignee)
        fp = fingerprint(plan, facts)
        token = f"{plan.person.key}|{plan.last_day.isoformat()}|{fp}|{nonce}"
        return Reply(
            title(plan, lang, names),
            facts=facts,
            buttons=confirm_buttons(plan, token, lang),
            data={
                "step": "confirm",
                "person_key": plan.person.key,
                "last_day": plan.effective_day.isoformat(),
                "access_ends": plan.access_ends.isoformat(),
                "mailbox_until": plan.mailbox_until.isoformat() if plan.mailbox_until else None,
                "delete_on": plan.delete_on.isoformat() if plan.delete_on else None,
                "due_now": plan.due_now,
                "scope": plan.scope.stored() or "all",
                "keeps_posts": sorted(p.location for p in plan.scope.staying),
                "manual_portals": list(ctx.config.bot.manual_portals),
                "fingerprint": fp,
            },
        ), fp


# -- helpers --------------------------------------------------------------------------------


def _current(person: StaffEntry, today: date) -> tuple[Any, ...]:
    return tuple(p for p in person.posts if p.active_on(today)) or person.posts


def _token_of(state: dict[str, Any]) -> str:
    return f"{state.get('person')}|{state.get('day')}|{state.get('fp')}|{state.get('nonce')}"


def _refuse(
    language: Language,
    reason: str,
    person_key: str | None,
    text: str,
    state: dict[str, Any] | None = None,
) -> Turn:
    data: dict[str, Any] = {"refused": reason}
    if person_key:
        data["person_key"] = person_key
    return Turn((Reply(text, data=data),), state=state)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None
