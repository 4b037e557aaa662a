"""The lines of the board's privacy checklist (seed 002, annex c "Checklist privacy"), each with
the paragraph of the protocol it refers to and, where the software keeps evidence of it, which
evidence (:class:`Evidence`). The texts are messages of the ``checklist`` catalogue: the
English sentence is the id, the Dutch translation is the seed's own wording."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from provisioner.i18n import N_


class Evidence(StrEnum):
    """What the software can show for a line; SCHOOL: nothing, the school answers it."""

    SCHOOL = "school"
    RETENTION = "retention"  # retention tasks done on time (§10.3)
    SIS_LEAVERS = "sis_leavers"  # set inactive in the SIS (§12 step 1)
    NETWORK_LEAVERS = "network_leavers"  # network accounts and portals without an API (§12)
    M365_LEAVERS = "m365_leavers"  # the Office 365 account disabled (§12 step 2)
    AGREEMENTS = "agreements"  # a processor agreement per connected system (§4)
    CONSENT = "consent"  # asked per medium, reminded yearly per location (§7)
    HIERARCHY = "hierarchy"  # document hierarchy enforced: drift found and repaired (§10.2)
    BREACHES = "breaches"  # FG within 24 hours, AP within 72 hours (§13.3)


@dataclass(frozen=True)
class ChecklistLine:
    number: int
    section: str  # a message id (N_)
    text: str  # a message id (N_)
    paragraph: str  # "§12", "§11.3, §11.4", or a message id for the protocol annex
    evidence: Evidence = Evidence.SCHOOL
    #: the part of the line the software cannot judge, when it evidences the rest
    school_part: str | None = None


PUPILS = N_("Pupil administration")
MATERIALS = N_("Learning materials")
IMAGES = N_("Photos and video")
SOCIAL = N_("Social media")
MOVING = N_("Moving to another school")
SECURITY = N_("Data security")
OFFICER = N_("Data protection officer")
PROTOCOL = N_("Social media protocol (annex)")

LINES: tuple[ChecklistLine, ...] = (
    ChecklistLine(1, PUPILS, N_("Parents know what is recorded and why."), "§3"),
    ChecklistLine(2, PUPILS, N_("Parents know what giving marks is for."), "§3"),
    ChecklistLine(
        3, PUPILS,
        N_("All data are used only for the purpose for which they were collected."), "§3",
    ),
    ChecklistLine(
        4, PUPILS, N_("No more data are collected than needed to provide education."), "§3.4"
    ),
    ChecklistLine(
        5, PUPILS,
        N_("Parents know they may see the recorded data and can ask for corrections."), "§3.5",
    ),
    ChecklistLine(
        6, PUPILS,
        N_("Five years after a pupil is deregistered, the pupil's data are deleted."), "§10.3",
        Evidence.RETENTION,
        N_("Whether the data were really deleted in every system is confirmed by the school."),
    ),
    ChecklistLine(
        7, PUPILS,
        N_("Two years after the pupil has left the school the pupil file is deleted; after a "
           "move to special education (SBO) it is kept for 3 years."), "§10.3",
        Evidence.RETENTION,
        N_("Whether the data were really deleted in every system is confirmed by the school."),
    ),
    ChecklistLine(
        8, PUPILS,
        N_("Departing teachers are set to 'not active' in ParnasSys at once."), "§12",
        Evidence.SIS_LEAVERS,
    ),
    ChecklistLine(
        9, PUPILS,
        N_("When a teacher leaves, the login to the school network and to school-related "
           "websites is stopped (Inspectie, Mijn Vensters, school website, ...)."), "§12",
        Evidence.NETWORK_LEAVERS,
        N_("Websites the software does not know of (the school website) are for the school "
           "to confirm."),
    ),
    ChecklistLine(
        10, PUPILS,
        N_("The Office 365 account of departing teachers is made inaccessible."), "§12",
        Evidence.M365_LEAVERS,
    ),
    ChecklistLine(
        11, MATERIALS,
        N_("There is a processor agreement for all software that exchanges pupil data, "
           "signed by the competent authority (CvB)."), "§4",
        Evidence.AGREEMENTS,
        N_("Software that is not connected to the provisioner (learning materials, apps) is "
           "for the school to check."),
    ),
    ChecklistLine(
        12, IMAGES,
        N_("At enrolment parents are asked for consent for every use of images of their "
           "child. Children without consent are not shown on the website, in the school paper "
           "or the like. Every year parents are reminded that they can withdraw that consent."),
        "§7", Evidence.CONSENT,
        N_("Whether children without consent were kept out of publications is for the school "
           "to answer."),
    ),
    ChecklistLine(
        13, SOCIAL,
        N_("Pupils do not use social media at school as long as their age does not allow it "
           "(Facebook, for example: 12 years)."), "§8",
    ),
    ChecklistLine(
        14, SOCIAL,
        N_("Pupils and teachers keep fully to the social media protocol."), PROTOCOL,
    ),
    ChecklistLine(
        15, MOVING,
        N_("Parents can see what is recorded about their child and can ask for corrections, "
           "also of what is passed on to the next school."), "§9",
    ),
    ChecklistLine(
        16, SECURITY,
        N_("We use sufficiently complex passwords where pupil data are concerned."), "§10",
    ),
    ChecklistLine(
        17, SECURITY,
        N_("No notes with usernames or passwords are left in sight, and stored passwords are "
           "always behind a secured login on the pc."), "§11.2",
    ),
    ChecklistLine(
        18, SECURITY,
        N_("When leaving the workplace everyone signs off or at least locks the computer. "
           "When a colleague takes over in class, one signs off."), "§10",
    ),
    ChecklistLine(
        19, SECURITY,
        N_("Document hierarchy: management/location leader - care coordinator (IB-er) - "
           "teacher - pupils. Everyone sees their own documents and those of whoever comes "
           "after them in this row; documents to the left are not accessible."), "§10.2",
        Evidence.HIERARCHY,
        N_("Documents kept outside the systems the provisioner manages are for the school to "
           "check."),
    ),
    ChecklistLine(
        20, SECURITY,
        N_("No privacy-sensitive material (mark lists etc.) is left lying around."), "§11.2",
    ),
    ChecklistLine(
        21, SECURITY,
        N_("We never work under someone else's login and never let others work under ours."),
        "§11.2",
    ),
    ChecklistLine(
        22, SECURITY,
        N_("Reading school mail on a phone, tablet or home pc? Then it is protected at least "
           "with a PIN, a pattern or a password."), "§11.2",
    ),
    ChecklistLine(
        23, SECURITY,
        N_("We store no privacy-sensitive data on the pc, only on the server or in "
           "SharePoint."), "§11.3",
    ),
    ChecklistLine(
        24, SECURITY,
        N_("Viewing and editing school files at home. Old equipment is wiped with a special "
           "program before disposal, or its hard disk is destroyed mechanically."),
        "§11.3, §11.4",
    ),
    ChecklistLine(
        25, SECURITY,
        N_("We do not let our children play on the school pc under our own login (or the "
           "group's)."), "§13",
    ),
    ChecklistLine(
        26, OFFICER,
        N_("The school has a data protection officer (FG) with clearly described tasks, "
           "registered with the Autoriteit Persoonsgegevens."), "§14",
    ),
    ChecklistLine(
        27, OFFICER,
        N_("Should a data breach occur, we report it to the FG. Together we judge whether it "
           "must be reported to the Autoriteit Persoonsgegevens and the people concerned."),
        "§13.3", Evidence.BREACHES,
        N_("Whether every breach was reported to the register is for the school to answer."),
    ),
)  # fmt: skip
