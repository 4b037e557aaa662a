"""The chat engine's own replies (not a flow's): refusals, help, "stopped", "what are you
saying yes to?", a lapsed or put-aside conversation, an incident. Dutch and English."""

from __future__ import annotations

from bot.conversation import Language, Reply
from provisioner.i18n import tr


def unknown(language: Language) -> Reply:
    return Reply(
        tr(
            language,
            "Sorry, I can't help you: I can't find you as a member of staff of "
            "the board. Please contact the central office if this is wrong.",
        ),
        data={"refused": "unknown_person"},
    )


def slow_down(language: Language) -> Reply:
    return Reply(
        tr(
            language,
            "You are sending a lot of messages at once. Please try again in a minute.",
        ),
        data={"refused": "rate_limited"},
    )


def expired(language: Language) -> Reply:
    return Reply(
        tr(
            language,
            "This conversation has expired. Please start again, e.g. with /offboard.",
        ),
        data={"refused": "expired"},
    )


def stopped(language: Language) -> Reply:
    return Reply(tr(language, "OK, I stopped. Nothing was changed."), data={"stopped": True})


def nothing_open(language: Language) -> Reply:
    return Reply(
        tr(
            language,
            "There is no conversation with me going on, so there is nothing to stop.",
        ),
        data={"help": "nothing_open"},
    )


def what_do_you_mean(language: Language) -> Reply:
    """A bare "ja" with no open question: never guess what it confirms."""
    return Reply(
        tr(
            language,
            "What are you saying yes or no to? I have no open question, so I did "
            'nothing. Tell me what you need, e.g. "Jan de Vries leaves on 1 '
            'December".',
        ),
        data={"help": "no_open_question"},
    )


def lapsed(language: Language, topic: str, minutes: int) -> Reply:
    return Reply(
        tr(
            language,
            "Our earlier conversation ({topic}) expired after {minutes} minutes "
            "of silence; nothing was done with it.",
            topic=topic,
            minutes=minutes,
        ),
        data={"expired_conversation": True},
    )


def put_aside(language: Language, topic: str) -> Reply:
    return Reply(
        tr(language, "I put {topic} aside; nothing was done with it.", topic=topic),
        data={"put_aside": True},
    )


def failed(language: Language, incident: str) -> Reply:
    return Reply(
        tr(
            language,
            "Something went wrong on my side (incident {incident}). The central "
            "office can look into it.",
            incident=incident,
        ),
        data={"error": incident},
    )


def help(language: Language) -> Reply:
    return Reply(
        tr(
            language,
            'I can help with three things:\n• *Offboarding*: "Jan de Vries leaves '
            'on 1 December" or /offboard\n• *Photo consent*: "Can the 7a class '
            'photo go in the newsletter?" or /consent\n• *Data breach*: "I lost a '
            'USB stick with grade lists" or /databreach',
        ),
        data={"help": True},
    )
