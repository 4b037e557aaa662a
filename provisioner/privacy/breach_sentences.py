"""The sentences of the breach assessment, each naming its source (English message ids;
the Dutch is in the catalogues, :mod:`provisioner.i18n`).

Keys are the ``rule`` names of :mod:`provisioner.privacy.breach_risk` factors, the outcome
lines, and the assumptions made for unknown facts. Sources: GDPR (AVG) Art. 33 and 34;
EDPB Guidelines 01/2021 on examples regarding personal data breach notification (v2.0);
WP29 Guidelines on personal data breach notification, WP250 rev.01; the Autoriteit
Persoonsgegevens' page "Datalek: wel of niet melden".
"""

from __future__ import annotations

from provisioner.i18n import N_

#: rule -> the sentence (its English message id; the catalogues hold the Dutch)
SENTENCES: dict[str, str] = {
    # -- severity: the data and the people ------------------------------------------------
    "data_unknown": N_(
        "The kinds of data are unknown: counted as more than names and contact details."
    ),
    "data_ordinary": N_(
        "Only names and contact details: low severity (EDPB 01/2021 cases 8 and 13)."
    ),
    "data_personal": N_(
        "The data ({what}) say more about people than how to reach them: medium severity (WP250 "
        "§IV.B, nature and sensitivity of the data)."
    ),
    "data_sensitive": N_(
        "The data include {what}: special categories, BSN, credentials, financial or identity "
        "data can cause discrimination, identity fraud or financial loss: high severity (GDPR "
        "Art. 9, Recital 85; EDPB 01/2021 cases 7, 12, 14 and 18)."
    ),
    "large_scale": N_(
        "Large scale ({count} people or records): the more people, the greater the impact (WP250 "
        "§IV.B, number of individuals; Annex B example x; EDPB 01/2021 case 14)."
    ),
    "children_scale": N_(
        "The data are of {count} children (at least {many}): vulnerable people at scale (GDPR "
        "Recitals 38 and 75; WP250 §IV.B, special characteristics of the individual)."
    ),
    "children": N_(
        "The people concerned are children, who merit specific protection; it weighs in, but "
        "below {many} children it does not raise the severity by itself (GDPR Recital 38)."
    ),
    "hard_to_identify": N_(
        "The people are not easy to identify from these data: lower severity (WP250 §IV.B, ease "
        "of identification)."
    ),
    "unavailable_unknown_data": N_(
        "The kinds of data are unknown: their unavailability counted as medium severity."
    ),
    "unavailable_care": N_(
        "Unavailable {what} can hold up the care or support people need: high severity (EDPB "
        "01/2021 case 3; WP250 Annex B example viii)."
    ),
    "unavailable_ordinary": N_(
        "Nobody's care or safety depends on these data being at hand: low severity of their "
        "unavailability (EDPB 01/2021 cases 1 and 2)."
    ),
    # -- likelihood: who can read the data ------------------------------------------------
    "encrypted": N_(
        "The data were encrypted (or hashed) and the key stayed safe, so nobody else can read "
        "them (GDPR Art. 34(3)(a); EDPB 01/2021 cases 1, 6 and 10; AP, 'Vooraf getroffen "
        "maatregelen')."
    ),
    "public": N_(
        "The data were published, where anyone can read and copy them (WP250 Annex B example vi)."
    ),
    "taken_offline": N_("They were taken offline again, but copies may exist."),
    "accessed_not_taken": N_(
        "Someone reached the systems on purpose, but it is established that no data were taken "
        "(EDPB 01/2021 cases 1 and 2)."
    ),
    "malicious": N_(
        "Someone took or reached the data on purpose (theft, hacking) and may use them (EDPB "
        "01/2021 cases 4, 5, 7, 11, 17 and 18)."
    ),
    "insider_malicious": N_(
        "A (former) staff member took the data on purpose (EDPB 01/2021 case 8)."
    ),
    "trusted_party": N_(
        "The data reached a known, trusted recipient who can be asked to delete them (EDPB "
        "01/2021 case 9; AP, 'De onjuiste ontvanger is betrouwbaar')."
    ),
    "one_person": N_(
        "The data reached one wrong person, without malice (EDPB 01/2021 case 13; WP250 Annex B "
        "example v)."
    ),
    "several": N_(
        "The data reached several wrong people, without malice (EDPB 01/2021 cases 14 and 16; "
        "WP250 Annex B example ix)."
    ),
    "insider_mistake": N_(
        "A colleague, bound to confidentiality, saw data not meant for them, without malice."
    ),
    "lost": N_(
        "The data carrier is lost: whoever finds it can read what is not encrypted (WP250 §I.2; "
        "AP: a lost usb stick is a breach)."
    ),
    "unknown_recipient": N_("Who could read the data is unknown: counted as a wrong recipient."),
    "contained_trusted": N_(
        "The trusted recipient deleted or returned the data and confirmed it: unlikely to result "
        "in a risk (GDPR Art. 33(1); EDPB 01/2021 case 9)."
    ),
    "contained_sensitive": N_(
        "The recipient deleted or returned the data, which lowers the likelihood, but for "
        "sensitive data EDPB case 9 does not apply in full: still a risk to report."
    ),
    "contained": N_(
        "The data were recalled or deleted and that was confirmed (GDPR Art. 34(3)(b); EDPB "
        "01/2021 case 13)."
    ),
    # -- integrity and availability -------------------------------------------------------
    "integrity_restored": N_("Changed data were restored quickly (EDPB 01/2021 case 1)."),
    "integrity": N_(
        "Personal data may have been changed and were not (yet) restored (WP250 §I.2)."
    ),
    "restored_quickly": N_(
        "The data were available again within {duration}: no lasting effect (WP250 Annex B "
        "example iii; EDPB 01/2021 case 1)."
    ),
    "restored_same_day": N_(
        "The data were unavailable for {duration} before they were restored (WP250 §I.2)."
    ),
    "restored_late": N_(
        "The data were unavailable for {duration}, longer than a day (EDPB 01/2021 case 3; WP250 "
        "Annex B example viii)."
    ),
    "restored": N_("The data were restored quickly: no lasting effect (EDPB 01/2021 case 1)."),
    "backup_restore_pending": N_("There is a backup; how long restoring takes is not known yet."),
    "restored_late_backup": N_(
        "There is a backup, but restoring takes long (EDPB 01/2021 case 3)."
    ),
    "no_backup": N_(
        "There is no backup: the data may be lost for good (EDPB 01/2021 case 2; WP250 Annex B "
        "example iv; AP, 'Vooraf getroffen maatregelen', condition 2)."
    ),
    "not_known_restored": N_("Whether the data can be restored is not known yet."),
    # -- the outcome ----------------------------------------------------------------------
    "not_a_breach": N_(
        "No confidentiality, integrity or availability of personal data was affected, so this is "
        "not a personal data breach; it is documented anyway (GDPR Art. 4(12), Art. 33(5))."
    ),
    "dimension": N_(
        "{dimension}: likelihood {likelihood} of 4, severity {severity} of 4: {level}."
    ),
    "closest": N_(
        'Closest published example: {source} {case}, "{title}" ({paragraph}): {outcome}.'
    ),
    "public_communication": N_(
        "With {count} people concerned, a public communication may replace telling each one if "
        "that would take disproportionate effort (GDPR Art. 34(3)(c))."
    ),
    "outcome_none": N_(
        "Outcome: document the breach in the register only; no notification (GDPR Art. 33(5))."
    ),
    "outcome_risk": N_(
        "Outcome: notify the Autoriteit Persoonsgegevens within 72 hours of awareness; the "
        "people concerned need not be told (GDPR Art. 33(1), Art. 34(1))."
    ),
    "outcome_high": N_(
        "Outcome: notify the Autoriteit Persoonsgegevens within 72 hours of awareness and tell "
        "the people concerned without undue delay (GDPR Art. 33(1), Art. 34(1))."
    ),
}

#: How an outcome reads, in the "dimension" and "closest" sentences.
LEVELS: dict[str, str] = {
    "none": N_("document only"),
    "risk": N_("notify the AP"),
    "high risk": N_("notify the AP and the people concerned"),
    "open": N_("left open by the source"),
}
DIMENSIONS: dict[str, str] = {
    "confidentiality": N_("Confidentiality"),
    "integrity": N_("Integrity"),
    "availability": N_("Availability"),
}
#: How a factor's contribution reads after its sentence.
AXES: dict[str, str] = {
    "likelihood": N_("likelihood"),
    "severity": N_("severity"),
}

#: unknown fact -> what the assessment assumed.
ASSUMPTIONS: dict[str, str] = {
    "confidentiality_breach": N_("Unknown whether others could see the data: assumed they could."),
    "availability_breach": N_(
        "Unknown whether the data are still available (a copy or backup): for this kind of "
        "breach assumed they are not."
    ),
    "availability_kept": N_(
        "Unknown whether the data are still available: assumed the school still has them (a copy "
        "or backup); say so if not."
    ),
    "integrity_breach": N_("Unknown whether data were changed: assumed they were not."),
    "encrypted": N_("Unknown whether the data were encrypted: assumed they were not."),
    "key_compromised": N_("Unknown whether the key stayed safe: assumed it did not."),
    "backup_available": N_(
        "Unknown whether there is a backup: assumed the data are not restored yet."
    ),
    "recovered_quickly": N_("Unknown how fast the backup is restored: assumed within a day."),
    "recipient": N_(
        "Unknown who received the data: counted as a wrong recipient, not as the public."
    ),
    "deletion_confirmed": N_(
        "Unknown whether the recipient deleted or returned the data: assumed not."
    ),
    "special_categories": N_(
        "Unknown whether special categories (health, care) were involved: assumed not; the FG "
        "checks this."
    ),
    "national_id_number": N_(
        "Unknown whether citizen service numbers (BSN) were involved: assumed not; the FG checks "
        "this."
    ),
    "malicious": N_(
        "Unknown whether this was malicious: counted as a mistake; if it was deliberate the "
        "outcome may go up."
    ),
    "exfiltration_confirmed": N_(
        "Unknown whether data were taken: with malice, assumed they were."
    ),
    "published_online": N_("Unknown whether the data were published online: assumed not (yet)."),
    "subjects_count": N_(
        "The number of people is unknown: assumed fewer than 1000 (not large scale)."
    ),
    "subjects_are_children": N_(
        "Unknown whether the people are children: not counted; the FG checks this."
    ),
    "data_categories": N_("The kinds of data are unknown: assumed more than names and addresses."),
    "discovered_at": N_(
        "The time of discovery is unknown: the deadlines count from the report; the real ones "
        "may be earlier."
    ),
    "aware_at": N_(
        "The time of awareness is unknown: taken to be the time of discovery (the school is "
        "aware once a staff member is)."
    ),
}

#: The EDPB Guidelines 01/2021 cases each rule cites (the same numbers as in its sentence).
EDPB_CASES: dict[str, tuple[int, ...]] = {
    "data_ordinary": (8, 13),
    "data_sensitive": (7, 12, 14, 18),
    "large_scale": (14,),
    "unavailable_care": (3,),
    "unavailable_ordinary": (1, 2),
    "encrypted": (1, 6, 10),
    "accessed_not_taken": (1, 2),
    "malicious": (4, 5, 7, 11, 17, 18),
    "insider_malicious": (8,),
    "trusted_party": (9,),
    "one_person": (13,),
    "several": (14, 16),
    "contained_trusted": (9,),
    "contained": (13,),
    "integrity_restored": (1,),
    "restored_quickly": (1,),
    "restored_late": (3,),
    "restored": (1,),
    "restored_late_backup": (3,),
    "no_backup": (2,),
}
