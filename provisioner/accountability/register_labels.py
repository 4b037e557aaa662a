"""The register's words: every id of the processing facts and the register as an English
sentence of the catalogues (gettext domain ``register``), translated where it is shown."""

from __future__ import annotations

from provisioner.accountability.processing import (
    DataCategory,
    Flow,
    Measure,
    PersonCategory,
    Purpose,
    Recipient,
)
from provisioner.accountability.register import AgreementStatus
from provisioner.accountability.register_own import OwnProcessing, RetentionRule
from provisioner.i18n import N_

OWN: dict[OwnProcessing, str] = {
    OwnProcessing.ACCOUNTS: N_("Accounts and access of staff and pupils"),
    OwnProcessing.CHAT: N_("Requests to the chat bot"),
    OwnProcessing.CONSENTS: N_("Photo consent register"),
    OwnProcessing.BREACHES: N_("Data breach register"),
    OwnProcessing.AUDIT: N_("Audit trail"),
}

FLOW: dict[Flow, str] = {
    Flow.READS: N_("source: the product reads it"),
    Flow.WRITES: N_("target: the product writes accounts and access to it"),
    Flow.KEEPS: N_("kept by the product itself"),
}

DATA: dict[DataCategory, str] = {
    DataCategory.NAME: N_("name"),
    DataCategory.EMPLOYEE_NUMBER: N_("employee number"),
    DataCategory.FUNCTION: N_("function"),
    DataCategory.LOCATION: N_("school location"),
    DataCategory.EMPLOYMENT_DATES: N_("employment start and end dates"),
    DataCategory.PUPIL_ID: N_("pupil number in the SIS"),
    DataCategory.ECK_ID: N_("ECK iD"),
    DataCategory.BIRTH_DATE: N_("date of birth"),
    DataCategory.GROUP: N_("the pupil's group (groep, klas)"),
    DataCategory.ENROLMENT_DATES: N_("enrolment start and end dates"),
    DataCategory.TEACHER_GROUPS: N_("which teachers teach which group"),
    DataCategory.PHOTO_CONSENT: N_("photo and video consents (per medium, who gave them, when)"),
    DataCategory.ACCOUNT: N_("user name, work e-mail address, account enabled or not"),
    DataCategory.INITIAL_PASSWORD: N_("a random first password (changed at first sign-in)"),
    DataCategory.ROLE: N_("role"),
    DataCategory.GROUP_MEMBERSHIP: N_("access group memberships"),
    DataCategory.LICENCES: N_("licences"),
    DataCategory.FILE_ACCESS: N_("access to document libraries and file shares"),
    DataCategory.END_OF_SERVICE: N_("end of service date"),
    DataCategory.CHAT_MESSAGES: N_("messages to the chat bot"),
    DataCategory.CHAT_USER_ID: N_("chat user id and work e-mail address"),
    DataCategory.BREACH_FACTS: N_(
        "breach facts: what happened, kinds of data, number of people affected, measures"
    ),
    DataCategory.AUDIT_EVENTS: N_("who changed what, when and why"),
}

PEOPLE: dict[PersonCategory, str] = {
    PersonCategory.STAFF: N_("staff"),
    PersonCategory.PUPILS: N_("pupils"),
    PersonCategory.PARENTS: N_("parents and guardians"),
    PersonCategory.INTERNS: N_("interns and student teachers"),
}

PURPOSE: dict[Purpose, str] = {
    Purpose.ACCOUNTS: N_("giving staff and pupils the accounts their work and lessons need"),
    Purpose.LEAVERS: N_("ending a leaver's access at once (privacy protocol §12)"),
    Purpose.ACCESS_BY_ROLE: N_(
        "access by role: no more people than necessary (privacy protocol §10)"
    ),
    Purpose.SIS_STAFF_ACCOUNTS: N_(
        "staff accounts in the pupil administration with the function of their level"
    ),
    Purpose.PHOTO_CONSENT: N_("publishing pupils' images only with consent (privacy protocol §7)"),
    Purpose.REQUESTS: N_("handling requests made to the chat bot (leavers, consents, breaches)"),
    Purpose.BREACHES: N_("documenting data breaches and notifying in time (AVG art. 33, 34)"),
    Purpose.ACCOUNTABILITY: N_("showing what was done, by whom and why (AVG art. 5(2))"),
    Purpose.INTERNSHIPS: N_("interns' access for the duration of the internship only"),
}

RECIPIENT: dict[Recipient, str] = {
    Recipient.SUPPLIER: N_("the system's supplier, as processor"),
    Recipient.CENTRAL_OFFICE: N_("the central office (Stafbureau: HR, ICT)"),
    Recipient.SCHOOL_STAFF: N_("the school's staff, as far as their role allows"),
    Recipient.PRIVACY_OFFICER: N_("the data protection officer (FG)"),
    Recipient.SUPERVISOR: N_("the Autoriteit Persoonsgegevens, when a breach is notified"),
    Recipient.CHAT_SUPPLIER: N_(
        "the chat service's supplier (Slack), as processor, when the bot runs there"
    ),
}

MEASURE: dict[Measure, str] = {
    Measure.TLS: N_("encrypted connection (TLS)"),
    Measure.OAUTH_CLIENT_CREDENTIALS: N_("OAuth 2 client credentials"),
    Measure.API_TOKEN: N_("an API token of its own"),
    Measure.SUPPLIER_KEY: N_("a supplier key of its own"),
    Measure.SERVICE_ACCOUNT: N_("a service account of its own"),
    Measure.LEAST_PRIVILEGE: N_("least privilege: only the data and rights the product needs"),
    Measure.READ_ONLY: N_("read only: the product never writes to it"),
    Measure.SECRETS_OUTSIDE_CONFIG: N_(
        "secrets outside the configuration file (environment or protected files)"
    ),
    Measure.LOCAL_FILES: N_("files on the board's own server"),
    Measure.INPUT_CHECKS: N_(
        "every record checked, unusable records quarantined, a shrunk export stops the run"
    ),
    Measure.SAFETY_GATE: N_("mass changes stop for approval (safety gate)"),
    Measure.AUDIT_TRAIL: N_("every change recorded in the audit trail"),
    Measure.APPEND_ONLY: N_(
        "append-only and hash-chained, checked against anchors published outside the database"
    ),
    Measure.NO_PERSONAL_DATA_IN_LOGS: N_("no personal data or secrets in the logs"),
    Measure.RANDOM_FIRST_PASSWORD: N_("a random first password, never logged or kept"),
    Measure.RATE_LIMIT: N_("requests rate limited"),
    Measure.SIGNED_REQUESTS: N_("requests signed by the chat service and checked"),
    Measure.MANUAL_TASKS: N_(
        "where the system has no interface: a manual task for a person, recorded"
    ),
}

AGREEMENT: dict[AgreementStatus, str] = {
    AgreementStatus.SIGNED: N_("signed"),
    AgreementStatus.NO_DATE: N_("no date of signing"),
    AgreementStatus.MISSING: N_("missing"),
    AgreementStatus.NOT_NEEDED: N_("not needed: the board runs this system itself"),
}

RETENTION: dict[RetentionRule, str] = {
    RetentionRule.ACCOUNT_GRACE: N_(
        "A leaver's account is disabled when the employment or enrolment ends and deleted "
        "{staff_days} days later (pupils: {pupil_days} days)."
    ),
    RetentionRule.DIRECTORY_GONE: N_(
        "Someone who has left or is deregistered stays in the directory of who is who (for "
        "the chat bot) for {directory_gone} after the day they went."
    ),
    RetentionRule.JOURNAL: N_(
        "The journal and outcomes of a finished run are kept for {journal}; the run's record stays."
    ),
    RetentionRule.SOURCE_UNCHANGED: N_(
        "The product reads and never changes this system; how long the system keeps the "
        "data follows the board's retention table and the processor agreement."
    ),
    RetentionRule.SIS_RECORDS_KEPT: N_(
        "A leaver's staff record is made inactive with the end of service date; the SIS "
        "keeps it as the school's administration."
    ),
    RetentionRule.CONVERSATION: N_(
        "An unanswered conversation is forgotten after {minutes} minutes and removed "
        "{chat_conversations} after that; what a request changed stays in the audit trail."
    ),
    RetentionRule.CONSENT_HISTORY: N_(
        "Every consent answer is kept as history, so the school can show which consent "
        "applied when; those of a deregistered pupil are removed {consent_history} after the "
        "deregistration."
    ),
    RetentionRule.BREACH_DOCUMENTATION: N_(
        "Every breach is documented (AVG art. 33(5)); how long follows the board's retention table."
    ),
    RetentionRule.AUDIT_APPEND_ONLY: N_(
        "Append-only and never purged: events are never changed or removed."
    ),
    RetentionRule.NOT_DECLARED: N_("not declared by the connector"),
}

#: A period of ``[retention.store]`` in words: (one, many) per unit.
PERIOD_UNITS: tuple[tuple[str, str], ...] = (
    (N_("{n} year"), N_("{n} years")),
    (N_("{n} month"), N_("{n} months")),
    (N_("{n} week"), N_("{n} weeks")),
    (N_("{n} day"), N_("{n} days")),
)
