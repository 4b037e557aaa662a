"""The questions of the breach intake, in the order asked, and which one comes next.

Each question's text is the English message id; the catalogues translate it
(:mod:`provisioner.i18n`). A question is asked only while its answer is unknown and it
matters for this kind of breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# -- the questions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One question of the intake; ``text`` is the English message id (the catalogues
    translate it)."""

    key: str  # the step name; for yes/no questions also the fact it sets
    text: str
    yes_no: bool = True


QUESTIONS: tuple[Question, ...] = (
    Question("narrative", "What happened? A few words are enough.", yes_no=False),
    Question(
        "discovered_at",
        'When did you discover it? For example "just '
        'now", "this morning 8:30" or "yesterday 15:00".',
        yes_no=False,
    ),
    Question(
        "data_categories",
        "What kind of data is it? For example grades, names and addresses, care or "
        "medical data, citizen service numbers (BSN), passwords or financial data.",
        yes_no=False,
    ),
    Question(
        "subjects_count",
        'Whose data is it, and how many people? For example "28 pupils of year 7".',
        yes_no=False,
    ),
    Question("subjects_are_children", "Is it data about pupils (children)?"),
    Question(
        "special_categories",
        "Did it include care, medical or other sensitive data (health, religion, ethnic origin)?",
    ),
    Question("national_id_number", "Did it include citizen service numbers (BSN)?"),
    Question("encrypted", "Was the data encrypted (e.g. BitLocker, a secure usb stick)?"),
    Question("key_safe", "Is the password or key safe (not with the device, not shared)?"),
    Question("backup_available", "Is there a backup or copy of the data, e.g. on the server?"),
    Question("recovered_quickly", "Is the data available to the school again?"),
    Question(
        "recipient",
        "Who received the data: one person, several people, or are they public online?",
        yes_no=False,
    ),
    Question(
        "recipient_trusted",
        "Is the recipient known and trustworthy (e.g. a colleague, or a parent who cooperates)?",
    ),
    Question("deletion_confirmed", "Has the recipient confirmed that they deleted the data?"),
    Question("malicious", "Was it deliberate (theft, hacking) or a mistake?"),
    Question("cause", "How could this happen (the cause)?", yes_no=False),
    Question(
        "measures",
        "What has been done so far? For example: asked the recipient to delete it, "
        "changed the password, reported it to the police.",
        yes_no=False,
    ),
)
BY_KEY = {q.key: q for q in QUESTIONS}
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
        elif key == "recipient":
            if kind != "misdirected" or key in facts:
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
