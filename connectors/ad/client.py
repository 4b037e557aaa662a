"""The LDAP transport of the AD target: TLS, bind, paged searches, error translation.

- Only LDAPS (636) or StartTLS (389) with certificate validation; there is no setting for a
  plain connection, and AD (and Samba) refuse a simple bind without TLS anyway.
- One service account binds with a simple bind inside the TLS session.
- Searches are paged (simple paged results control). A multi-valued attribute with more
  values than the DC's ``MaxValRange`` (1,500 on Windows AD: a large group's ``member``) comes
  back in ranges (``member;range=0-1499``, then ``member;range=1500-*``); ldap3's
  ``auto_range`` fetches the rest and merges it under the plain name. A range left unmerged
  is an error, never a silently short member list.
- Every LDAP result code becomes one of the typed errors of :mod:`provisioner.errors`, here
  and nowhere else; transient ones (busy, unavailable, timeouts) are retried through the one
  policy of :mod:`connectors.retry`.
- A write (add, modify, delete, modify DN, a password set) is never sent again once it may
  have reached the DC: a connection dropped after sending, or no answer within ``timeout``,
  raises :class:`~provisioner.errors.OutcomeUnknown` (the executor verifies by the object's
  key and resends only what did not land; a repeated ``member`` add or delete would otherwise
  fail or, worse, look done). Only what provably did not leave is retried: a failed connect,
  TLS set-up or bind, a request that could not be sent, an answer that says "busy". Before a
  write, a connection the DC has closed meanwhile (idle timeout) is noticed and opened again,
  so an idle drop is not mistaken for a lost answer.
- Dry run stops at the transport: :meth:`ADClient.write` refuses before anything is sent.
- Log lines carry the operation and the result code, never a DN, a name or a password; ldap3's
  own records that name a password attribute are emptied (:class:`WithholdPasswordRecords`).
"""

from __future__ import annotations

import contextlib
import logging
import select
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from ldap3 import BASE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors

from connectors.retry import retry_policy
from provisioner import secrets
from provisioner.errors import (
    AlreadyExistsError,
    DryRunRejected,
    FatalError,
    NotFoundError,
    OutcomeUnknown,
    RejectedError,
    TransientError,
)
from provisioner.redaction import redact

log = logging.getLogger(__name__)
T = TypeVar("T")

#: What a request that was sent can meet before its answer arrives: the connection dropped
#: (reset, EOF, the DC's notice of disconnection) or the wait outlasted ``timeout`` (ldap3's
#: synchronous strategy raises a receive error for a socket timeout).
LOST_ANSWER = (
    ldap_errors.LDAPSocketReceiveError,
    ldap_errors.LDAPSessionTerminatedByServerError,
    ldap_errors.LDAPResponseTimeoutError,
)

#: attributes whose values are passwords; ldap3 hides only the bind's credentials
PASSWORD_ATTRIBUTES = ("unicodepwd", "userpassword", "clearpassword", "ms-mcs-admpwd")


class WithholdPasswordRecords(logging.Filter):
    """ldap3's own log, once its detail level is turned up (``ldap3.utils.log``), writes each
    modify request with its values (PROTOCOL: the request, EXTENDED: the whole message, values
    as repr and hex), so a password set over LDAP would reach the log as UTF-16 bytes. Its
    "hide sensitive data" covers the bind only. This filter, on the ``ldap3`` logger, empties
    every ldap3 record that names a password attribute (the name comes before the value in
    every form ldap3 writes, even in a line cut at ldap3's maximum length), and blanks every
    known secret (the bind password) from the others, in every encoding of
    :mod:`provisioner.redaction`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(name in message.lower() for name in PASSWORD_ATTRIBUTES):
            record.msg = "ldap3 record withheld: it names a password attribute"
            record.args = ()
            return True
        # the bind password and every other secret read, in any form (UTF-16 bytes too)
        clean = redact(message, secrets.known_values(), "[redacted]")
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def withhold_password_records() -> None:
    """Put the filter on ldap3's logger once (done when this module is imported)."""
    ldap3_logger = logging.getLogger("ldap3")
    if not any(isinstance(f, WithholdPasswordRecords) for f in ldap3_logger.filters):
        ldap3_logger.addFilter(WithholdPasswordRecords())


withhold_password_records()

Entry = dict[str, Any]  # attribute name -> value(s), plus "dn"


@dataclass(frozen=True)
class LdapSettings:
    host: str
    port: int
    bind_user: str  # the service account, as UPN or DN
    bind_password: str
    start_tls: bool = False  # False: LDAPS
    ca_file: Path | None = None  # None: the system's trust store
    server_name: str | None = None  # the name in the certificate, when host is an address
    page_size: int = 500
    timeout: float = 30
    max_attempts: int = 4
    max_wait: float = 60


class ADClient:
    """One TLS connection to a domain controller, opened on first use."""

    def __init__(self, settings: LdapSettings, *, dry_run: bool = False) -> None:
        self.settings = settings
        self.dry_run = dry_run
        self._conn: Connection | None = None
        self._lock = threading.RLock()
        self._retry = retry_policy(settings.max_attempts, settings.max_wait, time.sleep)

    # -- connection --------------------------------------------------------------------------

    def _tls(self) -> Tls:
        s = self.settings
        return Tls(
            validate=ssl.CERT_REQUIRED,
            version=ssl.PROTOCOL_TLS_CLIENT,
            ca_certs_file=str(s.ca_file) if s.ca_file else None,
            valid_names=[s.server_name] if s.server_name else None,
        )

    def connection(self) -> Connection:
        with self._lock:
            if self._conn is not None and self._conn.bound and not self._conn.closed:
                if not _closed_by_peer(self._conn):
                    return self._conn
                self._drop()  # the DC closed it while idle: open a new one, nothing was sent
            s = self.settings
            server = Server(
                s.host,
                port=s.port,
                use_ssl=not s.start_tls,
                tls=self._tls(),
                connect_timeout=s.timeout,
                get_info="NO_INFO",
            )
            conn = Connection(
                server,
                user=s.bind_user,
                password=s.bind_password,
                authentication=SIMPLE,
                raise_exceptions=True,
                receive_timeout=s.timeout,
                auto_referrals=False,
                auto_range=True,  # ranged retrieval of large multi-valued attributes
            )
            try:
                self._call("connect", lambda: _open(conn, s.start_tls))
            except BaseException:
                conn.unbind()
                raise
            self._conn = conn
            return conn

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        """Forget the connection (closed quietly): the next call opens a new one."""
        if self._conn is not None:
            with contextlib.suppress(ldap_errors.LDAPException, OSError):
                self._conn.unbind()
            self._conn = None

    # -- reading -------------------------------------------------------------------------------

    def search(
        self,
        base: str,
        search_filter: str,
        attributes: Sequence[str],
        *,
        scope: Literal["BASE", "LEVEL", "SUBTREE"] = SUBTREE,
    ) -> list[Entry]:
        """Every entry that matches, fetched in pages of ``page_size`` (simple paged results
        control); a missing base gives an empty list."""

        def run() -> list[Entry]:
            conn = self.connection()
            found: list[Entry] = []
            cookie: bytes | None = None
            while True:
                conn.search(
                    base,
                    search_filter,
                    search_scope=scope,
                    attributes=list(attributes),
                    paged_size=self.settings.page_size,
                    paged_cookie=cookie,
                )
                page = [
                    {"dn": item["dn"], **_plain(item["raw_attributes"])}
                    for item in conn.response or []
                    if item.get("type") == "searchResEntry"
                ]
                found.extend(page)
                control = (conn.result.get("controls") or {}).get("1.2.840.113556.1.4.319")
                cookie = control["value"]["cookie"] if control else None
                if not cookie:
                    return found
                if not page:  # (Samba keeps one cookie per search, so compare progress)
                    raise TransientError("ldap search: an empty page that promised more")

        try:
            with self._lock:
                return self._call("search", run)
        except NotFoundError:
            return []

    def read_entry(self, dn: str, attributes: Sequence[str]) -> Entry:
        found = self.search(dn, "(objectClass=*)", attributes, scope=BASE)
        if not found:
            raise NotFoundError("ldap: no such object")
        return found[0]

    # -- writing -------------------------------------------------------------------------------

    def guard(self, what: str) -> None:
        """Refuse a change in dry-run mode, before anything (even a lookup) is sent."""
        if self.dry_run:
            raise DryRunRejected(f"dry run: no {what} sent to the domain controller")

    def write(self, what: str, call: Callable[[Connection], Any]) -> None:
        """One change, refused in dry-run mode before anything is sent. Sent once: a lost
        answer raises :class:`OutcomeUnknown` (see the module); ``call`` may send a second
        request only after the first one's answer (a rename that meets a namesake)."""
        self.guard(what)
        with self._lock:
            self._call(what, lambda: call(self.connection()), writes=True)

    def add(self, what: str, dn: str, classes: Sequence[str], attributes: dict[str, Any]) -> None:
        self.write(what, lambda conn: conn.add(dn, list(classes), attributes))  # type: ignore[no-untyped-call]

    def modify(self, what: str, dn: str, changes: dict[str, Any]) -> None:
        self.write(what, lambda conn: conn.modify(dn, changes))  # type: ignore[no-untyped-call]

    def delete(self, what: str, dn: str) -> None:
        self.write(what, lambda conn: conn.delete(dn))  # type: ignore[no-untyped-call]

    # -- errors ----------------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], T], *, writes: bool = False) -> T:
        """One logical call under the retry policy; each attempt's LDAP error is typed. With
        ``writes``, a request whose answer was lost is not sent again (``OutcomeUnknown``)."""

        def attempt() -> T:
            try:
                return call()
            except ldap_errors.LDAPException as exc:
                if writes and isinstance(exc, LOST_ANSWER):
                    self._drop()
                    raise lost_answer(what, exc) from None
                error = translate(what, exc)
                if isinstance(error, TransientError):
                    self._drop()  # reconnect on the next attempt
                raise error from None

        return self._retry.copy()(attempt)


def lost_answer(what: str, exc: ldap_errors.LDAPException) -> OutcomeUnknown:
    """A write that was sent and got no answer: it may have been done."""
    return OutcomeUnknown(
        f"ldap {what}: sent, but the answer was lost ({type(exc).__name__}); not sent again"
    )


def _closed_by_peer(conn: Connection) -> bool:
    """Whether the DC closed this idle connection (or said it would): an idle LDAP connection
    has nothing to read, so anything readable is an end of stream, a reset or a notice of
    disconnection. Checked before a request, it keeps an idle drop from looking like a lost
    answer."""
    sock = conn.socket
    if sock is None:
        return True
    try:
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _open(conn: Connection, start_tls: bool) -> None:
    conn.open()
    if start_tls:
        conn.start_tls()
    conn.bind()


def _plain(raw: dict[str, list[bytes]]) -> Entry:
    """Raw attribute values: binary ones (GUID, SID) stay bytes, the rest become text."""
    out: Entry = {}
    for name, values in raw.items():
        key = name.lower()
        if ";range=" in key:
            if values:  # ldap3's auto_range did not finish it: never use a short list
                raise FatalError(f"ldap search: ranged values of {name.partition(';')[0]} cut")
            continue  # ldap3's empty stand-in for an asked-for range it merged under the name
        if key in ("objectguid", "objectsid"):
            out[key] = values[0] if values else b""
        else:
            out[key] = [v.decode("utf-8", "replace") for v in values]
    return out


def first(entry: Entry, name: str, default: str = "") -> str:
    values = entry.get(name.lower()) or []
    return str(values[0]) if values else default


def values(entry: Entry, name: str) -> list[str]:
    return list(entry.get(name.lower()) or [])


def iter_chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: LDAP result codes (RFC 4511 and AD) by what the caller should do.
TRANSIENT = {
    "busy",
    "unavailable",
    "unwillingToPerform:retry",
    "timeLimitExceeded",
    "adminLimitExceeded",
    "other:retry",
}


def translate(what: str, exc: ldap_errors.LDAPException) -> Exception:
    """The one place where LDAP errors become the project's typed errors."""
    if isinstance(exc, ldap_errors.LDAPOperationResult):
        code = str(exc.description or exc.result)
        message = f"ldap {what}: {code}"
        if isinstance(exc, ldap_errors.LDAPEntryAlreadyExistsResult |
                      ldap_errors.LDAPAttributeOrValueExistsResult):  # fmt: skip
            return AlreadyExistsError(message)
        if isinstance(exc, ldap_errors.LDAPNoSuchObjectResult):
            return NotFoundError(message)
        if isinstance(
            exc,
            ldap_errors.LDAPInvalidCredentialsResult
            | ldap_errors.LDAPStrongerAuthRequiredResult
            | ldap_errors.LDAPInsufficientAccessRightsResult
            | ldap_errors.LDAPConfidentialityRequiredResult
            | ldap_errors.LDAPInappropriateAuthenticationResult,
        ):
            return FatalError(message + " (check the service account and its rights)")
        if isinstance(
            exc,
            ldap_errors.LDAPBusyResult
            | ldap_errors.LDAPUnavailableResult
            | ldap_errors.LDAPTimeLimitExceededResult
            | ldap_errors.LDAPAdminLimitExceededResult,
        ):
            return TransientError(message)
        # constraint violations (a password the policy refuses), bad syntax, object class
        # violations, unwilling to perform: this object's data, not the connection
        return RejectedError(message)
    if isinstance(exc, ldap_errors.LDAPSocketOpenError | ldap_errors.LDAPStartTLSError):
        text = str(exc)
        if "certificate" in text.lower() or "hostname" in text.lower():
            return FatalError(f"ldap {what}: the server's certificate is not trusted: {text}")
        return TransientError(f"ldap {what}: cannot reach the domain controller")
    if isinstance(
        exc,
        ldap_errors.LDAPSocketReceiveError
        | ldap_errors.LDAPSocketSendError
        | ldap_errors.LDAPSessionTerminatedByServerError
        | ldap_errors.LDAPResponseTimeoutError,
    ):
        return TransientError(f"ldap {what}: connection lost")
    return FatalError(f"ldap {what}: {type(exc).__name__}")
