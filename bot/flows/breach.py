"""Reporting a data breach from chat (*datalek melden*; GDPR Art. 33 and 34).

    "ik ben een usb-stick kwijt met cijferlijsten"  |  "I sent the grade list to the wrong
    parent"  |  /datalek  |  /databreach

Anyone the bot knows may report. The intake first reads what the message already says (a
lost usb stick, grade lists, "versleuteld", "28 leerlingen", "vanochtend";
:mod:`bot.flows.breach_reading`) and then asks only what it does not know yet, one short
question at a time, with buttons where the answer is yes, no, unknown or a choice (one person,
several, public). "Report now" files the report with what is known (the FG completes the
rest). Then it enters it in the register
(:class:`~provisioner.privacy.breaches.BreachRegister`), sends the privacy officer (FG) the
assessment, its reasons and buttons to confirm or correct the decision, and tells the
reporter the reference and what happens next -- "the FG has been told" only when the notice
reached someone; otherwise whom to tell themselves (:mod:`bot.flows.breach_text`).

A breach report is *urgent*: it starts whatever else is open. While the intake waits for an
answer it takes the reporter's answers, but not a message that clearly starts another
request (an offboarding, a photo-consent question; :mod:`bot.flows.intent`).

Nothing the reporter types is logged (it goes to the register and the flow's state only).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from bot.conversation import Audience, Button, FlowContext, Language, Notice, Reply, Turn
from bot.flows.breach_officer import officer_facts, officer_press, officer_reason
from bot.flows.breach_questions import BY_KEY, Question, next_question
from bot.flows.breach_reading import (
    ADULTS,
    NOT_UNDERSTOOD,
    NOW_WORDS,
    PUPILS,
    RECIPIENT_CHOICES,
    UNKNOWN,
    deliberate,
    extract,
    read_categories,
    read_count,
    read_moment,
    read_recipient_answer,
    yes_no,
)
from bot.flows.breach_text import (
    OfficerOutcome,
    intro,
    officer_reply,
    officer_sentence,
    reporter_reply,
)
from bot.flows.intent import is_breach_report, is_consent_question, is_offboarding_request
from provisioner.audit.service import record
from provisioner.i18n import tr
from provisioner.privacy.breach import SPECIAL, BreachFacts, FactsError
from provisioner.privacy.breaches import BreachRecord, BreachRegister

__all__ = ["BreachFlow", "extract", "officer_reply", "read_moment"]

log = logging.getLogger("provisioner.bot")

_FG_BUTTONS = frozenset(
    {"confirm", "correct", "notified_authority", "notified_subjects", "set_decision"}
)


def _reply(text: str, **data: Any) -> Reply:
    return Reply(text, data=data)


class BreachFlow:
    """The breach intake, and the FG's buttons on the notice it sends."""

    name = "breach"
    commands: tuple[str, ...] = ("/datalek", "/databreach")
    urgent = True

    def wants(self, text: str) -> bool:
        return is_breach_report(text)

    def accepts(self, text: str, state: dict[str, Any]) -> bool:
        """The reporter's (or the FG's) answer to the open question: a number, "weet ik
        niet", free text -- anything but a message that clearly starts another request."""
        step = state.get("step")
        if step == "fg_correct":
            return False  # a menu of buttons: typed text is not its answer
        if step not in BY_KEY and step not in ("fg_reason", "fg_facts"):
            return False
        return not (is_offboarding_request(text) or is_consent_question(text))

    def topic(self, ctx: FlowContext, state: dict[str, Any]) -> str:
        if str(state.get("step", "")).startswith("fg_") and state.get("breach"):
            breach_id = str(state["breach"])
            return tr(ctx.language, "your decision on breach {breach_id}", breach_id=breach_id)
        return tr(ctx.language, "your data breach report")

    # -- the reporter ----------------------------------------------------------------------

    def start(self, ctx: FlowContext, text: str) -> Turn:
        facts = extract(text, ctx.now) if text.strip() else {}
        if text.strip() and not text.strip().startswith("/"):
            facts["narrative"] = text.strip()
        state: dict[str, Any] = {"step": None, "facts": facts, "skipped": []}
        return self._ask(ctx, state, intro(ctx.language, bool(_officers(ctx))))

    def answer(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        step = state.get("step")
        if step == "fg_reason":
            return officer_reason(ctx, text, state, self.start)
        if step == "fg_facts":
            return officer_facts(ctx, text, state, self.start)
        if step == "fg_correct":
            menu = tr(ctx.language, "Choose what should change with one of the buttons.")
            return Turn(
                (_reply(menu, step="fg_correct", breach_id=state.get("breach")),), state=state
            )
        folded = text.strip().casefold()
        if folded in NOW_WORDS:
            return self._report(ctx, state)
        question = BY_KEY.get(str(step)) if step else None
        if question is None:
            return self.start(ctx, text)
        facts = dict(state.get("facts") or {})
        # Whatever else the answer says is taken too ("ja, 30 leerlingen").
        for key, value in extract(text, ctx.now).items():
            if key == "discovered_at" and question.key != "discovered_at":
                continue
            if key == "kind" and facts.get("kind"):
                continue
            facts.setdefault(key, value)
        state = {**state, "facts": facts}
        if question.yes_no:
            value = yes_no(folded)
            if value is NOT_UNDERSTOOD and question.key == "malicious":
                value = deliberate(folded)
            if value is NOT_UNDERSTOOD:
                return self._ask(
                    ctx,
                    state,
                    tr(ctx.language, "Please answer yes, no or don't know (or use the buttons)."),
                )
            return self._set(ctx, state, question.key, value)
        return self._free_answer(ctx, state, question, text)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        if action in _FG_BUTTONS:
            return officer_press(ctx, action, value)
        step = state.get("step")
        if action == "now" and step:
            return self._report(ctx, state)
        if action == "answer" and step and step in BY_KEY:
            answer = {"yes": True, "no": False, "unknown": None}.get(value, NOT_UNDERSTOOD)
            if answer is NOT_UNDERSTOOD:
                return self._ask(ctx, state)
            return self._set(ctx, state, str(step), answer)
        if action == "category" and step == "data_categories":
            facts = dict(state.get("facts") or {})
            if value == "unknown":
                return self._next(ctx, {**state, "facts": facts}, skip="data_categories")
            facts["data_categories"] = [value]
            if value in SPECIAL:
                facts["special_categories"] = True
            if value == "learning_results":
                facts.setdefault("subjects_are_children", True)
            return self._next(ctx, {**state, "facts": facts})
        if action == "recipient" and step == "recipient":
            known = value in {choice[0] for choice in RECIPIENT_CHOICES}
            return self._set(ctx, state, "recipient", value) if known else self._ask(ctx, state)
        if action == "skip" and step and step in BY_KEY:
            return self._next(ctx, state, skip=str(step))
        if action == "stop":
            stopped = tr(ctx.language, "Stopped; nothing was reported.")
            return Turn((_reply(stopped, step="stopped"),))
        return Turn(
            (
                _reply(
                    tr(ctx.language, "That question has expired. Start again with /databreach."),
                    step="expired",
                ),
            )
        )

    # -- intake steps ----------------------------------------------------------------------

    def _set(self, ctx: FlowContext, state: dict[str, Any], key: str, value: Any) -> Turn:
        facts = dict(state.get("facts") or {})
        if key == "key_safe":
            facts["key_compromised"] = None if value is None else not value
        else:
            facts[key] = value
        if key == "special_categories" and value:
            cats = list(facts.get("data_categories") or [])
            facts["data_categories"] = cats if set(cats) & SPECIAL else [*cats, "special"]
        if key == "national_id_number" and value:
            cats = list(facts.get("data_categories") or [])
            facts["data_categories"] = cats if "national_id" in cats else [*cats, "national_id"]
        skip = key if value is None else None
        return self._next(ctx, {**state, "facts": facts}, skip=skip)

    def _free_answer(
        self, ctx: FlowContext, state: dict[str, Any], question: Question, text: str
    ) -> Turn:
        facts = dict(state["facts"])
        folded = text.strip().casefold()
        unknown = folded in UNKNOWN or folded in {"niets", "nog niets", "nothing", "nothing yet"}
        key = question.key
        if key == "narrative":
            facts["narrative"] = text.strip()
        elif key == "discovered_at":
            moment = read_moment(text, ctx.now)
            if moment is None and not unknown:
                return self._ask(ctx, state, tr(ctx.language, "I don't understand that time."))
            if moment is None:
                return self._next(ctx, {**state, "facts": facts}, skip=key)
            facts["discovered_at"] = moment.isoformat()
        elif key == "data_categories":
            categories = read_categories(text)
            if not categories:
                return self._next(ctx, {**state, "facts": facts}, skip=key)
            facts["data_categories"] = sorted(
                set(facts.get("data_categories") or []) | set(categories)
            )
        elif key == "subjects_count":
            count = read_count(text, bare=True)
            if count is not None:
                facts["subjects_count"] = count
            if PUPILS.search(text):
                facts["subjects_are_children"] = True
            elif ADULTS.search(text):
                facts.setdefault("subjects_are_children", False)
            if count is None:
                return self._next(ctx, {**state, "facts": facts}, skip=key)
        elif key == "recipient":
            facts["recipient"] = None if unknown else read_recipient_answer(text)
            if facts["recipient"] is None:
                return self._next(ctx, {**state, "facts": facts}, skip=key)
        elif key in ("cause", "measures"):
            if unknown:
                return self._next(ctx, {**state, "facts": facts}, skip=key)
            facts[key] = text.strip()
        return self._next(ctx, {**state, "facts": facts})

    def _next(self, ctx: FlowContext, state: dict[str, Any], skip: str | None = None) -> Turn:
        skipped = list(state.get("skipped") or [])
        if skip and skip not in skipped:
            skipped.append(skip)
        return self._ask(ctx, {**state, "skipped": skipped})

    def _ask(self, ctx: FlowContext, state: dict[str, Any], before: str = "") -> Turn:
        question = next_question(state.get("facts") or {}, list(state.get("skipped") or []))
        if question is None:
            return self._report(ctx, state)
        lang = ctx.language
        asked = tr(lang, question.text)
        text = f"{before}\n{asked}" if before else asked
        dont_know = Button(tr(lang, "Don't know"), "answer", "unknown")
        buttons: list[Button] = []
        if question.key == "malicious":
            buttons = [
                Button(tr(lang, "Deliberate"), "answer", "yes"),
                Button(tr(lang, "A mistake"), "answer", "no"),
                dont_know,
            ]
        elif question.yes_no:
            buttons = [
                Button(tr(lang, "Yes"), "answer", "yes"),
                Button(tr(lang, "No"), "answer", "no"),
                dont_know,
            ]
        elif question.key == "data_categories":
            buttons = [
                Button(tr(lang, "Grades"), "category", "learning_results"),
                Button(tr(lang, "Names/addresses"), "category", "contact"),
                Button(tr(lang, "Care/medical"), "category", "care"),
                Button(tr(lang, "Don't know"), "category", "unknown"),
            ]
        elif question.key == "recipient":
            buttons = [
                Button(tr(lang, label), "recipient", value) for value, label in RECIPIENT_CHOICES
            ]
            buttons.append(Button(tr(lang, "Don't know"), "skip"))
        elif question.key != "narrative":
            buttons = [Button(tr(lang, "Don't know"), "skip")]
        if question.key != "narrative":
            buttons.append(Button(tr(lang, "Report now"), "now", style="primary"))
        # A yes/no (or deliberate/mistake) question is answered by its buttons; every other
        # one wants typed text ("2", "gisteren 14:00") and its buttons are only shortcuts.
        reply = Reply(
            text,
            buttons=tuple(buttons),
            data={"step": question.key},
            expects_text=not question.yes_no,
        )
        return Turn((reply,), state={**state, "step": question.key})

    def _report(self, ctx: FlowContext, state: dict[str, Any]) -> Turn:
        lang = ctx.language
        try:
            facts = BreachFacts.from_dict(state.get("facts") or {})
        except FactsError:
            facts = BreachFacts(narrative=str((state.get("facts") or {}).get("narrative") or ""))
        locations = sorted(ctx.asker.staff.locations_on(ctx.now.date()))
        register = BreachRegister(ctx.sessions)
        # Entered as "FG not told"; marked told below only once a notice reached someone.
        location = locations[0] if len(locations) == 1 else None
        breach = register.report(facts, reporter=ctx.asker.actor, location=location, now=ctx.now)
        outcome, reached, notices = self._tell_officer(ctx, breach)
        if outcome == "told":
            breach = register.mark_notified(
                breach.id, party="privacy_officer", at=ctx.now, actor=ctx.asker.actor
            )
        self._audit_officer(ctx, breach, outcome, reached)
        officer_due = next(d.due_at for d in breach.deadlines if d.kind == "privacy_officer")
        about_officer = officer_sentence(
            outcome,
            lang,
            officer_due=officer_due,
            now=ctx.now,
            officers=_officers(ctx),
            central_office=ctx.config.bot.central_office,
            board_name=ctx.config.board.name,
        )
        told = True if outcome == "told" else None if outcome == "sending" else False
        data: dict[str, object] = {
            "step": "reported",
            "breach_id": breach.id,
            "privacy_officer_told": told,
            "privacy_officer_reached": reached,
        }
        reply = reporter_reply(breach, breach.assess(lang), about_officer, lang, data)
        return Turn((reply,), state=None, notices=notices)

    def _tell_officer(
        self, ctx: FlowContext, breach: BreachRecord
    ) -> tuple[OfficerOutcome, int, tuple[Notice, ...]]:
        """Send the FG the notice: ``(outcome, people reached, notices left for the Turn)``.

        Honesty rules. With ``ctx.deliver`` the notice goes out now and its count decides:
        above 0 the FG is told (the register says so), 0 means nobody was reached. Without a
        FG in the configuration nobody is told, whatever the front end. Without
        ``ctx.deliver`` (a front end that sends notices after the turn, or the terminal,
        which only prints them) the notice goes back in the Turn and the reporter hears that
        the FG "is being told now"; the register does *not* record the FG as told, because
        nothing confirms it -- the FG's 24 hours stay open (and the reminders run) until the
        FG acts on the notice in chat (:meth:`_fg_press` marks them told then) or someone
        records it with ``provisioner breach notified --party privacy_officer``.
        """
        if not _officers(ctx):
            return "not_configured", 0, ()
        # What the FG reads is true on arrival: by then they have been told.
        told = {"at": ctx.now.isoformat(), "by": ctx.asker.actor}
        told_view = replace(breach, notified={**breach.notified, "privacy_officer": told})
        notice = Notice(Audience.PRIVACY_OFFICER, officer_reply(told_view, _board_language(ctx)))
        if ctx.deliver is None:
            return "sending", 0, (notice,)
        try:
            reached = ctx.deliver(notice)
        except Exception as exc:  # the report is in the register: say so, and who to tell
            log.warning(
                "the notice of breach %s to the FG failed: %s", breach.id, type(exc).__name__
            )
            reached = 0
        return ("told" if reached > 0 else "unreachable"), max(reached, 0), ()

    def _audit_officer(
        self, ctx: FlowContext, breach: BreachRecord, outcome: OfficerOutcome, reached: int
    ) -> None:
        """Who was told of the report, or that nobody was (counts only, no addresses)."""
        reasons = {
            "told": f"privacy officer told in chat ({reached} of {len(_officers(ctx))} reached)",
            "sending": "notice to the privacy officer handed to the front end; delivery not "
            "confirmed, so the privacy officer is not recorded as told",
            "not_configured": "nobody told: no privacy officer is configured; the reporter was "
            "asked to tell the central office or the board",
            "unreachable": "nobody told: no privacy officer could be reached in chat; the "
            "reporter was asked to tell them directly",
        }
        with ctx.sessions.begin() as session:
            record(
                session,
                actor=ctx.asker.actor,
                action="breach.privacy_officer",
                target="breach_register",
                object_key=breach.id,
                reason=reasons[outcome],
                change={
                    "outcome": outcome,
                    "told": outcome == "told",
                    "reached": reached,
                    "configured": len(_officers(ctx)),
                },
                at=ctx.now,
            )


def _officers(ctx: FlowContext) -> list[str]:
    return [e for e in ctx.config.bot.privacy_officers if e.strip()]


def _board_language(ctx: FlowContext) -> Language:
    languages = ctx.config.bot.languages
    return languages[0] if languages else "nl"
