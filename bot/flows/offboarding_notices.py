"""What the people are told about an offboarding's run: the requester (and, on a failure at
the limit or a stop, the central office), then "everything done" when that is so.

The rules (record once, run once, failures and their pause, the due list, when it is done)
are the core's: :mod:`provisioner.offboarding`. This module only turns outcomes into notices.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import Audience, Language, Notice, Reply
from bot.flows.offboarding_text import run_text
from provisioner.config import Config
from provisioner.directory import Directory
from provisioner.i18n import tr
from provisioner.offboarding.runs import (
    due_offboardings,
    finish_once,
    request_of,
    run_offboarding,
)
from provisioner.store.tables import Override


def outcome_notices(
    config: Config,
    sessions: sessionmaker[Session],
    directory: Directory,
    override_id: int,
    outcome: dict[str, Any],
    *,
    tell_requester: bool = True,
) -> list[Notice]:
    """What to tell about a run: the requester (and, on a failure at the limit or a stop,
    the central office), then "everything done" when that is so."""
    status = outcome.get("status")
    if status in ("retry", "scheduled", "claimed"):
        return []
    with sessions() as session:
        request = request_of(session, override_id) or {}
        override = session.get(Override, override_id)
    if override is None:
        return []
    person = directory.staff(override.person_key)
    name = person.name.display if person else override.person_key
    lang: Language = "en" if request.get("language") == "en" else "nl"
    data = {"person_key": override.person_key, "run": outcome, "override_id": override_id}
    notices: list[Notice] = []
    if tell_requester and request.get("requester"):
        notices.append(
            Notice(
                Audience.PERSON,
                Reply(run_text(lang, name, outcome), data=data),
                person_key=str(request["requester"]),
            )
        )
    if status in ("failed", "stopped"):
        notices.append(
            Notice(Audience.CENTRAL_OFFICE, Reply(run_text(lang, name, outcome), data=data))
        )
    return notices + finished_notices(config, sessions, directory, override_id)


def run_due_offboardings(
    config: Config,
    sessions: sessionmaker[Session],
    services: Any,
    now: datetime,
) -> list[Notice]:
    """The scheduler's part: run every confirmed offboarding whose last day has passed and
    that has not run yet (a failed one after its pause); the notices tell the requesters."""
    directory = Directory(sessions)
    notices: list[Notice] = []
    for override in due_offboardings(sessions, now):
        outcome = run_offboarding(
            config,
            sessions,
            services,
            override.id,
            override.person_key,
            override.requested_by,
            now.date(),
            now,
        )
        notices += outcome_notices(config, sessions, directory, override.id, outcome)
    return notices


def finished_notices(
    config: Config, sessions: sessionmaker[Session], directory: Directory, override_id: int
) -> list[Notice]:
    """ "Everything is done" for the requester, once (:func:`finish_once` decides)."""
    request = finish_once(sessions, override_id)
    if request is None:
        return []
    key = str(request["person_key"])
    person = directory.staff(key)
    lang: Language = "en" if request.get("language") == "en" else "nl"
    name = person.name.display if person else key
    return [
        Notice(
            Audience.PERSON,
            Reply(
                tr(
                    lang,
                    "Done: {name} is fully offboarded (access blocked, manual steps done).",
                    name=name,
                ),
                data={"finished": True, "person_key": key, "override_id": override_id},
            ),
            person_key=str(request["requester"]),
        )
    ]
