"""Reporting a data breach from chat (*datalek melden*; GDPR Art. 33 and 34).

    "ik ben een usb-stick kwijt met cijferlijsten"  |  "I sent the grade list to the wrong
    parent"  |  /datalek  |  /databreach

Anyone the bot knows may report. The intake first reads what the message already says (a
lost usb stick, grade lists, "versleuteld", "28 leerlingen", "vanochtend") and then asks
only what it does not know yet, one short question at a time, with buttons where the answer
is yes, no or unknown. "Report now" on any question files the report with what is known
(unknown facts are assessed cautiously and the FG completes them). Then it enters the breach
in the register (:class:`~provisioner.privacy.breaches.BreachRegister`), tells the privacy
officer (FG) at once with the assessment, its reasons and buttons to confirm or correct the
decision, and tells the reporter the reference and what happens next.

Nothing the reporter types is logged: the text goes into the register (which the FG keeps)
and the flow's state only; the audit trail gets the yes/no facts, never the free text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from bot.conversation import Audience, Button, FlowContext, Language, Notice, Reply, Turn
from bot.dates import find_day
from provisioner.privacy.breach import (
    AMSTERDAM,
    SPECIAL,
    Assessment,
    BreachFacts,
    FactsError,
    category_names,
)
from provisioner.privacy.breaches import BreachNotFound, BreachRecord, BreachRegister

YES = frozenset({"ja", "yes", "j", "y", "jazeker", "klopt", "wel"})
NO = frozenset({"nee", "no", "n", "niet", "neen", "geen"})
UNKNOWN = frozenset({"weet ik niet", "weet niet", "onbekend", "geen idee", "?", "unknown",
                     "don't know", "dont know", "not sure", "no idea", "idk"})  # fmt: skip
NOW_WORDS = frozenset({"meld nu", "nu melden", "report now", "klaar", "done"})

# -- reading free text ----------------------------------------------------------------------

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ransomware", re.compile(r"ransomware|gegijzeld|losgeld|ransom", re.I)),
    ("hacking", re.compile(r"gehackt|hack|phishing|malware|virus|ingebroken in|inlog.*gestolen"
                           r"|account.*overgenomen|hacked|compromised", re.I)),
    ("stolen_device", re.compile(r"gestolen|diefstal|stolen|theft|ingebroken|inbraak"
                                 r"|burglar", re.I)),
    ("published", re.compile(r"online gezet|op internet|gepubliceerd|op (de )?website gezet"
                             r"|published|posted online|publicly", re.I)),
    ("misdirected", re.compile(r"verkeerde|verkeerd|per ongeluk.*(gestuurd|verstuurd|gemaild"
                               r"|gedeeld)|(gestuurd|verstuurd|gemaild|gedeeld).*naar|wrong"
                               r"|by mistake|misdirected|cc |\bcc\b|in de cc", re.I)),
    ("paper", re.compile(r"\bmap\b|papier|printje|uitdraai|dossiermap|folder|papers?\b", re.I)),
    ("lost_device", re.compile(r"kwijt|verloren|laten liggen|lost|left .* on|misplaced|usb"
                               r"|stick|laptop|telefoon|tablet|harde schijf|phone"
                               r"|hard drive", re.I)),
)  # fmt: skip

_CATEGORY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("learning_results", re.compile(r"cijfer|rapport|toets|resultat|grade|report card|results"
                                    r"|marks|scores|lvs|leerlingvolg", re.I)),
    ("care", re.compile(r"zorg|handelingsplan|\bib\b|ontwikkelingsperspectief|\bopp\b"
                        r"|care file|care plan|dyslex", re.I)),
    ("medical", re.compile(r"medisch|allergie|diagnose|medicatie|medicijn|gezondheid|ziekte"
                           r"|medical|health|diagnos|allerg|medication", re.I)),
    ("national_id", re.compile(r"\bbsn|burgerservice|sofi|citizen service|national id|social"
                               r" security", re.I)),
    ("credentials", re.compile(r"wachtwoord|password|inlog|login|credential|toegangscode", re.I)),
    ("financial", re.compile(r"bank|iban|rekeningnummer|financ|salaris|salary|ouderbijdrage"
                             r"|betaal|payment", re.I)),
    ("identity", re.compile(r"paspoort|id-kaart|identiteitsbewijs|geboortedatum|passport"
                            r"|date of birth|birth date|id card", re.I)),
    ("photos", re.compile(r"foto|video|beeld|photo|picture", re.I)),
    ("special", re.compile(r"religie|godsdienst|geloof|afkomst|etnisch|religion|ethnic"
                           r"|strafblad|criminal", re.I)),
    ("contact", re.compile(r"adres|naam|namen|telefoonnummer|e-?mail|contact|klassenlijst"
                           r"|leerlingenlijst|adreslijst|address|names|phone number"
                           r"|class list", re.I)),
)  # fmt: skip

_PUPILS = re.compile(r"leerling|kinderen|kind\b|groep|klas|pupil|child|student|class|grade list"
                     r"|cijferlijst", re.I)  # fmt: skip
_ADULTS = re.compile(r"ouders?\b|collega|medewerker|personeel|leerkracht|docent|parent|staff"
                     r"|teacher|colleague|employee", re.I)  # fmt: skip
_COUNT = re.compile(
    r"(\d{1,6})\s*(?:\w+\s+)?(leerlingen|kinderen|ouders|collega'?s|medewerkers|personen|mensen"
    r"|pupils|children|students|parents|people|persons|staff|teachers|colleagues)",
    re.I,
)
_BARE_NUMBER = re.compile(r"(?:^|\s)(?:ongeveer|circa|ca\.?|about|around|~)?\s*(\d{1,6})\b")
_NOT_ENCRYPTED = re.compile(
    r"niet versleuteld|onversleuteld|zonder (wachtwoord|versleuteling)|not encrypted"
    r"|unencrypted|no password|geen wachtwoord",
    re.I,
)
_ENCRYPTED = re.compile(r"versleuteld|encrypted|bitlocker|beveiligd met|met wachtwoord", re.I)
_TIME = re.compile(
    r"\b(?:om\s+|at\s+)?([01]?\d|2[0-3])[:.]([0-5]\d)\b|\bom\s+([01]?\d|2[0-3])\s*uur\b"
)
_JUST_NOW = re.compile(r"\bnet\b|zojuist|zonet|just now|a moment ago|zo-?even", re.I)
_THIS_MORNING = re.compile(r"vanochtend|vanmorgen|this morning", re.I)
_THIS_AFTERNOON = re.compile(r"vanmiddag|this afternoon", re.I)


def read_kind(text: str) -> str | None:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def read_categories(text: str) -> list[str]:
    return [name for name, pattern in _CATEGORY_PATTERNS if pattern.search(text)]


def read_count(text: str, *, bare: bool = False) -> int | None:
    match = _COUNT.search(text)
    if match:
        return int(match.group(1))
    if bare:
        match = _BARE_NUMBER.search(text)
        if match:
            return int(match.group(1))
    return None


def read_moment(text: str, now: datetime) -> datetime | None:
    """When something was discovered, from "vanochtend", "gisteren 15:30", "net", "31-10".

    A day without a time counts from the start of that day, so a deadline is never later
    than the real one; a moment after ``now`` is ``now``.
    """
    local = now.astimezone(AMSTERDAM)
    if _JUST_NOW.search(text):
        return local
    clock = _TIME.search(text)
    at: time | None = None
    if clock:
        hour = int(clock.group(1) or clock.group(3))
        minute = int(clock.group(2) or 0)
        at = time(hour, minute)
    day = None
    found = find_day(text, local.date())
    if found is not None:
        day = found.day
    elif _THIS_MORNING.search(text):
        day, at = local.date(), at or time(7, 0)
    elif _THIS_AFTERNOON.search(text):
        day, at = local.date(), at or time(12, 0)
    elif at is not None:
        day = local.date()
    if day is None:
        return None
    moment = datetime.combine(day, at or time(0, 0), tzinfo=AMSTERDAM)
    return min(moment, local)


def extract(text: str, now: datetime) -> dict[str, Any]:
    """The facts a free-text message already gives (field name -> value)."""
    facts: dict[str, Any] = {}
    kind = read_kind(text)
    if kind:
        facts["kind"] = kind
        facts.update(_KIND_FACTS[kind])
    categories = read_categories(text)
    if categories:
        facts["data_categories"] = categories
        if set(categories) & SPECIAL:
            facts["special_categories"] = True
        if "national_id" in categories:
            facts["national_id_number"] = True
    if _NOT_ENCRYPTED.search(text):
        facts["encrypted"] = False
    elif _ENCRYPTED.search(text) and kind != "ransomware":
        facts["encrypted"] = True
    count = read_count(text)
    if count is not None:
        facts["subjects_count"] = count
    if _PUPILS.search(text) or "learning_results" in categories:
        facts["subjects_are_children"] = True
    moment = read_moment(text, now)
    if moment is not None:
        facts["discovered_at"] = moment.isoformat()
    return facts


#: What each kind of breach settles by itself.
_KIND_FACTS: dict[str, dict[str, Any]] = {
    "lost_device": {"confidentiality_breach": True, "availability_breach": True,
                    "integrity_breach": False, "malicious": False},
    "stolen_device": {"confidentiality_breach": True, "availability_breach": True,
                      "integrity_breach": False, "malicious": True},
    "misdirected": {"confidentiality_breach": True, "availability_breach": False,
                    "integrity_breach": False, "malicious": False},
    "published": {"confidentiality_breach": True, "availability_breach": False,
                  "integrity_breach": False, "published_online": True},
    "paper": {"confidentiality_breach": True, "availability_breach": True,
              "integrity_breach": False, "encrypted": False},
    "hacking": {"confidentiality_breach": True, "malicious": True},
    "ransomware": {"availability_breach": True, "integrity_breach": True, "malicious": True},
}  # fmt: skip


# -- the questions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    key: str  # the step name; for yes/no questions also the fact it sets
    nl: str
    en: str
    yes_no: bool = True


QUESTIONS: tuple[Question, ...] = (
    Question("narrative", "Wat is er gebeurd? Vertel het in een paar woorden.",
             "What happened? A few words are enough.", yes_no=False),
    Question("discovered_at", "Wanneer heb je het ontdekt? Bijvoorbeeld \"net\", \"vanochtend "
             "8:30\" of \"gisteren 15:00\".", "When did you discover it? For example \"just "
             "now\", \"this morning 8:30\" or \"yesterday 15:00\".", yes_no=False),
    Question("data_categories", "Welke gegevens zijn het? Bijvoorbeeld cijfers, namen en "
             "adressen, zorg- of medische gegevens, BSN, wachtwoorden, financiële gegevens.",
             "What kind of data is it? For example grades, names and addresses, care or "
             "medical data, citizen service numbers (BSN), passwords, financial data.",
             yes_no=False),
    Question("subjects_count", "Van wie zijn de gegevens en om hoeveel mensen gaat het? "
             "Bijvoorbeeld \"28 leerlingen van groep 7\".", "Whose data is it, and how many "
             "people? For example \"28 pupils of year 7\".", yes_no=False),
    Question("subjects_are_children", "Zijn het gegevens van leerlingen (kinderen)?",
             "Is it data about pupils (children)?"),
    Question("special_categories", "Zaten er zorg-, medische of andere gevoelige gegevens bij "
             "(gezondheid, godsdienst, afkomst)?", "Did it include care, medical or other "
             "sensitive data (health, religion, ethnic origin)?"),
    Question("national_id_number", "Zaten er burgerservicenummers (BSN) bij?",
             "Did it include citizen service numbers (BSN)?"),
    Question("encrypted", "Waren de gegevens versleuteld (bijv. BitLocker, een beveiligde "
             "usb-stick)?", "Was the data encrypted (e.g. BitLocker, a secure usb stick)?"),
    Question("key_safe", "Is het wachtwoord of de sleutel veilig (niet bij het apparaat, niet "
             "gedeeld)?", "Is the password or key safe (not with the device, not shared)?"),
    Question("backup_available", "Is er een back-up of kopie van de gegevens, bijvoorbeeld "
             "op de server?", "Is there a backup or copy of the data, e.g. on the server?"),
    Question("recovered_quickly", "Zijn de gegevens alweer beschikbaar voor de school?",
             "Is the data available to the school again?"),
    Question("recipient_trusted", "Is de ontvanger bekend en te vertrouwen (bijv. een collega "
             "of een ouder die meewerkt)?", "Is the recipient known and trustworthy (e.g. a "
             "colleague, or a parent who cooperates)?"),
    Question("deletion_confirmed", "Heeft de ontvanger bevestigd dat de gegevens zijn "
             "verwijderd?", "Has the recipient confirmed that they deleted the data?"),
    Question("malicious", "Was het opzet (diefstal, hacken) of een vergissing?",
             "Was it deliberate (theft, hacking) or a mistake?"),
    Question("cause", "Hoe kon dit gebeuren (de oorzaak)?", "How could this happen (the "
             "cause)?", yes_no=False),
    Question("measures", "Wat is er al gedaan? Bijvoorbeeld: ontvanger gevraagd te "
             "verwijderen, wachtwoord gewijzigd, aangifte gedaan.", "What has been done so far? "
             "For example: asked the recipient to delete it, changed the password, reported it "
             "to the police.", yes_no=False),
)  # fmt: skip
_BY_KEY = {q.key: q for q in QUESTIONS}
_DEVICE_KINDS = frozenset({"lost_device", "stolen_device", "hacking"})
_AVAILABILITY_KINDS = frozenset({"lost_device", "stolen_device", "paper", "ransomware", "hacking"})


def next_question(facts: dict[str, Any], skipped: list[str]) -> Question | None:
    """The first question whose answer is still unknown and that matters for this breach."""
    kind = facts.get("kind")
    for question in QUESTIONS:
        key = question.key
        if key in skipped:
            continue
        if key == "narrative":
            if facts.get("narrative"):
                continue
        elif key == "data_categories":
            if facts.get("data_categories"):
                continue
        elif key == "subjects_count":
            if facts.get("subjects_count") is not None:
                continue
        elif key == "key_safe":
            if facts.get("encrypted") is not True or facts.get("key_compromised") is not None:
                continue
        elif key == "encrypted":
            if (kind not in _DEVICE_KINDS and kind is not None) or "encrypted" in facts:
                continue
        elif key in ("backup_available", "recovered_quickly"):
            if kind not in _AVAILABILITY_KINDS and kind is not None:
                continue
            if key == "recovered_quickly" and facts.get("backup_available") is not True:
                continue
            if key in facts:
                continue
        elif key in ("recipient_trusted", "deletion_confirmed"):
            if kind != "misdirected" or key in facts:
                continue
            if key == "deletion_confirmed" and facts.get("recipient_trusted") is False:
                continue
        elif key in ("cause", "measures"):
            if facts.get(key):
                continue
        elif key in facts:
            continue
        return question
    return None


# -- the flow -------------------------------------------------------------------------------


def _t(language: Language, nl: str, en: str) -> str:
    return nl if language == "nl" else en


class BreachFlow:
    """The breach intake, and the FG's buttons on the notice it sends."""

    name = "breach"
    commands: tuple[str, ...] = ("/datalek", "/databreach")

    _WANTS = re.compile(
        r"datalek|data ?breach|\blek\b|privacy.?incident|kwijt|verloren|gestolen|gehackt"
        r"|phishing|ransomware|verkeerde (ouder|persoon|ontvanger|adres|mail|e-mail|klas)"
        r"|naar de verkeerde|per ongeluk (gestuurd|verstuurd|gemaild|gedeeld)|\blost\b"
        r"|\bstolen\b|\bhacked\b|to the wrong|wrong (parent|person|recipient|address|email)"
        r"|sent .* by mistake|leaked",
        re.I,
    )

    def wants(self, text: str) -> bool:
        return bool(self._WANTS.search(text))

    # -- the reporter ----------------------------------------------------------------------

    def start(self, ctx: FlowContext, text: str) -> Turn:
        facts = extract(text, ctx.now) if text.strip() else {}
        if text.strip() and not text.strip().startswith("/"):
            facts["narrative"] = text.strip()
        state: dict[str, Any] = {"step": None, "facts": facts, "skipped": []}
        intro = _t(
            ctx.language,
            'Goed dat je het meldt. Ik stel een paar korte vragen; "weet ik niet" mag altijd, '
            'en met "Meld nu" gaat je melding direct naar de FG.',
            "Thank you for reporting this. I'll ask a few short questions; \"don't know\" is "
            'always fine, and "Report now" sends your report to the privacy officer at once.',
        )
        return self._ask(ctx, state, intro)

    def answer(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        if state.get("step") == "fg_reason":
            return self._fg_reason(ctx, text, state)
        if state.get("step") == "fg_facts":
            return self._fg_facts(ctx, text, state)
        if state.get("step") == "fg_correct":
            return Turn(
                (Reply(_t(ctx.language, "Kies wat er anders moet met een van de knoppen.",
                          "Choose what should change with one of the buttons."),
                       data={"step": "fg_correct", "breach_id": state.get("breach")}),),
                state=state,
            )  # fmt: skip
        step = state.get("step")
        folded = text.strip().casefold()
        if folded in NOW_WORDS:
            return self._report(ctx, state)
        question = _BY_KEY.get(str(step)) if step else None
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
            value = _yes_no(folded)
            if value is _NOT_UNDERSTOOD and question.key == "malicious":
                value = _deliberate(folded)
            if value is _NOT_UNDERSTOOD:
                return self._ask(
                    ctx,
                    state,
                    _t(
                        ctx.language,
                        "Antwoord ja, nee of weet ik niet (of gebruik de knoppen).",
                        "Please answer yes, no or don't know (or use the buttons).",
                    ),
                )
            return self._set(ctx, state, question.key, value)
        return self._free_answer(ctx, state, question, text)

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        if action in ("confirm", "correct", "notified_authority", "notified_subjects",
                      "set_decision"):  # fmt: skip
            return self._fg_press(ctx, action, value, state)
        step = state.get("step")
        if action == "now" and step:
            return self._report(ctx, state)
        if action == "answer" and step and step in _BY_KEY:
            answer = {"yes": True, "no": False, "unknown": None}.get(value, _NOT_UNDERSTOOD)
            if answer is _NOT_UNDERSTOOD:
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
        if action == "skip" and step and step in _BY_KEY:
            return self._next(ctx, state, skip=str(step))
        if action == "stop":
            return Turn(
                (
                    Reply(
                        _t(
                            ctx.language,
                            "Gestopt; er is niets gemeld.",
                            "Stopped; nothing was reported.",
                        ),
                        data={"step": "stopped"},
                    ),
                )
            )
        return Turn(
            (
                Reply(
                    _t(
                        ctx.language,
                        "Die vraag is verlopen. Begin opnieuw met /datalek.",
                        "That question has expired. Start again with /databreach.",
                    ),
                    data={"step": "expired"},
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
                return self._ask(
                    ctx,
                    state,
                    _t(
                        ctx.language,
                        "Dat tijdstip begrijp ik niet.",
                        "I don't understand that time.",
                    ),
                )
            if moment is not None:
                facts["discovered_at"] = moment.isoformat()
            else:
                return self._next(ctx, {**state, "facts": facts}, skip=key)
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
            if _PUPILS.search(text):
                facts["subjects_are_children"] = True
            elif _ADULTS.search(text):
                facts.setdefault("subjects_are_children", False)
            if count is None:
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
        text = (
            f"{before}\n{_t(lang, question.nl, question.en)}"
            if before
            else _t(lang, question.nl, question.en)
        )
        buttons: list[Button] = []
        if question.key == "malicious":
            buttons = [
                Button(_t(lang, "Opzet", "Deliberate"), "answer", "yes"),
                Button(_t(lang, "Vergissing", "A mistake"), "answer", "no"),
                Button(_t(lang, "Weet ik niet", "Don't know"), "answer", "unknown"),
            ]
        elif question.yes_no:
            buttons = [
                Button(_t(lang, "Ja", "Yes"), "answer", "yes"),
                Button(_t(lang, "Nee", "No"), "answer", "no"),
                Button(_t(lang, "Weet ik niet", "Don't know"), "answer", "unknown"),
            ]
        elif question.key == "data_categories":
            buttons = [
                Button(_t(lang, "Cijfers", "Grades"), "category", "learning_results"),
                Button(_t(lang, "Namen/adressen", "Names/addresses"), "category", "contact"),
                Button(_t(lang, "Zorg/medisch", "Care/medical"), "category", "care"),
                Button(_t(lang, "Weet ik niet", "Don't know"), "category", "unknown"),
            ]
        elif question.key not in ("narrative",):
            buttons = [Button(_t(lang, "Weet ik niet", "Don't know"), "skip")]
        if question.key != "narrative":
            buttons.append(Button(_t(lang, "Meld nu", "Report now"), "now", style="primary"))
        # A yes/no (or deliberate/mistake) question is answered by its buttons; every other
        # one wants typed text ("2", "gisteren 14:00") and its buttons are only shortcuts.
        reply = Reply(text, buttons=tuple(buttons), data={"step": question.key},
                      expects_text=not question.yes_no)
        return Turn((reply,), state={**state, "step": question.key})

    def _report(self, ctx: FlowContext, state: dict[str, Any]) -> Turn:
        lang = ctx.language
        try:
            facts = BreachFacts.from_dict(state.get("facts") or {})
        except FactsError:
            facts = BreachFacts(narrative=str((state.get("facts") or {}).get("narrative") or ""))
        locations = sorted(ctx.asker.staff.locations_on(ctx.now.date()))
        register = BreachRegister(ctx.sessions)
        breach = register.report(
            facts,
            reporter=ctx.asker.actor,
            location=locations[0] if len(locations) == 1 else None,
            now=ctx.now,
            privacy_officer_told=True,  # the notice below goes to the FG at once
        )
        officer_language = _board_language(ctx)
        result = breach.assess(lang)
        authority = result.deadline("authority")
        next_steps = _t(
            lang,
            "De FG (functionaris gegevensbescherming) is direct ingelicht, beoordeelt de melding "
            "en neemt contact met je op als er iets nodig is.",
            "The privacy officer (FG) has been told and will assess the report, and will contact "
            "you if anything is needed.",
        )
        advice = _advice(facts, lang)
        facts_shown: list[tuple[str, str]] = [(_t(lang, "Kenmerk", "Reference"), breach.id)]
        if authority is not None and result.notify_authority:
            facts_shown.append(
                (
                    _t(lang, "Melding AP uiterlijk", "Supervisor notified by"),
                    f"{authority.due_at:%d-%m-%Y %H:%M}",
                )
            )
        reporter_reply = Reply(
            _t(
                lang,
                f"Je melding is vastgelegd als *{breach.id}*. ",
                f"Your report is recorded as *{breach.id}*. ",
            )
            + next_steps
            + advice,
            facts=tuple(facts_shown),
            data={"step": "reported", "breach_id": breach.id},
        )
        notice = Notice(Audience.PRIVACY_OFFICER, officer_reply(breach, officer_language))
        return Turn((reporter_reply,), state=None, notices=(notice,))

    # -- the privacy officer ---------------------------------------------------------------

    def _fg_press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        lang = ctx.language
        if not ctx.asker.is_privacy_officer:
            return Turn(
                (
                    Reply(
                        _t(
                            lang,
                            "Alleen de FG kan een datalekbesluit bevestigen of corrigeren.",
                            "Only the privacy officer can confirm or correct a breach decision.",
                        ),
                        data={"refused": "not_privacy_officer"},
                    ),
                )
            )
        register = BreachRegister(ctx.sessions)
        breach_id, _, choice = value.partition("|")
        try:
            breach = register.get(breach_id)
        except BreachNotFound:
            return Turn(
                (
                    Reply(
                        _t(
                            lang,
                            f"Datalek {breach_id} staat niet in het register.",
                            f"Breach {breach_id} is not in the register.",
                        ),
                        data={"refused": "not_found"},
                    ),
                )
            )
        if action == "confirm":
            breach = register.confirm(breach.id, actor=ctx.asker.actor, now=ctx.now)
            return Turn((_decided_reply(breach, lang),))
        if action == "notified_authority":
            breach = register.mark_notified(
                breach.id, party="authority", at=ctx.now, actor=ctx.asker.actor
            )
            return Turn((_decided_reply(breach, lang),))
        if action == "notified_subjects":
            breach = register.mark_notified(
                breach.id, party="subjects", at=ctx.now, actor=ctx.asker.actor
            )
            return Turn((_decided_reply(breach, lang),))
        if action == "correct":
            buttons = tuple(
                Button(label, "set_decision", f"{breach.id}|{code}")
                for code, label in (
                    ("ap_yes", _t(lang, "Wel melden bij AP", "Notify the AP")),
                    ("ap_no", _t(lang, "Niet melden bij AP", "Do not notify the AP")),
                    ("subjects_yes", _t(lang, "Betrokkenen inlichten", "Tell the people")),
                    ("subjects_no", _t(lang, "Betrokkenen niet inlichten", "Do not tell them")),
                    ("facts", _t(lang, "Feiten aanpassen", "Correct facts")),
                )
            )
            return Turn(
                (
                    Reply(
                        _t(
                            lang,
                            f"Wat moet er anders aan {breach.id}?",
                            f"What should change in {breach.id}?",
                        ),
                        buttons=buttons,
                        data={"step": "fg_correct", "breach_id": breach.id},
                    ),
                ),
                state={"step": "fg_correct", "breach": breach.id},
            )
        if action == "set_decision":
            if choice == "facts":
                return Turn(
                    (
                        Reply(
                            _t(
                                lang,
                                "Schrijf de feiten als veld=waarde, gescheiden door komma's, "
                                "bijv. encrypted=ja, subjects_count=30, key_compromised=nee.",
                                "Write the facts as field=value separated by commas, e.g. "
                                "encrypted=yes, subjects_count=30, key_compromised=no.",
                            ),
                            data={"step": "fg_facts", "breach_id": breach.id},
                        ),
                    ),
                    state={"step": "fg_facts", "breach": breach.id},
                )
            decision = {
                "ap_yes": {"notify_authority": True},
                "ap_no": {"notify_authority": False, "notify_subjects": False},
                "subjects_yes": {"notify_authority": True, "notify_subjects": True},
                "subjects_no": {"notify_subjects": False},
            }.get(choice)
            if decision is None:
                return Turn((Reply(_t(lang, "Die keuze ken ik niet.", "Unknown choice.")),))
            return Turn(
                (
                    Reply(
                        _t(
                            lang,
                            "Waarom? De reden komt in het register en de audit trail.",
                            "Why? The reason goes into the register and the audit trail.",
                        ),
                        data={"step": "fg_reason", "breach_id": breach.id},
                    ),
                ),
                state={"step": "fg_reason", "breach": breach.id, "decision": decision},
            )
        return Turn((Reply(_t(lang, "Die knop ken ik niet.", "Unknown button.")),))

    def _fg_reason(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        if not ctx.asker.is_privacy_officer:
            return self.start(ctx, text)
        reason = text.strip()
        if not reason:
            return Turn(
                (Reply(_t(ctx.language, "Geef een reden.", "Please give a reason.")),), state=state
            )
        register = BreachRegister(ctx.sessions)
        breach = register.correct(
            str(state["breach"]),
            actor=ctx.asker.actor,
            decision=dict(state["decision"]),
            reason=reason,
            now=ctx.now,
        )
        return Turn((_decided_reply(breach, ctx.language),))

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
            return Turn(
                (
                    Reply(
                        _t(lang, "Geen veld=waarde gevonden.", "No field=value found."),
                        data={"step": "fg_facts"},
                    ),
                ),
                state=state,
            )
        register = BreachRegister(ctx.sessions)
        try:
            breach = register.correct(
                str(state["breach"]),
                actor=ctx.asker.actor,
                facts=changes,
                reason="facts corrected by the FG",
                now=ctx.now,
            )
        except (FactsError, ValueError) as exc:
            return Turn(
                (
                    Reply(
                        _t(lang, f"Dat kan ik niet verwerken: {exc}", f"I cannot use that: {exc}"),
                        data={"step": "fg_facts"},
                    ),
                ),
                state=state,
            )
        return Turn((officer_reply(breach, lang),))


# -- replies ---------------------------------------------------------------------------------

_NOT_UNDERSTOOD: Any = object()


def _yes_no(folded: str) -> Any:
    first = folded.strip(" .!").split(",")[0].strip()
    if first in YES or folded.startswith(("ja", "yes")):
        return True
    if first in NO or folded.startswith(("nee", "no ", "no,")) or folded == "no":
        return False
    if first in UNKNOWN or folded in UNKNOWN:
        return None
    return _NOT_UNDERSTOOD


def _deliberate(folded: str) -> Any:
    if re.search(r"opzet|expres|diefstal|gestolen|hack|deliberate|on purpose|theft|stolen", folded):
        return True
    if re.search(r"vergissing|ongeluk|fout|mistake|accident|error", folded):
        return False
    return _NOT_UNDERSTOOD


def _board_language(ctx: FlowContext) -> Language:
    languages = ctx.config.bot.languages
    return languages[0] if languages else "nl"


def officer_reply(breach: BreachRecord, language: Language) -> Reply:
    """What the FG sees of a breach: the facts, the assessment with its reasons, the
    deadlines and the buttons to confirm or correct the decision."""
    result: Assessment = breach.assess(language)
    f = breach.facts
    unknown = _t(language, "onbekend", "unknown")

    def yn(value: bool | None) -> str:
        return (
            unknown
            if value is None
            else _t(language, "ja", "yes")
            if value
            else _t(language, "nee", "no")
        )

    rows: list[tuple[str, str]] = [
        (_t(language, "Kenmerk", "Reference"), breach.id),
        (_t(language, "Gemeld door", "Reported by"), breach.reported_by),
        (_t(language, "Wat", "What"), f.narrative or unknown),
        (
            _t(language, "Ontdekt", "Discovered"),
            f"{f.discovered_at:%d-%m-%Y %H:%M}" if f.discovered_at else unknown,
        ),
        (
            _t(language, "Gegevens", "Data"),
            category_names(frozenset(f.data_categories), language) or unknown,
        ),
        (
            _t(language, "Aantal betrokkenen", "People concerned"),
            unknown if f.subjects_count is None else str(f.subjects_count),
        ),
        (_t(language, "Kinderen", "Children"), yn(f.subjects_are_children)),
        (_t(language, "Versleuteld", "Encrypted"), yn(f.encrypted)),
        (_t(language, "Opzet", "Deliberate"), yn(f.malicious)),
        (_t(language, "Melden bij AP", "Notify the AP"), yn(breach.decision.notify_authority)),
        (
            _t(language, "Betrokkenen inlichten", "Tell the people"),
            yn(breach.decision.notify_subjects),
        ),
    ]
    for deadline in breach.deadlines:
        label = (
            _t(language, "Termijn FG", "FG deadline")
            if deadline.kind == "privacy_officer"
            else _t(language, "Termijn AP", "AP deadline")
        )
        state = _t(language, "gehaald", "met") if deadline.done else _t(language, "open", "open")
        rows.append((label, f"{deadline.due_at:%d-%m-%Y %H:%M} ({state})"))
    proposal = (
        _t(language, "voorstel", "proposal")
        if not breach.decision.confirmed
        else _t(language, "besluit", "decision")
    )
    text = _t(
        language,
        f"*Datalek {breach.id}* ({proposal}: {_risk_words(result.risk.value, language)}).\n",
        f"*Breach {breach.id}* ({proposal}: {_risk_words(result.risk.value, language)}).\n",
    ) + "\n".join(f"• {reason}" for reason in result.reasons)
    if result.assumptions:
        text += (
            "\n" + _t(language, "_Aannames:_ ", "_Assumptions:_ ") + " ".join(result.assumptions)
        )
    buttons = (
        Button(
            _t(language, "Bevestig besluit", "Confirm decision"),
            "confirm",
            breach.id,
            style="primary",
        ),
        Button(_t(language, "Corrigeer", "Correct"), "correct", breach.id),
    )
    return Reply(
        text,
        facts=tuple(rows),
        buttons=buttons,
        data={"breach_id": breach.id, **result.to_dict(), "decision": breach.decision.to_dict()},
    )


def _decided_reply(breach: BreachRecord, language: Language) -> Reply:
    d = breach.decision
    parts = [
        _t(language, "melden bij de AP", "notify the AP")
        if d.notify_authority
        else _t(language, "niet melden bij de AP", "do not notify the AP"),
        _t(language, "betrokkenen inlichten", "tell the people concerned")
        if d.notify_subjects
        else _t(language, "betrokkenen niet inlichten", "do not tell the people concerned"),
    ]
    text = (
        _t(language, f"Besluit voor {breach.id}: ", f"Decision for {breach.id}: ")
        + ", ".join(parts)
        + "."
    )
    buttons: list[Button] = []
    if d.notify_authority and "authority" not in breach.notified:
        text += _t(
            language,
            f" Concept voor het AP-meldformulier: `provisioner breach export {breach.id}`.",
            f" Draft of the AP form: `provisioner breach export {breach.id}`.",
        )
        buttons.append(
            Button(_t(language, "AP is ingelicht", "AP notified"), "notified_authority", breach.id)
        )
    if d.notify_subjects and "subjects" not in breach.notified:
        buttons.append(
            Button(
                _t(language, "Betrokkenen ingelicht", "People told"), "notified_subjects", breach.id
            )
        )
    if breach.status == "closed":
        text += _t(
            language,
            " Alles is gemeld; het datalek is afgesloten.",
            " Everyone has been told; the breach is closed.",
        )
    return Reply(
        text,
        buttons=tuple(buttons),
        data={"breach_id": breach.id, "status": breach.status, "decision": d.to_dict()},
    )


def _risk_words(risk: str, language: Language) -> str:
    if language == "nl":
        return {"none": "waarschijnlijk geen risico", "risk": "risico", "high risk": "hoog risico"}[
            risk
        ]
    return {"none": "unlikely to result in a risk", "risk": "a risk", "high risk": "a high risk"}[
        risk
    ]


def _advice(facts: BreachFacts, language: Language) -> str:
    tips: list[str] = []
    if facts.kind == "misdirected" and not facts.deletion_confirmed:
        tips.append(
            _t(
                language,
                "Vraag de ontvanger de gegevens te verwijderen en dat te bevestigen.",
                "Ask the recipient to delete the data and confirm it.",
            )
        )
    if facts.kind in ("stolen_device",):
        tips.append(_t(language, "Doe aangifte bij de politie.", "Report the theft to the police."))
    if facts.kind in ("lost_device", "stolen_device", "hacking") or "credentials" in (
        facts.data_categories
    ):
        tips.append(
            _t(
                language,
                "Laat ICT wachtwoorden wijzigen en het apparaat of account blokkeren.",
                "Ask ICT to change passwords and block the device or account.",
            )
        )
    tips.append(
        _t(
            language,
            "Verwijder niets en stuur de gegevens niet verder.",
            "Do not delete anything and do not forward the data.",
        )
    )
    return "\n" + "\n".join(f"• {tip}" for tip in tips)
