"""A small demo board on disk, and ways to change its HR export, for engine and CLI tests."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from connectors.reference.target import ReferenceTarget
from provisioner.app.config import load_config
from provisioner.app.demo.generator import generate_board
from provisioner.app.wiring import build_sources, target_settings
from provisioner.config import Config
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.store.db import make_engine, session_factory, upgrade

TODAY = date(2026, 11, 22)
Row = dict[str, str]


@dataclass
class Board:
    folder: Path
    config_path: Path
    db_url: str
    _sessions: sessionmaker[Session] | None = None

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    @property
    def hr_path(self) -> Path:
        return self.folder / "hr.csv"

    @property
    def directory(self) -> Path:
        return self.folder / "reference-directory"

    def sessions(self) -> sessionmaker[Session]:
        """Migrated once, as a process does at start (Alembic is not thread-safe)."""
        if self._sessions is None:
            engine = make_engine(self.db_url)
            upgrade(engine)
            self._sessions = session_factory(engine)
        return self._sessions

    def target(self, dry_run: bool = False) -> ReferenceTarget:
        return ReferenceTarget("directory", self.directory, dry_run=dry_run)

    def sync(self, today: date = TODAY, **request: object) -> RunReport:
        config = self.config
        dry_run = bool(request.get("dry_run", False))
        target = self.target(dry_run)
        try:
            engine = Engine(
                config,
                self.sessions(),
                build_sources(config),
                [target],
                target_settings=target_settings(config),
            )
            return engine.sync(SyncRequest(today=today, **request))  # type: ignore[arg-type]
        finally:
            target.close()

    def hr_rows(self) -> list[Row]:
        with self.hr_path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def write_hr(self, rows: list[Row]) -> None:
        fields = list(self.hr_rows()[0].keys())
        with self.hr_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    def edit_hr(self, number: str, change: Callable[[Row], Row | None]) -> None:
        rows = []
        for row in self.hr_rows():
            if row["employee_number"] == number:
                changed = change(dict(row))
                if changed is not None:
                    rows.append(changed)
            else:
                rows.append(row)
        self.write_hr(rows)

    def ordinary_teachers(self) -> list[str]:
        """Teachers with one open-ended employment, none of the generator's special cases."""
        rows = self.hr_rows()
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["employee_number"]] = counts.get(row["employee_number"], 0) + 1
        return sorted(
            row["employee_number"]
            for row in rows
            if row["function_title"] == "Groepsleerkracht"
            and counts[row["employee_number"]] == 1
            and int(row["employee_number"]) > 100010
            and not row["end_date"]
        )

    def teacher_number(self) -> str:
        return self.ordinary_teachers()[0]


def make_board(
    folder: Path,
    db_url: str | None = None,
    *,
    staff: int = 60,
    pupils: int = 700,
    extra_target_settings: str = "",
    extra_config: str = "",
    language: str | None = None,
) -> Board:
    """The demo board (a Dutch board); ``language`` sets ``board.language`` (the morning
    report's and the tasks' language)."""
    config_path = generate_board(folder, today=TODAY, staff=staff, pupils=pupils)
    text = config_path.read_text(encoding="utf-8")
    if language is not None:
        text = text.replace("[board]\n", f'[board]\nlanguage = "{language}"\n', 1)
    if extra_target_settings:
        text = text.replace(
            'path = "reference-directory"\n',
            f'path = "reference-directory"\n{extra_target_settings}\n',
        )
    if extra_config:  # top-level tables go before the first table
        text = text.replace("[board]", f"{extra_config}\n\n[board]", 1)
    config_path.write_text(text, encoding="utf-8")
    return Board(folder, config_path, db_url or f"sqlite:///{folder / 'provisioner.db'}")
