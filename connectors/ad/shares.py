"""The school file shares over SMB: folders and their NTFS ACLs, through Samba's own clients.

``smbclient`` (folders) and ``smbcacls`` (ACLs, as SDDL) are the tools Samba ships and keeps
in step with its server; they speak SMB3 to Samba and to Windows file servers alike, so the
same code manages a Windows share. (A Python SMB library such as ``smbprotocol`` would need
hand-built security descriptors; smbcacls reads and writes SDDL, inherits and propagates.)
The service account's password reaches them through an authentication file readable only by
this process's user, never on a command line.

Creating a *share* is not part of SMB. When the connector runs on the Samba file server
(``local`` settings), it writes the share into an include file of smb.conf, makes the folder
and gives it a first ACL (Domain Admins and SYSTEM) with ``samba-tool ntacl``; everything
else goes over SMB. On a Windows file server the shares are made by hand once per location.

Nothing here ever deletes a folder or a file.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from provisioner.errors import (
    DryRunRejected,
    FatalError,
    NotFoundError,
    RejectedError,
    TransientError,
)

log = logging.getLogger(__name__)
STATUS = re.compile(r"NT_STATUS_[A-Z_]+")
NOT_FOUND = {
    "NT_STATUS_OBJECT_NAME_NOT_FOUND",
    "NT_STATUS_OBJECT_PATH_NOT_FOUND",
    "NT_STATUS_BAD_NETWORK_NAME",
    "NT_STATUS_NO_SUCH_FILE",
}
TRANSIENT = {
    "NT_STATUS_IO_TIMEOUT",
    "NT_STATUS_CONNECTION_REFUSED",
    "NT_STATUS_CONNECTION_RESET",
    "NT_STATUS_HOST_UNREACHABLE",
    "NT_STATUS_NETWORK_UNREACHABLE",
    "NT_STATUS_INSUFFICIENT_RESOURCES",
}
FATAL = {
    "NT_STATUS_LOGON_FAILURE",
    "NT_STATUS_ACCESS_DENIED",
    "NT_STATUS_ACCOUNT_DISABLED",
    "NT_STATUS_PASSWORD_EXPIRED",
    "NT_STATUS_ACCOUNT_LOCKED_OUT",
}


@dataclass(frozen=True)
class LocalShares:
    """The connector runs on the Samba file server and may add shares."""

    shares_file: Path  # included from smb.conf; the connector appends one section per share
    share_root: Path  # each share's folder is made below this
    smb_conf: Path  # the server's smb.conf (for samba-tool and smbcontrol)


@dataclass(frozen=True)
class SmbSettings:
    server: str
    domain: str  # NetBIOS domain name, "SCHOOL"
    user: str  # the service account's sAMAccountName
    password: str
    local: LocalShares | None = None
    timeout: float = 60


class FileShares:
    """Folders and ACLs on one file server."""

    def __init__(self, settings: SmbSettings, *, dry_run: bool = False) -> None:
        self.settings = settings
        self.dry_run = dry_run
        self.domain_sid: str | None = None  # set by the target once it has read it over LDAP
        self._dir = tempfile.mkdtemp(prefix="provisioner-smb-")
        self._auth = Path(self._dir) / "auth"
        fd = os.open(self._auth, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(
                f"username = {settings.user}\npassword = {settings.password}\n"
                f"domain = {settings.domain}\n"
            )

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- reading -------------------------------------------------------------------------

    def shares(self) -> set[str]:
        """The names of the disk shares the server offers."""
        out = self._run(["smbclient", "-L", f"//{self.settings.server}", "-g"], what="list shares")
        return {
            line.split("|")[1]
            for line in out.splitlines()
            if line.startswith("Disk|") and line.count("|") >= 1
        }

    def acl(self, share: str, path: str) -> str | None:
        """The folder's security descriptor as SDDL; None when the folder does not exist."""
        try:
            out = self._run([*self._cacls(share, path), "--sddl", "--numeric"], what="read an ACL")
        except NotFoundError:
            return None
        for line in out.splitlines():
            if "D:" in line and line.startswith(("O:", "G:", "D:")):
                return line.strip()
        return None

    # -- writing -------------------------------------------------------------------------

    def create_share(self, share: str, admin_sid: str) -> None:
        """A new share on the local Samba server (its folder ACL: Domain Admins and SYSTEM)."""
        local = self.settings.local
        if local is None:
            raise RejectedError(
                f"share {share} does not exist on {self.settings.server}: create it by hand "
                "(or run the connector on the Samba server with file_shares.local set)"
            )
        self._guard("create a share")
        folder = local.share_root / share
        folder.mkdir(parents=True, exist_ok=True)
        text = local.shares_file.read_text(encoding="utf-8") if local.shares_file.exists() else ""
        if f"[{share}]" not in text:
            with local.shares_file.open("a", encoding="utf-8") as handle:
                handle.write(
                    f"\n[{share}]\n\tpath = {folder}\n\tread only = no\n"
                    "\tcomment = managed by the provisioner\n"
                )
        full = "(A;OICI;0x001f01ff;;;{})"
        sddl = f"O:{admin_sid}G:{admin_sid}D:PAI" + full.format(admin_sid) + full.format("S-1-5-18")
        self._run(
            ["samba-tool", "ntacl", "set", sddl, str(folder), "-s", str(local.smb_conf)],
            what="set a share's first ACL",
            authenticated=False,
        )
        subprocess.run(
            ["smbcontrol", "-s", str(local.smb_conf), "smbd", "reload-config"],
            capture_output=True,
            timeout=self.settings.timeout,
        )

    def make_folder(self, share: str, path: str) -> None:
        """Make the folder and any missing parent; folders that exist are left alone."""
        self._guard("make a folder")
        parts = path.split("\\")
        for depth in range(1, len(parts) + 1):
            sub = "\\".join(parts[:depth])
            if self.acl(share, sub) is not None:
                continue
            self._run(
                [*self._client(share), "-c", f'mkdir "{sub}"'],
                what="make a folder",
                ok={"NT_STATUS_OBJECT_NAME_COLLISION"},
            )

    def set_acl(self, share: str, path: str, dacl: str, *, propagate: bool = True) -> None:
        """Replace the folder's DACL; with ``propagate`` its inheritable ACEs are pushed to
        everything below (a repaired folder's content gets the repaired rights)."""
        self._guard("set an ACL")
        command = [*self._cacls(share, path), "--sddl", "--set", dacl]
        self._run(command, what="set an ACL")
        if propagate:  # smbcacls propagates only from a folder that no longer inherits itself
            self._run([*command, "--propagate-inheritance"], what="propagate an ACL")

    # -- internals -----------------------------------------------------------------------

    def _client(self, share: str) -> list[str]:
        return ["smbclient", f"//{self.settings.server}/{share}", "-m", "SMB3"]

    def _cacls(self, share: str, path: str) -> list[str]:
        command = ["smbcacls", f"//{self.settings.server}/{share}", path or "\\", "-m", "SMB3"]
        if self.domain_sid:  # else smbcacls reads SDDL aliases (DA) with its own machine's SID
            command.append(f"--domain-sid={self.domain_sid}")
        return command

    def _guard(self, what: str) -> None:
        if self.dry_run:
            raise DryRunRejected(f"dry run: did not {what} on {self.settings.server}")

    def _run(
        self,
        command: list[str],
        *,
        what: str,
        ok: set[str] | None = None,
        authenticated: bool = True,
    ) -> str:
        """Run one Samba client; its NT_STATUS becomes a typed error (never with a path)."""
        if authenticated:
            command = [*command, "-A", str(self._auth)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=self.settings.timeout
            )
        except subprocess.TimeoutExpired:
            raise TransientError(f"smb {what}: no answer in {self.settings.timeout} s") from None
        output = done.stdout + done.stderr
        statuses = STATUS.findall(output)
        if ok and set(statuses) & ok and not set(statuses) - ok:
            return done.stdout
        if done.returncode == 0 and not statuses:
            return done.stdout
        status = statuses[0] if statuses else f"exit code {done.returncode}"
        message = f"smb {what}: {status}"
        if status in NOT_FOUND:
            raise NotFoundError(message)
        if status in TRANSIENT:
            raise TransientError(message)
        if status in FATAL:
            raise FatalError(message + " (check the service account's rights on the share)")
        if done.returncode == 0:
            return done.stdout
        raise RejectedError(message)
