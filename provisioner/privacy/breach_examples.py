"""Published breach examples with their published outcome, and the one a breach resembles.

Three sources: EDPB Guidelines 01/2021 on examples regarding personal data breach
notification (version 2.0, adopted 14 December 2021), cases 1-18; WP29 Guidelines on
personal data breach notification under Regulation 2016/679, WP250 rev.01 (6 February
2018), Annex B, "Examples of personal data breaches and who to notify"; and the Autoriteit
Persoonsgegevens' page "Datalek: wel of niet melden" (meldplicht datalekken).

``authority`` and ``subjects`` are the source's own answer: ``True``/``False``, or ``None``
where the source leaves it open ("depending on ...") or where its text could not be checked
(the ``note`` says which). The facts are the example as our fields put it. The assessment
never reads the published outcome to decide: :func:`closest_example` only names the example
a breach resembles, so the privacy officer (FG) can read the source's reasoning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.privacy.breach_facts import BreachFacts
from provisioner.privacy.breach_risk import Risk, data_level

EDPB = "EDPB 01/2021"
WP250 = "WP250 rev.01"
AP = "AP"


@dataclass(frozen=True)
class PublishedExample:
    source: str
    case: str
    title: str
    paragraph: str
    facts: Mapping[str, Any]
    authority: bool | None
    subjects: bool | None
    note: str = ""

    def outcome(self) -> Risk | None:
        """The published outcome, or ``None`` when the source leaves part of it open."""
        if self.authority is None or self.subjects is None:
            return None
        if self.subjects:
            return Risk.HIGH
        return Risk.RISK if self.authority else Risk.NONE

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "case": self.case,
            "title": self.title,
            "paragraph": self.paragraph,
            "notify_authority": self.authority,
            "notify_subjects": self.subjects,
            "note": self.note,
        }


def _ex(
    source: str,
    case: str,
    title: str,
    paragraph: str,
    authority: bool | None,
    subjects: bool | None,
    note: str = "",
    **facts: Any,
) -> PublishedExample:
    return PublishedExample(source, case, title, paragraph, facts, authority, subjects, note)


_NO_LEAK: dict[str, Any] = dict(confidentiality_breach=False)
_ADULTS: dict[str, Any] = dict(subjects_are_children=False)

EXAMPLES: tuple[PublishedExample, ...] = (
    # -- EDPB Guidelines 01/2021, version 2.0 -------------------------------------------------
    _ex(EDPB, "1", "Ransomware with proper backup and without exfiltration",
        "§2.1, Case No. 01", False, False, kind="ransomware", **_NO_LEAK,
        integrity_breach=True, availability_breach=True, backup_available=True,
        recovered_quickly=True, malicious=True, exfiltration_confirmed=False,
        data_categories=["contact"], subjects_count=40, **_ADULTS),
    _ex(EDPB, "2", "Ransomware without proper backup", "§2.2, Case No. 02", True, False,
        kind="ransomware", **_NO_LEAK, integrity_breach=True, availability_breach=True,
        backup_available=False, malicious=True, exfiltration_confirmed=False,
        data_categories=["contact"], subjects_count=40, **_ADULTS),
    _ex(EDPB, "3", "Ransomware with backup and without exfiltration in a hospital",
        "§2.3, Case No. 03", True, True, kind="ransomware", **_NO_LEAK, integrity_breach=True,
        availability_breach=True, backup_available=True, unavailable_minutes=2 * 24 * 60,
        malicious=True, exfiltration_confirmed=False, data_categories=["medical", "contact"],
        subjects_count=1800, **_ADULTS),
    _ex(EDPB, "4", "Ransomware without backup and with exfiltration", "§2.4, Case No. 04",
        True, True, kind="ransomware", confidentiality_breach=True, integrity_breach=True,
        availability_breach=True, encrypted=False, backup_available=False, malicious=True,
        exfiltration_confirmed=True, data_categories=["contact", "identity"],
        subjects_count=2000, **_ADULTS),
    _ex(EDPB, "5", "Exfiltration of job application data from a website", "§3.1, Case No. 05",
        True, True, kind="hacking", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=False, malicious=True,
        exfiltration_confirmed=True, data_categories=["contact", "identity", "other"],
        subjects_count=213, **_ADULTS),
    _ex(EDPB, "6", "Exfiltration of hashed password from a website", "§3.2, Case No. 06",
        False, False, kind="hacking", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=True, key_compromised=False, malicious=True,
        exfiltration_confirmed=True, data_categories=["credentials"], subjects_count=1200,
        **_ADULTS),
    _ex(EDPB, "7", "Credential stuffing attack on a banking website", "§3.3, Case No. 07",
        True, True, kind="hacking", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=False, malicious=True,
        exfiltration_confirmed=True, data_categories=["credentials", "financial", "contact"],
        subjects_count=2000, **_ADULTS),
    _ex(EDPB, "8", "Exfiltration of business data by an employee", "§4.1, Case No. 08",
        True, False, kind="other", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=False, malicious=True, insider=True,
        exfiltration_confirmed=True, data_categories=["contact"], subjects_count=60,
        **_ADULTS),
    _ex(EDPB, "9", "Accidental transmission of data to a trusted third party",
        "§4.2, Case No. 09", False, False, kind="misdirected", confidentiality_breach=True,
        integrity_breach=False, availability_breach=False, encrypted=False,
        recipient="trusted_party", deletion_confirmed=True, malicious=False,
        published_online=False, data_categories=["contact"], subjects_count=300, **_ADULTS),
    _ex(EDPB, "10", "Stolen material storing encrypted personal data", "§5.1, Case No. 10",
        False, False, kind="stolen_device", confidentiality_breach=True,
        integrity_breach=False, availability_breach=True, encrypted=True,
        key_compromised=False, backup_available=True, recovered_quickly=True, malicious=True,
        data_categories=["contact"], subjects_count=200, **_ADULTS),
    _ex(EDPB, "11", "Stolen material storing non-encrypted personal data",
        "§5.2, Case No. 11", True, True, kind="stolen_device", confidentiality_breach=True,
        integrity_breach=False, availability_breach=True, encrypted=False,
        backup_available=True, recovered_quickly=True, malicious=True,
        data_categories=["contact", "identity"], subjects_count=100_000, **_ADULTS),
    _ex(EDPB, "12", "Stolen paper files with sensitive data", "§5.3, Case No. 12", True, True,
        kind="paper", confidentiality_breach=True, integrity_breach=False,
        availability_breach=True, encrypted=False, backup_available=False, malicious=True,
        data_categories=["medical", "contact"], special_categories=True, subjects_count=50,
        **_ADULTS),
    _ex(EDPB, "13", "Postal mail mistake (two orders swapped)", "§6.1, Case No. 13",
        False, False, kind="misdirected", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=False, recipient="one_person", recalled=True,
        malicious=False, published_online=False, data_categories=["contact"],
        subjects_count=2, **_ADULTS),
    _ex(EDPB, "14", "Highly confidential personal data sent by mail by mistake",
        "§6.2, Case No. 14", True, True, kind="misdirected", confidentiality_breach=True,
        integrity_breach=False, availability_breach=False, encrypted=False,
        recipient="several", malicious=False, published_online=False,
        data_categories=["contact", "national_id"], national_id_number=True,
        subjects_count=60_000, **_ADULTS),
    _ex(EDPB, "15", "Personal data sent by mail by mistake (a course's participant list)",
        "§6.3, Case No. 15", None, None,
        "outcome not asserted: the text of v2.0 could not be checked here", kind="misdirected",
        confidentiality_breach=True, integrity_breach=False, availability_breach=False,
        encrypted=False, recipient="several", deletion_confirmed=True, malicious=False,
        published_online=False, data_categories=["contact"], subjects_count=15, **_ADULTS),
    _ex(EDPB, "16", "Postal mail mistake (insurance letters to the wrong addresses)",
        "§6.4, Case No. 16", True, False, kind="misdirected", confidentiality_breach=True,
        integrity_breach=False, availability_breach=False, encrypted=False,
        recipient="several", malicious=False, published_online=False,
        data_categories=["contact", "other"], subjects_count=80, **_ADULTS),
    _ex(EDPB, "17", "Identity theft", "§7.1, Case No. 17", True, True, kind="other",
        confidentiality_breach=True, integrity_breach=True, availability_breach=False,
        encrypted=False, malicious=True, exfiltration_confirmed=True,
        data_categories=["contact", "identity"], subjects_count=1, **_ADULTS),
    _ex(EDPB, "18", "Email exfiltration", "§7.2, Case No. 18", True, True, kind="hacking",
        confidentiality_breach=True, integrity_breach=False, availability_breach=False,
        encrypted=False, malicious=True, exfiltration_confirmed=True,
        data_categories=["contact", "financial"], subjects_count=300, **_ADULTS),
    # -- WP250 rev.01, Annex B ----------------------------------------------------------------
    _ex(WP250, "B.i", "Encrypted backup on a usb key stolen in a break-in", "Annex B, example i",
        False, False, kind="stolen_device", confidentiality_breach=True,
        integrity_breach=False, availability_breach=True, encrypted=True,
        key_compromised=False, backup_available=True, recovered_quickly=True, malicious=True),
    _ex(WP250, "B.ii", "Cyber attack on an online service: personal data exfiltrated",
        "Annex B, example ii", True, None,
        "individuals: depending on the nature of the data and the severity of the consequences",
        kind="hacking", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=False, malicious=True,
        exfiltration_confirmed=True),
    _ex(WP250, "B.iii", "A power outage of several minutes at a call centre",
        "Annex B, example iii", False, False, kind="other", **_NO_LEAK, integrity_breach=False,
        availability_breach=True, unavailable_minutes=10, data_categories=["contact"]),
    _ex(WP250, "B.iv", "Ransomware, no backup, data cannot be restored; nothing taken",
        "Annex B, example iv", True, None,
        "individuals: depending on the nature of the data and the effect of their loss",
        kind="ransomware", **_NO_LEAK, integrity_breach=True, availability_breach=True,
        backup_available=False, malicious=True, exfiltration_confirmed=False),
    _ex(WP250, "B.iv-backup", "The same ransomware, data restored from a backup in good time",
        "Annex B, example iv (notes)", False, False, kind="ransomware", **_NO_LEAK,
        integrity_breach=True, availability_breach=True, backup_available=True,
        recovered_quickly=True, malicious=True, exfiltration_confirmed=False),
    _ex(WP250, "B.v", "A bank customer receives someone else's monthly statement",
        "Annex B, example v", True, None,
        "individuals: only those affected, if there is a high risk", kind="misdirected",
        confidentiality_breach=True, integrity_breach=False, availability_breach=False,
        encrypted=False, recipient="one_person", malicious=False,
        data_categories=["contact", "financial"], subjects_count=1, **_ADULTS),
    _ex(WP250, "B.vi", "Usernames, passwords and purchase history published by an attacker",
        "Annex B, example vi", True, True, kind="hacking", confidentiality_breach=True,
        integrity_breach=False, availability_breach=False, encrypted=False, malicious=True,
        published_online=True, data_categories=["contact", "credentials", "other"]),
    _ex(WP250, "B.vii", "A hosting provider's flaw lets any user reach other users' accounts",
        "Annex B, example vii", True, None, "individuals: only if there is likely a high risk",
        kind="other", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=False, recipient="several", malicious=False,
        data_categories=["contact", "other"]),
    _ex(WP250, "B.viii", "Medical records in a hospital unavailable for 30 hours",
        "Annex B, example viii", True, True, kind="hacking", **_NO_LEAK,
        integrity_breach=False, availability_breach=True, unavailable_minutes=30 * 60,
        malicious=True, exfiltration_confirmed=False, data_categories=["medical"],
        special_categories=True),
    _ex(WP250, "B.ix", "Data of many students sent to a mailing list of 1000+ recipients",
        "Annex B, example ix", True, None,
        "individuals: depending on the scope and type of data and the consequences",
        kind="misdirected", confidentiality_breach=True, integrity_breach=False,
        availability_breach=False, encrypted=False, recipient="several", malicious=False),
    _ex(WP250, "B.x", "A marketing e-mail with every recipient in 'to:' or 'cc:'",
        "Annex B, example x", None, None,
        "AP: 'may be obligatory' with many people, sensitive data or other high-risk factors; "
        "individuals: depending on scope, type of data and consequences", kind="misdirected",
        confidentiality_breach=True, integrity_breach=False, availability_breach=False,
        encrypted=False, recipient="several", malicious=False, data_categories=["contact"]),
    # -- Autoriteit Persoonsgegevens, "Datalek: wel of niet melden" ---------------------------
    _ex(AP, "AP-versleuteld", "A lost laptop, well encrypted, key safe, recent backup",
        "'Wel of niet melden datalek bij AP' > 'Vooraf getroffen maatregelen'", False, False,
        kind="lost_device", confidentiality_breach=True, integrity_breach=False,
        availability_breach=True, encrypted=True, key_compromised=False,
        backup_available=True, recovered_quickly=True, malicious=False),
    _ex(AP, "AP-geen-backup", "Encrypted data lost without a recent backup",
        "'Vooraf getroffen maatregelen', condition 2 (a recent backup)", True, None,
        "the exception needs all three conditions; informing people is a separate question",
        kind="lost_device", confidentiality_breach=True, integrity_breach=False,
        availability_breach=True, encrypted=True, key_compromised=False,
        backup_available=False, malicious=False, data_categories=["contact"]),
    _ex(AP, "AP-betrouwbaar", "Personal data sent to a wrong but trusted recipient",
        "'Wel of niet melden datalek bij AP' > 'De onjuiste ontvanger is betrouwbaar'",
        False, False, kind="misdirected", confidentiality_breach=True,
        integrity_breach=False, availability_breach=False, encrypted=False,
        recipient="trusted_party", deletion_confirmed=True, malicious=False,
        published_online=False, data_categories=["contact"]),
    _ex(AP, "AP-twijfel", "In doubt whether to notify (nothing established yet)",
        "'Wel of niet melden datalek bij AP': 'Twijfelt u ...? ... wél melden'", True, None,
        "the AP's advice for doubt is to notify; informing people follows the risk",
        kind="other"),
)  # fmt: skip


def features(facts: BreachFacts) -> dict[str, Any]:
    """What a breach looks like, coarsely, for comparing it with the published examples."""
    encrypted_safe = facts.encrypted is True and facts.key_compromised is False
    exposure = (
        "encrypted" if encrypted_safe
        else "public" if facts.published_online or facts.recipient == "public"
        else "malicious" if facts.malicious
        else facts.recipient_kind()
    )  # fmt: skip
    minutes = facts.unavailable_minutes
    restored = (
        "quick" if facts.recovered_quickly or (minutes is not None and minutes <= 240)
        else "day" if minutes is not None and minutes <= 24 * 60
        else "long" if minutes is not None or facts.recovered_quickly is False
        else "never" if facts.backup_available is False
        else None
    )  # fmt: skip
    categories = facts.categories()
    return {
        "kind": facts.kind,
        "confidentiality": facts.confidentiality_breach is not False,
        "integrity": facts.integrity_breach is True,
        "availability": facts.availability_breach is True,
        "exposure": exposure,
        "data": data_level(categories) if categories else None,
        "contained": facts.recalled is True or facts.deletion_confirmed is True,
        "restored": restored,
        "insider": facts.insider is True,
        "large": (facts.subjects_count or 0) >= 1000,
        "categories": categories,
    }


_WEIGHTS = {"exposure": 3, "data": 2, "confidentiality": 2, "availability": 2, "kind": 1,
            "integrity": 1, "contained": 1, "restored": 2, "insider": 2,
            "large": 1, "categories": 1}  # fmt: skip


#: Points for an example whose published outcome is the assessed one.
SAME_OUTCOME = 3


def similarity(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
    return sum(w for name, w in _WEIGHTS.items() if a.get(name) == b.get(name))


def closest_example(facts: BreachFacts, outcome: Risk) -> PublishedExample:
    """The published example most like these facts. An example whose published outcome is
    ``outcome`` counts as more alike (``SAME_OUTCOME`` points), so the example shown explains
    the decision rather than contradicts it; among equals the first in :data:`EXAMPLES`."""
    mine = features(facts)

    def score(example: PublishedExample) -> int:
        theirs = features(BreachFacts.from_dict(example.facts))
        return similarity(mine, theirs) + SAME_OUTCOME * (example.outcome() is outcome)

    return max(EXAMPLES, key=score)
