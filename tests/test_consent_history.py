"""Consent answers are kept as a history of changes, whatever the SIS reports each night."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from connectors.reference.target import ReferenceTarget
from provisioner.domain.models import ConsentGiver, ConsentRecord, ConsentStatus
from provisioner.execution.engine import Engine, SyncRequest
from provisioner.sources.models import SourceBatch, SourceKind
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import Consent
from tests.conformance import StaticHr, board_config, teacher

DAY = date(2026, 11, 23)
GRANTED, REFUSED, WITHDRAWN = ConsentStatus.GRANTED, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN


class Answers:
    """A consent source whose answers the test sets per night."""

    name = "sis"
    kind = SourceKind.CONSENT

    def __init__(self) -> None:
        self.records: list[ConsentRecord] = []

    def read(self) -> SourceBatch:
        return SourceBatch(
            self.name, self.kind, consents=list(self.records), counts={"consents": 1}
        )


def answer(status: ConsentStatus, day: date, medium: str = "website") -> ConsentRecord:
    return ConsentRecord("L1", medium, status, "2026-2027", day, ConsentGiver.PARENT)


def test_a_nightly_snapshot_becomes_a_history_of_changes(tmp_path: Path) -> None:
    store = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(store)
    sessions = session_factory(store)
    answers = Answers()
    engine = Engine(
        board_config(), sessions, [StaticHr([teacher("1", "Jan", "", "Smit")]), answers],
        [ReferenceTarget("directory")],
    )  # fmt: skip

    nights = [GRANTED, GRANTED, GRANTED, REFUSED, REFUSED, GRANTED]  # as Somtoday shows the tick
    for n, status in enumerate(nights):
        answers.records = [answer(status, DAY + timedelta(days=n))]
        assert engine.sync(SyncRequest(today=DAY + timedelta(days=n))).status == "applied"

    with sessions() as session:
        rows = session.execute(select(Consent).order_by(Consent.recorded_on)).scalars().all()
    assert [(r.status, (r.recorded_on - DAY).days) for r in rows] == [
        ("granted", 0),  # given
        ("withdrawn", 3),  # unticked: withdrawn from that day, not before
        ("granted", 5),  # given again
    ]


def test_a_history_export_is_stored_once_as_it_is(tmp_path: Path) -> None:
    store = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(store)
    sessions = session_factory(store)
    answers = Answers()
    answers.records = [answer(GRANTED, DAY), answer(WITHDRAWN, DAY + timedelta(days=9)),
                       answer(REFUSED, DAY, medium="social media")]  # fmt: skip
    engine = Engine(
        board_config(), sessions, [StaticHr([teacher("1", "Jan", "", "Smit")]), answers],
        [ReferenceTarget("directory")],
    )  # fmt: skip
    for _ in range(2):
        engine.sync(SyncRequest(today=DAY + timedelta(days=10)))
    with sessions() as session:
        rows = session.execute(select(Consent.medium, Consent.status)).all()
    assert sorted(map(tuple, rows)) == [
        ("social media", "refused"),
        ("website", "granted"),
        ("website", "withdrawn"),
    ]
