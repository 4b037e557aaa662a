"""From an ``ADTargetConfig`` to a ready :class:`ADTarget` (the secret the config resolved)."""

from __future__ import annotations

from connectors.ad.client import ADClient, LdapSettings
from connectors.ad.config import ADTargetConfig
from connectors.ad.share_target import ADShareTarget, ShareOptions
from connectors.ad.shares import FileShares, LocalShares, SmbSettings
from connectors.ad.target import ADTarget
from provisioner.config import Config


def bind_password(target: ADTargetConfig) -> str:
    """The service account's password as the configuration resolved it: the file named in
    the config, else the variable."""
    return target.require_secret(
        "bind_password", f"[targets] {target.name}:", "the service account's password"
    ).get_secret_value()


def build_ad_target(config: Config, target: ADTargetConfig, *, dry_run: bool) -> ADTarget:
    password = bind_password(target)
    client = ADClient(
        LdapSettings(
            host=target.host,
            port=target.port or (389 if target.start_tls else 636),
            bind_user=target.bind_user,
            bind_password=password,
            start_tls=target.start_tls,
            ca_file=target.ca_file,
            server_name=target.tls_server_name,
            page_size=target.page_size,
        ),
        dry_run=dry_run,
    )
    shares = None
    options = ShareOptions()
    if target.file_shares is not None:
        fs = target.file_shares
        local = (
            LocalShares(fs.local.shares_file, fs.local.share_root, fs.local.smb_conf)
            if fs.local is not None
            else None
        )
        shares = FileShares(
            SmbSettings(fs.server, fs.netbios_domain, fs.user, password, local), dry_run=dry_run
        )
        options = ShareOptions(share_template=fs.share_template)
    if shares is not None:
        return ADShareTarget(
            target.name, client, base_dn=target.base_dn, domain=config.board.domain,
            shares=shares, share_options=options, pupil_domain=config.board.pupil_domain,
            managed_ou=target.managed_ou, authoritative_groups=target.authoritative_groups,
        )  # fmt: skip
    return ADTarget(
        target.name,
        client,
        base_dn=target.base_dn,
        domain=config.board.domain,
        pupil_domain=config.board.pupil_domain,
        managed_ou=target.managed_ou,
        authoritative_groups=target.authoritative_groups,
    )
