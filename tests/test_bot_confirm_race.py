"""A confirmation that arrives twice at the same moment (a double press, a Slack retry, two
``serve`` replicas) applies once, on SQLite and on PostgreSQL: one override, one task set,
one set of notices; the other arrival answers "already confirmed" and sends nothing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.console import Console
from provisioner.store.tables import ChatAction, ManualTaskRow, Override
from tests.slack_harness import bot_board


def test_two_replicas_confirming_the_same_plan_at_once_apply_it_once(
    tmp_path: Path, db_url: str
) -> None:
    with bot_board(tmp_path, db_url=db_url, staff=30, pupils=60) as board:
        leader = board.staff_with_role("location_leader", "07XY00")
        person = next(p for p in board.staff() if p.key != leader.key
                      and p.locations_on(board.now.date()) == frozenset({"07XY00"}))
        first = Console(board.config, board.board.sessions(), as_email=str(leader.email),
                        services={}, clock=board.clock)
        (plan,) = first.say(f"{person.name.display} gaat per 31-12 uit dienst")
        token = next(b["value"] for b in plan["buttons"] if b["action"] == "confirm")
        # Two engines (two replicas) over one store; each presses the same button.
        second = Console(board.config, board.board.sessions(), as_email=str(leader.email),
                         services={}, clock=board.clock)
        answers: list[list[dict[str, Any]]] = []
        start = threading.Barrier(2)

        def press(chat: Console) -> None:
            start.wait()
            answers.append(chat.press("confirm", token, flow="offboarding"))

        threads = [threading.Thread(target=press, args=(c,)) for c in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(answers) == 2
        confirmed = [a for a in answers if a[0]["data"].get("confirmed")]
        assert len(confirmed) == 1, [a[0]["text"] for a in answers]
        with board.board.sessions()() as session:
            assert session.execute(select(func.count()).select_from(Override)).scalar_one() == 1
            tasks = session.execute(select(func.count()).select_from(ManualTaskRow)
                                    ).scalar_one()
            assert tasks == len(confirmed[0][0]["data"]["tasks"])
            assert session.execute(select(func.count()).select_from(ChatAction)
                                   .where(ChatAction.key.startswith("offboarding-confirm:"))
                                   ).scalar_one() == 1
        notices = first.notices + second.notices
        assert len([n for n in notices if n["to"] == "central_office"]) == 3  # one set
