"""Microsoft 365 as a connector: ``type = "m365"`` (with SharePoint when ``sharepoint``)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from connectors.m365.config import M365TargetConfig
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
from provisioner.plugins import BuildContext
from provisioner.targets import Target

if TYPE_CHECKING:
    from connectors.m365.client import GraphSettings, TokenProvider

#: What the register says about Microsoft 365 (art. 30): Entra ID accounts, groups,
#: licences and, with ``sharepoint``, the document libraries, over Microsoft Graph.
PROCESSING = ProcessingFacts(
    system="Microsoft 365 (Entra ID, SharePoint)",
    flow=Flow.WRITES,
    purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.NAME, DataCategory.ACCOUNT, DataCategory.INITIAL_PASSWORD,
        DataCategory.EMPLOYEE_NUMBER, DataCategory.PUPIL_ID, DataCategory.ROLE,
        DataCategory.LOCATION, DataCategory.GROUP_MEMBERSHIP, DataCategory.LICENCES,
        DataCategory.FILE_ACCESS,
    ),
    people=(PersonCategory.STAFF, PersonCategory.PUPILS, PersonCategory.INTERNS),
    recipients=(Recipient.SUPPLIER, Recipient.SCHOOL_STAFF),
    measures=(
        Measure.TLS, Measure.OAUTH_CLIENT_CREDENTIALS, Measure.SECRETS_OUTSIDE_CONFIG,
        Measure.RANDOM_FIRST_PASSWORD, Measure.SAFETY_GATE, Measure.AUDIT_TRAIL,
    ),
    processor=ProcessorRole.SUPPLIER,
)  # fmt: skip


def build(config: M365TargetConfig, context: BuildContext) -> Target:
    from connectors.m365.client import GraphClient, GraphSettings
    from connectors.m365.libraries import M365LibraryTarget
    from connectors.m365.target import M365Target

    settings = GraphSettings(
        tenant=config.tenant,
        client_id=config.client_id,
        client_secret=config.secret_value("client_secret"),
        certificate_path=config.certificate_path,
        authority_host=config.authority_host,
        graph_url=config.graph_url,
        ca_file=config.ca_file,
    )
    tokens = None
    if config.emulator is not None:
        from connectors.m365.demo import start_graph_emulator

        settings = start_graph_emulator(config.emulator, settings, context.run_stack())
    elif settings.client_secret is None and settings.certificate_path is None:
        config.require_secret(
            "client_secret", f"[targets] {config.name}:", "the app's client secret, or "
            "configure certificate_path",
        )  # fmt: skip
    elif context.kept is not None:
        tokens = kept_tokens(context, settings)
    kind = M365LibraryTarget if config.sharepoint else M365Target
    m365 = kind(
        config.name,
        GraphClient(settings, dry_run=context.dry_run, token_provider=tokens),
        domain=context.config.board.domain,
        pupil_domain=context.config.board.pupil_domain,
        usage_location=config.usage_location,
        delta_cache=config.delta_cache,
    )
    context.close_later(m365.close)
    return m365


def kept_tokens(context: BuildContext, settings: GraphSettings) -> TokenProvider:
    """The app-only Graph token a long-running process keeps (msal's in-memory cache): a
    token lives about an hour, so a run the bot starts minutes after the last one does not
    ask the identity platform again. One per app registration and credential: another
    tenant, app, authority or secret, or a certificate file that changed, gets its own."""
    from connectors.m365.client import MsalTokens

    assert context.kept is not None
    key = ("m365", settings.tenant, settings.client_id, settings.authority_host,
           str(settings.ca_file), credential_mark(settings))  # fmt: skip
    return context.kept.get(key, lambda: MsalTokens(settings))


def credential_mark(settings: GraphSettings) -> str:
    """Tells credentials apart without keeping them: a digest of the secret, or the
    certificate file's path and modification time (a renewed certificate is read again)."""
    if settings.certificate_path is not None:
        try:
            changed = settings.certificate_path.stat().st_mtime_ns
        except OSError:
            changed = 0
        return f"certificate:{settings.certificate_path}:{changed}"
    return "secret:" + hashlib.sha256((settings.client_secret or "").encode()).hexdigest()


def check(config: M365TargetConfig) -> list[str]:
    """The client secret or certificate, unless the target runs on the emulator."""
    if config.emulator is not None:
        return []
    if config.certificate_path is None and config.secret("client_secret") is None:
        return [
            f"targets.{config.name}: no client secret: set the environment variable "
            f"{config.client_secret_env}, or configure certificate_path"
        ]
    if config.certificate_path is not None and not config.certificate_path.exists():
        return [
            f"targets.{config.name}.certificate_path: {config.certificate_path} does not exist"
        ]
    return []
