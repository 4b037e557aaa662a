"""The breach risk model against the published examples: EDPB Guidelines 01/2021 (v2.0)
cases 1-18, WP250 rev.01 Annex B, and the Autoriteit Persoonsgegevens' page "Datalek: wel of
niet melden". Each example's facts are in :mod:`provisioner.privacy.breach_examples`; the
outcomes the sources publish are transcribed here a second time, by hand, so the catalogue
cannot drift towards what the model says."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.privacy.breach import BreachFacts, Risk, assess
from provisioner.privacy.breach_examples import EXAMPLES, PublishedExample, features, similarity

# (source, case) -> (notify the AP, tell the people concerned); None: the source leaves it
# open ("depending on ...") or its text could not be checked.
PUBLISHED: dict[tuple[str, str], tuple[bool | None, bool | None]] = {
    ("EDPB 01/2021", "1"): (False, False),  # §2.1 ransomware, backup, no exfiltration
    ("EDPB 01/2021", "2"): (True, False),  # §2.2 ransomware without backup
    ("EDPB 01/2021", "3"): (True, True),  # §2.3 hospital, restore took days
    ("EDPB 01/2021", "4"): (True, True),  # §2.4 no backup, exfiltration
    ("EDPB 01/2021", "5"): (True, True),  # §3.1 job applications exfiltrated
    ("EDPB 01/2021", "6"): (False, False),  # §3.2 salted hashes
    ("EDPB 01/2021", "7"): (True, True),  # §3.3 credential stuffing at a bank
    ("EDPB 01/2021", "8"): (True, False),  # §4.1 employee takes business contact data
    ("EDPB 01/2021", "9"): (False, False),  # §4.2 trusted third party, deleted
    ("EDPB 01/2021", "10"): (False, False),  # §5.1 stolen, encrypted
    ("EDPB 01/2021", "11"): (True, True),  # §5.2 stolen, not encrypted
    ("EDPB 01/2021", "12"): (True, True),  # §5.3 stolen paper with health data
    ("EDPB 01/2021", "13"): (False, False),  # §6.1 two orders swapped
    ("EDPB 01/2021", "14"): (True, True),  # §6.2 60,000 social security numbers
    ("EDPB 01/2021", "15"): (None, None),  # §6.3 not checked against the text: open
    ("EDPB 01/2021", "16"): (True, False),  # §6.4 insurance letters, wrong addresses
    ("EDPB 01/2021", "17"): (True, True),  # §7.1 identity theft
    ("EDPB 01/2021", "18"): (True, True),  # §7.2 e-mail exfiltration
    ("WP250 rev.01", "B.i"): (False, False),
    ("WP250 rev.01", "B.ii"): (True, None),
    ("WP250 rev.01", "B.iii"): (False, False),
    ("WP250 rev.01", "B.iv"): (True, None),
    ("WP250 rev.01", "B.iv-backup"): (False, False),
    ("WP250 rev.01", "B.v"): (True, None),
    ("WP250 rev.01", "B.vi"): (True, True),
    ("WP250 rev.01", "B.vii"): (True, None),
    ("WP250 rev.01", "B.viii"): (True, True),
    ("WP250 rev.01", "B.ix"): (True, None),
    ("WP250 rev.01", "B.x"): (None, None),
    ("AP", "AP-versleuteld"): (False, False),
    ("AP", "AP-geen-backup"): (True, None),
    ("AP", "AP-betrouwbaar"): (False, False),
    ("AP", "AP-twijfel"): (True, None),
}


def _id(example: PublishedExample) -> str:
    return f"{example.source.split()[0]}-{example.case}"


def test_the_catalogue_holds_every_published_example_with_its_outcome() -> None:
    assert {(e.source, e.case): (e.authority, e.subjects) for e in EXAMPLES} == PUBLISHED
    edpb = sorted(int(e.case) for e in EXAMPLES if e.source == "EDPB 01/2021")
    assert edpb == list(range(1, 19))
    asserted = [e for e in EXAMPLES if e.authority is not None or e.subjects is not None]
    assert len(asserted) >= 30
    for example in EXAMPLES:
        assert example.paragraph and example.title
        if None in (example.authority, example.subjects):
            assert example.note, f"{_id(example)}: an open outcome says why"


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_published_outcome(example: PublishedExample) -> None:
    result = assess(BreachFacts.from_dict(example.facts), language="en")
    if example.authority is not None:
        assert result.notify_authority is example.authority, result.reasons
    if example.subjects is not None:
        assert result.notify_subjects is example.subjects, result.reasons
    # Every factor is in the reasons with its contribution, and the outcome line is last.
    assert result.contributions
    for contribution in result.contributions:
        assert contribution.reason in result.reasons
    assert result.reasons[-1].startswith("Outcome:")
    # A published example with a full outcome is its own closest example (or one just like
    # it, with the same published outcome).
    assert result.closest is not None
    if example.outcome() is not None:
        mine = features(BreachFacts.from_dict(example.facts))
        theirs = features(BreachFacts.from_dict(result.closest.facts))
        assert similarity(mine, theirs) == similarity(mine, mine), result.closest.case
        assert result.closest.outcome() is example.outcome()


# The tracker's complaints (issue 13): what the old rules over-reported.
TRACKER: dict[str, tuple[dict[str, Any], Risk]] = {
    "one e-mail to one wrong recipient, ordinary data": (
        dict(kind="misdirected", recipient="one_person", malicious=False,
             data_categories=["contact"], subjects_count=1, confidentiality_breach=True,
             availability_breach=False, integrity_breach=False), Risk.NONE),
    "two parcels swapped between two customers and recalled": (
        dict(kind="misdirected", recipient="one_person", recalled=True, malicious=False,
             data_categories=["contact"], subjects_count=2), Risk.NONE),
    "an insider who took only business contact data": (
        dict(kind="other", insider=True, malicious=True, exfiltration_confirmed=True,
             data_categories=["contact"], subjects_count=300), Risk.RISK),
    "a short outage restored within minutes, no backup named": (
        dict(kind="other", confidentiality_breach=False, integrity_breach=False,
             availability_breach=True, unavailable_minutes=12,
             data_categories=["learning_results"], subjects_count=400), Risk.NONE),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TRACKER))
def test_no_over_reporting(name: str) -> None:
    facts, expected = TRACKER[name]
    result = assess(BreachFacts.from_dict(facts), language="nl")
    assert result.risk is expected, result.reasons


def test_the_same_outage_for_a_day_and_a_half_with_care_data_is_high_risk() -> None:
    facts = dict(TRACKER["a short outage restored within minutes, no backup named"][0])
    facts.update(unavailable_minutes=36 * 60, data_categories=["care"])
    result = assess(BreachFacts.from_dict(facts))
    assert result.risk is Risk.HIGH
    assert result.closest is not None and result.closest.case in ("3", "B.viii")
