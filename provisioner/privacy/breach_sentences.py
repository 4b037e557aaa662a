"""The sentences of the breach assessment, in English and Dutch, each naming its source.

Keys are the ``rule`` names of :mod:`provisioner.privacy.breach_risk` factors, the outcome
lines, and the assumptions made for unknown facts. Sources: GDPR (AVG) Art. 33 and 34;
EDPB Guidelines 01/2021 on examples regarding personal data breach notification (v2.0);
WP29 Guidelines on personal data breach notification, WP250 rev.01; the Autoriteit
Persoonsgegevens' page "Datalek: wel of niet melden".
"""

from __future__ import annotations

#: rule -> (English, Dutch)
SENTENCES: dict[str, tuple[str, str]] = {
    # -- severity: the data and the people ------------------------------------------------
    "data_unknown": (
        "The kinds of data are unknown: counted as more than names and contact details.",
        "Welke gegevens het zijn is onbekend: geteld als meer dan namen en contactgegevens.",
    ),
    "data_ordinary": (
        "Only names and contact details: low severity (EDPB 01/2021 cases 8 and 13).",
        "Alleen namen en contactgegevens: lage ernst (EDPB 01/2021 voorbeelden 8 en 13).",
    ),
    "data_personal": (
        "The data ({what}) say more about people than how to reach them: medium severity "
        "(WP250 §IV.B, nature and sensitivity of the data).",
        "De gegevens ({what}) zeggen meer over mensen dan hoe ze te bereiken zijn: middelmatige "
        "ernst (WP250 §IV.B, aard en gevoeligheid van de gegevens).",
    ),
    "data_sensitive": (
        "The data include {what}: special categories, BSN, credentials, financial or identity "
        "data can cause discrimination, identity fraud or financial loss: high severity (GDPR "
        "Art. 9, Recital 85; EDPB 01/2021 cases 7, 12, 14 and 18).",
        "Het gaat om {what}: bijzondere persoonsgegevens, BSN, inloggegevens, financiële of "
        "identiteitsgegevens kunnen leiden tot discriminatie, identiteitsfraude of financiële "
        "schade: hoge ernst (AVG art. 9, overweging 85; EDPB 01/2021 voorbeelden 7, 12, 14 en 18).",
    ),
    "large_scale": (
        "Large scale ({count} people or records): the more people, the greater the impact "
        "(WP250 §IV.B, number of individuals; Annex B example x; EDPB 01/2021 case 14).",
        "Grote omvang ({count} personen of records): hoe meer mensen, hoe groter de gevolgen "
        "(WP250 §IV.B, aantal betrokkenen; bijlage B voorbeeld x; EDPB 01/2021 voorbeeld 14).",
    ),
    "children_scale": (
        "The data are of {count} children (at least {many}): vulnerable people at scale "
        "(GDPR Recitals 38 and 75; WP250 §IV.B, special characteristics of the individual).",
        "Het gaat om {count} kinderen (minstens {many}): kwetsbare betrokkenen op schaal (AVG "
        "overwegingen 38 en 75; WP250 §IV.B, bijzondere kenmerken van de betrokkene).",
    ),
    "children": (
        "The people concerned are children, who merit specific protection; it weighs in, but "
        "below {many} children it does not raise the severity by itself (GDPR Recital 38).",
        "De betrokkenen zijn kinderen, die specifieke bescherming verdienen; dat weegt mee, maar "
        "onder {many} kinderen verhoogt het de ernst niet vanzelf (AVG overweging 38).",
    ),
    "hard_to_identify": (
        "The people are not easy to identify from these data: lower severity (WP250 §IV.B, "
        "ease of identification).",
        "De betrokkenen zijn uit deze gegevens niet makkelijk te herkennen: lagere ernst "
        "(WP250 §IV.B, identificeerbaarheid).",
    ),
    "unavailable_unknown_data": (
        "The kinds of data are unknown: their unavailability counted as medium severity.",
        "Welke gegevens het zijn is onbekend: hun onbeschikbaarheid telt als middelmatige ernst.",
    ),
    "unavailable_care": (
        "Unavailable {what} can hold up the care or support people need: high severity (EDPB "
        "01/2021 case 3; WP250 Annex B example viii).",
        "Onbeschikbare {what} kunnen de zorg of begeleiding die mensen nodig hebben ophouden: "
        "hoge ernst (EDPB 01/2021 voorbeeld 3; WP250 bijlage B voorbeeld viii).",
    ),
    "unavailable_ordinary": (
        "Nobody's care or safety depends on these data being at hand: low severity of their "
        "unavailability (EDPB 01/2021 cases 1 and 2).",
        "Niemands zorg of veiligheid hangt af van deze gegevens: lage ernst van hun "
        "onbeschikbaarheid (EDPB 01/2021 voorbeelden 1 en 2).",
    ),
    # -- likelihood: who can read the data ------------------------------------------------
    "encrypted": (
        "The data were encrypted (or hashed) and the key stayed safe, so nobody else can read "
        "them (GDPR Art. 34(3)(a); EDPB 01/2021 cases 1, 6 and 10; AP, 'Vooraf getroffen "
        "maatregelen').",
        "De gegevens waren versleuteld (of gehasht) en de sleutel is veilig gebleven, dus "
        "niemand anders kan ze lezen (AVG art. 34 lid 3 onder a; EDPB 01/2021 voorbeelden 1, "
        "6 en 10; AP, 'Vooraf getroffen maatregelen').",
    ),
    "public": (
        "The data were published, where anyone can read and copy them (WP250 Annex B example vi).",
        "De gegevens zijn openbaar gemaakt, waar iedereen ze kan lezen en kopiëren (WP250 "
        "bijlage B voorbeeld vi).",
    ),
    "taken_offline": (
        "They were taken offline again, but copies may exist.",
        "Ze zijn weer offline gehaald, maar er kunnen kopieën bestaan.",
    ),
    "accessed_not_taken": (
        "Someone reached the systems on purpose, but it is established that no data were "
        "taken (EDPB 01/2021 cases 1 and 2).",
        "Iemand is met opzet in de systemen gekomen, maar vaststaat dat er geen gegevens zijn "
        "meegenomen (EDPB 01/2021 voorbeelden 1 en 2).",
    ),
    "malicious": (
        "Someone took or reached the data on purpose (theft, hacking) and may use them (EDPB "
        "01/2021 cases 4, 5, 7, 11, 17 and 18).",
        "Iemand heeft de gegevens met opzet genomen of bereikt (diefstal, hacken) en kan ze "
        "gebruiken (EDPB 01/2021 voorbeelden 4, 5, 7, 11, 17 en 18).",
    ),
    "insider_malicious": (
        "A (former) staff member took the data on purpose (EDPB 01/2021 case 8).",
        "Een (voormalig) medewerker heeft de gegevens met opzet meegenomen (EDPB 01/2021 "
        "voorbeeld 8).",
    ),
    "trusted_party": (
        "The data reached a known, trusted recipient who can be asked to delete them (EDPB "
        "01/2021 case 9; AP, 'De onjuiste ontvanger is betrouwbaar').",
        "De gegevens kwamen bij een bekende, betrouwbare ontvanger die gevraagd kan worden ze "
        "te verwijderen (EDPB 01/2021 voorbeeld 9; AP, 'De onjuiste ontvanger is betrouwbaar').",
    ),
    "one_person": (
        "The data reached one wrong person, without malice (EDPB 01/2021 case 13; WP250 Annex "
        "B example v).",
        "De gegevens kwamen zonder kwade opzet bij één verkeerde persoon (EDPB 01/2021 "
        "voorbeeld 13; WP250 bijlage B voorbeeld v).",
    ),
    "several": (
        "The data reached several wrong people, without malice (EDPB 01/2021 cases 14 and 16; "
        "WP250 Annex B example ix).",
        "De gegevens kwamen zonder kwade opzet bij meerdere verkeerde personen (EDPB 01/2021 "
        "voorbeelden 14 en 16; WP250 bijlage B voorbeeld ix).",
    ),
    "insider_mistake": (
        "A colleague, bound to confidentiality, saw data not meant for them, without malice.",
        "Een collega, met geheimhoudingsplicht, zag gegevens die niet voor hem bedoeld waren, "
        "zonder kwade opzet.",
    ),
    "lost": (
        "The data carrier is lost: whoever finds it can read what is not encrypted (WP250 "
        "§I.2; AP: a lost usb stick is a breach).",
        "De gegevensdrager is kwijt: wie hem vindt kan lezen wat niet versleuteld is (WP250 "
        "§I.2; AP: een kwijtgeraakte usb-stick is een datalek).",
    ),
    "unknown_recipient": (
        "Who could read the data is unknown: counted as a wrong recipient.",
        "Wie de gegevens kon lezen is onbekend: geteld als een verkeerde ontvanger.",
    ),
    "contained_trusted": (
        "The trusted recipient deleted or returned the data and confirmed it: unlikely to "
        "result in a risk (GDPR Art. 33(1); EDPB 01/2021 case 9).",
        "De betrouwbare ontvanger heeft de gegevens verwijderd of teruggegeven en dat "
        "bevestigd: waarschijnlijk geen risico (AVG art. 33 lid 1; EDPB 01/2021 voorbeeld 9).",
    ),
    "contained_sensitive": (
        "The recipient deleted or returned the data, which lowers the likelihood, but for "
        "sensitive data EDPB case 9 does not apply in full: still a risk to report.",
        "De ontvanger heeft de gegevens verwijderd of teruggegeven, wat de kans verlaagt, maar "
        "bij gevoelige gegevens geldt EDPB-voorbeeld 9 niet volledig: nog steeds te melden.",
    ),
    "contained": (
        "The data were recalled or deleted and that was confirmed (GDPR Art. 34(3)(b); EDPB "
        "01/2021 case 13).",
        "De gegevens zijn teruggehaald of verwijderd en dat is bevestigd (AVG art. 34 lid 3 "
        "onder b; EDPB 01/2021 voorbeeld 13).",
    ),
    # -- integrity and availability -------------------------------------------------------
    "integrity_restored": (
        "Changed data were restored quickly (EDPB 01/2021 case 1).",
        "Gewijzigde gegevens zijn snel hersteld (EDPB 01/2021 voorbeeld 1).",
    ),
    "integrity": (
        "Personal data may have been changed and were not (yet) restored (WP250 §I.2).",
        "Persoonsgegevens zijn mogelijk gewijzigd en (nog) niet hersteld (WP250 §I.2).",
    ),
    "restored_quickly": (
        "The data were available again within {duration}: no lasting effect (WP250 Annex B "
        "example iii; EDPB 01/2021 case 1).",
        "De gegevens waren binnen {duration} weer beschikbaar: geen blijvend gevolg (WP250 "
        "bijlage B voorbeeld iii; EDPB 01/2021 voorbeeld 1).",
    ),
    "restored_same_day": (
        "The data were unavailable for {duration} before they were restored (WP250 §I.2).",
        "De gegevens waren {duration} niet beschikbaar voordat ze hersteld werden (WP250 §I.2).",
    ),
    "restored_late": (
        "The data were unavailable for {duration}, longer than a day (EDPB 01/2021 case 3; "
        "WP250 Annex B example viii).",
        "De gegevens waren {duration} niet beschikbaar, langer dan een dag (EDPB 01/2021 "
        "voorbeeld 3; WP250 bijlage B voorbeeld viii).",
    ),
    "restored": (
        "The data were restored quickly: no lasting effect (EDPB 01/2021 case 1).",
        "De gegevens zijn snel hersteld: geen blijvend gevolg (EDPB 01/2021 voorbeeld 1).",
    ),
    "backup_restore_pending": (
        "There is a backup; how long restoring takes is not known yet.",
        "Er is een back-up; hoe lang terugzetten duurt is nog niet bekend.",
    ),
    "restored_late_backup": (
        "There is a backup, but restoring takes long (EDPB 01/2021 case 3).",
        "Er is een back-up, maar terugzetten duurt lang (EDPB 01/2021 voorbeeld 3).",
    ),
    "no_backup": (
        "There is no backup: the data may be lost for good (EDPB 01/2021 case 2; WP250 Annex "
        "B example iv; AP, 'Vooraf getroffen maatregelen', condition 2).",
        "Er is geen back-up: de gegevens kunnen voorgoed verloren zijn (EDPB 01/2021 "
        "voorbeeld 2; WP250 bijlage B voorbeeld iv; AP, 'Vooraf getroffen maatregelen', "
        "voorwaarde 2).",
    ),
    "not_known_restored": (
        "Whether the data can be restored is not known yet.",
        "Of de gegevens terug te zetten zijn is nog niet bekend.",
    ),
    # -- the outcome ----------------------------------------------------------------------
    "not_a_breach": (
        "No confidentiality, integrity or availability of personal data was affected, so this "
        "is not a personal data breach; it is documented anyway (GDPR Art. 4(12), Art. 33(5)).",
        "De vertrouwelijkheid, juistheid en beschikbaarheid van persoonsgegevens zijn niet "
        "geraakt, dus dit is geen datalek; het wordt toch vastgelegd (AVG art. 4 lid 12, "
        "art. 33 lid 5).",
    ),
    "dimension": (
        "{dimension}: likelihood {likelihood} of 4, severity {severity} of 4: {level}.",
        "{dimension}: kans {likelihood} van 4, ernst {severity} van 4: {level}.",
    ),
    "closest": (
        'Closest published example: {source} {case}, "{title}" ({paragraph}): {outcome}.',
        'Meest vergelijkbare gepubliceerde voorbeeld: {source} {case}, "{title}" '
        "({paragraph}): {outcome}.",
    ),
    "public_communication": (
        "With {count} people concerned, a public communication may replace telling each one "
        "if that would take disproportionate effort (GDPR Art. 34(3)(c)).",
        "Met {count} betrokkenen mag een openbare mededeling het informeren van ieder "
        "afzonderlijk vervangen als dat een onevenredige inspanning vergt (AVG art. 34 lid 3 "
        "onder c).",
    ),
    "outcome_none": (
        "Outcome: document the breach in the register only; no notification (GDPR Art. 33(5)).",
        "Uitkomst: alleen vastleggen in het datalekkenregister; niet melden (AVG art. 33 lid 5).",
    ),
    "outcome_risk": (
        "Outcome: notify the Autoriteit Persoonsgegevens within 72 hours of awareness; the "
        "people concerned need not be told (GDPR Art. 33(1), Art. 34(1)).",
        "Uitkomst: melden bij de Autoriteit Persoonsgegevens binnen 72 uur na kennisname; de "
        "betrokkenen hoeven niet ingelicht te worden (AVG art. 33 lid 1, art. 34 lid 1).",
    ),
    "outcome_high": (
        "Outcome: notify the Autoriteit Persoonsgegevens within 72 hours of awareness and tell "
        "the people concerned without undue delay (GDPR Art. 33(1), Art. 34(1)).",
        "Uitkomst: melden bij de Autoriteit Persoonsgegevens binnen 72 uur na kennisname en de "
        "betrokkenen zonder onnodige vertraging inlichten (AVG art. 33 lid 1, art. 34 lid 1).",
    ),
}

#: How an outcome reads, in the "dimension" and "closest" sentences.
LEVELS: dict[str, tuple[str, str]] = {
    "none": ("document only", "alleen vastleggen"),
    "risk": ("notify the AP", "melden bij de AP"),
    "high risk": ("notify the AP and the people concerned", "melden bij de AP en betrokkenen"),
    "open": ("left open by the source", "door de bron opengelaten"),
}
DIMENSIONS: dict[str, tuple[str, str]] = {
    "confidentiality": ("Confidentiality", "Vertrouwelijkheid"),
    "integrity": ("Integrity", "Juistheid"),
    "availability": ("Availability", "Beschikbaarheid"),
}
#: How a factor's contribution reads after its sentence.
AXES: dict[str, tuple[str, str]] = {
    "likelihood": ("likelihood", "kans"),
    "severity": ("severity", "ernst"),
}

#: unknown fact -> (English, Dutch): what the assessment assumed.
ASSUMPTIONS: dict[str, tuple[str, str]] = {
    "confidentiality_breach": (
        "Unknown whether others could see the data: assumed they could.",
        "Onbekend of anderen de gegevens konden zien: aangenomen van wel.",
    ),
    "availability_breach": (
        "Unknown whether the data are still available (a copy or backup): for this kind of "
        "breach assumed they are not.",
        "Onbekend of de gegevens nog beschikbaar zijn (een kopie of back-up): bij dit soort "
        "datalek aangenomen van niet.",
    ),
    "availability_kept": (
        "Unknown whether the data are still available: assumed the school still has them (a "
        "copy or backup); say so if not.",
        "Onbekend of de gegevens nog beschikbaar zijn: aangenomen dat de school ze nog heeft "
        "(een kopie of back-up); geef het door als dat niet zo is.",
    ),
    "integrity_breach": (
        "Unknown whether data were changed: assumed they were not.",
        "Onbekend of gegevens zijn gewijzigd: aangenomen van niet.",
    ),
    "encrypted": (
        "Unknown whether the data were encrypted: assumed they were not.",
        "Onbekend of de gegevens versleuteld waren: aangenomen van niet.",
    ),
    "key_compromised": (
        "Unknown whether the key stayed safe: assumed it did not.",
        "Onbekend of de sleutel veilig is gebleven: aangenomen van niet.",
    ),
    "backup_available": (
        "Unknown whether there is a backup: assumed the data are not restored yet.",
        "Onbekend of er een back-up is: aangenomen dat de gegevens nog niet hersteld zijn.",
    ),
    "recovered_quickly": (
        "Unknown how fast the backup is restored: assumed within a day.",
        "Onbekend hoe snel de back-up is teruggezet: aangenomen binnen een dag.",
    ),
    "recipient": (
        "Unknown who received the data: counted as a wrong recipient, not as the public.",
        "Onbekend wie de gegevens kreeg: geteld als een verkeerde ontvanger, niet als openbaar.",
    ),
    "deletion_confirmed": (
        "Unknown whether the recipient deleted or returned the data: assumed not.",
        "Onbekend of de ontvanger de gegevens heeft verwijderd of teruggegeven: aangenomen "
        "van niet.",
    ),
    "special_categories": (
        "Unknown whether special categories (health, care) were involved: assumed not; the FG "
        "checks this.",
        "Onbekend of er bijzondere persoonsgegevens (gezondheid, zorg) bij zijn: aangenomen van "
        "niet; de FG controleert dit.",
    ),
    "national_id_number": (
        "Unknown whether citizen service numbers (BSN) were involved: assumed not; the FG "
        "checks this.",
        "Onbekend of er burgerservicenummers (BSN) bij zijn: aangenomen van niet; de FG "
        "controleert dit.",
    ),
    "malicious": (
        "Unknown whether this was malicious: counted as a mistake; if it was deliberate the "
        "outcome may go up.",
        "Onbekend of er kwade opzet was: geteld als vergissing; bij opzet kan de uitkomst "
        "zwaarder worden.",
    ),
    "exfiltration_confirmed": (
        "Unknown whether data were taken: with malice, assumed they were.",
        "Onbekend of er gegevens zijn meegenomen: bij kwade opzet aangenomen van wel.",
    ),
    "published_online": (
        "Unknown whether the data were published online: assumed not (yet).",
        "Onbekend of de gegevens online staan: aangenomen van niet (nog niet).",
    ),
    "subjects_count": (
        "The number of people is unknown: assumed fewer than 1000 (not large scale).",
        "Het aantal betrokkenen is onbekend: aangenomen minder dan 1000 (geen grote omvang).",
    ),
    "subjects_are_children": (
        "Unknown whether the people are children: not counted; the FG checks this.",
        "Onbekend of het kinderen zijn: niet meegeteld; de FG controleert dit.",
    ),
    "data_categories": (
        "The kinds of data are unknown: assumed more than names and addresses.",
        "Welke gegevens het zijn is onbekend: aangenomen meer dan namen en adressen.",
    ),
    "discovered_at": (
        "The time of discovery is unknown: the deadlines count from the report; the real ones "
        "may be earlier.",
        "Het tijdstip van ontdekking is onbekend: de termijnen tellen vanaf de melding; de echte "
        "kunnen eerder zijn.",
    ),
    "aware_at": (
        "The time of awareness is unknown: taken to be the time of discovery (the school is "
        "aware once a staff member is).",
        "Het tijdstip van kennisname is onbekend: gelijkgesteld aan de ontdekking (de school weet "
        "het zodra een medewerker het weet).",
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
