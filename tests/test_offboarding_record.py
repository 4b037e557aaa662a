"""A confirmed offboarding recorded once (the core's :mod:`provisioner.offboarding.record`):
the override and its manual tasks, written in the board's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.conversation import Asker
from provisioner.directory import Directory
from provisioner.offboarding.policy import Scope, make_plan, scope_for
from provisioner.offboarding.record import open_offboarding_tasks, record_offboarding, record_once
from provisioner.tasks import ManualTasks
from tests.board import TODAY, make_board


@pytest.mark.parametrize(
    ("language", "words"),
    [("nl", ("niet-actief in", "verwijderen goedkeuren", "december")),
     ("en", ("inactive in", "approve deletion", "December"))],
)
def test_tasks_are_written_in_the_boards_language_once(
    tmp_path: Path, language: str, words: tuple[str, ...]
) -> None:
    board = make_board(tmp_path, staff=30, pupils=60)
    board.sync()
    text = board.config_path.read_text(encoding="utf-8")
    board.config_path.write_text(
        text.replace("[board]\n", f'[board]\nlanguage = "{language}"\n', 1), encoding="utf-8")
    config = board.config
    assert config.board.language == language
    sessions = board.sessions()
    directory = Directory(sessions)
    office = next(p for p in directory.all_staff() if p.email)
    person = next(p for p in directory.all_staff() if p.key != office.key and p.posts)
    scope = scope_for(Asker("U1", office, is_central_office=True), person, TODAY, "board")
    assert isinstance(scope, Scope)
    plan = make_plan(config, person, scope, TODAY, TODAY)

    def work(session: Any) -> dict[str, Any]:
        override = record_offboarding(session, plan, "chat:U1", office.key, "nl")
        tasks = open_offboarding_tasks(session, config, plan, override, "chat:U1", "central_office")
        return {"override": override, "tasks": len(tasks)}

    first, did = record_once(sessions, "nonce-1", "chat:U1", work)
    again, did_again = record_once(sessions, "nonce-1", "chat:U1", work)
    assert did and not did_again and again == first  # a second arrival records nothing
    tasks = ManualTasks(sessions).list(person_key=person.key)
    assert len(tasks) == first["tasks"] >= 2
    written = " ".join(f"{t.title} {t.instructions}" for t in tasks)
    for word in words:
        assert word in written
