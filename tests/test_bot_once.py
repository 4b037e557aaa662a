"""Keys of chat actions are kept as long as a redelivery or a late press can come, then
forgotten; an unreadable Slack body is refused as not from Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.once import first_time, forget_old_actions
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import ChatAction
from tests.slack_harness import bot_board


def test_old_delivery_keys_go_after_a_week_confirmations_after_a_quarter(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    ages = {"slack-event:old": 8, "slack-event:new": 6, "offboarding-confirm:a": 30,
            "offboarding-confirm:b": 91}
    try:
        for key, days in ages.items():
            assert first_time(sessions, key, "chat:U1")
            with sessions() as session:
                session.execute(update(ChatAction).where(ChatAction.key == key)
                                .values(created_at=now - timedelta(days=days)))
                session.commit()
        assert forget_old_actions(sessions, now) == 2
        with sessions() as session:
            kept = set(session.execute(select(ChatAction.key)).scalars())
        assert {"slack-event:new", "offboarding-confirm:a"} <= kept
        assert not {"slack-event:old", "offboarding-confirm:b"} & kept
    finally:
        engine.dispose()


def test_a_body_that_is_not_utf8_is_401(tmp_path: Path) -> None:
    with bot_board(tmp_path, staff=30, pupils=60) as bb:
        status, _, _ = bb.runtime.handle_http(b"\xff\xfe\x00", {"Content-Type": "text/plain"})
    assert status == 401
