"""No password reaches a log record, even at DEBUG with ldap3's own protocol log at its most
detailed level (EXTENDED: every LDAP message dumped), against a real Samba AD DC.

The first password of ``create_account`` is random and never leaves the connector, so the
test makes the generator return a known one; ``reset_password`` is given a known one. Each is
looked for in every captured record in every form it travels in: as text, as the UTF-16-LE
``unicodePwd`` value (its repr, hex and base64) and a fragment of it. The service account's
bind password is looked for too.

ldap3 writes modify requests with their values at PROTOCOL and EXTENDED detail, so without
``connectors.ad.client.WithholdPasswordRecords`` this test fails (it did: the UTF-16 bytes of
the first password, as repr and as hex).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from ldap3.utils import log as ldap3_log

import connectors.ad.passwords as ad_passwords
from provisioner.targets import AccountSpec
from tests.test_ad_target import make_target, wipe

if TYPE_CHECKING:
    from tests.samba_dc import SambaDC

pytest_plugins = ["tests.samba_dc"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:ssl.match_hostname:DeprecationWarning"),
]

OU = "LogCheck"
FIRST = "Eerste-Wachtw00rd-Qx7Kp3"
RESET = "Reset-Wachtw00rd-Zt9wHb3n"


def forms(password: str) -> list[str]:
    """Every way a log line could carry the password (text, or the unicodePwd bytes)."""
    encoded = f'"{password}"'.encode("utf-16-le")
    return [
        password,
        password[:8],
        repr(encoded)[2:-1],
        repr(password[:6].encode("utf-16-le"))[2:-1],
        encoded.hex(),
        password.encode().hex(),
        base64.b64encode(encoded).decode(),
        base64.b64encode(password.encode()).decode(),
    ]


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Root and ldap3 at DEBUG, ldap3's own detail at EXTENDED; restored afterwards."""
    detail = ldap3_log.get_library_log_detail_level()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ldap3")
    ldap3_log.set_library_log_detail_level(ldap3_log.EXTENDED)
    try:
        yield caplog
    finally:
        ldap3_log.set_library_log_detail_level(detail)


def captured_record(record: logging.LogRecord) -> str:
    return "\n".join([record.getMessage(), repr(record.args), repr(record.__dict__)])


def captured(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join([caplog.text, *(captured_record(r) for r in caplog.records)])


def test_passwords_never_reach_the_log(
    samba_dc: SambaDC,
    everything_logged: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wipe(samba_dc, OU)
    monkeypatch.setattr(ad_passwords, "initial_password", lambda: FIRST)
    target = make_target(samba_dc, OU)
    try:
        remote_id = target.create_account(
            AccountSpec("staff:9301", "log.check", "Log Check", "Log", "Check", True)
        )
        target.reset_password(remote_id, RESET, must_change=True)
    finally:
        target.close()
        wipe(samba_dc, OU)

    text = captured(everything_logged)
    # the capture saw the LDAP traffic itself, and both password modifications (PROTOCOL
    # and EXTENDED each) as ldap3 records the connector's filter emptied
    ldap3_records = [r for r in everything_logged.records if r.name.startswith("ldap3")]
    assert len(ldap3_records) > 20
    withheld = [r for r in ldap3_records if "withheld" in r.getMessage()]
    assert len(withheld) >= 4, [r.getMessage()[:80] for r in withheld]
    assert any(r.name.startswith("connectors.ad") for r in everything_logged.records)
    for password in (FIRST, RESET, samba_dc.service_password):
        leaked = [form for form in forms(password) if form in text]
        where = [
            f"{r.name}: {r.getMessage()[:300]}"
            for r in everything_logged.records
            if any(form in captured_record(r) for form in forms(password))
        ]
        assert leaked == [], f"a password reached the log as {leaked} in {where}"
