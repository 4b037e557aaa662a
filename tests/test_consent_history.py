"""Consent answers are kept as a history of changes, whatever the SIS reports each night."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from connectors.reference.target import ReferenceTarget
from provisioner.domain.models import ConsentGiver, ConsentMechanism, ConsentRecord, ConsentStatus
from provisioner.execution.engine import Engine, SyncRequest
from provisioner.privacy.consent import save_consent_history
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


# -- by giver (issue 13 item 5) ----------------------------------------------------------------


def test_a_pupils_refusal_after_the_parents_yes_is_her_refusal(tmp_path: Path) -> None:
    """Daan (L4) is 16: his "no" after his parents' "yes" is a refusal by him, not a
    withdrawal, and it decides whatever the parents said; the parents' own "no" after their
    "yes" is still a withdrawal."""
    from tests.test_consent_cli import CONFIG, consent
    from tests.test_consent_world import fill_directory

    config_path = tmp_path / "provisioner.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'provisioner.db'}")
    upgrade(engine)
    fill_directory(session_factory(engine))
    engine.dispose()
    (tmp_path / "answers.csv").write_text(
        "pupil_id,medium,status,school_year,recorded_on,given_by\n"
        "L4,website,granted,2026-2027,2026-09-01,parent\n"
        "L4,website,refused,2026-2027,2026-10-01,pupil\n"
        "L1,website,granted,2026-2027,2026-09-01,parent\n"
        "L1,website,refused,2026-2027,2026-10-01,parent\n",
        encoding="utf-8",
    )
    code, _ = consent(config_path, "import", str(tmp_path / "answers.csv"))
    assert code == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'provisioner.db'}")
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Consent.pupil_id, Consent.given_by, Consent.status).order_by(Consent.id)
        ).all()
    engine.dispose()
    assert sorted(map(tuple, rows)) == [
        ("L1", "parent", "granted"),
        ("L1", "parent", "withdrawn"),
        ("L4", "parent", "granted"),
        ("L4", "pupil", "refused"),
    ]
    code, out = consent(config_path, "check", "--pupil", "L4", "--medium", "website",
                        "--on", "2026-11-23", "--json")  # fmt: skip
    assert code == 1
    assert {k: v for k, v in json.loads(out).items() if k in ("reason", "given_by")} == {
        "reason": "refused", "given_by": "pupil",
    }  # fmt: skip
    code, out = consent(config_path, "check", "--pupil", "L4", "--medium", "website",
                        "--on", "2026-11-23")  # fmt: skip
    assert "consent refused by the pupil on 2026-10-01" in " ".join(out.split())


def test_both_givers_on_one_day_and_a_yes_obtained_otherwise_are_kept(tmp_path: Path) -> None:
    store = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(store)
    sessions = session_factory(store)
    parent = answer(GRANTED, DAY)
    pupil = ConsentRecord("L1", "website", GRANTED, "2026-2027", DAY, ConsentGiver.PUPIL)
    later = DAY + timedelta(days=1)
    stated = ConsentRecord("L1", "website", GRANTED, "2026-2027", later, ConsentGiver.PARENT,
                           ConsentMechanism.OPT_IN)  # fmt: skip
    with sessions.begin() as session:
        assert save_consent_history(session, [parent, pupil]) == 2
    with sessions.begin() as session:
        assert save_consent_history(session, [parent, pupil]) == 0  # the same again
        assert save_consent_history(session, [stated]) == 1  # now it says how it was asked
        assert save_consent_history(session, [stated]) == 0


def test_the_upgrade_turns_old_withdrawals_without_a_yes_of_that_giver_into_refusals(
    tmp_path: Path,
) -> None:
    """Before revision 0005 a pupil's "no" after the parents' "yes" was stored as withdrawn."""
    from alembic import command
    from sqlalchemy import text

    from provisioner.store.db import _alembic_config  # the test of one migration step

    store = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    command.upgrade(_alembic_config(store), "0004")
    with store.begin() as conn:
        for pupil, status, day, giver in [
            ("L4", "granted", "2026-09-01", "parent"),
            ("L4", "withdrawn", "2026-10-01", "pupil"),  # the old writer's mistake
            ("L1", "granted", "2026-09-01", "parent"),
            ("L1", "withdrawn", "2026-10-01", "parent"),  # a real withdrawal
        ]:
            conn.execute(
                text("INSERT INTO consents (pupil_id, medium, status, school_year, recorded_on,"
                     " given_by, source) VALUES (:p, 'website', :s, '2026-2027', :d, :g, 'x')"),
                {"p": pupil, "s": status, "d": day, "g": giver},
            )  # fmt: skip
    upgrade(store)
    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT pupil_id, given_by, status, mechanism FROM consents ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("L4", "parent", "granted", None),
        ("L4", "pupil", "refused", None),
        ("L1", "parent", "granted", None),
        ("L1", "parent", "withdrawn", None),
    ]
