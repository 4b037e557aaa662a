"""Google Workspace for Education as a connector: ``type = "google"`` (with shared drives
when ``shared_drives``, with licences when ``licences`` names any)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.google.config import GoogleTargetConfig
from provisioner.accountability.processing import (
    DataCategory,
    Flow,
    Measure,
    PersonCategory,
    ProcessingFacts,
    ProcessorRole,
    Purpose,
    Recipient,
)
from provisioner.errors import ConfigError
from provisioner.plugins import BuildContext
from provisioner.targets import Target

if TYPE_CHECKING:
    from connectors.google.client import GoogleClient
    from connectors.google.target import GoogleTarget
    from provisioner.config import Config

#: What the register says about Google Workspace (art. 30): accounts in organisational units,
#: groups, Education licences and, with ``shared_drives``, shared drives, over Google's APIs
#: as a service account with domain-wide delegation.
PROCESSING = ProcessingFacts(
    system="Google Workspace for Education (Directory, shared drives)",
    flow=Flow.WRITES,
    purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.NAME, DataCategory.ACCOUNT, DataCategory.INITIAL_PASSWORD,
        DataCategory.EMPLOYEE_NUMBER, DataCategory.PUPIL_ID, DataCategory.ROLE,
        DataCategory.LOCATION, DataCategory.GROUP, DataCategory.GROUP_MEMBERSHIP,
        DataCategory.LICENCES, DataCategory.FILE_ACCESS,
    ),
    people=(PersonCategory.STAFF, PersonCategory.PUPILS, PersonCategory.INTERNS),
    recipients=(Recipient.SUPPLIER, Recipient.SCHOOL_STAFF),
    measures=(
        Measure.TLS, Measure.SERVICE_ACCOUNT, Measure.LEAST_PRIVILEGE,
        Measure.SECRETS_OUTSIDE_CONFIG, Measure.RANDOM_FIRST_PASSWORD, Measure.RATE_LIMIT,
        Measure.SAFETY_GATE, Measure.AUDIT_TRAIL, Measure.NO_PERSONAL_DATA_IN_LOGS,
    ),
    processor=ProcessorRole.SUPPLIER,
)  # fmt: skip


def scopes_for(config: GoogleTargetConfig) -> tuple[str, ...]:
    """The scopes the service account asks for: only what the configuration uses."""
    from connectors.google.client import DIRECTORY_SCOPES, DRIVE_SCOPE, LICENSING_SCOPE

    scopes = list(DIRECTORY_SCOPES)
    if config.shared_drives:
        scopes.append(DRIVE_SCOPE)
    if any(config.licences.values()):
        scopes.append(LICENSING_SCOPE)
    return tuple(scopes)


def full_target(
    name: str, client: GoogleClient, *, drives: bool, skus: Sequence[str], **settings: Any
) -> GoogleTarget:
    """The target with the capabilities asked for: shared drives, licences (given SKUs)."""
    from connectors.google.drives import GoogleDriveLicensedTarget, GoogleDriveTarget
    from connectors.google.licences import GoogleLicensedTarget
    from connectors.google.target import GoogleTarget

    if skus:
        kind = GoogleDriveLicensedTarget if drives else GoogleLicensedTarget
        return kind(name, client, skus=skus, **settings)
    return (GoogleDriveTarget if drives else GoogleTarget)(name, client, **settings)


def build(config: GoogleTargetConfig, context: BuildContext) -> Target:
    from connectors.google.client import GoogleClient, GoogleSettings

    root_url, key_text = config.root_url, config.secret_value("service_account_key")
    subject = config.admin_subject
    if config.emulator is not None:
        from connectors.google.demo import start_google_emulator

        root_url, key_text, subject = start_google_emulator(
            config.emulator, context.config.board, subject, context.run_stack()
        )
    elif key_text is None:
        config.require_secret(
            "service_account_key",
            f"[targets] {config.name}:",
            "the service account's JSON key (with domain-wide delegation)",
        )
    try:
        key_info = json.loads(key_text or "")
    except ValueError:
        raise ConfigError(f"targets.{config.name}: the service account key is no JSON") from None
    settings = GoogleSettings(
        key_info,
        subject,
        scopes=scopes_for(config),
        root_url=root_url,
        quotas={
            "directory": config.directory_quota_per_minute,
            "drive": config.drive_quota_per_minute,
            "licensing": config.directory_quota_per_minute,
        },
    )
    board = context.config.board
    skus = sorted({sku for names in config.licences.values() for sku in names})
    google = full_target(
        config.name,
        GoogleClient(settings, dry_run=context.dry_run),
        drives=config.shared_drives,
        skus=skus,
        customer=config.customer,
        domain=board.domain,
        pupil_domain=board.pupil_domain,
        group_domain=config.group_domain,
        ou_root=config.ou_root,
        staff_ou=config.staff_ou,
        pupils_ou=config.pupils_ou,
        pupil_ou_per_group=config.pupil_ou_per_group,
        parallel=config.parallel,
        location_names={loc.brin6: loc.name for loc in context.config.locations},
        **({"licence_products": config.licence_products} if skus else {}),
    )
    context.close_later(google.close)
    return google


def check(config: GoogleTargetConfig) -> list[str]:
    """The service account key, unless the target runs on the emulator."""
    if config.emulator is not None:
        return []
    key = config.secret_value("service_account_key")
    if key is None:
        return [
            f"targets.{config.name}: no service account key: set the environment variable "
            f"{config.service_account_key_env}, or service_account_key_file"
        ]
    try:
        info = json.loads(key)
    except ValueError:
        return [f"targets.{config.name}.service_account_key: not a JSON key file"]
    missing = [f for f in ("client_email", "private_key", "token_uri") if not info.get(f)]
    if missing:
        return [f"targets.{config.name}.service_account_key: lacks {', '.join(missing)}"]
    return []


#: The Education Plus (staff) SKU every staff role gets in the demo's Google Workspace.
DEMO_STAFF_SKU = ["1010310009"]


def demo(config: Config, folder: Path) -> GoogleTargetConfig:
    """The demo's Google Workspace for Education (``provisioner demo --target google``): the
    emulator, its state in the demo folder, with shared drives and licences."""
    staff_roles = ("director", "location_leader", "care_coordinator", "teacher", "support_staff")
    return GoogleTargetConfig.model_validate(
        {
            "type": "google",
            "name": "google",
            "admin_subject": f"beheer@{config.board.domain}",
            "include_pupils": True,
            "shared_drives": True,
            "licences": {role: DEMO_STAFF_SKU for role in staff_roles},
            "emulator": {"state_file": (folder / "google-workspace.json").resolve()},
        }
    )
