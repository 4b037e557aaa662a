"""How an account maps onto an AD user object (docs/ad.md, "OU layout and accounts"), and the
account's expiry (``accountExpires``) for an intern's last day.

``accountExpires`` is a Windows FILETIME: 100-nanosecond intervals since 1601-01-01 UTC; 0 and
2^63-1 both mean "never". AD refuses a sign-in from that moment on. For an intern whose last
day is D (the desired account's ``expires`` attribute, ISO) it is the end of D in the board's
time zone: midnight at the start of D + 1 in Europe/Amsterdam, as AD's own tools set "end of"
a day. Read back, a value becomes the last day again (the day before the local day the
moment falls in, or that day itself when it falls later than midnight).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.ad import layout
from connectors.ad.client import Entry, first
from provisioner.targets import AccountSpec, RemoteAccount

USER_ATTRIBUTES = (
    "objectGUID", "cn", "sAMAccountName", "userPrincipalName", "mail", "displayName", "givenName",
    "sn", "employeeID", "employeeType", "title", "department", "userAccountControl",
    "accountExpires",
)  # fmt: skip
KINDS = ("staff", "pupil")

#: The account attribute with the last day (the interns' policy sets it: ISO, or "" for none).
EXPIRES = "expires"
#: What "never" is written as when an expiry is taken away.
NEVER = 0
_NEVER_READ = {0, 0x7FFFFFFFFFFFFFFF}
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_TICKS_PER_SECOND = 10_000_000


def expires_filetime(last_day: str) -> int:
    """``accountExpires`` for an account whose last day is ``last_day`` (ISO): the end of that
    day in Europe/Amsterdam; ``""`` gives :data:`NEVER`."""
    if not last_day:
        return NEVER
    day = date.fromisoformat(last_day) + timedelta(days=1)
    moment = datetime(day.year, day.month, day.day, tzinfo=_AMSTERDAM)
    delta = moment.astimezone(UTC) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * _TICKS_PER_SECOND


def expires_last_day(value: str) -> str:
    """The last day (ISO) an ``accountExpires`` value allows; ``""`` for never or none."""
    try:
        ticks = int(value)
    except ValueError:
        return ""
    if ticks in _NEVER_READ or ticks < 0:
        return ""
    moment = _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    local = moment.astimezone(_AMSTERDAM)
    at_midnight = (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    return (local.date() - timedelta(days=1) if at_midnight else local.date()).isoformat()


def remote_account(user: Entry) -> RemoteAccount:
    """A user entry as the planner sees it; ``expires`` always reported ("" when never)."""
    kind, ident = first(user, "employeeType"), first(user, "employeeID")
    upn = first(user, "userPrincipalName")
    uac = int(first(user, "userAccountControl", "0") or 0)
    attributes = {
        name: value
        for name, value in (
            ("kind", kind),
            ("role", first(user, "title")),
            ("locations", first(user, "department")),
        )
        if value
    }
    attributes[EXPIRES] = expires_last_day(first(user, "accountExpires", "0"))
    return RemoteAccount(
        remote_id=layout.guid_text(user["objectguid"]),
        key=f"{kind}:{ident}" if kind in KINDS and ident else None,
        username=upn.split("@")[0] if upn else first(user, "sAMAccountName"),
        display_name=first(user, "displayName"),
        given_name=first(user, "givenName"),
        family_name=first(user, "sn"),
        enabled=not uac & layout.UAC_DISABLED,
        attributes=attributes,
    )


def user_attributes(spec: AccountSpec, upn: str) -> dict[str, object]:
    """The attributes an account's spec sets: its names, role and locations, and, when the
    spec says (an intern, or someone who was one), ``accountExpires``."""
    attrs = spec.attributes
    out: dict[str, object] = {
        "displayName": spec.display_name,
        "givenName": spec.given_name,
        "sn": spec.family_name,
        "mail": upn,
        "title": attrs.get("role", ""),
        "department": attrs.get("locations", ""),
    }
    if EXPIRES in attrs:
        out["accountExpires"] = expires_filetime(attrs[EXPIRES])
    return out
