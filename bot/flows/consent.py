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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.conversation import Asker, Button, FlowContext, Language, Reply, Turn
from provisioner.directory import Directory, GroupEntry, PupilEntry
from provisioner.domain.models import Role
from provisioner.privacy.consent import (
    ConsentAnswer,
    ConsentRegister,
    GroupConsentAnswer,
    Reason,
    UnknownMedium,
    UnknownPupil,
)
from provisioner.privacy.media import Catalogue, Medium, catalogue_for, normalise_text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Roles that relate a person to every pupil of their location.
LOCATION_WIDE = frozenset({Role.DIRECTOR, Role.LOCATION_LEADER, Role.CARE_COORDINATOR})
MAX_CHOICES = 6

#: Words of a consent question that are never part of a pupil's name (normalised).
FILLER = _words(
    """
    mag mogen magik kan kun kunnen ik je jij u we wij de het een deze die dit dat er ook wel
    nog even graag vraag hoi hallo hey foto fotos fotootje fotootjes beeld beelden
    beeldmateriaal video videos filmpje film opname opnames van op in voor naar zetten zet
    gezet plaatsen plaats gebruiken gebruik delen posten publiceren toestemming is heeft
    hebben en of met bij mijn onze leerling leerlingen kind kinderen worden wordt s
    can could may might i you the a an photo photos picture pictures pic pics image images
    of on in for to go goes put post posted use used share publish are there consent does
    do did have has allowed ok okay it this that and or with my our pupil pupils student
    students child children kid kids please hi hello check be
    """
)
#: Words that say the question is about a whole group ("groep 5b", "the 7a class photo").
GROUP_WORDS = _words(
    """
    groep group klas class klassenfoto klasfoto klassefoto groepsfoto classphoto groupphoto
    """
)
#: A group's code: "5b", "7a", "h3a", "2hv1".
_GROUP_CODE = re.compile(r"^(?=[a-z0-9]{1,5}$)[a-z]{0,3}[0-9]{1,2}[a-z0-9]{0,2}$")
_WANTS = re.compile(
    r"\b(foto|foto's|fotos|fotootje|beeldmateriaal|video|filmpje|toestemming|klassenfoto|"
    r"groepsfoto|photo|photos|picture|pictures|pic|image|consent)\b",
    re.IGNORECASE,
)


def _t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")  # fmt: skip


def format_day(day: date, language: Language) -> str:
    """ "3 november 2026" / "3 November 2026"."""
    if language == "en":
        return f"{day.day} {day:%B %Y}"
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def reason_text(answer: ConsentAnswer, medium: Medium, language: Language) -> str:
    """Why, in a short clause: "de toestemming is ingetrokken op 3 november 2026"."""
    since = format_day(answer.since, language) if answer.since else ""
    label = medium.label(language)
    texts: dict[Reason, tuple[str, str]] = {
        Reason.GRANTED: ("er is toestemming", "there is consent"),
        Reason.NO_CONSENT_NEEDED: (
            f"voor {label} is geen toestemming nodig",
            f"{label} needs no consent",
        ),
        Reason.NO_CONSENT: (
            "er is geen toestemming (geen antwoord telt als nee)",
            "there is no consent (no answer counts as no)",
        ),
        Reason.REFUSED: ("er is geen toestemming gegeven", "consent was refused"),
        Reason.WITHDRAWN: (
            f"de toestemming is ingetrokken op {since}",
            f"consent was withdrawn on {since}",
        ),
        Reason.OTHER_MEDIA_ONLY: (
            f"er is alleen toestemming voor andere media, niet voor {label}",
            f"there is consent for other media only, not for {label}",
        ),
        Reason.WRONG_GIVER: (
            "de toestemming is door de verkeerde persoon gegeven: tot 16 jaar beslissen de "
            "ouders, vanaf 16 jaar de leerling zelf",
            "consent was given by the wrong person: parents decide until the pupil is 16, "
            "from 16 the pupil decides",
        ),
        Reason.EXPIRED_SCHOOL_YEAR: (
            f"de toestemming is van een eerder schooljaar ({answer.school_year}) en de school "
            "vraagt elk schooljaar opnieuw",
            f"consent is from an earlier school year ({answer.school_year}) and the school "
            "asks every school year",
        ),
    }
    nl, en = texts[answer.reason]
    return _t(language, nl, en)


def short_reason(reason: Reason, language: Language) -> str:
    """The reason in a word or two, for the list of pupils without consent."""
    texts: dict[Reason, tuple[str, str]] = {
        Reason.NO_CONSENT: ("geen antwoord", "no answer"),
        Reason.REFUSED: ("geweigerd", "refused"),
        Reason.WITHDRAWN: ("ingetrokken", "withdrawn"),
        Reason.OTHER_MEDIA_ONLY: ("alleen andere media", "other media only"),
        Reason.WRONG_GIVER: ("verkeerde persoon", "wrong person"),
        Reason.EXPIRED_SCHOOL_YEAR: ("vorig schooljaar", "earlier school year"),
        Reason.GRANTED: ("toestemming", "consent"),
        Reason.NO_CONSENT_NEEDED: ("niet nodig", "not needed"),
    }
    nl, en = texts[reason]
    return _t(language, nl, en)


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


# -- reading the question ---------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """What one message says: a group code, the words that may be a name, the media named."""

    group_code: str | None
    name_words: tuple[str, ...]
    media: tuple[Medium, ...]


def read_question(text: str, catalogue: Catalogue) -> Question:
    """Split a message into group code, name words and media (pure)."""
    words = normalise_text(text).split()
    spans = catalogue.spans(words)
    in_medium = {i for start, end, _ in spans for i in range(start, end)}
    media: list[Medium] = []
    for _, _, medium in spans:
        if medium not in media:
            media.append(medium)
    published = [m for m in media if m.needs_consent]
    if published and len(published) < len(media):
        media = published  # "a photo taken in class, on Instagram": the publication counts
    rest = [w for i, w in enumerate(words) if i not in in_medium]
    codes = [
        w
        for n, w in enumerate(rest)
        if _GROUP_CODE.match(w)
        and any(c.isdigit() for c in w)
        and (not w.isdigit() or (n > 0 and rest[n - 1] in GROUP_WORDS))
    ]
    group_code = codes[0] if codes else None
    names = tuple(
        w
        for w in rest
        if w not in FILLER and w not in GROUP_WORDS and not any(c.isdigit() for c in w)
    )
    return Question(group_code, names, tuple(media))


class ConsentFlow:
    """May this pupil's or group's photo go on this medium? See the module docstring."""

    name: str = "consent"
    commands: tuple[str, ...] = ("/toestemming", "/consent")

    def wants(self, text: str) -> bool:
        return bool(_WANTS.search(text))

    # -- the conversation -------------------------------------------------------------------

    def start(self, ctx: FlowContext, text: str) -> Turn:
        today = ctx.now.date()
        if not ctx.asker.staff.locations_on(today):
            return _refuse(ctx.language, "not_allowed")
        return self._continue(ctx, text, {})

    def answer(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        return self._continue(ctx, text, state)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        state = dict(state)
        if action == "consent-pick" and value in state.get("choices", []):
            kind, _, key = value.partition("|")
            state.pop("choices", None)
            state["subject"] = {"kind": kind, "key": key}
            return self._proceed(ctx, state)
        if action == "consent-medium" and value in state.get("media", []):
            state.pop("media", None)
            state["medium"] = value
            return self._proceed(ctx, state)
        return Turn((Reply(_t(ctx.language, "Die keuze ken ik niet (meer). Stel je vraag "
                              "opnieuw, bijvoorbeeld met /toestemming.",
                              "I don't know that choice (any more). Please ask again, e.g. "
                              "with /consent."), data={"step": "expired"}),))  # fmt: skip

    # -- steps ------------------------------------------------------------------------------

    def _continue(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        """Take what this message adds (subject, medium, a choice) and go on."""
        state = dict(state)
        lang = ctx.language
        catalogue = self._asker_catalogue(ctx)
        question = read_question(text, catalogue)
        if "choices" in state:  # a typed answer to "which one?": a number or a name
            picked = _pick_typed(text, state["choices"], state.get("labels", []))
            if picked is None:
                return Turn(
                    (Reply(_t(lang, "Welke bedoel je? Kies een van de knoppen of typ het nummer.",
                              "Which one do you mean? Press one of the buttons or type its "
                              "number."), data={"step": "pick"}),),
                    state,
                )  # fmt: skip
            kind, _, key = picked.partition("|")
            state = {k: v for k, v in state.items() if k not in ("choices", "labels")}
            state["subject"] = {"kind": kind, "key": key}
            return self._proceed(ctx, state)
        if "subject" not in state and (question.group_code or question.name_words):
            found = self._find_subject(ctx, question)
            if isinstance(found, Turn):
                if found.state is None:
                    return found  # refused or not found: the conversation ends
                keep = {k: v for k, v in state.items() if k == "medium"}
                if len(question.media) == 1:
                    keep["medium"] = question.media[0].name
                return Turn(found.replies, {**keep, **found.state})
            state["subject"] = found
        if len(question.media) > 1:
            return self._ask_medium(ctx, state, question.media)
        if question.media:
            state["medium"] = question.media[0].name
        return self._proceed(ctx, state)

    def _proceed(self, ctx: FlowContext, state: dict[str, Any]) -> Turn:
        lang = ctx.language
        if "subject" not in state:
            return Turn(
                (Reply(_t(lang, "Over welke leerling of groep gaat het? Bijvoorbeeld "
                          "\"Sanne Jansen\" of \"groep 5b\".",
                          "Which pupil or group is it about? For example \"Sanne Jansen\" or "
                          "\"group 5b\"."), data={"step": "subject"}),),
                state,
            )  # fmt: skip
        if "medium" not in state:
            return self._ask_medium(ctx, state, ())
        return self._answer(ctx, state["subject"], state["medium"])

    def _ask_medium(self, ctx: FlowContext, state: dict[str, Any], among: Sequence[Medium]) -> Turn:
        lang = ctx.language
        options = list(among) or [m for m in self._asker_catalogue(ctx).media if m.needs_consent]
        state = {**state, "media": [m.name for m in options]}
        text = (
            _t(lang, "Welk medium bedoel je?", "Which medium do you mean?")
            if among
            else _t(lang, "Waar wil je de foto voor gebruiken?",
                    "Where do you want to use the photo?")
        )  # fmt: skip
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
                return _not_found(lang)
            allowed = [g for g in here if may_ask_about(ctx.asker, g.location, g, today) is None]
            if not allowed:
                return _refuse(lang, "no_relation")
            if len(allowed) == 1:
                return {"kind": "group", "key": allowed[0].group_id}
            return _choose(lang, [(f"group|{g.group_id}", g.name) for g in allowed])
        return self._find_pupil(ctx, question.name_words)

    def _find_pupil(self, ctx: FlowContext, name_words: tuple[str, ...]) -> dict[str, str] | Turn:
        lang, today = ctx.language, ctx.now.date()
        mine = ctx.asker.staff.locations_on(today)
        nearby = [p for p in _find_pupils(ctx.directory, name_words) if p.location in mine]
        if not nearby:  # the same answer whether or not the name exists at another location
            return _not_found(lang)
        group_of = _groups_of(ctx.directory, nearby)
        candidates = [
            p for p in nearby
            if may_ask_about(ctx.asker, p.location, group_of.get(p.group_id or ""), today) is None
        ]  # fmt: skip
        if not candidates:
            return _refuse(lang, "no_relation")
        exact = [p for p in candidates if _name_words(p.name.display) == name_words]
        if len(exact) == 1:
            candidates = exact
        if len(candidates) == 1:
            return {"kind": "pupil", "key": candidates[0].key}
        return _choose(
            lang,
            [(f"pupil|{p.key}", _pupil_label(p, group_of.get(p.group_id or ""), lang))
             for p in candidates],
        )  # fmt: skip

    # -- the answer -------------------------------------------------------------------------

    def _answer(self, ctx: FlowContext, subject: dict[str, str], medium_name: str) -> Turn:
        lang, today = ctx.language, ctx.now.date()
        register = ConsentRegister(ctx.sessions, ctx.config)
        kind, key = subject["kind"], subject["key"]
        # Check the relation again: state comes back from storage and buttons from outside.
        if kind == "pupil":
            pupil = ctx.directory.pupil(key)
            if pupil is None:
                return _not_found(lang)
            group = ctx.directory.group(pupil.group_id) if pupil.group_id else None
            refusal = may_ask_about(ctx.asker, pupil.location, group, today)
            location = pupil.location
        else:
            pupil, group = None, ctx.directory.group(key)
            if group is None:
                return _not_found(lang)
            refusal = may_ask_about(ctx.asker, group.location, group, today)
            location = group.location
        if refusal is not None:
            return _refuse(lang, refusal)
        catalogue = catalogue_for(ctx.config.consent, location)
        medium = catalogue.get(medium_name)
        if medium is None:  # the location's catalogue differs from the asker's first one
            return self._ask_medium(ctx, {"subject": subject}, ())
        try:
            if pupil is not None:
                answer = register.check_pupil(pupil.key, medium.name, today)
                return Turn((_pupil_reply(pupil, medium, answer, lang),))
            assert group is not None
            group_answer = register.check_group(group.group_id, medium.name, today)
        except (UnknownMedium, UnknownPupil):
            return _not_found(lang)
        return Turn((_group_reply(group, medium, group_answer, lang),))

    @staticmethod
    def _asker_catalogue(ctx: FlowContext) -> Catalogue:
        locations = sorted(ctx.asker.staff.locations_on(ctx.now.date()))
        return catalogue_for(ctx.config.consent, locations[0] if locations else None)


# -- replies ----------------------------------------------------------------------------------


def _pupil_reply(pupil: PupilEntry, medium: Medium, answer: ConsentAnswer, lang: Language) -> Reply:
    name, label = pupil.name.display, medium.label(lang)
    why = reason_text(answer, medium, lang)
    if answer.reason is Reason.NO_CONSENT_NEEDED:
        text = _t(lang, f"Ja: {why}. Dat geldt ook voor *{name}*.",
                  f"Yes: {why}. That includes *{name}*.")  # fmt: skip
    elif answer.allowed:
        text = _t(lang, f"Ja, de foto van *{name}* mag op {label}: {why}.",
                  f"Yes, the photo of *{name}* may go on {label}: {why}.")  # fmt: skip
    else:
        text = _t(lang, f"Nee, de foto van *{name}* mag niet op {label}: {why}.",
                  f"No, the photo of *{name}* may not go on {label}: {why}.")  # fmt: skip
    return Reply(
        text,
        data={
            "allowed": answer.allowed,
            "reason": answer.reason.value,
            "medium": medium.name,
            "person_key": pupil.key,
            "since": answer.since.isoformat() if answer.since else None,
        },
    )


def _group_reply(
    group: GroupEntry, medium: Medium, answer: GroupConsentAnswer, lang: Language
) -> Reply:
    label, total = medium.label(lang), answer.total
    data: dict[str, Any] = {
        "allowed": answer.allowed,
        "reason": answer.reason.value if answer.allowed else "not_all_pupils",
        "medium": medium.name,
        "group": group.group_id,
        "total": total,
        "without": len(answer.without),
    }
    if answer.reason is Reason.NO_CONSENT_NEEDED:
        why = reason_text(
            ConsentAnswer(True, Reason.NO_CONSENT_NEEDED, medium.name, answer.on), medium, lang
        )
        return Reply(_t(lang, f"Ja: {why}.", f"Yes: {why}."), data=data)
    if total == 0:
        data.update(allowed=False, reason="no_pupils")
        return Reply(_t(lang, f"In {group.name} staan geen leerlingen.",
                        f"{group.name} has no pupils."), data=data)  # fmt: skip
    if answer.allowed:
        return Reply(
            _t(lang, f"Ja, de foto van {group.name} mag op {label}: er is toestemming voor "
                     f"alle {total} leerlingen.",
               f"Yes, the photo of {group.name} may go on {label}: there is consent for all "
               f"{total} pupils."),
            data=data,
        )  # fmt: skip
    missing = len(answer.without)
    text = _t(
        lang,
        f"Nee, niet voor de hele groep: voor {missing} van de {total} leerlingen van "
        f"{group.name} is er geen geldige toestemming voor {label}. Zorg dat zij niet "
        "herkenbaar op de foto staan:",
        f"No, not for the whole group: {missing} of the {total} pupils of {group.name} have "
        f"no valid consent for {label}. Make sure they are not recognisable in the photo:",
    )
    facts = tuple((p.name, _why_short(p.answer, lang)) for p in answer.without)
    return Reply(text, facts=facts, data=data)


def _why_short(answer: ConsentAnswer, lang: Language) -> str:
    text = short_reason(answer.reason, lang)
    if answer.reason is Reason.WITHDRAWN and answer.since:
        text += f" ({format_day(answer.since, lang)})"
    return text


def _refuse(lang: Language, code: str) -> Turn:
    texts = {
        "not_allowed": (
            "Je kunt alleen naar fototoestemming vragen als je op een locatie werkt.",
            "You can only ask about photo consent if you work at one of the locations.",
        ),
        "other_location": (
            "Je kunt alleen vragen naar leerlingen en groepen van je eigen locatie.",
            "You can only ask about pupils and groups of your own location.",
        ),
        "no_relation": (
            "Je kunt alleen vragen naar leerlingen en groepen waar je zelf lesgeeft. Vraag het "
            "de leerkracht van de groep of de locatieleider.",
            "You can only ask about pupils and groups you teach yourself. Please ask the "
            "group's teacher or the location leader.",
        ),
    }
    nl, en = texts[code]
    return Turn((Reply(_t(lang, nl, en), data={"allowed": False, "refused": code}),))


def _not_found(lang: Language) -> Turn:
    return Turn(
        (Reply(_t(lang, "Ik vind geen leerling of groep met die naam op je eigen locatie; je "
                  "kunt alleen vragen naar leerlingen en groepen van je eigen locatie. Controleer "
                  "de spelling, of vraag het opnieuw met /toestemming.",
                  "I can't find a pupil or group by that name at your own location; you can "
                  "only ask about pupils and groups of your own location. Check the spelling, "
                  "or ask again with /consent."),
               data={"allowed": False, "refused": "not_found"}),),
    )  # fmt: skip


def _choose(lang: Language, options: list[tuple[str, str]]) -> Turn:
    shown = options[:MAX_CHOICES]
    text = _t(lang, "Er zijn er meer met die naam. Welke bedoel je?",
              "More than one matches that name. Which one do you mean?")  # fmt: skip
    lines = "\n".join(f"{n}. {label}" for n, (_, label) in enumerate(shown, 1))
    buttons = tuple(Button(label, "consent-pick", value) for value, label in shown)
    return Turn(
        (Reply(f"{text}\n{lines}", buttons=buttons, data={"step": "pick"}),),
        {"choices": [v for v, _ in shown], "labels": [label for _, label in shown]},
    )


def _pick_typed(text: str, choices: list[str], labels: list[str]) -> str | None:
    typed = text.strip().rstrip(".")
    if typed.isdigit() and 1 <= int(typed) <= len(choices):
        return choices[int(typed) - 1]
    words = normalise_text(typed)
    hits = [c for c, label in zip(choices, labels, strict=False) if words and words in
            normalise_text(label)]  # fmt: skip
    return hits[0] if len(hits) == 1 else None


def _pupil_label(pupil: PupilEntry, group: GroupEntry | None, lang: Language) -> str:
    return f"{pupil.name.display} ({group.name})" if group else pupil.name.display


def _groups_of(directory: Directory, pupils: Sequence[PupilEntry]) -> dict[str, GroupEntry]:
    groups: dict[str, GroupEntry] = {}
    for group_id in {p.group_id for p in pupils if p.group_id}:
        group = directory.group(group_id)
        if group is not None:
            groups[group_id] = group
    return groups


def _name_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in normalise_text(text).split() if w not in FILLER)


def _find_pupils(directory: Directory, words: tuple[str, ...]) -> list[PupilEntry]:
    """Active pupils named by all of ``words``; else by the longest run of at least two of
    them that names someone (a stray word such as "school" must not hide the name)."""
    runs = [words] + [
        words[i : i + size]
        for size in range(len(words) - 1, 1, -1)
        for i in range(len(words) - size + 1)
    ]
    for run in runs:
        pupils = [p for p in directory.find_pupils(" ".join(run)) if p.active]
        if pupils:
            return pupils
    return []
