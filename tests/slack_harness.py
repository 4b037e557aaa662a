"""A demo board with the bot on it, a fake Slack Web API and signed Slack requests: for the
bot's scenario tests (all three flows) and benchmarks/bot.py.

    with bot_board(tmp_path) as bb:
        leader = bb.staff_with_role("location_leader")
        bb.slack.add_user("U1", leader.email)
        status, _, _ = bb.post(*bb.requests.slash("/uitdienst", "Jan de Vries per 1-12", user="U1"))
        bb.runtime.wait_idle()
        bb.slack.calls("response_url")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.console import Console
from bot.runtime import BotRuntime
from connectors.emulators.slack import SlackEmulator, SlackRequests
from provisioner.app.bot_services import default_services
from provisioner.directory import Directory, StaffEntry
from provisioner.domain.models import Role
from tests.board import TODAY, Board, make_board

SIGNING_SECRET = "test-signing-secret"
AMSTERDAM_NOON = datetime.combine(TODAY, time(10, 0), tzinfo=ZoneInfo("Europe/Amsterdam"))


def bot_config_text(central_office: str, privacy_officer: str, extra: str = "") -> str:
    return (
        "[bot]\n"
        f'central_office = ["{central_office}"]\n'
        f'privacy_officers = ["{privacy_officer}"]\n'
        'manual_portals = ["Schooldossier (Inspectie)", "Mijn Vensters"]\n'
        f"{extra}\n"
    )


@dataclass
class BotBoard:
    board: Board
    slack: SlackEmulator
    runtime: BotRuntime
    requests: SlackRequests
    now: datetime

    @property
    def config(self) -> Any:
        return self.runtime.config

    def clock(self) -> datetime:
        return self.now

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return self.runtime.handle_http(body, headers)

    def console(self, email: str) -> Console:
        return Console(self.config, self.board.sessions(), as_email=email,
                       engine=self.runtime.engine, deliver=self.runtime.deliverer())

    def directory(self) -> Directory:
        return Directory(self.board.sessions())

    def staff(self) -> list[StaffEntry]:
        return _all_staff(self.board)

    @property
    def central_office(self) -> StaffEntry:
        """A staff member (administration) who is also in the board's central office."""
        return _by_email(self.board, self.config.bot.central_office[0])

    @property
    def privacy_officer(self) -> StaffEntry:
        return _by_email(self.board, self.config.bot.privacy_officers[0])

    def staff_with_role(self, role: str, location: str | None = None) -> StaffEntry:
        for person in _all_staff(self.board):
            if person.email in (*self.config.bot.central_office, *self.config.bot.privacy_officers):
                continue
            for post in person.posts:
                if (post.role == Role(role) and post.active_on(TODAY)
                        and (location is None or post.location == location)
                        and person.email):
                    return person
        raise LookupError(role)


def _by_email(board: Board, email: str) -> StaffEntry:
    found = Directory(board.sessions()).staff_by_email(email)
    assert found is not None
    return found


def _all_staff(board: Board) -> list[StaffEntry]:
    from sqlalchemy import select

    from provisioner.store.tables import DirectoryPerson

    directory = Directory(board.sessions())
    with board.sessions()() as session:
        keys = list(session.execute(
            select(DirectoryPerson.key).where(DirectoryPerson.kind == "staff")
            .order_by(DirectoryPerson.key)
        ).scalars())
    return [s for s in (directory.staff(k) for k in keys) if s is not None]


@contextmanager
def bot_board(
    folder: Path,
    *,
    db_url: str | None = None,
    bot_extra: str = "",
    now: datetime | None = None,
    staff: int = 60,
    pupils: int = 700,
) -> Iterator[BotBoard]:
    """A demo board after one full sync, the bot on it, and a running Slack emulator."""
    board = make_board(folder, db_url, staff=staff, pupils=pupils)
    board.sync()
    support = [p for p in _all_staff(board)
               if p.email and any(post.role is Role.SUPPORT_STAFF for post in p.posts)
               and len(p.posts) == 1]
    text = board.config_path.read_text(encoding="utf-8")
    board.config_path.write_text(
        text.replace("[board]", bot_config_text(str(support[0].email), str(support[1].email),
                                                bot_extra) + "\n[board]", 1),
        encoding="utf-8",
    )
    moment = now or AMSTERDAM_NOON
    with SlackEmulator() as slack:
        client = WebClient(token=slack.bot_token, base_url=slack.base_url,
                           retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
        holder: dict[str, BotBoard] = {}
        runtime = _runtime(board, client, lambda: holder["bb"].now)
        bb = BotBoard(board, slack, runtime,
                      SlackRequests(SIGNING_SECRET, response_url=slack.response_url()), moment)
        holder["bb"] = bb
        slack.add_user("UCENTRAL", bb.central_office.email, name="central office")
        slack.add_user("UPRIVACY", bb.privacy_officer.email, name="privacy officer")
        try:
            yield bb
        finally:
            runtime.close()


def _runtime(board: Board, client: WebClient, clock: Any) -> BotRuntime:
    import os

    os.environ["PROVISIONER_SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    try:
        config, sessions = board.config, board.sessions()
        return BotRuntime(config, sessions, slack_client=client, clock=clock,
                          services=default_services(config, sessions))
    finally:
        del os.environ["PROVISIONER_SLACK_SIGNING_SECRET"]


def leader_and_colleague(bb: BotBoard) -> tuple[StaffEntry, StaffEntry]:
    """A location leader and a colleague at their location with one open-ended post (and a
    name nobody else has)."""
    leader = bb.staff_with_role("location_leader")
    location = next(iter(leader.locations_on(bb.now.date())))
    for person in bb.staff():
        if (person.key != leader.key and len(person.posts) == 1 and person.email
                and person.posts[0].location == location and person.posts[0].end is None
                and len(bb.directory().find_staff(person.name.display)) == 1):
            return leader, person
    raise LookupError(location)
