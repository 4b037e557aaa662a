"""The breach assessment against the EDPB's eighteen worked examples (Guidelines 01/2021,
version 2.0) and the school cases of the intake, plus the deadlines across summer time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from provisioner.privacy.breach import (
    AMSTERDAM,
    BreachFacts,
    FactsError,
    Risk,
    assess,
    deadlines_for,
)

# The facts of each EDPB case as our fields put them, and the EDPB's own outcome:
# (case, facts, notify the supervisor, tell the people concerned).
EDPB_CASES: list[tuple[int, dict[str, Any], bool, bool]] = [
    # 1: ransomware, data encrypted at rest with a safe key, backup restored within hours.
    (1, dict(confidentiality_breach=True, integrity_breach=True, availability_breach=True,
             encrypted=True, key_compromised=False, backup_available=True,
             recovered_quickly=True, malicious=True, exfiltration_confirmed=False,
             data_categories=["contact"], special_categories=False, national_id_number=False,
             subjects_count=40, subjects_are_children=False), False, False),
    # 2: ransomware without a proper backup; no exfiltration, so no confidentiality breach.
    (2, dict(confidentiality_breach=False, integrity_breach=True, availability_breach=True,
             backup_available=False, recovered_quickly=False, malicious=True,
             exfiltration_confirmed=False, data_categories=["contact"],
             special_categories=False, national_id_number=False, subjects_count=40,
             subjects_are_children=False), True, False),
    # 3: ransomware in a hospital: backup, no exfiltration, but restoring took days.
    (3, dict(confidentiality_breach=False, integrity_breach=True, availability_breach=True,
             backup_available=True, recovered_quickly=False, malicious=True,
             exfiltration_confirmed=False, data_categories=["medical", "contact"],
             special_categories=True, national_id_number=False, subjects_count=1800,
             subjects_are_children=False), True, True),
    # 4: ransomware without backup and with exfiltration.
    (4, dict(confidentiality_breach=True, integrity_breach=True, availability_breach=True,
             encrypted=False, backup_available=False, malicious=True,
             exfiltration_confirmed=True, data_categories=["contact", "identity"],
             special_categories=False, national_id_number=False, subjects_count=2000,
             subjects_are_children=False), True, True),
    # 5: job application data exfiltrated from a website.
    (5, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
             encrypted=False, malicious=True, exfiltration_confirmed=True,
             data_categories=["contact", "identity"], special_categories=False,
             national_id_number=False, subjects_count=213, subjects_are_children=False),
     True, True),
    # 6: salted, state-of-the-art password hashes exfiltrated, nothing else.
    (6, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
             encrypted=True, key_compromised=False, malicious=True,
             exfiltration_confirmed=True, data_categories=["credentials"],
             special_categories=False, national_id_number=False, subjects_count=1200,
             subjects_are_children=False), False, False),
    # 7: credential stuffing on a banking website.
    (7, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
             encrypted=False, malicious=True, exfiltration_confirmed=True,
             data_categories=["credentials", "financial", "contact"],
             special_categories=False, national_id_number=False, subjects_count=2000,
             subjects_are_children=False), True, True),
    # 8: an employee copies customer contact data and uses it later.
    (8, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
             encrypted=False, malicious=True, exfiltration_confirmed=True,
             data_categories=["contact"], special_categories=False,
             national_id_number=False, subjects_count=60, subjects_are_children=False),
     True, False),
    # 9: customer data e-mailed by mistake to a trusted third party, who deleted it.
    (9, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
             encrypted=False, recipient_trusted=True, deletion_confirmed=True,
             malicious=False, published_online=False, data_categories=["contact"],
             special_categories=False, national_id_number=False, subjects_count=300,
             subjects_are_children=False), False, False),
    # 10: a stolen laptop with fully encrypted data, key safe, backup available.
    (10, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=True,
              encrypted=True, key_compromised=False, backup_available=True,
              recovered_quickly=True, malicious=True, data_categories=["contact"],
              special_categories=False, national_id_number=False, subjects_count=200,
              subjects_are_children=False), False, False),
    # 11: stolen tablets with unencrypted data.
    (11, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=True,
              encrypted=False, backup_available=True, recovered_quickly=True, malicious=True,
              data_categories=["contact", "identity"], special_categories=False,
              national_id_number=False, subjects_count=100, subjects_are_children=False),
     True, True),
    # 12: stolen paper log book of a rehabilitation centre (health data).
    (12, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=True,
              encrypted=False, backup_available=False, malicious=True,
              data_categories=["medical", "contact"], special_categories=True,
              national_id_number=False, subjects_count=50, subjects_are_children=False),
     True, True),
    # 13: two orders sent to the wrong customers (names, addresses, items).
    (13, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
              encrypted=False, malicious=False, published_online=False,
              data_categories=["contact"], special_categories=False,
              national_id_number=False, subjects_count=2, subjects_are_children=False),
     False, False),
    # 14: a file with 60,000 job seekers' social security numbers e-mailed by mistake.
    (14, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
              encrypted=False, malicious=False, published_online=False,
              data_categories=["contact", "national_id"], special_categories=False,
              national_id_number=True, subjects_count=60000, subjects_are_children=False),
     True, True),
    # 15: a list of 15 course participants e-mailed to former participants by mistake.
    (15, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
              encrypted=False, malicious=False, published_online=False,
              data_categories=["contact"], special_categories=False,
              national_id_number=False, subjects_count=15, subjects_are_children=False),
     False, False),
    # 16: insurance letters sent to the wrong addresses.
    (16, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
              encrypted=False, malicious=False, published_online=False,
              data_categories=["contact", "other"], special_categories=False,
              national_id_number=False, subjects_count=80, subjects_are_children=False),
     True, False),
    # 17: identity theft through a call centre.
    (17, dict(confidentiality_breach=True, integrity_breach=True, availability_breach=False,
              encrypted=False, malicious=True, exfiltration_confirmed=True,
              data_categories=["contact", "identity"], special_categories=False,
              national_id_number=False, subjects_count=1, subjects_are_children=False),
     True, True),
    # 18: a mailbox taken over; invoices with bank details exfiltrated.
    (18, dict(confidentiality_breach=True, integrity_breach=False, availability_breach=False,
              encrypted=False, malicious=True, exfiltration_confirmed=True,
              data_categories=["contact", "financial"], special_categories=False,
              national_id_number=False, subjects_count=300, subjects_are_children=False),
     True, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "facts", "authority", "subjects"), EDPB_CASES, ids=[f"edpb-{c[0]}" for c in EDPB_CASES]
)
def test_edpb_examples(case: int, facts: dict[str, Any], authority: bool, subjects: bool) -> None:
    result = assess(BreachFacts.from_dict(facts))
    assert (result.notify_authority, result.notify_subjects) == (authority, subjects)
    assert result.risk is (Risk.HIGH if subjects else Risk.RISK if authority else Risk.NONE)
    assert case in result.examples, f"case {case} not cited: {result.reasons}"
    assert any(f"{case}" in reason for reason in result.reasons)


def test_all_eighteen_cases_are_in_the_table() -> None:
    assert sorted(case for case, *_ in EDPB_CASES) == list(range(1, 19))


# School cases from the intake: (facts, authority, subjects).
SCHOOL: dict[str, tuple[dict[str, Any], bool, bool]] = {
    "usb stick with grade lists, lost, not encrypted": (
        dict(kind="lost_device", data_categories=["learning_results", "contact"],
             subjects_count=28, subjects_are_children=True, encrypted=False,
             malicious=False, special_categories=False, national_id_number=False),
        True, False),
    "usb stick, encrypted, key safe, backup on the server": (
        dict(kind="lost_device", data_categories=["learning_results"], subjects_count=28,
             subjects_are_children=True, encrypted=True, key_compromised=False,
             backup_available=True, recovered_quickly=True),
        False, False),
    "grade list to the wrong parent, who deleted it": (
        dict(kind="misdirected", data_categories=["learning_results", "contact"],
             subjects_count=27, subjects_are_children=True, confidentiality_breach=True,
             availability_breach=False, integrity_breach=False, recipient_trusted=True,
             deletion_confirmed=True, malicious=False, published_online=False,
             special_categories=False, national_id_number=False),
        False, False),
    "grade list to the wrong parent, deletion not confirmed": (
        dict(kind="misdirected", data_categories=["learning_results"], subjects_count=27,
             subjects_are_children=True, confidentiality_breach=True,
             availability_breach=False, integrity_breach=False, recipient_trusted=True,
             deletion_confirmed=None, malicious=False),
        True, False),
    "care file sent to the wrong parent, deleted: still reported": (
        dict(kind="misdirected", data_categories=["care"], subjects_count=1,
             subjects_are_children=True, confidentiality_breach=True,
             availability_breach=False, integrity_breach=False, recipient_trusted=True,
             deletion_confirmed=True, malicious=False, published_online=False),
        True, False),
    "stolen laptop with the pupil care files": (
        dict(kind="stolen_device", data_categories=["care"], subjects_count=30,
             subjects_are_children=True, encrypted=False, malicious=True),
        True, True),
    "the whole school's pupil list left on a train": (
        dict(kind="lost_device", data_categories=["contact", "learning_results"],
             subjects_count=420, subjects_are_children=True, encrypted=False,
             malicious=False, special_categories=False, national_id_number=False),
        True, True),
    "class photos posted on a public page by mistake": (
        dict(kind="misdirected", data_categories=["photos"], subjects_count=25,
             subjects_are_children=True, published_online=True, malicious=False),
        True, True),
    "nothing known at all": (dict(narrative="er is iets misgegaan"), True, False),
}  # fmt: skip


@pytest.mark.parametrize("name", list(SCHOOL))
def test_school_cases(name: str) -> None:
    facts, authority, subjects = SCHOOL[name]
    result = assess(BreachFacts.from_dict(facts), language="nl")
    assert (result.notify_authority, result.notify_subjects) == (authority, subjects)


def test_unknown_facts_are_assumed_cautiously_and_said() -> None:
    result = assess(BreachFacts(narrative="usb-stick kwijt"), language="en")
    assert result.notify_authority is True
    assert result.notify_subjects is False  # unknown aggravating facts alone: not "likely high"
    text = " ".join(result.assumptions)
    for phrase in ("encrypted", "backup", "special categories", "malicious", "number of people"):
        assert phrase in text
    # Knowing the facts removes the assumptions about them.
    known = assess(
        BreachFacts(encrypted=True, key_compromised=False, availability_breach=False),
        language="en",
    )
    assert not any("encrypted" in a for a in known.assumptions)
    assert known.notify_authority is False


def test_reasons_in_dutch_and_english_name_the_rules() -> None:
    facts = BreachFacts(
        confidentiality_breach=True,
        encrypted=True,
        key_compromised=False,
        availability_breach=False,
    )
    en = assess(facts, language="en")
    nl = assess(facts, language="nl")
    assert en.rules == nl.rules
    assert any("Art. 34(3)(a)" in r and "case" in r for r in en.reasons)
    assert any("art. 34 lid 3 onder a" in r and "voorbeeld" in r for r in nl.reasons)
    assert en.reasons != nl.reasons


def test_special_categories_bsn_and_children_raise_the_risk() -> None:
    base = dict(
        confidentiality_breach=True,
        availability_breach=False,
        encrypted=False,
        malicious=False,
        data_categories=["contact"],
        subjects_count=40,
        subjects_are_children=False,
        special_categories=False,
        national_id_number=False,
    )
    assert assess(BreachFacts.from_dict(base)).risk is Risk.RISK
    for change in (
        {"special_categories": True},
        {"national_id_number": True},
        {"data_categories": ["credentials"]},
        {"subjects_are_children": True, "subjects_count": 150},
        {"published_online": True},
        {"malicious": True, "data_categories": ["learning_results"]},
    ):
        assert assess(BreachFacts.from_dict({**base, **change})).risk is Risk.HIGH, change


def test_facts_file_errors() -> None:
    with pytest.raises(FactsError, match="unknown field"):
        BreachFacts.from_dict({"encrypte": True})
    with pytest.raises(FactsError, match="encrypted"):
        BreachFacts.from_dict({"encrypted": "yes"})
    with pytest.raises(FactsError, match="subjects_count"):
        BreachFacts.from_dict({"subjects_count": True})
    with pytest.raises(FactsError, match="discovered_at"):
        BreachFacts.from_dict({"discovered_at": "yesterday"})


def test_facts_round_trip() -> None:
    facts = BreachFacts.from_dict(
        {
            "narrative": "x",
            "data_categories": ["care", "care", "Contact"],
            "subjects_count": 3,
            "discovered_at": "2026-03-01T10:00:00",
            "encrypted": None,
        }
    )
    assert facts.data_categories == ("care", "contact")
    assert facts.discovered_at == datetime(2026, 3, 1, 10, tzinfo=AMSTERDAM)
    assert BreachFacts.from_dict(facts.to_dict()) == facts


# -- deadlines ------------------------------------------------------------------------------


def test_deadlines_24_and_72_hours() -> None:
    discovered = datetime(2026, 3, 2, 8, 15, tzinfo=AMSTERDAM)
    aware = datetime(2026, 3, 2, 11, 0, tzinfo=AMSTERDAM)
    result = assess(BreachFacts(discovered_at=discovered, aware_at=aware))
    officer = result.deadline("privacy_officer")
    authority = result.deadline("authority")
    assert officer is not None and authority is not None
    assert officer.due_at == datetime(2026, 3, 3, 8, 15, tzinfo=AMSTERDAM)
    assert authority.due_at == datetime(2026, 3, 5, 11, 0, tzinfo=AMSTERDAM)
    assert authority.applies is True


def test_authority_deadline_does_not_apply_without_risk() -> None:
    result = assess(
        BreachFacts(
            discovered_at=datetime(2026, 3, 2, 8, tzinfo=AMSTERDAM),
            encrypted=True,
            key_compromised=False,
            availability_breach=False,
        )
    )
    authority = result.deadline("authority")
    assert authority is not None and authority.applies is False


@pytest.mark.parametrize(
    ("start", "officer_wall", "authority_wall"),
    [
        # Summer time ends on Sunday 25 October 2026 at 03:00 (back to 02:00): an hour more.
        (datetime(2026, 10, 24, 10, 0), datetime(2026, 10, 25, 9, 0), datetime(2026, 10, 27, 9, 0)),
        # Summer time starts on Sunday 29 March 2026 at 02:00 (on to 03:00): an hour less.
        (datetime(2026, 3, 28, 10, 0), datetime(2026, 3, 29, 11, 0), datetime(2026, 3, 31, 11, 0)),
        # No change in between.
        (datetime(2026, 6, 1, 10, 0), datetime(2026, 6, 2, 10, 0), datetime(2026, 6, 4, 10, 0)),
    ],
)
def test_deadlines_are_elapsed_hours_across_summer_time(
    start: datetime, officer_wall: datetime, authority_wall: datetime
) -> None:
    local = start.replace(tzinfo=AMSTERDAM)
    officer, authority = deadlines_for(local)
    assert officer.replace(tzinfo=None) == officer_wall
    assert authority.replace(tzinfo=None) == authority_wall
    assert officer.astimezone(UTC) - local.astimezone(UTC) == timedelta(hours=24)
    assert authority.astimezone(UTC) - local.astimezone(UTC) == timedelta(hours=72)


def test_unknown_discovery_counts_from_the_report_and_says_so() -> None:
    reported = datetime(2026, 5, 4, 9, 30, tzinfo=AMSTERDAM)
    result = assess(BreachFacts(), reported_at=reported, language="en")
    officer = result.deadline("privacy_officer")
    assert officer is not None and officer.due_at == reported + timedelta(hours=24)
    assert any("time of discovery is unknown" in a for a in result.assumptions)
    assert assess(BreachFacts()).deadlines == ()


def test_to_dict_is_json_ready() -> None:
    import json

    result = assess(
        BreachFacts(discovered_at=datetime(2026, 1, 5, 9, tzinfo=AMSTERDAM)), language="nl"
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["notify_authority"] is True
    assert data["deadlines"]["authority"]["due_at"].startswith("2026-01-08T09:00")
    assert data["assumptions"]
