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
from bot.flows.breach_reading import (
    ADULTS,
    BY_KEY,
    NO,
    NOT_UNDERSTOOD,
    NOW_WORDS,
    PUPILS,
    RECIPIENT_CHOICES,
    UNKNOWN,
    YES,
    Question,
    deliberate,
    extract,
    next_question,
    read_categories,
    read_count,
    read_moment,
    read_recipient_answer,
    yes_no,
)
from bot.flows.breach_text import (
    OfficerOutcome,
    decided_reply,
    intro,
    officer_reply,
    officer_sentence,
    reporter_reply,
)
from bot.flows.intent import is_breach_report, is_consent_question, is_offboarding_request
from provisioner.audit.service import record
from provisioner.privacy.breach import SPECIAL, BreachFacts, FactsError
from provisioner.privacy.breaches import BreachNotFound, BreachRecord, BreachRegister, Party

__all__ = ["BreachFlow", "extract", "officer_reply", "read_moment"]

log = logging.getLogger("provisioner.bot")

_FG_BUTTONS = frozenset({"confirm", "correct", "notified_authority", "notified_subjects",
                         "set_decision"})  # fmt: skip


def _t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


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
            return _t(ctx.language, f"je besluit over datalek {breach_id}",
                      f"your decision on breach {breach_id}")  # fmt: skip
        return _t(ctx.language, "je datalekmelding", "your data breach report")

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
            return self._fg_reason(ctx, text, state)
        if step == "fg_facts":
            return self._fg_facts(ctx, text, state)
        if step == "fg_correct":
            menu = _t(ctx.language, "Kies met een van de knoppen wat er anders moet.",
                      "Choose what should change with one of the buttons.")  # fmt: skip
            return Turn((_reply(menu, step="fg_correct", breach_id=state.get("breach")),),
                        state=state)  # fmt: skip
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
                return self._ask(ctx, state, _t(
                    ctx.language, "Antwoord met ja, nee of weet ik niet (of gebruik de knoppen).",
                    "Please answer yes, no or don't know (or use the buttons)."))  # fmt: skip
            return self._set(ctx, state, question.key, value)
        return self._free_answer(ctx, state, question, text)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        if action in _FG_BUTTONS:
            return self._fg_press(ctx, action, value, state)
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
            stopped = _t(ctx.language, "Gestopt; er is niets gemeld.",
                         "Stopped; nothing was reported.")  # fmt: skip
            return Turn((_reply(stopped, step="stopped"),))
        return Turn((_reply(_t(ctx.language, "Die vraag is verlopen. Begin opnieuw met /datalek.",
                               "That question has expired. Start again with /databreach."),
                            step="expired"),))  # fmt: skip

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
                return self._ask(ctx, state, _t(ctx.language, "Dat tijdstip begrijp ik niet.",
                                                "I don't understand that time."))  # fmt: skip
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
        asked = _t(lang, question.nl, question.en)
        text = f"{before}\n{asked}" if before else asked
        dont_know = Button(_t(lang, "Weet ik niet", "Don't know"), "answer", "unknown")
        buttons: list[Button] = []
        if question.key == "malicious":
            buttons = [
                Button(_t(lang, "Opzet", "Deliberate"), "answer", "yes"),
                Button(_t(lang, "Vergissing", "A mistake"), "answer", "no"),
                dont_know,
            ]
        elif question.yes_no:
            buttons = [
                Button(_t(lang, "Ja", "Yes"), "answer", "yes"),
                Button(_t(lang, "Nee", "No"), "answer", "no"),
                dont_know,
            ]
        elif question.key == "data_categories":
            buttons = [
                Button(_t(lang, "Cijfers", "Grades"), "category", "learning_results"),
                Button(_t(lang, "Namen/adressen", "Names/addresses"), "category", "contact"),
                Button(_t(lang, "Zorg/medisch", "Care/medical"), "category", "care"),
                Button(_t(lang, "Weet ik niet", "Don't know"), "category", "unknown"),
            ]
        elif question.key == "recipient":
            buttons = [Button(_t(lang, nl, en), "recipient", value)
                       for value, nl, en in RECIPIENT_CHOICES]  # fmt: skip
            buttons.append(Button(_t(lang, "Weet ik niet", "Don't know"), "skip"))
        elif question.key != "narrative":
            buttons = [Button(_t(lang, "Weet ik niet", "Don't know"), "skip")]
        if question.key != "narrative":
            buttons.append(Button(_t(lang, "Meld nu", "Report now"), "now", style="primary"))
        # A yes/no (or deliberate/mistake) question is answered by its buttons; every other
        # one wants typed text ("2", "gisteren 14:00") and its buttons are only shortcuts.
        reply = Reply(text, buttons=tuple(buttons), data={"step": question.key},
                      expects_text=not question.yes_no)  # fmt: skip
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
            breach = register.mark_notified(breach.id, party="privacy_officer", at=ctx.now,
                                            actor=ctx.asker.actor)  # fmt: skip
        self._audit_officer(ctx, breach, outcome, reached)
        officer_due = next(d.due_at for d in breach.deadlines if d.kind == "privacy_officer")
        about_officer = officer_sentence(
            outcome, lang, officer_due=officer_due, now=ctx.now, officers=_officers(ctx),
            central_office=ctx.config.bot.central_office, board_name=ctx.config.board.name,
        )  # fmt: skip
        told = True if outcome == "told" else None if outcome == "sending" else False
        data: dict[str, object] = {"step": "reported", "breach_id": breach.id,
                                   "privacy_officer_told": told,
                                   "privacy_officer_reached": reached}  # fmt: skip
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
            log.warning("the notice of breach %s to the FG failed: %s", breach.id,
                        type(exc).__name__)  # fmt: skip
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
            record(session, actor=ctx.asker.actor, action="breach.privacy_officer",
                   target="breach_register", object_key=breach.id, reason=reasons[outcome],
                   change={"outcome": outcome, "told": outcome == "told", "reached": reached,
                           "configured": len(_officers(ctx))},
                   at=ctx.now)  # fmt: skip

    # -- the privacy officer ---------------------------------------------------------------

    def _fg_press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        lang = ctx.language
        if not ctx.asker.is_privacy_officer:
            return Turn((_reply(_t(lang, "Alleen de FG kan een datalekbesluit bevestigen of "
                                   "corrigeren.", "Only the privacy officer can confirm or "
                                   "correct a breach decision."),
                                refused="not_privacy_officer"),))  # fmt: skip
        register = BreachRegister(ctx.sessions)
        breach_id, _, choice = value.partition("|")
        try:
            breach = register.get(breach_id)
        except BreachNotFound:
            return Turn((_reply(_t(lang, f"Datalek {breach_id} staat niet in het register.",
                                   f"Breach {breach_id} is not in the register."),
                                refused="not_found"),))  # fmt: skip
        if "privacy_officer" not in breach.notified:
            # The FG acts on the notice, so they have it now at the latest (it may have gone
            # out without a confirmed delivery, see _tell_officer).
            breach = register.mark_notified(breach.id, party="privacy_officer", at=ctx.now,
                                            actor=ctx.asker.actor)  # fmt: skip
        if action == "confirm":
            breach = register.confirm(breach.id, actor=ctx.asker.actor, now=ctx.now)
            return Turn((decided_reply(breach, lang),))
        if action in ("notified_authority", "notified_subjects"):
            party: Party = "authority" if action == "notified_authority" else "subjects"
            breach = register.mark_notified(breach.id, party=party, at=ctx.now,
                                            actor=ctx.asker.actor)  # fmt: skip
            return Turn((decided_reply(breach, lang),))
        if action == "correct":
            buttons = tuple(
                Button(label, "set_decision", f"{breach.id}|{code}")
                for code, label in (
                    ("ap_yes", _t(lang, "Wel melden bij de AP", "Notify the AP")),
                    ("ap_no", _t(lang, "Niet melden bij de AP", "Do not notify the AP")),
                    ("subjects_yes", _t(lang, "Betrokkenen inlichten", "Tell the people")),
                    ("subjects_no", _t(lang, "Betrokkenen niet inlichten", "Do not tell them")),
                    ("facts", _t(lang, "Feiten aanpassen", "Correct facts")),
                )
            )
            ask = Reply(_t(lang, f"Wat moet er anders aan {breach.id}?",
                           f"What should change in {breach.id}?"), buttons=buttons,
                        data={"step": "fg_correct", "breach_id": breach.id})  # fmt: skip
            return Turn((ask,), state={"step": "fg_correct", "breach": breach.id})
        if action == "set_decision":
            if choice == "facts":
                return Turn((_reply(_t(
                    lang,
                    "Schrijf de feiten als veld=waarde, gescheiden door komma's, bijvoorbeeld "
                    "encrypted=ja, subjects_count=30, key_compromised=nee.",
                    "Write the facts as field=value separated by commas, e.g. "
                    "encrypted=yes, subjects_count=30, key_compromised=no."),
                    step="fg_facts", breach_id=breach.id),),
                    state={"step": "fg_facts", "breach": breach.id})  # fmt: skip
            decision = {
                "ap_yes": {"notify_authority": True},
                "ap_no": {"notify_authority": False, "notify_subjects": False},
                "subjects_yes": {"notify_authority": True, "notify_subjects": True},
                "subjects_no": {"notify_subjects": False},
            }.get(choice)
            if decision is None:
                return Turn((_reply(_t(lang, "Die keuze ken ik niet.", "Unknown choice.")),))
            return Turn((_reply(_t(lang, "Waarom? De reden komt in het register en in de "
                                   "audittrail.", "Why? The reason goes into the register and "
                                   "the audit trail."), step="fg_reason", breach_id=breach.id),),
                        state={"step": "fg_reason", "breach": breach.id,
                               "decision": decision})  # fmt: skip
        return Turn((_reply(_t(lang, "Die knop ken ik niet.", "Unknown button.")),))

    def _fg_reason(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        if not ctx.asker.is_privacy_officer:
            return self.start(ctx, text)
        reason = text.strip()
        if not reason:
            return Turn((_reply(_t(ctx.language, "Geef een reden op.", "Please give a reason.")),),
                        state=state)  # fmt: skip
        breach = BreachRegister(ctx.sessions).correct(
            str(state["breach"]), actor=ctx.asker.actor, decision=dict(state["decision"]),
            reason=reason, now=ctx.now,
        )  # fmt: skip
        return Turn((decided_reply(breach, ctx.language),))

    def _fg_facts(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        lang = ctx.language
        if not ctx.asker.is_privacy_officer:
            return self.start(ctx, text)
        changes: dict[str, Any] = {}
        for part in text.split(","):
            name, sep, raw = part.partition("=")
            if not sep:
                continue
            value: Any = raw.strip()
            folded = str(value).casefold()
            if folded in YES:
                value = True
            elif folded in NO:
                value = False
            elif folded in UNKNOWN or folded in {"null", "none"}:
                value = None
            elif folded.isdigit():
                value = int(folded)
            changes[name.strip()] = value
        if not changes:
            return Turn((_reply(_t(lang, "Geen veld=waarde gevonden.", "No field=value found."),
                                step="fg_facts"),), state=state)  # fmt: skip
        try:
            breach = BreachRegister(ctx.sessions).correct(
                str(state["breach"]), actor=ctx.asker.actor, facts=changes,
                reason="facts corrected by the FG", now=ctx.now,
            )  # fmt: skip
        except (FactsError, ValueError) as exc:
            return Turn((_reply(_t(lang, f"Dat kan ik niet verwerken: {exc}",
                                   f"I cannot use that: {exc}"), step="fg_facts"),),
                        state=state)  # fmt: skip
        return Turn((officer_reply(breach, lang),))


def _officers(ctx: FlowContext) -> list[str]:
    return [e for e in ctx.config.bot.privacy_officers if e.strip()]


def _board_language(ctx: FlowContext) -> Language:
    languages = ctx.config.bot.languages
    return languages[0] if languages else "nl"
