"""The consent register over the state store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from connectors.reference.target import ReferenceTarget
from provisioner.config import ConsentConfig, ConsentLocationConfig
from provisioner.domain.models import ConsentGiver
from provisioner.execution.engine import Engine as SyncEngine
from provisioner.execution.engine import SyncRequest
from provisioner.privacy.consent import (
    ConsentRegister,
    Reason,
    UnknownMedium,
    UnknownPupil,
    save_consent_history,
)
from provisioner.sources.models import SourceBatch, SourceKind
from provisioner.store.db import session_factory
from provisioner.store.tables import Consent
from tests.conformance import StaticHr, teacher
from tests.test_consent_world import (
    DAY,
    G5B,
    G7A,
    GRANTED,
    REFUSED,
    answer,
    config,
    fill_consents,
    fill_directory,
)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    factory = session_factory(engine)
    fill_directory(factory)
    fill_consents(factory)
    return factory


@pytest.fixture
def register(sessions: sessionmaker[Session]) -> ConsentRegister:
    return ConsentRegister(sessions, config())


def test_a_pupil_per_medium(register: ConsentRegister) -> None:
    website = register.check_pupil("pupil:L1", "website", DAY)
    assert (website.allowed, website.reason, website.medium) == (True, Reason.GRANTED, "website")
    instagram = register.check_pupil("L1", "Instagram", DAY)
    assert (instagram.allowed, instagram.reason, instagram.medium) == (
        False, Reason.WITHDRAWN, "social media",
    )  # fmt: skip
    assert instagram.since == date(2026, 11, 3)
    before = register.check_pupil("L1", "Instagram", date(2026, 11, 2))
    assert before.allowed
    assert register.check_pupil("L2", "website", DAY).reason is Reason.REFUSED
    assert register.check_pupil("L4", "website", DAY).reason is Reason.WRONG_GIVER
    assert register.check_pupil("L4", "website", date(2026, 5, 31)).reason is Reason.NO_CONSENT
    assert register.check_pupil("L6", "website", DAY).reason is Reason.OTHER_MEDIA_ONLY
    assert register.check_pupil("L6", "in de klas", DAY).reason is Reason.NO_CONSENT_NEEDED
    assert register.check_pupil("L3", "nieuwsbrief", DAY).reason is Reason.OTHER_MEDIA_ONLY


def test_unknown_pupils_and_media_are_errors(register: ConsentRegister) -> None:
    with pytest.raises(UnknownPupil):
        register.check_pupil("pupil:nobody", "website", DAY)
    with pytest.raises(UnknownPupil):
        register.check_group("no-such-group", "website", DAY)
    with pytest.raises(UnknownMedium):
        register.check_pupil("L1", "bioscoop", DAY)


def test_a_group_names_only_the_pupils_without_consent(register: ConsentRegister) -> None:
    website = register.check_group(G5B, "website", DAY)
    assert website.total == 30
    assert not website.allowed
    assert {(p.key, p.name, p.answer.reason) for p in website.without} == {
        ("pupil:L2", "Noah de Vries", Reason.REFUSED),
        ("pupil:L6", "Anne-Fleur van 't Hek", Reason.OTHER_MEDIA_ONLY),
    }
    newsletter = register.check_group(G5B, "de nieuwsbrief", DAY)
    assert [p.name for p in newsletter.without] == ["Noah de Vries", "Sanne Jansen"]  # by name
    in_class = register.check_group(G5B, "gebruik in de klas", DAY)
    assert (in_class.allowed, in_class.reason, in_class.total) == (
        True, Reason.NO_CONSENT_NEEDED, 30,
    )  # fmt: skip
    body = website.as_dict()
    assert body["allowed"] is False and body["total"] == 30 and len(body["without"]) == 2


def test_a_group_where_everyone_consented(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        save_consent_history(session, [answer("L3", "nieuwsbrief", GRANTED, date(2026, 9, 2)),
                                       answer("L4", "nieuwsbrief", GRANTED, date(2026, 9, 2),
                                              giver=ConsentGiver.PUPIL)])  # fmt: skip
        session.commit()
    result = ConsentRegister(sessions, config()).check_group(G7A, "newsletter", DAY)
    assert (result.allowed, result.total, result.without) == (True, 2, ())
    assert result.as_dict()["reason"] == "granted"


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_a_group_of_30_takes_two_queries(register: ConsentRegister, statements: list[str]) -> None:
    register.check_group(G5B, "website", DAY)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects


def test_settings_per_location_the_school_that_asks_every_year(
    sessions: sessionmaker[Session],
) -> None:
    yearly = config(ConsentConfig(default_mechanism="opt_in", locations={
        "07XY00": ConsentLocationConfig(asks_every_year=True)}))  # fmt: skip
    next_year = date(2027, 9, 15)
    assert ConsentRegister(sessions, config()).check_pupil("L1", "website", next_year).allowed
    answer_ = ConsentRegister(sessions, yearly).check_pupil("L1", "website", next_year)
    assert (answer_.allowed, answer_.reason, answer_.school_year) == (
        False, Reason.EXPIRED_SCHOOL_YEAR, "2026-2027",
    )  # fmt: skip


def test_stored_medium_names_of_the_sis_count_for_the_catalogue_medium(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        save_consent_history(
            session, [answer("L6", "Foto's op de website", GRANTED, date(2026, 9, 3))]
        )
        session.commit()
    assert ConsentRegister(sessions, config()).check_pupil("L6", "website", DAY).allowed


class Answers:
    """A consent source whose answers the test sets per night."""

    name = "sis"
    kind = SourceKind.CONSENT

    def __init__(self, records: list[Any]) -> None:
        self.records = records

    def read(self) -> SourceBatch:
        return SourceBatch(self.name, self.kind, consents=list(self.records),
                           counts={"consents": len(self.records)})  # fmt: skip


def test_every_sync_fills_the_register(sessions: sessionmaker[Session]) -> None:
    source = Answers([answer("L2", "website", GRANTED, date(2026, 11, 20))])
    engine = SyncEngine(config(), sessions, [StaticHr([teacher("1", "Jan", "de", "Vries")]),
                                             source], [ReferenceTarget("directory")])  # fmt: skip
    assert engine.sync(SyncRequest(today=DAY)).status == "applied"
    with sessions() as session:
        rows = session.execute(
            select(Consent.status, Consent.source).where(Consent.pupil_id == "L2")
        ).all()
    assert sorted(map(tuple, rows)) == [("granted", "consent"), ("refused", "consent")]
    fill_directory(sessions)  # the sync replaced the directory with this tiny read
    register = ConsentRegister(sessions, config())
    assert register.check_pupil("L2", "website", DAY).allowed
    assert register.check_pupil("L2", "website", date(2026, 11, 19)).reason is Reason.REFUSED


def test_the_history_writer_keeps_changes_once(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        stored = save_consent_history(session, [
            answer("L3", "website", GRANTED, date(2026, 9, 1)),  # known already
            answer("L3", "website", GRANTED, date(2026, 9, 5)),  # the same yes again
            answer("L3", "website", REFUSED, date(2026, 10, 1)),  # a no after a yes
        ], source="import")  # fmt: skip
        session.commit()
        rows = session.execute(
            select(Consent.status, Consent.source).where(Consent.pupil_id == "L3")
            .order_by(Consent.recorded_on)
        ).all()  # fmt: skip
    assert stored == 1
    assert [tuple(r) for r in rows] == [("granted", "consent"), ("withdrawn", "import")]
