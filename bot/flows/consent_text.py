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
    "website", "site", "web", "homepage", "internet", "intranet", "social", "sociale",
    "facebook", "instagram", "insta", "tiktok", "twitter", "linkedin", "youtube", "snapchat",
    "bluesky", "scherm", "screen", "poster", "prikbord", "narrowcasting",
)  # fmt: skip
_ON_WORDS = frozenset({"x", "fb"})


def _t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


def on_medium(medium: Medium, language: Language) -> str:
    """The medium with its preposition: "op de website", "in de nieuwsbrief"."""
    words = normalise_text(f"{medium.name} {medium.label_nl} {medium.label_en}").split()
    on = any(w in _ON_WORDS or w.startswith(_ON_STEMS) or w.endswith(_ON_STEMS) for w in words)
    if language == "en":
        return f"{'on' if on else 'in'} {medium.label_en}"
    return f"{'op' if on else 'in'} {medium.label_nl}"


#: Why a "yes" obtained this way is not consent (only a free, explicit opt-in is).
MECHANISM_TEXT: dict[ConsentMechanism, tuple[str, str]] = {
    ConsentMechanism.OPT_OUT: (
        "het 'ja' kwam van een bezwaarformulier (opt-out): geen bezwaar maken is geen "
        "toestemming geven",
        "the 'yes' came from an opt-out form: not objecting is not consenting",
    ),
    ConsentMechanism.PRE_TICKED: (
        "het vakje stond al aangevinkt: toestemming moet iemand zelf geven",
        "the box was ticked in advance: consent must be given by the person",
    ),
    ConsentMechanism.CONDITION_OF_ENROLMENT: (
        "de toestemming was een voorwaarde voor inschrijving: dan is ze niet vrij gegeven",
        "consent was a condition of enrolment, so it was not freely given",
    ),
    ConsentMechanism.UNKNOWN: (
        "het is niet bekend hoe de toestemming is gevraagd; vraag de administratie of het "
        "formulier opt-in was (docs/consent.md)",
        "it is not known how consent was asked; ask the office whether the form was opt-in "
        "(docs/consent.md)",
    ),
}
#: Who said no: "door de ouders", "door de leerling zelf".
GIVER_TEXT = {
    ConsentGiver.PARENT: ("door de ouders", "by the parents"),
    ConsentGiver.PUPIL: ("door de leerling zelf", "by the pupil"),
}


def _by(answer: ConsentAnswer, language: Language) -> str:
    if answer.given_by is None:
        return ""
    nl, en = GIVER_TEXT[answer.given_by]
    return f" ({_t(language, nl, en)})"


def reason_text(answer: ConsentAnswer, medium: Medium, language: Language) -> str:
    """Why, in a short clause: "de toestemming is ingetrokken op 3 november 2026"."""
    since = day_text(answer.since, language) if answer.since else ""
    label = medium.label(language)
    if answer.reason is Reason.NOT_VALID_CONSENT:
        nl, en = MECHANISM_TEXT[answer.mechanism or ConsentMechanism.UNKNOWN]
        return _t(language, f"er is geen geldige toestemming: {nl}",
                  f"there is no valid consent: {en}")  # fmt: skip
    if answer.condition == NOT_RECOGNISABLE:
        return _t(language, "voor een foto waarop iemand niet herkenbaar is, is geen "
                  "toestemming nodig", "an image in which someone cannot be recognised needs "
                  "no consent")  # fmt: skip
    by = _by(answer, language)
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
        Reason.REFUSED: (f"er is geen toestemming gegeven{by}", f"consent was refused{by}"),
        Reason.WITHDRAWN: (
            f"de toestemming is ingetrokken op {since}{by}",
            f"consent was withdrawn on {since}{by}",
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
        Reason.NOT_VALID_CONSENT: ("geen geldige toestemming", "no valid consent"),
    }
    nl, en = texts[reason]
    return _t(language, nl, en)


# -- answers ------------------------------------------------------------------------------------


def pupil_reply(pupil: PupilEntry, medium: Medium, answer: ConsentAnswer, lang: Language) -> Reply:
    name, where = pupil.name.display, on_medium(medium, lang)
    why = reason_text(answer, medium, lang)
    if answer.condition == NOT_RECOGNISABLE:
        text = _t(lang, f"Ja, de foto mag {where} zolang *{name}* er niet herkenbaar op staat: "
                  f"{why}. Zorg dat *{name}* onherkenbaar blijft (wazig, op de rug, buiten "
                  "beeld).", f"Yes, the photo may go {where} as long as *{name}* cannot be "
                  f"recognised in it: {why}. Make sure *{name}* stays unrecognisable (blurred, "
                  "from behind, out of frame).")  # fmt: skip
    elif answer.reason is Reason.NO_CONSENT_NEEDED:
        text = _t(lang, f"Ja: {why}. Dat geldt ook voor *{name}*.",
                  f"Yes: {why}. That includes *{name}*.")  # fmt: skip
    elif answer.allowed:
        text = _t(lang, f"Ja, de foto van *{name}* mag {where}: {why}.",
                  f"Yes, the photo of *{name}* may go {where}: {why}.")  # fmt: skip
    else:
        text = _t(lang, f"Nee, de foto van *{name}* mag niet {where}: {why}.",
                  f"No, the photo of *{name}* may not go {where}: {why}.")  # fmt: skip
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
        return Reply(_t(lang, f"Ja: {why}.", f"Yes: {why}."), data=data)
    if total == 0:
        data.update(allowed=False, reason="no_pupils")
        return Reply(_t(lang, f"In {group.name} staan geen leerlingen.",
                        f"{group.name} has no pupils."), data=data)  # fmt: skip
    if answer.allowed and not left_out:
        text = _t(lang, f"Ja, de foto van {group.name} mag {where}: er is toestemming voor "
                        f"alle {total} leerlingen.",
                  f"Yes, the photo of {group.name} may go {where}: there is consent for all "
                  f"{total} pupils.")  # fmt: skip
    elif answer.allowed:
        text = _t(lang, f"Ja, de foto van {group.name} mag {where}: er is toestemming voor "
                        f"de andere {counted} leerlingen. Zorg dat deze leerlingen er "
                        "onherkenbaar op blijven staan:",
                  f"Yes, the photo of {group.name} may go {where}: there is consent for the "
                  f"other {counted} pupils. Make sure these pupils stay "
                  "unrecognisable:")  # fmt: skip
    else:
        missing = len(answer.without)
        text = _t(
            lang,
            f"Nee, niet voor de hele groep: voor {missing} van de {counted} leerlingen van "
            f"{group.name} is er geen geldige toestemming voor {label}. Zorg dat zij niet "
            "herkenbaar op de foto staan:",
            f"No, not for the whole group: {missing} of the {counted} pupils of {group.name} "
            f"have no valid consent for {label}. Make sure they are not recognisable in the "
            "photo:",
        )
    keep = _t(lang, "onherkenbaar houden", "keep unrecognisable")
    facts = tuple((p.name, _why_short(p.answer, lang)) for p in answer.without) + tuple(
        (p.name, keep) for p in left_out
    )
    if unmatched:
        names = ", ".join(f"'{n}'" for n in unmatched)
        text += _t(lang, f"\n{names}: niet (als één leerling) gevonden in {group.name}, dus "
                         "niet weggelaten. Controleer de naam.",
                   f"\n{names}: not found (as one pupil) in {group.name}, so not left out. "
                   "Check the name.")  # fmt: skip
    return Reply(text, facts=facts, data=data)


def _why_short(answer: ConsentAnswer, lang: Language) -> str:
    text = short_reason(answer.reason, lang)
    if answer.reason is Reason.WITHDRAWN and answer.since:
        text += f" ({day_text(answer.since, lang)})"
    return text


# -- refusals and questions ---------------------------------------------------------------------


def refuse(lang: Language, code: str) -> Turn:
    texts = {
        "not_allowed": (
            "Je kunt alleen naar fototoestemming vragen als je op een van de locaties werkt.",
            "You can only ask about photo consent if you work at one of the locations.",
        ),
        "other_location": (
            "Je kunt alleen vragen naar leerlingen en groepen van je eigen locatie.",
            "You can only ask about pupils and groups of your own location.",
        ),
        "no_relation": (
            "Je kunt alleen vragen naar leerlingen en groepen aan wie je zelf lesgeeft. Vraag "
            "het aan de leerkracht van de groep of aan de locatieleider.",
            "You can only ask about pupils and groups you teach yourself. Please ask the "
            "group's teacher or the location leader.",
        ),
    }
    nl, en = texts[code]
    return Turn((Reply(_t(lang, nl, en), data={"allowed": False, "refused": code}),))


def not_found(lang: Language) -> Turn:
    return Turn(
        (Reply(_t(lang, "Ik kan op je eigen locatie geen leerling of groep met die naam vinden; "
                  "je kunt alleen vragen naar leerlingen en groepen van je eigen locatie. "
                  "Controleer de spelling, of stel je vraag opnieuw met /toestemming.",
                  "I can't find a pupil or group by that name at your own location; you can "
                  "only ask about pupils and groups of your own location. Check the spelling, "
                  "or ask again with /consent."),
               data={"allowed": False, "refused": "not_found"}),),
    )  # fmt: skip


def choose(lang: Language, options: list[tuple[str, str]]) -> Turn:
    shown = options[:MAX_CHOICES]
    text = _t(lang, "Die naam past bij meer dan één leerling of groep. Welke bedoel je?",
              "More than one pupil or group matches that name. Which one do you mean?")  # fmt: skip
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
        return _t(lang, f"'{unknown}' ken ik niet als medium van de school. Welke van deze "
                  "is het? Staat het er niet bij, vraag het dan aan de privacy officer.",
                  f"'{unknown}' is not one of the school's media. Which of these is it? If it "
                  "is not listed, please ask the privacy officer.")  # fmt: skip
    if which:
        if subject:
            return _t(lang, f"Welk medium bedoel je voor de foto van {subject}?",
                      f"Which medium do you mean for the photo of {subject}?")  # fmt: skip
        return _t(lang, "Welk medium bedoel je?", "Which medium do you mean?")
    if subject:
        return _t(lang, f"Waar wil je de foto van {subject} voor gebruiken?",
                  f"Where do you want to use the photo of {subject}?")  # fmt: skip
    return _t(lang, "Waar wil je de foto voor gebruiken?", "Where do you want to use the photo?")


def subject_question(lang: Language) -> str:
    return _t(lang, "Over welke leerling of groep gaat het? Bijvoorbeeld \"Sanne Jansen\" of "
              "\"groep 5b\".", "Which pupil or group is it about? For example \"Sanne Jansen\" "
              "or \"group 5b\".")  # fmt: skip
