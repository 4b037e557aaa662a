"""A real Samba AD domain controller on loopback, for the AD connector's tests.

Register it in a test module with ``pytest_plugins = ["tests.samba_dc"]`` and ask for the
``samba_dc`` fixture. Once per test session it copies a throwaway domain SCHOOL.TEST into a
temporary directory (nothing under /etc is touched), starts ``samba -i -M single`` as a child
of the test run, creates the provisioner's service account and an empty share include file,
and stops every process it started at the end (by process group and by id).

The service account is not privileged: an ordinary user, delegated control of each managed
OU a test asks for (``SambaDC.managed_ou``, ``delegation_sddl``: the rights docs/ad.md lists)
and an ``admin users`` entry of the file server, except on sysvol and netlogon. Test set-up
and hand-made drift use ``SambaDC.admin_connection`` (Administrator).

Provision once, copy per session: ``samba-tool domain provision`` runs once per Samba version
(and per set of provision options) into a template under
``$XDG_CACHE_HOME/school-provisioner/`` (default ``~/.cache``); each session copies it with
``cp -a`` (extended attributes too: sysvol's NT ACLs live in ``security.NTACL``) and rewrites
the absolute paths. Only ``etc/smb.conf`` holds the provision path: checked with
``grep -c`` on every file of a fresh provision (the LDB and TDB files under ``private/``,
``sam.ldb.d/`` and ``state/`` hold none, in UTF-8 or UTF-16), and the fixture checks it again
after every copy, falling back to a fresh provision if a copy still names the template or
lost sysvol's ACL. A template older than 30 days is provisioned again, because the domain's
default maximum password age (42 days) would expire the Administrator's password.
``SAMBA_DC_FRESH=1`` provisions every session, as before.

Samba's LDAP, Kerberos and SMB ports are fixed (389, 636, 88, 445, ...), so one DC runs per
machine (network namespace) at a time. When Samba is missing the fixture installs it with
``scripts/ensure-samba.sh``; when the environment variable ``CI`` is set it FAILS instead of
skipping, so CI proves the connector against a real DC.

Timings on the 2-core development machine (Samba 4.17): provision 3.9-7.4 s (once per
template; 10-12 s on a loaded machine), copy and rewrite 0.1-0.3 s (every session), start to
first LDAPS bind 1.5-4 s. One test file alone: 19.1 s with a fresh provision, 5.1 s copied.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from ldap3 import LEVEL, MODIFY_REPLACE, SIMPLE, Connection, Server, Tls

REPO = Path(__file__).resolve().parent.parent
REALM = "SCHOOL.TEST"
DOMAIN = "SCHOOL"
BASE_DN = "DC=school,DC=test"
HOST_NAME = "DC1.school.test"  # the name in Samba's self-signed certificate
TOOLS = ("samba", "samba-tool", "smbclient", "smbcacls", "smbcontrol")
LDAPS_PORT = 636
SERVICE_USER = "svc-provisioner"
TREE_DELETE = ("1.2.840.113556.1.4.805", True, None)

# schemaIDGUIDs and the control access right the delegation names (docs/ad.md)
USER_CLASS = "bf967aba-0de6-11d0-a285-00aa003049e2"
GROUP_CLASS = "bf967a9c-0de6-11d0-a285-00aa003049e2"
OU_CLASS = "bf967aa5-0de6-11d0-a285-00aa003049e2"
RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"  # User-Force-Change-Password


def delegation_sddl(sid: str) -> str:
    """The ACEs the service account gets on a managed OU, and nowhere else (docs/ad.md):
    create and delete users and groups in it and in every OU below it, create those OUs,
    read and write every property of the users and groups below it (names, employeeID,
    userAccountControl, pwdLastSet, member, info, ...; a move is a write of the name plus a
    delete and a create child), and reset their passwords. No WRITE_DAC, no ownership, no
    deleting OUs, nothing on other object classes."""
    return "".join([
        f"(OA;CI;CCDC;{USER_CLASS};;{sid})",
        f"(OA;CI;CCDC;{GROUP_CLASS};;{sid})",
        f"(OA;CI;CC;{OU_CLASS};;{sid})",
        f"(OA;CIIO;RPWP;;{USER_CLASS};{sid})",
        f"(OA;CIIO;CR;{RESET_PASSWORD};{USER_CLASS};{sid})",
        f"(OA;CIIO;RPWP;;{GROUP_CLASS};{sid})",
    ])  # fmt: skip


@dataclass(frozen=True)
class SambaDC:
    """A running throwaway domain controller and what a test needs to reach it."""

    root: Path
    admin_password: str
    service_password: str
    #: seconds to make this session's domain directory (a copy of the template, or a fresh
    #: provision), and from process start to the first bind
    provision_seconds: float
    start_seconds: float
    #: True when the domain was copied from the cached template
    copied: bool = False
    #: seconds the template's provision took (when it was made, perhaps in an earlier session)
    template_seconds: float = 0.0

    realm: str = REALM
    domain: str = DOMAIN
    base_dn: str = BASE_DN
    host_name: str = HOST_NAME
    host: str = "127.0.0.1"
    service_user: str = SERVICE_USER
    service_sid: str = ""
    #: DNs of the managed OUs delegated to the service account this session
    delegated: set[str] = field(default_factory=set, compare=False)

    @property
    def ca_file(self) -> Path:
        return self.root / "private" / "tls" / "ca.pem"

    @property
    def smb_conf(self) -> Path:
        return self.root / "etc" / "smb.conf"

    @property
    def shares_conf(self) -> Path:
        """The include file the connector writes its per-location shares to."""
        return self.root / "etc" / "shares.conf"

    @property
    def share_root(self) -> Path:
        """Share folders: a world-traversable link target, because smbd opens files as the
        logged-in user and pytest's temporary directories are private to root."""
        return (self.root / "shares").resolve()

    @property
    def service_bind(self) -> str:
        return f"{self.service_user}@{self.realm.lower()}"

    def admin_connection(self) -> Connection:
        """An LDAPS connection as Administrator, for test set-up and hand-made drift."""
        return _connect(self, f"Administrator@{self.realm.lower()}", self.admin_password)

    def service_connection(self) -> Connection:
        """An LDAPS connection as the (delegated, unprivileged) service account."""
        return _connect(self, self.service_bind, self.service_password)

    def managed_ou(self, name: str, *, delegate: bool = True) -> str:
        """``OU=<name>`` under the domain root, emptied (as Administrator: tree delete of
        everything in it), made if missing, and delegated to the service account
        (``delegation_sddl``). The connector cannot make a managed OU at the domain root
        itself: the service account has no right there. Returns the OU's DN."""
        dn = f"OU={name},{self.base_dn}"
        conn = self.admin_connection()
        try:
            conn.raise_exceptions = False
            if conn.search(dn, "(objectClass=*)", LEVEL, attributes=["objectClass"]):
                entries = [e for e in conn.response or [] if e["type"] == "searchResEntry"]
                for child in [str(entry["dn"]) for entry in entries]:
                    conn.delete(child, controls=[TREE_DELETE])
            elif conn.result["result"] == 32:  # noSuchObject
                conn.raise_exceptions = True
                conn.add(dn, ["top", "organizationalUnit"])
                self.delegated.discard(dn.lower())
            else:
                conn.search(dn, "(objectClass=*)", "BASE", attributes=["ou"])
                if not conn.response:  # an empty OU answers no entries: anything else is wrong
                    raise RuntimeError(f"reading {dn} failed: {conn.result}")
        finally:
            conn.unbind()
        if delegate and dn.lower() not in self.delegated:
            delegate_ou(self, dn)
            self.delegated.add(dn.lower())
        return dn


def delegate_ou(dc: SambaDC, dn: str) -> None:
    """``samba-tool dsacl set`` on the local sam.ldb: add the delegation's ACEs to the OU."""
    done = subprocess.run(
        ["samba-tool", "dsacl", "set", f"--objectdn={dn}",
         f"--sddl={delegation_sddl(dc.service_sid)}",
         "-H", str(dc.root / "private" / "sam.ldb"), "-s", str(dc.smb_conf)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"samba-tool dsacl set failed: {done.stderr.strip()[-800:]}")


def _tls(root: Path) -> Tls:
    return Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=str(root / "private" / "tls" / "ca.pem"),
        valid_names=[HOST_NAME],
    )


def _connect(dc: SambaDC, user: str, password: str) -> Connection:
    server = Server(dc.host, port=LDAPS_PORT, use_ssl=True, tls=_tls(dc.root), connect_timeout=5)
    return Connection(
        server, user=user, password=password, authentication=SIMPLE, auto_bind=True,
        raise_exceptions=True,
    )  # fmt: skip


def _samba_available() -> bool:
    return all(shutil.which(tool) for tool in TOOLS)


def ensure_samba() -> None:
    """Samba installed, or a test failure that says why (never a skip in CI)."""
    if _samba_available():
        return
    if os.environ.get("CI"):
        pytest.fail("Samba AD DC is not installed in CI: .ci/run must run scripts/ensure-samba.sh")
    if os.geteuid() != 0:
        pytest.fail("Samba AD DC is not installed: run 'sudo sh scripts/ensure-samba.sh'")
    done = subprocess.run(
        ["sh", str(REPO / "scripts" / "ensure-samba.sh")], capture_output=True, text=True
    )
    if done.returncode != 0 or not _samba_available():
        pytest.fail(f"installing Samba failed: {done.stderr.strip()[-500:]}")


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


PROVISION_OPTIONS = {
    "interfaces": "lo",
    "bind interfaces only": "yes",
    "server services": "-dns -dnsupdate -nbt -wrepl -ntp_signd",
    "disable netbios": "yes",
    "log file": "{root}/log.%m",
    "pid directory": "{root}/run",
    "ncalrpc dir": "{root}/run/ncalrpc",
    "dns update command": "/bin/true",
    "spn update command": "/bin/true",
    "dns forwarder": "127.0.0.1",
}
TEMPLATE_MAX_AGE = 30 * 24 * 3600  # seconds; the domain's maxPwdAge is 42 days


def _provision_command(root: Path, admin_password: str) -> list[str]:
    empty = root / "empty.conf"  # so nothing of /etc/samba/smb.conf leaks into the domain
    options = {name: value.format(root=root) for name, value in PROVISION_OPTIONS.items()}
    return [
        "samba-tool", "domain", "provision", f"--configfile={empty}",
        f"--targetdir={root}", f"--realm={REALM}", f"--domain={DOMAIN}", "--server-role=dc",
        "--dns-backend=NONE", "--use-rfc2307", "--host-name=dc1", "--host-ip=127.0.0.1",
        f"--adminpass={admin_password}",
        *(f"--option={name}={value}" for name, value in options.items()),
    ]  # fmt: skip


def provision_domain(root: Path, admin_password: str) -> None:
    """A new domain in ``root``; options keep every service on loopback and off /etc."""
    root.mkdir(parents=True)
    (root / "run").mkdir()
    (root / "empty.conf").write_text("")
    done = subprocess.run(_provision_command(root, admin_password), capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"samba-tool domain provision failed: {done.stderr.strip()[-800:]}")


def add_session_files(root: Path) -> None:
    """The connector's shares live in an include file; an include inside [global] would pull
    the rest of [global] into the last share, so it goes in a [global] block of its own.

    The service account administers the file shares as an ``admin users`` entry (smbd runs
    its file operations as root): the connector's ACLs name only Domain Admins, SYSTEM and
    its own groups, so no ACE can keep it in (docs/ad.md). The DC's own shares, sysvol
    (group policies) and netlogon, set the list empty again: there it is an ordinary user."""
    conf = root / "etc" / "smb.conf"
    (root / "etc" / "shares.conf").write_text("")
    shares = Path(tempfile.mkdtemp(prefix="samba-shares-"))
    shares.chmod(0o755)
    (root / "shares").symlink_to(shares)
    text = conf.read_text(encoding="utf-8")
    for share in ("sysvol", "netlogon"):
        text, found = re.subn(rf"^\[{share}\]$", f"[{share}]\n\tadmin users =", text, flags=re.M)
        if found != 1:
            pytest.fail(f"smb.conf has no [{share}] section to keep out of 'admin users'")
    text += (
        f"\n[global]\n\tadmin users = {DOMAIN}\\{SERVICE_USER}\n"
        f"\tinclude = {root}/etc/shares.conf\n"
    )
    conf.write_text(text, encoding="utf-8")


def provision(root: Path, admin_password: str) -> None:
    """A fresh domain for this session only (no template)."""
    provision_domain(root, admin_password)
    add_session_files(root)


# -- provision once, copy per session -----------------------------------------------------------


def samba_version() -> str:
    done = subprocess.run(["samba", "--version"], capture_output=True, text=True)
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", done.stdout.strip().removeprefix("Version ")) or "x"


def template_dir() -> Path:
    """The cached template for this Samba version and these provision options."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    command = _provision_command(Path("ROOT"), "PASSWORD")
    options = hashlib.sha256("\0".join(command).encode()).hexdigest()[:10]
    return cache / "school-provisioner" / f"samba-template-{samba_version()}-{options}"


@dataclass(frozen=True)
class Template:
    folder: Path
    provisioned_at: Path  # the absolute path the domain was provisioned in (in smb.conf)
    admin_password: str
    provision_seconds: float

    @property
    def domain(self) -> Path:
        return self.folder / "dc"


def _read_template(folder: Path) -> Template | None:
    try:
        stamp = folder / "provisioned-at"
        if time.time() - stamp.stat().st_mtime > TEMPLATE_MAX_AGE:
            return None
        return Template(
            folder,
            Path(stamp.read_text().strip()),
            (folder / "admin-password").read_text().strip(),
            float((folder / "provision-seconds").read_text()),
        )
    except (OSError, ValueError):
        return None


def ensure_template() -> Template:
    """The cached provisioned domain, made now if missing or too old. The caller holds the
    machine lock, so two sessions never build it at once; the rename makes it appear whole."""
    folder = template_dir()
    found = _read_template(folder)
    if found is not None:
        return found
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    admin_password = "Adm1n-" + secrets.token_urlsafe(12)
    began = time.monotonic()
    provision_domain(building / "dc", admin_password)
    took = time.monotonic() - began
    secret = building / "admin-password"
    secret.write_text(admin_password + "\n")
    secret.chmod(0o600)
    (building / "provision-seconds").write_text(f"{took:.2f}\n")
    (building / "provisioned-at").write_text(f"{building / 'dc'}\n")
    if folder.exists():  # too old or broken: replace it
        shutil.rmtree(folder)
    building.rename(folder)
    made = _read_template(folder)
    assert made is not None
    return made


def _mentions(root: Path, path: Path) -> list[Path]:
    """Files under ``root`` that still name ``path`` (UTF-8 or UTF-16, as LDB could)."""
    needles = (str(path).encode(), str(path).encode("utf-16-le"))
    found = []
    for file in root.rglob("*"):
        if file.is_file() and not file.is_symlink():
            data = file.read_bytes()
            if any(needle in data for needle in needles):
                found.append(file)
    return found


def copy_template(template: Template, root: Path) -> bool:
    """The template's domain in ``root`` with its paths rewritten; False (and nothing left in
    ``root``) if the copy is not clean, so the caller provisions afresh instead."""
    root.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["cp", "-a", "--reflink=auto", str(template.domain), str(root)],
        capture_output=True, text=True,
    )  # fmt: skip
    conf = root / "etc" / "smb.conf"
    if done.returncode == 0:
        text = conf.read_text(encoding="utf-8")
        conf.write_text(text.replace(str(template.provisioned_at), str(root)), encoding="utf-8")
    sysvol = "security.NTACL"
    clean = (
        done.returncode == 0
        and not _mentions(root, template.provisioned_at)
        and os.getxattr(root / "state" / "sysvol", sysvol)
        == os.getxattr(template.domain / "state" / "sysvol", sysvol)
    )
    if not clean:
        shutil.rmtree(root, ignore_errors=True)
    return clean


def prepare_domain(root: Path) -> tuple[str, bool, float]:
    """This session's domain directory: the admin password, whether it was copied from the
    template, and how long the template's provision took."""
    if not os.environ.get("SAMBA_DC_FRESH"):
        try:
            template: Template | None = ensure_template()
        except OSError:  # no writable cache folder: provision this session's domain instead
            template = None
        if template is not None and copy_template(template, root):
            add_session_files(root)
            return template.admin_password, True, template.provision_seconds
    admin_password = "Adm1n-" + secrets.token_urlsafe(12)
    began = time.monotonic()
    provision(root, admin_password)
    return admin_password, False, time.monotonic() - began


class _Process:
    """``samba -i`` in its own process group, so stopping it stops every child it forks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = (root / "samba-foreground.log").open("wb")
        self.popen = subprocess.Popen(
            ["samba", "-i", "-M", "single", "-s", str(root / "etc" / "smb.conf")],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, dc: SambaDC, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"samba exited with {self.popen.returncode}: see {self.log.name}")
            if dc.ca_file.exists() and _port_in_use(LDAPS_PORT) and _port_in_use(445):
                try:
                    dc.admin_connection().unbind()
                    if _winbind_ready():  # smbd maps users to ids through winbindd
                        return
                except Exception as exc:  # not up yet: the TLS key pair is made at first start
                    last = exc
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"samba did not answer LDAPS within {timeout} s: {last}")

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL to whatever of ours is left (by process id)."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        for pid in _our_processes(self.root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.log.close()
        shutil.rmtree((self.root / "shares").resolve(), ignore_errors=True)


def _winbind_ready() -> bool:
    """winbindd answers on its fixed socket (/run/samba/winbindd: libwbclient ignores the
    ``winbindd socket directory`` option, so it is left at its default)."""
    if shutil.which("wbinfo") is None:
        return True
    return subprocess.run(["wbinfo", "-p"], capture_output=True).returncode == 0


def _our_processes(root: Path) -> list[int]:
    """Samba helpers that left the group (samba-dcerpcd): found by our private config path."""
    marker = str(root / "etc" / "smb.conf").encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _add_service_account(dc: SambaDC) -> SambaDC:
    """The provisioner's service account: an ordinary user, in no group but Domain Users.
    Each managed OU is delegated to it when a test first asks for it
    (``SambaDC.managed_ou``); the file shares let it in as an ``admin users`` entry of the
    file server (``add_session_files``), as docs/ad.md describes."""
    conn = dc.admin_connection()
    dn = f"CN={SERVICE_USER},CN=Users,{BASE_DN}"
    conn.add(
        dn,
        ["top", "person", "organizationalPerson", "user"],
        {"sAMAccountName": SERVICE_USER, "userPrincipalName": dc.service_bind},
    )
    password = f'"{dc.service_password}"'.encode("utf-16-le")
    conn.modify(dn, {"unicodePwd": [(MODIFY_REPLACE, [password])]})
    conn.modify(dn, {"userAccountControl": [(MODIFY_REPLACE, [0x200 | 0x10000])]})
    conn.search(dn, "(objectClass=*)", "BASE", attributes=["objectSid"])
    sid = str(conn.entries[0].objectSid.value)
    conn.unbind()
    return dataclasses.replace(dc, service_sid=sid)


LOCK_FILE = Path(tempfile.gettempdir()) / "school-provisioner-samba-dc.lock"
LOCK_WAIT = 900  # seconds: another test run on this machine may hold the only DC


def _take_machine_lock() -> IO[str]:
    """One Samba DC per machine (fixed ports): a second test run waits for the first."""
    handle = LOCK_FILE.open("a+")
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                pytest.fail(f"another test run held {LOCK_FILE} for {LOCK_WAIT} s")
            time.sleep(1)


def start_samba_dc(root: Path) -> tuple[SambaDC, _Process]:
    ensure_samba()
    for port in (389, LDAPS_PORT, 445):
        if _port_in_use(port):
            pytest.fail(f"port {port} on 127.0.0.1 is in use: is another Samba DC running?")
    began = time.monotonic()
    admin_password, copied, template_seconds = prepare_domain(root)
    provisioned = time.monotonic()
    process = _Process(root)
    dc = SambaDC(
        root=root,
        admin_password=admin_password,
        service_password="Svc-" + secrets.token_urlsafe(16) + "1!",
        provision_seconds=provisioned - began,
        start_seconds=0.0,
        copied=copied,
        template_seconds=template_seconds,
    )
    process.wait_ready(dc)
    dc = dataclasses.replace(dc, start_seconds=time.monotonic() - provisioned)
    try:
        dc = _add_service_account(dc)
    except Exception:
        process.stop()
        raise
    return dc, process


@pytest.fixture(scope="session")
def samba_dc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SambaDC]:
    """One Samba AD DC for the whole test session."""
    root = tmp_path_factory.mktemp("samba") / "dc"
    lock = _take_machine_lock()
    try:
        dc, process = start_samba_dc(root)
    except BaseException:
        lock.close()
        raise
    made = (
        f"copied the template in {dc.provision_seconds:.2f} s "
        f"(its provision took {dc.template_seconds:.1f} s once)"
        if dc.copied
        else f"provisioned in {dc.provision_seconds:.1f} s"
    )
    print(f"\nsamba_dc: {made}, ready {dc.start_seconds:.1f} s after start")  # shown with -s
    try:
        yield dc
    finally:
        process.stop()
        lock.close()  # releases the machine lock
