"""An offboarding confirmed in chat reaches Microsoft 365 at once: on the demo board (the
reference directory and the Graph emulator), the person's Entra account is disabled with its
sessions revoked, through the same code path as the nightly sync."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.console import Console
from bot.flows.offboarding import format_day
from connectors.sis.config import SisStaffTargetConfig
from provisioner.app.bot_services import default_services
from provisioner.app.cli import app
from provisioner.app.config import load_config
from provisioner.directory import Directory
from provisioner.domain.models import Role
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent, DirectoryPerson

pytestmark = pytest.mark.slow


def _m365_user(folder: Path, employee_number: str) -> dict[str, object]:
    tenant = json.loads((folder / "graph-tenant.json").read_text(encoding="utf-8"))
    users = [u for u in tenant["users"].values() if u.get("employeeId") == employee_number]
    assert len(users) == 1, f"{len(users)} Entra accounts for employee {employee_number}"
    return dict(users[0])


def test_offboarding_in_chat_blocks_sign_in_in_microsoft_365(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    config = load_config(folder / "provisioner.toml")
    sessions = session_factory(make_engine(f"sqlite:///{folder / 'provisioner.db'}"))
    directory = Directory(sessions)
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    with sessions() as session:
        keys = session.execute(
            select(DirectoryPerson.key).where(DirectoryPerson.kind == "staff")
        ).scalars()
        staff = [s for s in map(directory.staff, keys) if s is not None and s.email]
    leader = next(
        s for s in staff if any(p.role is Role.LOCATION_LEADER for p in s.posts if p.end is None)
    )
    location = next(p.location for p in leader.posts if p.role is Role.LOCATION_LEADER)
    leaver = next(
        s
        for s in staff
        if s.key != leader.key
        and s.roles_at(location, today) == {Role.TEACHER}
        and s.locations_on(today) == {location}
        and len(directory.find_staff(s.name.display)) == 1
    )
    assert _m365_user(folder, leaver.employee_number)["accountEnabled"] is True

    # with a SIS staff connector the SIS step is part of the sync, not a task by hand
    somtoday = SisStaffTargetConfig(type="sis-staff", name="somtoday-staff", system="somtoday")
    with_sis = config.model_copy(update={"targets": [*config.targets, somtoday]})
    ask = Console(with_sis, sessions, as_email=str(leader.email), services={})
    facts = dict(ask.say(f"/uitdienst {leaver.name.display} gisteren")[0]["facts"])
    assert "automatisch" in facts["Leerlingadministratie (somtoday-staff)"]
    assert "Leerlingadministratie" not in facts  # no manual SIS task
    ask.say("stop")

    chat = Console(config, sessions, as_email=str(leader.email),
                   services=default_services(config, sessions))
    plan = chat.say(f"/uitdienst {leaver.name.display} gisteren")
    assert plan[0]["data"]["person_key"] == leaver.key
    assert any("Microsoft 365" in label for label, _ in plan[0]["facts"])
    # what the bot says about the mailbox is what happens: it goes with the account (and,
    # without its licence, Microsoft 365 keeps it 30 days); no target keeps it any longer
    data = plan[0]["data"]
    mailbox_until = date.fromisoformat(data["mailbox_until"])
    assert mailbox_until <= date.fromisoformat(data["delete_on"])
    assert format_day(mailbox_until, "nl") in dict(plan[0]["facts"])["Mailbox"]
    done = chat.press("confirm", leaver.key)
    assert done[0]["data"]["confirmed"] is True

    user = _m365_user(folder, leaver.employee_number)
    assert user["accountEnabled"] is False
    tenant = json.loads((folder / "graph-tenant.json").read_text(encoding="utf-8"))
    assert str(user["id"]) in json.dumps(tenant["revocations"])  # sessions revoked
    assert _m365_user(folder, leader.employee_number)["accountEnabled"] is True  # only that one
    with sessions() as session:
        m365 = session.execute(
            select(AuditEvent.actor, AuditEvent.action).where(
                AuditEvent.object_key == leaver.key, AuditEvent.target == "m365"
            )
        ).all()
    assert {"disable_account", "revoke_sessions"} <= {action for _, action in m365}, m365
    offboarding = {a for a, action in m365 if action in ("disable_account", "revoke_sessions")}
    assert offboarding == {f"chat:console:{str(leader.email).lower()}"}  # the requester
