"""The breach assessment on the school cases of the intake, unknown facts, the facts file,
and the deadlines across summer time. The published examples (EDPB 01/2021, WP250 Annex B,
the AP) are in ``test_breach_examples.py``."""

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
    read_facts,
)

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


def test_special_categories_bsn_children_publication_and_malice_raise_the_risk() -> None:
    base = dict(
        confidentiality_breach=True,
        availability_breach=False,
        integrity_breach=False,
        encrypted=False,
        malicious=False,
        recipient="several",
        data_categories=["learning_results"],
        subjects_count=40,
        subjects_are_children=False,
        special_categories=False,
        national_id_number=False,
    )
    assert assess(BreachFacts.from_dict(base)).risk is Risk.RISK
    raising: list[dict[str, Any]] = [
        {"special_categories": True},
        {"national_id_number": True},
        {"data_categories": ["credentials"]},
        {"subjects_are_children": True, "subjects_count": 150},
        {"subjects_count": 5000},
        {"published_online": True},
        {"malicious": True},
    ]
    for change in raising:
        assert assess(BreachFacts.from_dict({**base, **change})).risk is Risk.HIGH, change
    lowering: list[dict[str, Any]] = [
        {"recalled": True},
        {"data_categories": ["contact"]},
        {"identifiable": False},
        {"recipient": "trusted_party", "deletion_confirmed": True},
    ]
    for change in lowering:
        assert assess(BreachFacts.from_dict({**base, **change})).risk is Risk.NONE, change


def test_each_factor_says_its_contribution() -> None:
    facts = BreachFacts(
        confidentiality_breach=True,
        availability_breach=False,
        integrity_breach=False,
        encrypted=False,
        malicious=False,
        recipient="several",
        data_categories=("care",),
        subjects_count=150,
        subjects_are_children=True,
    )
    result = assess(facts, language="en")
    by_factor = {c.factor: c for c in result.contributions}
    assert by_factor["recipient"].axis == "likelihood" and by_factor["recipient"].points == 2
    assert by_factor["data"].axis == "severity" and by_factor["data"].points == 3
    assert by_factor["vulnerable"].points == 1 and not by_factor["vulnerable"].sets
    assert "[severity +1]" in by_factor["vulnerable"].reason
    assert result.dimensions["confidentiality"] == {
        "likelihood": 2, "severity": 4, "risk": "high risk"
    }  # fmt: skip
    nl = assess(facts, language="nl")
    assert [c.rule for c in nl.contributions] == [c.rule for c in result.contributions]
    assert any("[ernst +1]" in r for r in nl.reasons)


def test_facts_file_errors() -> None:
    with pytest.raises(FactsError, match="encrypted"):
        BreachFacts.from_dict({"encrypted": "yes"})
    with pytest.raises(FactsError, match="subjects_count"):
        BreachFacts.from_dict({"subjects_count": True})
    with pytest.raises(FactsError, match="unavailable_minutes"):
        BreachFacts.from_dict({"unavailable_minutes": -5})
    with pytest.raises(FactsError, match="recipient"):
        BreachFacts.from_dict({"recipient": "the neighbours"})
    with pytest.raises(FactsError, match="discovered_at"):
        BreachFacts.from_dict({"discovered_at": "yesterday"})


def test_an_unknown_field_is_kept_in_the_narrative_with_a_warning() -> None:
    facts, warnings = read_facts(
        {"narrative": "map kwijt", "locker_number": 12, "encrypte": True, "encrypted": False}
    )
    assert facts.narrative == "map kwijt\nlocker_number: 12\nencrypte: true"
    assert facts.encrypted is False
    assert [w.split("'")[1] for w in warnings] == ["locker_number", "encrypte"]
    assert read_facts(facts.to_dict()) == (facts, ())  # kept once, not again
    # A correction must name a known field: a typo there is refused.
    with pytest.raises(FactsError, match="unknown field"):
        facts.merged({"encrypte": True})


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
