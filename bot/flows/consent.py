"""Photo-consent questions in chat (toestemming beeldmateriaal; 002 §7, 004).

    "Mag de foto van Sanne Jansen op de website?"  |  "mag ik een foto van groep 5b op
    Instagram zetten?"  |  "can the 7a class photo go in the newsletter?"  |  /toestemming

The flow finds the pupil or the group and the medium, asks for whichever is missing (and
which one, when a name matches several pupils), and answers with the consent register's
decision (:mod:`provisioner.privacy.consent`): allowed or not, with the reason. A group
answer says "allowed for all N" or names only the pupils without consent.

Who may ask (need to know): staff with a post at the pupil's or group's location on the day
*and* a relation to the pupil or group:

- the location leader, a care coordinator (IB-er) or a director of that location: every
  pupil and group there;
- anyone else (teacher, support staff, intern): only the groups they are listed as teacher
  of in the SIS, and the pupils of those groups.

A director's board-wide scope (``board.director_scope``) does not reach consent questions:
these are about individual children, asked by people who work with them. Refusals name their
reason in ``Reply.data["refused"]`` (``not_allowed``: no post at any location;
``other_location``: only for a stored or forged subject, as names are looked up at the asker's
own locations only; ``no_relation``; ``not_found``) and reveal nothing about the pupil. An
answer reveals only the consent status for that one medium. Every reply is private.

While a question is open, the flow takes only what answers it (``accepts``): a medium when it
asked for one, a name or group when it asked which pupil or group, a number or a listed name
when it asked which one. Anything that reads as a new question ("Mag de foto van pupil B op
de website?" while it asks about pupil A's medium) is a new question, never an answer about
the earlier pupil.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.conversation import Asker, Button, FlowContext, Reply, Turn
from bot.flows.consent_reading import (
    MAX_NAME_WORDS,
    POLITE,
    WANTS,
    Question,
    find_pupils,
    groups_of,
    match_in_group,
    name_words,
    pick_typed,
    pupil_label,
    read_exclusion,
    read_question,
    unknown_medium,
)
from bot.flows.consent_text import (
    choose,
    group_reply,
    medium_question,
    not_found,
    pupil_reply,
    reason_text,
    refuse,
    short_reason,
    subject_question,
)
from bot.flows.intent import is_breach_report, is_offboarding_request
from provisioner.directory import GroupEntry
from provisioner.domain.models import Role
from provisioner.i18n import tr
from provisioner.privacy.consent import ConsentRegister, UnknownMedium, UnknownPupil
from provisioner.privacy.media import DEFAULT_MEDIA, Catalogue, Medium, catalogue_for

__all__ = ["ConsentFlow", "may_ask_about", "read_question", "reason_text", "short_reason"]


#: Roles that relate a person to every pupil of their location.
LOCATION_WIDE = frozenset({Role.DIRECTOR, Role.LOCATION_LEADER, Role.CARE_COORDINATOR})


# -- who may ask ------------------------------------------------------------------------------


def may_ask_about(asker: Asker, location: str, group: GroupEntry | None, today: date) -> str | None:
    """None when the asker may ask about a pupil or group at ``location`` (``group``: the
    group, or the pupil's group); else the refusal code."""
    if not asker.staff.locations_on(today):
        return "not_allowed"
    if location not in asker.staff.locations_on(today):
        return "other_location"
    if asker.staff.roles_at(location, today) & LOCATION_WIDE:
        return None
    if group is not None and asker.staff.key in group.teacher_keys:
        return None
    return "no_relation"


class ConsentFlow:
    """May this pupil's or group's photo go on this medium? See the module docstring."""

    name: str = "consent"
    commands: tuple[str, ...] = ("/toestemming", "/consent")
    urgent = False

    def wants(self, text: str) -> bool:
        return bool(WANTS.search(text))

    def accepts(self, text: str, state: dict[str, Any]) -> bool:
        """Whether ``text`` answers the open question (see the module docstring). Without a
        context: a medium is recognised by the words stored with the question."""
        if "choices" in state:
            return pick_typed(text, state["choices"], state.get("labels", [])) is not None
        if is_breach_report(text) or is_offboarding_request(text):
            return False
        if "subject" not in state:  # "which pupil or group?"
            # The board's own medium words are not known here: the built-in ones are left
            # out of the name, and a long sentence is no name.
            question = read_question(text, _BUILT_IN)
            return bool(question.group_code or question.name_words) and (
                len(question.name_words) <= MAX_NAME_WORDS
            )
        if "medium" not in state:  # "which medium?"
            question = read_question(text, _offered_catalogue(state))
            extra = [w for w in question.name_words if w not in POLITE]
            return bool(question.media) and question.group_code is None and not extra
        return False

    def topic(self, ctx: FlowContext, state: dict[str, Any]) -> str:
        subject = _subject_name(ctx, state.get("subject"))
        if subject:
            return tr(ctx.language, "the photo consent question about {subject}", subject=subject)
        return tr(ctx.language, "the photo consent question")

    # -- the conversation -------------------------------------------------------------------

    def start(self, ctx: FlowContext, text: str) -> Turn:
        today = ctx.now.date()
        if not ctx.asker.staff.locations_on(today):
            return refuse(ctx.language, "not_allowed")
        return self._continue(ctx, text, {})

    def answer(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        if self._new_subject(ctx, text, state):
            return self.start(ctx, text)  # a question about someone else: asked afresh
        return self._continue(ctx, text, state)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        state = dict(state)
        if action == "consent-pick" and value in state.get("choices", []):
            kind, _, key = value.partition("|")
            state = {k: v for k, v in state.items() if k not in ("choices", "labels")}
            state["subject"] = {"kind": kind, "key": key}
            return self._proceed(ctx, state)
        if action == "consent-medium" and value in state.get("media", []):
            state = {k: v for k, v in state.items() if k not in _MEDIUM_KEYS}
            state["medium"] = value
            return self._proceed(ctx, state)
        return Turn(
            (
                Reply(
                    tr(
                        ctx.language,
                        "I don't know that choice (any more). Please ask again, e.g. with "
                        "/consent.",
                    ),
                    data={"step": "expired"},
                ),
            )
        )

    # -- steps ------------------------------------------------------------------------------

    def _new_subject(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> bool:
        """Whether ``text``, typed while a medium or a choice is asked, names a pupil or
        group other than the one the open question is about (looked up, so that a stray
        word such as "bedankt" is not taken for a name)."""
        if "choices" in state:
            if pick_typed(text, state["choices"], state.get("labels", [])) is not None:
                return False
        elif "subject" not in state or "medium" in state:
            return False
        question = read_question(read_exclusion(text).question, self._asker_catalogue(ctx))
        if not (question.group_code or question.name_words):
            return False
        current = state.get("subject")
        if current and current.get("kind") == "pupil" and question.group_code is None:
            pupil = ctx.directory.pupil(str(current.get("key")))
            if pupil and set(question.name_words) <= set(name_words(pupil.name.display)):
                return False  # "Sanne, op de website": the same pupil
        found = self._find_subject(ctx, question)
        if isinstance(found, Turn):  # refused or "which one?" is news; not found is noise
            return found.replies[0].data.get("refused") != "not_found"
        return found != current

    def _continue(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        """Take what this message adds (subject, medium, a choice) and go on."""
        state = dict(state)
        catalogue = self._asker_catalogue(ctx)
        exclusion = read_exclusion(text)
        if exclusion.names:  # "behalve Sanne": matched against the group's pupils later
            state["hidden"] = [list(name) for name in exclusion.names]
        if exclusion.unrecognisable:
            state["unrecognisable"] = True
        text = exclusion.question
        question = read_question(text, catalogue)
        if "choices" in state:  # a typed answer to "which one?": a number or a name
            picked = pick_typed(text, state["choices"], state.get("labels", []))
            if picked is None:
                return Turn(
                    (
                        Reply(
                            tr(
                                ctx.language,
                                "Which one do you mean? Press one of the buttons or type its "
                                "number.",
                            ),
                            data={"step": "pick"},
                        ),
                    ),
                    state,
                )
            kind, _, key = picked.partition("|")
            state = {k: v for k, v in state.items() if k not in ("choices", "labels")}
            state["subject"] = {"kind": kind, "key": key}
            return self._proceed(ctx, state)
        if "subject" not in state and (question.group_code or question.name_words):
            found = self._find_subject(ctx, question)
            if isinstance(found, Turn):
                if found.state is None:
                    return found  # refused or not found: the conversation ends
                keep = {k: v for k, v in state.items() if k in _KEPT_WHILE_PICKING}
                if len(question.media) == 1:
                    keep["medium"] = question.media[0].name
                return Turn(found.replies, {**keep, **found.state})
            state["subject"] = found
        if len(question.media) > 1:
            return self._ask_medium(ctx, state, question.media)
        if question.media:
            state = {k: v for k, v in state.items() if k not in _MEDIUM_KEYS}
            state["medium"] = question.media[0].name
        elif "subject" in state and "medium" not in state and "media" not in state:
            unknown = unknown_medium(text, catalogue)
            if unknown is not None:  # "in de wervingsfolder": which of ours is it?
                return self._ask_medium(ctx, state, (), unknown=unknown)
        return self._proceed(ctx, state)

    def _proceed(self, ctx: FlowContext, state: dict[str, Any]) -> Turn:
        if "subject" not in state:
            return Turn((Reply(subject_question(ctx.language), data={"step": "subject"}),), state)
        if "medium" not in state:  # (again) which medium: the same choice as before
            asked = state.get("media", []) if state.get("which") else []
            offered = [m for m in self._asker_catalogue(ctx).media if m.name in asked]
            return self._ask_medium(ctx, state, offered)
        return self._answer(ctx, state)

    def _ask_medium(
        self,
        ctx: FlowContext,
        state: dict[str, Any],
        among: Sequence[Medium],
        unknown: str | None = None,
    ) -> Turn:
        lang = ctx.language
        options = list(among) or [m for m in self._asker_catalogue(ctx).media if m.needs_consent]
        # The words for each offered medium go with the question, so that ``accepts`` can
        # recognise the answer without the configuration (no names: media only).
        state = {
            **state,
            "media": [m.name for m in options],
            "which": bool(among),
            "medium_words": {m.name: [m.name, *m.synonyms] for m in options},
        }
        text = medium_question(lang, bool(among), _subject_name(ctx, state.get("subject")), unknown)
        buttons = tuple(Button(m.label(lang), "consent-medium", m.name) for m in options)
        return Turn((Reply(text, buttons=buttons, data={"step": "medium"}),), state)

    # -- finding the pupil or group ---------------------------------------------------------

    def _find_subject(self, ctx: FlowContext, question: Question) -> dict[str, str] | Turn:
        """The subject as ``{"kind", "key"}``, or a turn that asks or refuses."""
        lang, today = ctx.language, ctx.now.date()
        mine = ctx.asker.staff.locations_on(today)
        if question.group_code is not None:
            # only the asker's own locations are searched: whether a pupil or group of that
            # name exists elsewhere on the board is not theirs to learn
            here = ctx.directory.find_groups(question.group_code, locations=mine)
            if not here:
                return not_found(lang)
            allowed = [g for g in here if may_ask_about(ctx.asker, g.location, g, today) is None]
            if not allowed:
                return refuse(lang, "no_relation")
            if len(allowed) == 1:
                return {"kind": "group", "key": allowed[0].group_id}
            return choose(lang, [(f"group|{g.group_id}", g.name) for g in allowed])
        return self._find_pupil(ctx, question.name_words)

    def _find_pupil(self, ctx: FlowContext, typed: tuple[str, ...]) -> dict[str, str] | Turn:
        lang, today = ctx.language, ctx.now.date()
        mine = ctx.asker.staff.locations_on(today)
        nearby = [p for p in find_pupils(ctx.directory, typed) if p.location in mine]
        if not nearby:  # the same answer whether or not the name exists at another location
            return not_found(lang)
        group_of = groups_of(ctx.directory, nearby)
        candidates = [
            p
            for p in nearby
            if may_ask_about(ctx.asker, p.location, group_of.get(p.group_id or ""), today) is None
        ]
        if not candidates:
            return refuse(lang, "no_relation")
        exact = [p for p in candidates if name_words(p.name.display) == typed]
        if len(exact) == 1:
            candidates = exact
        if len(candidates) == 1:
            return {"kind": "pupil", "key": candidates[0].key}
        return choose(
            lang,
            [
                (f"pupil|{p.key}", pupil_label(p, group_of.get(p.group_id or "")))
                for p in candidates
            ],
        )

    # -- the answer -------------------------------------------------------------------------

    def _answer(self, ctx: FlowContext, state: dict[str, Any]) -> Turn:
        lang, today = ctx.language, ctx.now.date()
        subject, medium_name = state["subject"], state["medium"]
        hidden = [tuple(str(w) for w in name) for name in state.get("hidden", [])]
        kind, key = subject["kind"], subject["key"]
        # Check the relation again: state comes back from storage and buttons from outside.
        if kind == "pupil":
            pupil = ctx.directory.pupil(key)
            if pupil is None:
                return not_found(lang)
            group = ctx.directory.group(pupil.group_id) if pupil.group_id else None
            refusal = may_ask_about(ctx.asker, pupil.location, group, today)
            location = pupil.location
        else:
            pupil, group = None, ctx.directory.group(key)
            if group is None:
                return not_found(lang)
            refusal = may_ask_about(ctx.asker, group.location, group, today)
            location = group.location
        if refusal is not None:
            return refuse(lang, refusal)
        catalogue = catalogue_for(ctx.config.consent, location)
        medium = catalogue.get(medium_name)
        if medium is None:  # the location's catalogue differs from the asker's first one
            return self._ask_medium(ctx, {"subject": subject}, ())
        register = ConsentRegister(ctx.sessions, ctx.config)
        try:
            if pupil is not None:
                # "ze staat er onherkenbaar op", or "behalve <this pupil>"
                hidden_here = bool(state.get("unrecognisable")) or bool(
                    match_in_group(hidden, [pupil])[0]
                )
                answer = register.check_pupil(
                    pupil.key,
                    medium.name,
                    today,
                    recognisable=not hidden_here,
                    asserted_by=ctx.asker.actor,
                )
                return Turn((pupil_reply(pupil, medium, answer, lang),))
            assert group is not None
            members = [p for p in ctx.directory.pupils_in(group.group_id) if p.active]
            left_out, unmatched = match_in_group(hidden, members)
            group_answer = register.check_group(
                group.group_id,
                medium.name,
                today,
                not_recognisable=[p.key for p in left_out],
                asserted_by=ctx.asker.actor,
            )
        except (UnknownMedium, UnknownPupil):
            return not_found(lang)
        return Turn((group_reply(group, medium, group_answer, lang, unmatched),))

    @staticmethod
    def _asker_catalogue(ctx: FlowContext) -> Catalogue:
        locations = sorted(ctx.asker.staff.locations_on(ctx.now.date()))
        return catalogue_for(ctx.config.consent, locations[0] if locations else None)


# -- helpers ----------------------------------------------------------------------------------

_BUILT_IN = Catalogue(DEFAULT_MEDIA)
#: What the flow keeps while it asks which medium.
_MEDIUM_KEYS = ("media", "which", "medium_words")
#: What a question keeps while it asks which pupil or group is meant.
_KEPT_WHILE_PICKING = ("medium", "hidden", "unrecognisable")


def _offered_catalogue(state: dict[str, Any]) -> Catalogue:
    """The media offered at "which medium?", from the words stored with the question (a
    question stored before they were: the built-in media)."""
    stored = state.get("medium_words")
    if isinstance(stored, dict) and stored:
        try:
            return Catalogue(
                Medium(str(name), str(name), str(name), tuple(str(w) for w in words))
                for name, words in stored.items()
            )
        except ValueError:
            pass
    return _BUILT_IN


def _subject_name(ctx: FlowContext, subject: Any) -> str | None:
    """The pupil's or group's name for a sentence, looked up (the state holds ids only)."""
    if not isinstance(subject, dict):
        return None
    key = str(subject.get("key", ""))
    if subject.get("kind") == "pupil":
        pupil = ctx.directory.pupil(key)
        return pupil.name.display if pupil else None
    group = ctx.directory.group(key)
    return group.name if group else None
