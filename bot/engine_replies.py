"""The chat engine's own replies (not a flow's): refusals, help, "stopped", "what are you
saying yes to?", a lapsed or put-aside conversation, an incident. Dutch and English."""

from __future__ import annotations

from bot.conversation import Language, Reply


def t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


def unknown(language: Language) -> Reply:
    return Reply(
        t(
            language,
            "Sorry, ik kan je niet helpen: ik vind je niet als medewerker van het bestuur. "
            "Neem contact op met het Stafbureau als dit niet klopt.",
            "Sorry, I can't help you: I can't find you as a member of staff of the board. "
            "Please contact the central office if this is wrong.",
        ),
        data={"refused": "unknown_person"},
    )


def slow_down(language: Language) -> Reply:
    return Reply(
        t(
            language,
            "Even rustig aan: je stuurt veel berichten achter elkaar. Probeer het zo opnieuw.",
            "You are sending a lot of messages at once. Please try again in a minute.",
        ),
        data={"refused": "rate_limited"},
    )


def expired(language: Language) -> Reply:
    return Reply(
        t(
            language,
            "Dit gesprek is verlopen. Begin opnieuw, bijvoorbeeld met /uitdienst.",
            "This conversation has expired. Please start again, e.g. with /offboard.",
        ),
        data={"refused": "expired"},
    )


def stopped(language: Language) -> Reply:
    return Reply(t(language, "Goed, ik ben gestopt. Er is niets veranderd.",
                    "OK, I stopped. Nothing was changed."), data={"stopped": True})


def nothing_open(language: Language) -> Reply:
    return Reply(t(language, "Er loopt nu geen gesprek met mij, dus er is niets te stoppen.",
                    "There is no conversation with me going on, so there is nothing to stop."),
                 data={"help": "nothing_open"})


def what_do_you_mean(language: Language) -> Reply:
    """A bare "ja" with no open question: never guess what it confirms."""
    return Reply(
        t(language,
           "Waar zeg je ja of nee op? Er staat bij mij geen vraag open, dus ik heb niets "
           "gedaan. Zeg wat je wilt, bijvoorbeeld \"Jan de Vries gaat per 1 december uit "
           "dienst\".",
           "What are you saying yes or no to? I have no open question, so I did nothing. "
           "Tell me what you need, e.g. \"Jan de Vries leaves on 1 December\"."),
        data={"help": "no_open_question"},
    )


def lapsed(language: Language, topic: str, minutes: int) -> Reply:
    return Reply(
        t(language,
           f"Ons vorige gesprek ({topic}) is verlopen na {minutes} minuten stilte; daarmee "
           "is niets gedaan.",
           f"Our earlier conversation ({topic}) expired after {minutes} minutes of silence; "
           "nothing was done with it."),
        data={"expired_conversation": True},
    )


def put_aside(language: Language, topic: str) -> Reply:
    return Reply(
        t(language, f"Ik heb {topic} opzijgezet; daarmee is niets gedaan.",
           f"I put {topic} aside; nothing was done with it."),
        data={"put_aside": True},
    )


def failed(language: Language, incident: str) -> Reply:
    return Reply(
        t(
            language,
            f"Er ging iets mis aan mijn kant (melding {incident}). Het Stafbureau kan dit "
            "nakijken.",
            f"Something went wrong on my side (incident {incident}). The central office can "
            "look into it.",
        ),
        data={"error": incident},
    )


def help(language: Language) -> Reply:
    return Reply(
        t(
            language,
            "Ik help met drie dingen:\n"
            "• *Uit dienst*: \"Jan de Vries gaat per 1 december uit dienst\" of /uitdienst\n"
            "• *Fototoestemming*: \"Mag de foto van Sanne Jansen op de website?\" of /toestemming\n"
            "• *Datalek melden*: \"Ik ben een usb-stick kwijt met cijferlijsten\" of /datalek",
            "I can help with three things:\n"
            "• *Offboarding*: \"Jan de Vries leaves on 1 December\" or /offboard\n"
            "• *Photo consent*: \"Can the 7a class photo go in the newsletter?\" or /consent\n"
            "• *Data breach*: \"I lost a USB stick with grade lists\" or /databreach",
        ),
        data={"help": True},
    )
