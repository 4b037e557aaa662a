"""What the consent flow says (pure): the answer for a pupil or a group, the reason, and the
refusals -- in Dutch as a Dutch colleague writes it and in English.

A medium takes its own preposition: "op de website", "op sociale media", but "in de
nieuwsbrief", "in de schoolgids", "in de ouderapp" ("on the website", "in the newsletter").
Dates in a sentence are written out ("3 november 2026"). Names come from the SIS and are
plain text; only *bold* is put around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.conversation import Button, Language, Reply, Turn
from bot.flows.wording import day_text
from provisioner.directory import GroupEntry, PupilEntry
from provisioner.domain.models import ConsentGiver, ConsentMechanism
from provisioner.i18n import N_, tr
from provisioner.privacy.consent import (
    NOT_RECOGNISABLE,
    ConsentAnswer,
    GroupConsentAnswer,
    Reason,
)
from provisioner.privacy.media import Medium, normalise_text

MAX_CHOICES = 6

#: Media one puts a photo *on* (a site, a screen, a platform); everything else (a newsletter,
#: a guide, a folder, an app) a photo goes *in*. Matched inside the medium's name and label.
_ON_STEMS = (
    "website",
    "site",
    "web",
    "homepage",
    "internet",
    "intranet",
    "social",
    "sociale",
    "facebook",
    "instagram",
    "insta",
    "tiktok",
    "twitter",
    "linkedin",
    "youtube",
    "snapchat",
    "bluesky",
    "scherm",
    "screen",
    "poster",
    "prikbord",
    "narrowcasting",
)
_ON_WORDS = frozenset({"x", "fb"})


def on_medium(medium: Medium, language: Language) -> str:
    """The medium with its preposition: "op de website", "in de nieuwsbrief"."""
    words = normalise_text(f"{medium.name} {medium.label_nl} {medium.label_en}").split()
    on = any(w in _ON_WORDS or w.startswith(_ON_STEMS) or w.endswith(_ON_STEMS) for w in words)
    if language == "en":
        return f"{'on' if on else 'in'} {medium.label_en}"
    return f"{'op' if on else 'in'} {medium.label_nl}"


#: Why a "yes" obtained this way is not consent (only a free, explicit opt-in is).
MECHANISM_TEXT: dict[ConsentMechanism, str] = {
    ConsentMechanism.OPT_OUT: N_(
        "the 'yes' came from an opt-out form: not objecting is not consenting"
    ),
    ConsentMechanism.PRE_TICKED: N_(
        "the box was ticked in advance: consent must be given by the person"
    ),
    ConsentMechanism.CONDITION_OF_ENROLMENT: N_(
        "consent was a condition of enrolment, so it was not freely given"
    ),
    ConsentMechanism.UNKNOWN: N_(
        "it is not known how consent was asked; ask the office whether the form was opt-in "
        "(docs/consent.md)"
    ),
}
#: Who said no: "door de ouders", "door de leerling zelf".
GIVER_TEXT: dict[ConsentGiver, str] = {
    ConsentGiver.PARENT: N_("by the parents"),
    ConsentGiver.PUPIL: N_("by the pupil"),
}


def _by(answer: ConsentAnswer, language: Language) -> str:
    if answer.given_by is None:
        return ""
    return f" ({tr(language, GIVER_TEXT[answer.given_by])})"


def reason_text(answer: ConsentAnswer, medium: Medium, language: Language) -> str:
    """Why, in a short clause: "de toestemming is ingetrokken op 3 november 2026"."""
    since = day_text(answer.since, language) if answer.since else ""
    label = medium.label(language)
    if answer.reason is Reason.NOT_VALID_CONSENT:
        why = tr(language, MECHANISM_TEXT[answer.mechanism or ConsentMechanism.UNKNOWN])
        return tr(language, "there is no valid consent: {why}", why=why)
    if answer.condition == NOT_RECOGNISABLE:
        return tr(language, "an image in which someone cannot be recognised needs no consent")
    by = _by(answer, language)
    texts: dict[Reason, str] = {
        Reason.GRANTED: N_("there is consent"),
        Reason.NO_CONSENT_NEEDED: N_("{label} needs no consent"),
        Reason.NO_CONSENT: N_("there is no consent (no answer counts as no)"),
        Reason.REFUSED: N_("consent was refused{by}"),
        Reason.WITHDRAWN: N_("consent was withdrawn on {since}{by}"),
        Reason.OTHER_MEDIA_ONLY: N_("there is consent for other media only, not for {label}"),
        Reason.WRONG_GIVER: N_(
            "consent was given by the wrong person: parents decide until the pupil is 16, from "
            "16 the pupil decides"
        ),
        Reason.EXPIRED_SCHOOL_YEAR: N_(
            "consent is from an earlier school year ({school_year}) and the school asks every "
            "school year"
        ),
    }
    return tr(
        language,
        texts[answer.reason],
        label=label,
        since=since,
        by=by,
        school_year=answer.school_year,
    )


def short_reason(reason: Reason, language: Language) -> str:
    """The reason in a word or two, for the list of pupils without consent."""
    texts: dict[Reason, str] = {
        Reason.NO_CONSENT: N_("no answer"),
        Reason.REFUSED: N_("refused"),
        Reason.WITHDRAWN: N_("withdrawn"),
        Reason.OTHER_MEDIA_ONLY: N_("other media only"),
        Reason.WRONG_GIVER: N_("wrong person"),
        Reason.EXPIRED_SCHOOL_YEAR: N_("earlier school year"),
        Reason.GRANTED: N_("consent"),
        Reason.NO_CONSENT_NEEDED: N_("not needed"),
        Reason.NOT_VALID_CONSENT: N_("no valid consent"),
    }
    return tr(language, texts[reason])


# -- answers ------------------------------------------------------------------------------------


def pupil_reply(pupil: PupilEntry, medium: Medium, answer: ConsentAnswer, lang: Language) -> Reply:
    name, where = pupil.name.display, on_medium(medium, lang)
    why = reason_text(answer, medium, lang)
    if answer.condition == NOT_RECOGNISABLE:
        text = tr(
            lang,
            "Yes, the photo may go {where} as long as *{name}* cannot be "
            "recognised in it: {why}. Make sure *{name}* stays unrecognisable "
            "(blurred, from behind, out of frame).",
            where=where,
            name=name,
            why=why,
        )
    elif answer.reason is Reason.NO_CONSENT_NEEDED:
        text = tr(lang, "Yes: {why}. That includes *{name}*.", why=why, name=name)
    elif answer.allowed:
        text = tr(
            lang,
            "Yes, the photo of *{name}* may go {where}: {why}.",
            name=name,
            where=where,
            why=why,
        )
    else:
        text = tr(
            lang,
            "No, the photo of *{name}* may not go {where}: {why}.",
            name=name,
            where=where,
            why=why,
        )
    data: dict[str, Any] = {
        "allowed": answer.allowed,
        "reason": answer.reason.value,
        "medium": medium.name,
        "person_key": pupil.key,
        "since": answer.since.isoformat() if answer.since else None,
    }
    if answer.given_by is not None and answer.reason in _NO_BY:  # who said no
        data["given_by"] = answer.given_by.value
    if answer.mechanism is not None and answer.reason is Reason.NOT_VALID_CONSENT:
        data["mechanism"] = answer.mechanism.value
    if answer.condition is not None:
        data["condition"] = answer.condition
    return Reply(text, data=data)


#: Answers whose reply names who gave the deciding answer.
_NO_BY = frozenset({Reason.REFUSED, Reason.WITHDRAWN, Reason.NOT_VALID_CONSENT})


def group_reply(
    group: GroupEntry,
    medium: Medium,
    answer: GroupConsentAnswer,
    lang: Language,
    unmatched: Sequence[str] = (),
) -> Reply:
    """The group's answer; ``unmatched``: names after "behalve" that are not (one) pupil of
    the group, told back so the asker sees they were counted."""
    label, where, total = medium.label(lang), on_medium(medium, lang), answer.total
    left_out = answer.not_recognisable
    counted = total - len(left_out)
    data: dict[str, Any] = {
        "allowed": answer.allowed,
        "reason": answer.reason.value if answer.allowed else "not_all_pupils",
        "medium": medium.name,
        "group": group.group_id,
        "total": total,
        "without": len(answer.without),
    }
    if left_out:
        data.update(not_recognisable=len(left_out), condition=answer.condition)
    if unmatched:
        data["unmatched"] = len(unmatched)
    if answer.reason is Reason.NO_CONSENT_NEEDED:
        why = reason_text(
            ConsentAnswer(True, Reason.NO_CONSENT_NEEDED, medium.name, answer.on), medium, lang
        )
        return Reply(tr(lang, "Yes: {why}.", why=why), data=data)
    if total == 0:
        data.update(allowed=False, reason="no_pupils")
        return Reply(tr(lang, "{name} has no pupils.", name=group.name), data=data)
    if answer.allowed and not left_out:
        text = tr(
            lang,
            "Yes, the photo of {name} may go {where}: there is consent for all {total} pupils.",
            name=group.name,
            where=where,
            total=total,
        )
    elif answer.allowed:
        text = tr(
            lang,
            "Yes, the photo of {name} may go {where}: there is consent for the "
            "other {counted} pupils. Make sure these pupils stay unrecognisable:",
            name=group.name,
            where=where,
            counted=counted,
        )
    else:
        missing = len(answer.without)
        text = tr(
            lang,
            "No, not for the whole group: {missing} of the {counted} pupils of "
            "{name} have no valid consent for {label}. Make sure they are not "
            "recognisable in the photo:",
            missing=missing,
            counted=counted,
            name=group.name,
            label=label,
        )
    keep = tr(lang, "keep unrecognisable")
    facts = tuple((p.name, _why_short(p.answer, lang)) for p in answer.without) + tuple(
        (p.name, keep) for p in left_out
    )
    if unmatched:
        names = ", ".join(f"'{n}'" for n in unmatched)
        text += tr(
            lang,
            "\n{names}: not found (as one pupil) in {name}, so not left out. Check the name.",
            names=names,
            name=group.name,
        )
    return Reply(text, facts=facts, data=data)


def _why_short(answer: ConsentAnswer, lang: Language) -> str:
    text = short_reason(answer.reason, lang)
    if answer.reason is Reason.WITHDRAWN and answer.since:
        text += f" ({day_text(answer.since, lang)})"
    return text


# -- refusals and questions ---------------------------------------------------------------------


def refuse(lang: Language, code: str) -> Turn:
    texts = {
        "not_allowed": N_(
            "You can only ask about photo consent if you work at one of the locations."
        ),
        "other_location": N_("You can only ask about pupils and groups of your own location."),
        "no_relation": N_(
            "You can only ask about pupils and groups you teach yourself. Please ask the group's "
            "teacher or the location leader."
        ),
    }
    return Turn((Reply(tr(lang, texts[code]), data={"allowed": False, "refused": code}),))


def not_found(lang: Language) -> Turn:
    return Turn(
        (
            Reply(
                tr(
                    lang,
                    "I can't find a pupil or group by that name at your own location; "
                    "you can only ask about pupils and groups of your own location. "
                    "Check the spelling, or ask again with /consent.",
                ),
                data={"allowed": False, "refused": "not_found"},
            ),
        ),
    )


def choose(lang: Language, options: list[tuple[str, str]]) -> Turn:
    shown = options[:MAX_CHOICES]
    text = tr(
        lang,
        "More than one pupil or group matches that name. Which one do you mean?",
    )
    lines = "\n".join(f"{n}. {label}" for n, (_, label) in enumerate(shown, 1))
    buttons = tuple(Button(label, "consent-pick", value) for value, label in shown)
    return Turn(
        (Reply(f"{text}\n{lines}", buttons=buttons, data={"step": "pick"}),),
        {"choices": [v for v, _ in shown], "labels": [label for _, label in shown]},
    )


def medium_question(
    lang: Language, which: bool, subject: str | None, unknown: str | None = None
) -> str:
    """ "Welk medium bedoel je voor de foto van Sanne Jansen?" (two were named) or "Waar wil
    je de foto van Sanne Jansen voor gebruiken?" (none was); for a medium the school's
    catalogue does not know: "'wervingsfolder' ken ik niet als medium van de school ..."."""
    if unknown:
        return tr(
            lang,
            "'{unknown}' is not one of the school's media. Which of these is it? "
            "If it is not listed, please ask the privacy officer.",
            unknown=unknown,
        )
    if which:
        if subject:
            return tr(lang, "Which medium do you mean for the photo of {subject}?", subject=subject)
        return tr(lang, "Which medium do you mean?")
    if subject:
        return tr(lang, "Where do you want to use the photo of {subject}?", subject=subject)
    return tr(lang, "Where do you want to use the photo?")


def subject_question(lang: Language) -> str:
    return tr(
        lang,
        'Which pupil or group is it about? For example "Sanne Jansen" or "group 5b".',
    )
