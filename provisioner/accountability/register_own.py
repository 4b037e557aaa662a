"""The processings the product performs itself (its own state store), for the register of
processing activities (AVG art. 30): account provisioning, the chat bot's requests, the
consent register, the breach register and the audit trail. Their facts are fixed by what the
code does; the connected systems' facts come from the connectors
(:mod:`provisioner.accountability.processing`)."""

from __future__ import annotations

from enum import StrEnum

from provisioner.accountability.processing import DataCategory as D
from provisioner.accountability.processing import (
    Flow,
    Measure,
    PersonCategory,
    ProcessingFacts,
    ProcessorRole,
    Purpose,
    Recipient,
)

#: The product, as the "system" of its own processings (a proper noun).
PRODUCT = "school-provisioner"


class OwnProcessing(StrEnum):
    """A processing of the product itself."""

    ACCOUNTS = "accounts"
    CHAT = "chat_requests"
    CONSENTS = "consent_register"
    BREACHES = "breach_register"
    AUDIT = "audit_trail"


class RetentionRule(StrEnum):
    """How long the data of one entry is kept, as the product does it: the periods of the
    product's own data come from ``[retention.store]``; the board's retention table
    (``[retention.rules]``) governs the rest."""

    ACCOUNT_GRACE = "account_grace"  # values: staff_days, pupil_days
    DIRECTORY_GONE = "directory_gone"  # values: directory_gone (a period, "1y")
    JOURNAL = "journal"  # values: journal
    SOURCE_UNCHANGED = "source_unchanged"
    SIS_RECORDS_KEPT = "sis_records_kept"
    CONVERSATION = "conversation"  # values: minutes, chat_conversations
    CONSENT_HISTORY = "consent_history"  # values: consent_history
    BREACH_DOCUMENTATION = "breach_documentation"
    AUDIT_APPEND_ONLY = "audit_append_only"
    NOT_DECLARED = "not_declared"


OWN_FACTS: dict[OwnProcessing, ProcessingFacts] = {
    OwnProcessing.ACCOUNTS: ProcessingFacts(
        system=PRODUCT,
        flow=Flow.KEEPS,
        purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
        data=(
            D.NAME, D.EMPLOYEE_NUMBER, D.FUNCTION, D.LOCATION, D.EMPLOYMENT_DATES, D.PUPIL_ID,
            D.ECK_ID, D.BIRTH_DATE, D.GROUP, D.ENROLMENT_DATES, D.ACCOUNT, D.ROLE,
            D.GROUP_MEMBERSHIP,
        ),
        people=(PersonCategory.STAFF, PersonCategory.PUPILS, PersonCategory.INTERNS),
        recipients=(Recipient.CENTRAL_OFFICE, Recipient.SCHOOL_STAFF),
        measures=(
            Measure.INPUT_CHECKS, Measure.SAFETY_GATE, Measure.AUDIT_TRAIL,
            Measure.SECRETS_OUTSIDE_CONFIG, Measure.NO_PERSONAL_DATA_IN_LOGS,
        ),
        processor=ProcessorRole.BOARD,
    ),
    OwnProcessing.CHAT: ProcessingFacts(
        system=PRODUCT,
        flow=Flow.KEEPS,
        purposes=(Purpose.REQUESTS, Purpose.LEAVERS, Purpose.PHOTO_CONSENT, Purpose.BREACHES),
        data=(D.CHAT_USER_ID, D.CHAT_MESSAGES, D.NAME, D.EMPLOYEE_NUMBER, D.PUPIL_ID),
        people=(PersonCategory.STAFF, PersonCategory.PUPILS),
        recipients=(
            Recipient.CENTRAL_OFFICE, Recipient.PRIVACY_OFFICER, Recipient.CHAT_SUPPLIER,
        ),
        measures=(
            Measure.SIGNED_REQUESTS, Measure.RATE_LIMIT, Measure.AUDIT_TRAIL,
            Measure.NO_PERSONAL_DATA_IN_LOGS,
        ),
        processor=ProcessorRole.BOARD,
    ),
    OwnProcessing.CONSENTS: ProcessingFacts(
        system=PRODUCT,
        flow=Flow.KEEPS,
        purposes=(Purpose.PHOTO_CONSENT,),
        data=(D.PUPIL_ID, D.PHOTO_CONSENT),
        people=(PersonCategory.PUPILS, PersonCategory.PARENTS),
        recipients=(Recipient.SCHOOL_STAFF,),
        measures=(Measure.INPUT_CHECKS, Measure.AUDIT_TRAIL),
        processor=ProcessorRole.BOARD,
    ),
    OwnProcessing.BREACHES: ProcessingFacts(
        system=PRODUCT,
        flow=Flow.KEEPS,
        purposes=(Purpose.BREACHES,),
        data=(D.BREACH_FACTS, D.CHAT_USER_ID),
        people=(PersonCategory.STAFF, PersonCategory.PUPILS, PersonCategory.PARENTS),
        recipients=(Recipient.PRIVACY_OFFICER, Recipient.SUPERVISOR),
        measures=(Measure.AUDIT_TRAIL,),
        processor=ProcessorRole.BOARD,
    ),
    OwnProcessing.AUDIT: ProcessingFacts(
        system=PRODUCT,
        flow=Flow.KEEPS,
        purposes=(Purpose.ACCOUNTABILITY,),
        data=(D.AUDIT_EVENTS, D.EMPLOYEE_NUMBER, D.PUPIL_ID, D.CHAT_USER_ID),
        people=(PersonCategory.STAFF, PersonCategory.PUPILS, PersonCategory.INTERNS),
        recipients=(Recipient.CENTRAL_OFFICE, Recipient.PRIVACY_OFFICER),
        measures=(Measure.APPEND_ONLY, Measure.SECRETS_OUTSIDE_CONFIG),
        processor=ProcessorRole.BOARD,
    ),
}  # fmt: skip

#: The retention of each own processing (values are filled in from the configuration).
OWN_RETENTION: dict[OwnProcessing, tuple[RetentionRule, ...]] = {
    OwnProcessing.ACCOUNTS: (
        RetentionRule.ACCOUNT_GRACE,
        RetentionRule.DIRECTORY_GONE,
        RetentionRule.JOURNAL,
    ),
    OwnProcessing.CHAT: (RetentionRule.CONVERSATION,),
    OwnProcessing.CONSENTS: (RetentionRule.CONSENT_HISTORY,),
    OwnProcessing.BREACHES: (RetentionRule.BREACH_DOCUMENTATION,),
    OwnProcessing.AUDIT: (RetentionRule.AUDIT_APPEND_ONLY,),
}
