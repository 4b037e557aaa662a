"""Passwords of AD accounts: set over the TLS connection, never logged or kept.

A new account gets a random first password that must be changed at first logon
(``pwdLastSet`` = 0): nobody knows it. A lost answer of either step is settled by reading
``pwdLastSet`` (0 before the first password, its time after, 0 again once it must be
changed), never by sending the same write again; a password that did not land is replaced
by a fresh random one.
"""

from __future__ import annotations

from ldap3 import MODIFY_REPLACE

from connectors.ad.client import ADClient, first
from connectors.passwords import initial_password
from provisioner.errors import OutcomeUnknown


def set_password(client: ADClient, dn: str, password: str, *, must_change: bool) -> None:
    """The ICT desk's reset: this password, to be changed at next logon or not."""
    write_password(client, dn, password)
    expiry = "0" if must_change else "-1"  # 0: must change at next logon
    client.modify("password_expiry", dn, {"pwdLastSet": [(MODIFY_REPLACE, [expiry])]})


def first_password(client: ADClient, dn: str) -> None:
    """A new account's random first password, to be changed at first logon."""
    try:
        write_password(client, dn, initial_password())
    except OutcomeUnknown:
        if pwd_last_set(client, dn) == "0":  # did not land: a fresh one, nobody knows either
            write_password(client, dn, initial_password())
    try:
        client.modify("password_expiry", dn, {"pwdLastSet": [(MODIFY_REPLACE, ["0"])]})
    except OutcomeUnknown:
        if pwd_last_set(client, dn) != "0":
            raise


def write_password(client: ADClient, dn: str, password: str) -> None:
    encoded = f'"{password}"'.encode("utf-16-le")
    client.modify("set_password", dn, {"unicodePwd": [(MODIFY_REPLACE, [encoded])]})


def pwd_last_set(client: ADClient, dn: str) -> str:
    return first(client.read_entry(dn, ["pwdLastSet"]), "pwdLastSet", "0")
