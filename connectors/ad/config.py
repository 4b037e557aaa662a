"""Active Directory's settings (``type = "ad"``), with the file shares."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import Strict, TargetConfig, TargetKind


class ADLocalSharesConfig(Strict):
    """The connector runs on the Samba file server itself and may add a share per location."""

    shares_file: Path = Field(
        description="File included from smb.conf ('include = ...' in a [global] section of "
        "its own, after the shares); the connector appends one section per new share."
    )
    share_root: Path = Field(description="Each new share's folder is made below this folder.")
    smb_conf: Path = Field(description="The server's smb.conf, for samba-tool and smbcontrol.")


class ADFileSharesConfig(Strict):
    """The school file shares: a share per location, a folder per access group (docs/ad.md)."""

    server: str = Field(description="The SMB file server's host name or address.")
    netbios_domain: str = Field(description="The domain's NetBIOS name, e.g. 'SCHOOL'.")
    user: str = Field(
        description="The service account's sAMAccountName for SMB (its password is the "
        "LDAP bind password)."
    )
    share_template: str = Field(
        default="{brin6}", description="A location's share name; {brin6} is its BRIN6."
    )
    local: ADLocalSharesConfig | None = Field(
        default=None,
        description="Set when the connector runs on the Samba server: missing shares are "
        "made. Unset: shares are made by hand (Windows file server), folders and ACLs by us.",
    )


class ADTargetConfig(TargetConfig):
    """On-premises Active Directory over LDAPS or StartTLS (always with certificate
    validation), plus the file shares. The service account's password is read from the
    environment variable ``bind_password_env`` or the file ``bind_password_file``, never
    from this file."""

    type: Literal["ad"]
    name: str
    host: str = Field(description="A domain controller's host name or address.")
    port: int | None = Field(default=None, description="Default 636 (LDAPS) or 389 (StartTLS).")
    start_tls: bool = Field(
        default=False, description="StartTLS on 389 instead of LDAPS on 636; TLS either way."
    )
    ca_file: Path | None = Field(
        default=None, description="CA certificate(s) that signed the DC's certificate (PEM)."
    )
    tls_server_name: str | None = Field(
        default=None,
        description="The host name in the DC's certificate, when 'host' is an address.",
    )
    base_dn: str = Field(description="The domain's naming context, e.g. 'DC=school,DC=test'.")
    managed_ou: str = Field(
        default="Provisioner",
        description="Name of the OU (directly under the domain) that holds the location OUs "
        "and the groups.",
    )
    bind_user: str = Field(description="The service account, as UPN ('svc@school.nl') or DN.")
    bind_password_env: str = Field(
        default="PROVISIONER_AD_PASSWORD",
        description="Environment variable with the service account's password.",
    )
    bind_password_file: Path | None = Field(
        default=None,
        description="File with the service account's password (instead of the variable).",
    )
    secret_names: ClassVar[tuple[str, ...]] = ("bind_password",)
    page_size: int = Field(default=500, ge=1, le=1000, description="Entries per search page.")
    include_pupils: bool = True
    authoritative_groups: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Key patterns (fnmatch) of the managed groups whose members the "
        "provisioner owns: a member added by hand is removed and reported. Groups that do "
        "not match keep members added by hand. E.g. ['class:*', 'loc:*:care'].",
    )
    file_shares: ADFileSharesConfig | None = Field(
        default=None, description="Manage the file shares too (a share per location)."
    )
    licences: dict[str, list[str]] = Field(
        default_factory=dict, description="Not used: Active Directory has no licences."
    )
    sis_roles: dict[str, str] = Field(default_factory=dict)
    kind: ClassVar[TargetKind] = "ad"
