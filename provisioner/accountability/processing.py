"""What a connector says about the personal data it handles: its processing facts.

Each connector declares one :class:`ProcessingFacts` in its ``plugin.py`` and passes it on its
line of ``connectors/registry.py``; the register of processing activities (AVG art. 30,
:mod:`provisioner.accountability.register`) is built from these facts and the configuration.
The values are ids (English, stable in JSON); the register shows them in words from the
catalogues (:mod:`provisioner.accountability.register_labels`).

A connector that declares no facts is still listed in the register, as "not declared", and
``tests/test_register_registry.py`` fails for it: a new connector cannot slip through.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Flow(StrEnum):
    """Which way the data goes between the product and the system."""

    READS = "reads"  # a source: the product reads from the system, never writes to it
    WRITES = "writes"  # a target: the product writes accounts and access to the system
    KEEPS = "keeps"  # the product's own processing, kept in its state store


class DataCategory(StrEnum):
    """A category of personal data (AVG art. 30(1)(c))."""

    NAME = "name"
    EMPLOYEE_NUMBER = "employee_number"
    FUNCTION = "function"
    LOCATION = "location"
    EMPLOYMENT_DATES = "employment_dates"
    PUPIL_ID = "pupil_id"
    ECK_ID = "eck_id"
    BIRTH_DATE = "birth_date"
    GROUP = "group"  # a pupil's own group (groep, klas)
    ENROLMENT_DATES = "enrolment_dates"
    TEACHER_GROUPS = "teacher_groups"  # which teachers teach which group
    PHOTO_CONSENT = "photo_consent"
    ACCOUNT = "account"  # user name, work e-mail address, enabled or not
    INITIAL_PASSWORD = "initial_password"  # random, must be changed at first sign-in
    ROLE = "role"
    GROUP_MEMBERSHIP = "group_membership"  # access groups
    LICENCES = "licences"
    FILE_ACCESS = "file_access"  # document libraries, file shares
    END_OF_SERVICE = "end_of_service"
    CHAT_MESSAGES = "chat_messages"
    CHAT_USER_ID = "chat_user_id"
    BREACH_FACTS = "breach_facts"
    AUDIT_EVENTS = "audit_events"


class PersonCategory(StrEnum):
    """A category of people whose data is processed (AVG art. 30(1)(c))."""

    STAFF = "staff"
    PUPILS = "pupils"
    PARENTS = "parents"
    INTERNS = "interns"


class Purpose(StrEnum):
    """A purpose of the processing (AVG art. 30(1)(b))."""

    ACCOUNTS = "accounts"  # accounts and access follow HR and the SIS
    LEAVERS = "leavers"  # a leaver's access ends (seed 002 §12)
    ACCESS_BY_ROLE = "access_by_role"  # access follows the role (seed 002 §10-11)
    SIS_STAFF_ACCOUNTS = "sis_staff_accounts"
    PHOTO_CONSENT = "photo_consent"  # images only with consent (seed 002 §7)
    REQUESTS = "requests"  # requests made to the chat bot
    BREACHES = "breaches"  # documenting breaches (AVG art. 33(5))
    ACCOUNTABILITY = "accountability"  # showing what was done (AVG art. 5(2))
    INTERNSHIPS = "internships"  # interns' time-boxed access (seeds 000, 003)


class Recipient(StrEnum):
    """A category of recipients (AVG art. 30(1)(d))."""

    SUPPLIER = "supplier"  # the system's supplier, as processor
    CENTRAL_OFFICE = "central_office"  # the Stafbureau (HR, ICT)
    SCHOOL_STAFF = "school_staff"  # the staff of the school, as their role allows
    PRIVACY_OFFICER = "privacy_officer"  # the FG
    SUPERVISOR = "supervisor"  # the Autoriteit Persoonsgegevens, when notified
    CHAT_SUPPLIER = "chat_supplier"  # the chat service (Slack), as processor


class Measure(StrEnum):
    """A security measure the product applies on the link (AVG art. 30(1)(g), art. 32)."""

    TLS = "tls"
    OAUTH_CLIENT_CREDENTIALS = "oauth_client_credentials"
    API_TOKEN = "api_token"
    SUPPLIER_KEY = "supplier_key"
    SERVICE_ACCOUNT = "service_account"
    LEAST_PRIVILEGE = "least_privilege"
    READ_ONLY = "read_only"
    SECRETS_OUTSIDE_CONFIG = "secrets_outside_config"
    LOCAL_FILES = "local_files"
    INPUT_CHECKS = "input_checks"  # records checked and quarantined, the source guard
    SAFETY_GATE = "safety_gate"  # mass changes stop for approval
    AUDIT_TRAIL = "audit_trail"  # every change audited, hash-chained
    APPEND_ONLY = "append_only"  # refused by the database, hash-chained, anchors outside
    NO_PERSONAL_DATA_IN_LOGS = "no_personal_data_in_logs"
    RANDOM_FIRST_PASSWORD = "random_first_password"
    RATE_LIMIT = "rate_limit"
    SIGNED_REQUESTS = "signed_requests"
    MANUAL_TASKS = "manual_tasks"  # no write interface: a person does it, recorded as a task


class ProcessorRole(StrEnum):
    """Who runs the system: a supplier that processes on the board's behalf (a processor
    agreement is needed, AVG art. 28), or the board itself (on its own servers)."""

    SUPPLIER = "supplier"
    BOARD = "board"


@dataclass(frozen=True)
class ProcessingFacts:
    """The processing one connector performs or feeds.

    ``system``: the system's product name (a proper noun, not translated), e.g. "AFAS
    Profit". ``flow``: whether the product reads it (a source) or writes it (a target).
    ``processor``: :attr:`ProcessorRole.SUPPLIER` when a supplier processes the data for the
    board, so ``config check`` asks for a processor agreement.
    """

    system: str
    flow: Flow
    purposes: tuple[Purpose, ...]
    data: tuple[DataCategory, ...]
    people: tuple[PersonCategory, ...]
    recipients: tuple[Recipient, ...]
    measures: tuple[Measure, ...]
    processor: ProcessorRole = ProcessorRole.SUPPLIER

    def __post_init__(self) -> None:
        for name in ("purposes", "data", "people", "measures"):
            if not getattr(self, name):
                raise ValueError(f"processing facts of {self.system}: no {name}")

    @property
    def needs_agreement(self) -> bool:
        """A supplier processes the data, so the board needs a processor agreement."""
        return self.processor is ProcessorRole.SUPPLIER
