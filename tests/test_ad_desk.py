"""``provisioner ad reset-password`` (the ICT desk) against the real Samba DC."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ldap3.core.exceptions import LDAPInvalidCredentialsResult
from sqlalchemy import select
from typer.testing import CliRunner, Result

from connectors.ad.target import ADTarget
from provisioner.app.cli import app
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent
from provisioner.targets import AccountSpec
from tests.test_ad_config import BOARD
from tests.test_ad_target import make_target, wipe

if TYPE_CHECKING:
    from tests.samba_dc import SambaDC

pytest_plugins = ["tests.samba_dc"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:ssl.match_hostname:DeprecationWarning"),
]

OU = "Desk"
PASSWORD_LINE = re.compile(r"^    (\S+)$", re.MULTILINE)


@pytest.fixture
def desk(samba_dc: SambaDC, tmp_path: Path) -> Iterator[tuple[ADTarget, Path]]:
    wipe(samba_dc, OU)
    target = make_target(samba_dc, OU)
    config = tmp_path / "provisioner.toml"
    config.write_text(
        BOARD
        + f"""
[[targets]]
type = "ad"
name = "ad"
host = "{samba_dc.host}"
tls_server_name = "{samba_dc.host_name}"
ca_file = "{samba_dc.ca_file}"
base_dn = "{samba_dc.base_dn}"
managed_ou = "{OU}"
bind_user = "{samba_dc.service_bind}"
bind_password_env = "DESK_TEST_AD_PASSWORD"
""",
        encoding="utf-8",
    )
    yield target, config
    target.close()
    wipe(samba_dc, OU)


def run(config: Path, samba_dc: SambaDC, sqlite_url: str, person: str) -> Result:
    env = {"DESK_TEST_AD_PASSWORD": samba_dc.service_password,
           "PROVISIONER_DATABASE_URL": sqlite_url}  # fmt: skip
    return CliRunner().invoke(
        app, ["ad", "reset-password", "--person", person, "--config", str(config)], env=env
    )


def audit(sqlite_url: str) -> list[AuditEvent]:
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as session:
        rows = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    engine.dispose()
    return rows


def bind_error(samba_dc: SambaDC, user: str, password: str) -> str:
    """Samba's answer to a simple bind: AD's sub-code 773 means "the password is right, but
    must be changed first"; 52e means a wrong password."""
    from tests.samba_dc import _connect

    with pytest.raises(LDAPInvalidCredentialsResult) as refused:
        _connect(samba_dc, user, password)
    return str(refused.value.message)


def test_the_desk_resets_a_password_that_must_be_changed_at_first_logon(
    desk: tuple[ADTarget, Path], samba_dc: SambaDC, sqlite_url: str
) -> None:
    target, config = desk
    spec = AccountSpec("staff:7301", "desk.person", "Desk Person", "Desk", "Person", True)
    remote_id = target.create_account(spec)

    result = run(config, samba_dc, sqlite_url, "staff:7301")
    assert result.exit_code == 0, result.output
    (password,) = PASSWORD_LINE.findall(result.stdout)  # shown exactly once
    assert len(password) == 19 and password.count("-") == 3

    upn = "desk.person@example.nl"
    assert "773" in bind_error(samba_dc, upn, password)  # right password, must change
    assert "52e" in bind_error(samba_dc, upn, password + "x")  # (a wrong one is told apart)
    changed = "Own-" + password[::-1]  # the person chooses their own at first logon
    done = subprocess.run(
        ["smbpasswd", "-r", samba_dc.host, "-U", "desk.person", "-s"],
        input=f"{password}\n{changed}\n{changed}\n", capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    from tests.samba_dc import _connect

    _connect(samba_dc, upn, changed).unbind()  # and now logs on

    (event,) = audit(sqlite_url)
    assert (event.action, event.object_key) == ("ad.reset_password", "staff:7301")
    assert event.target == "ad"
    assert event.actor.startswith("cli:") and len(event.actor) > 4
    assert remote_id in event.change and "must_change_at_logon" in event.change
    for row in audit(sqlite_url):
        assert password not in f"{row.reason} {row.change} {row.actor}"


def test_the_desk_is_refused_for_a_disabled_account_and_an_unknown_key(
    desk: tuple[ADTarget, Path], samba_dc: SambaDC, sqlite_url: str
) -> None:
    target, config = desk
    spec = AccountSpec("staff:7302", "gone.person", "Gone Person", "Gone", "Person", False)
    remote_id = target.create_account(spec)
    conn = samba_dc.admin_connection()
    dn = target.distinguished_name(remote_id)
    conn.search(dn, "(objectClass=*)", "BASE", attributes=["pwdLastSet"])
    before = conn.entries[0].pwdLastSet.raw_values

    result = run(config, samba_dc, sqlite_url, "staff:7302")
    assert result.exit_code == 1
    assert "staff:7302 is disabled" in result.output
    assert not PASSWORD_LINE.findall(result.output)
    conn.search(dn, "(objectClass=*)", "BASE", attributes=["pwdLastSet"])
    assert conn.entries[0].pwdLastSet.raw_values == before  # nothing was changed
    conn.unbind()

    result = run(config, samba_dc, sqlite_url, "staff:7399")
    assert result.exit_code == 1
    assert "no account in AD target 'ad' has person key staff:7399" in result.output

    assert run(config, samba_dc, sqlite_url, "7399").exit_code == 2  # not a person key
    assert [(e.action, e.object_key) for e in audit(sqlite_url)] == [
        ("ad.reset_password.refused", "staff:7302"),
        ("ad.reset_password.refused", "staff:7399"),
    ]


def test_a_reset_whose_answer_was_lost_says_so_and_asks_for_another(
    desk: tuple[ADTarget, Path], samba_dc: SambaDC, sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from provisioner.errors import OutcomeUnknown

    target, config = desk
    target.create_account(
        AccountSpec("staff:7302", "desk.lost", "Desk Lost", "Desk", "Lost", True))

    def lost(self: ADTarget, remote_id: str, password: str, *, must_change: bool = True) -> None:
        raise OutcomeUnknown("the connection dropped after the modify was sent")

    monkeypatch.setattr(ADTarget, "reset_password", lost)
    result = run(config, samba_dc, sqlite_url, "staff:7302")
    assert result.exit_code == 1
    assert "may or may not have been reset" in result.output
    assert not PASSWORD_LINE.findall(result.stdout)  # no password shown: nobody may use it
    (event,) = audit(sqlite_url)
    assert event.action == "ad.reset_password.unknown"
