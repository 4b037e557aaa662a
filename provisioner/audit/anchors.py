"""Audit anchors: the chain head published off the box, and the trail checked against them.

Someone with database rights can rewrite the whole trail consistently (recompute every hash,
update ``audit_head`` and the heads kept in ``sync_runs``): the chain alone cannot show it. So
each finished run publishes its chain head where they cannot reach it: sequence number and
hash, the run id and time, no personal data. It goes into the morning report (mail and Slack,
a line ``Audit anchor: seq N, sha256 H``) and, when configured (``[audit]``), to an
append-only file and to a URL. ``provisioner audit verify --anchors FILE`` checks the trail
against every anchor in FILE: the anchor file's JSON lines, or any text holding report lines
(a mailbox export in mbox or .eml, a Slack export, a pasted mail).

What an anchor proves: event N had hash H when it was published and, each hash covering the
one before, so had every event before it. So any edit, insertion, removal, rewrite or cut at
or before the last anchor is found, and so is a wiped trail. An event appended after the last
anchor is pinned as genuine by the next one: a forgery there is found only when it claims a
time before an anchor it follows. See docs/architecture.md, "Threat model of the audit trail".
"""

from __future__ import annotations

import email
import json
import logging
import mailbox
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.service import GENESIS
from provisioner.config import AuditConfig, Config
from provisioner.errors import ConfigError
from provisioner.store.tables import AuditEvent, AuditHead, SyncRun

log = logging.getLogger(__name__)

#: The report's line; found anywhere in a text, so also in a quoted or forwarded mail.
ANCHOR_LINE = re.compile(r"Audit anchor: seq (\d+), sha256 ([0-9a-f]{64})(?![0-9a-f])")
POST_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Anchor:
    """A published chain head: event ``seq`` had hash ``sha256`` (at ``at``, after ``run_id``)."""

    seq: int
    sha256: str
    run_id: str | None = None
    at: datetime | None = None
    origin: str = ""  # where it was read: "anchors.jsonl line 3"

    @property
    def line(self) -> str:
        """The morning report's line (mail and Slack)."""
        return f"Audit anchor: seq {self.seq}, sha256 {self.sha256}"

    def to_json(self, board: str) -> str:
        """One JSON line, as appended to the file and POSTed to the URL."""
        body = {
            "seq": self.seq,
            "sha256": self.sha256,
            "run_id": self.run_id,
            "at": self.at.isoformat() if self.at else None,
            "board": board,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def published(self) -> str:
        """'the head published by run R on 2026-03-02 05:03 UTC (anchors.jsonl line 3)'."""
        by = f" by run {self.run_id}" if self.run_id else ""
        when = f" on {self.at:%Y-%m-%d %H:%M} UTC" if self.at else ""
        where = f" ({self.origin})" if self.origin else ""
        return f"the head published{by}{when}{where}"


# -- publishing -------------------------------------------------------------------------------


def run_anchor(run: SyncRun, head: AuditHead | None) -> Anchor | None:
    """The anchor of a run that is finishing now, from the head read in its last transaction."""
    if head is None:
        return None
    return Anchor(int(head.last_seq), str(head.last_hash), run.id, _utc(run.finished_at))


def publish(sessions: sessionmaker[Session], config: Config, anchor: Anchor | None) -> list[str]:
    """Publish a finished run's anchor to the configured file and URL (the morning report
    carries it as well). Returns the failures, which are also logged and added to the run's
    problems; a failure never ends the run."""
    if anchor is None:
        return []
    return publish_to(sessions, config.audit, anchor, board=config.board.name)


def publish_to(
    sessions: sessionmaker[Session], settings: AuditConfig, anchor: Anchor, *, board: str
) -> list[str]:
    """:func:`publish` with the ``[audit]`` settings given."""
    line = anchor.to_json(board)
    failures = []
    if settings.anchor_file is not None:
        try:
            append_line(settings.anchor_file, line)
        except (OSError, ValueError) as exc:
            failures.append(
                f"the audit anchor (event {anchor.seq}) could not be appended to "
                f"{settings.anchor_file}: {getattr(exc, 'strerror', None) or type(exc).__name__}"
            )
    if settings.anchor_url is not None:
        failure = _post(settings.anchor_url, line)
        if failure:
            failures.append(f"the audit anchor (event {anchor.seq}) could not be sent: {failure}")
    for failure in failures:
        log.error("%s", failure)
    if failures and anchor.run_id:
        _add_to_run(sessions, anchor.run_id, failures)
    elif settings.anchor_file is not None or settings.anchor_url is not None:
        log.info("audit anchor published: seq %d", anchor.seq)
    return failures


def append_line(path: Path, line: str) -> None:
    """Append one line with O_APPEND (never rewriting what is there) and fsync it. A line
    left unfinished by a crash is ended first, so the new one stays readable."""
    created = not path.exists()
    base = os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, base | os.O_RDWR, 0o640)
        readable = True
    except PermissionError:  # a drop box one may append to but not read
        fd = os.open(path, base | os.O_WRONLY, 0o640)
        readable = False
    try:
        data = (line + "\n").encode("utf-8")
        size = os.fstat(fd).st_size
        if readable and size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new file's name is durable too
        try:
            folder = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(folder)
        except OSError:
            pass
        finally:
            os.close(folder)


def _post(url: str, line: str) -> str | None:
    """POST the line; None when the server took it, else why not (without the URL's path or
    query, which may hold a token)."""
    import httpx

    host = urlsplit(url).hostname or "the anchor URL"
    try:
        response = httpx.post(
            url,
            content=line.encode("utf-8"),
            headers={"Content-Type": "application/json"},
            timeout=POST_TIMEOUT_SECONDS,
        )
    except Exception as exc:  # never fatal for the run: reported instead (httpx.HTTPError, ...)
        return f"{host} could not be reached ({type(exc).__name__})"
    if not response.is_success:
        return f"{host} answered HTTP {response.status_code}"
    return None


def _add_to_run(sessions: sessionmaker[Session], run_id: str, failures: list[str]) -> None:
    try:
        with sessions() as session:
            run = session.get(SyncRun, run_id)
            if run is not None:
                run.problems = [*run.problems, *failures]
                session.commit()
    except SQLAlchemyError as exc:
        log.error("run %s: the anchor failure could not be recorded: %s", run_id, exc)


def report_line(session: Session, run: SyncRun) -> str | None:
    """The morning report's anchor line for ``run``: its head, found back in the trail."""
    if run.audit_head is None:
        return None
    if run.audit_head == GENESIS:
        return Anchor(0, GENESIS).line
    seq = session.scalar(select(AuditEvent.seq).where(AuditEvent.hash == run.audit_head).limit(1))
    if seq is None:
        return (
            "Audit anchor: the head this run recorded is no longer in the trail. "
            "Run provisioner audit verify."
        )
    return Anchor(int(seq), run.audit_head).line


# -- reading ----------------------------------------------------------------------------------


def read_anchors(paths: Sequence[Path]) -> tuple[list[Anchor], list[str]]:
    """Every anchor in ``paths`` (in seq order, each once) and notes on lines skipped.
    A file that cannot be read or holds no anchor is a ConfigError."""
    found: dict[tuple[int, str], Anchor] = {}
    notes: list[str] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"the anchors in {path} cannot be read: {exc.strerror or exc}"
            ) from exc
        anchors = list(_from_text(data.decode("utf-8", errors="replace"), path.name, notes))
        if _looks_like_mail(data):
            anchors += _from_mail(path, data)
        if not anchors:
            raise ConfigError(
                f"{path} holds no audit anchors (JSON lines with seq and sha256, or lines "
                "'Audit anchor: seq N, sha256 H' as in the morning report)"
            )
        for anchor in anchors:
            key = (anchor.seq, anchor.sha256)
            known = found.get(key)
            if known is None or (known.at is None and anchor.at is not None):
                found[key] = anchor
    return sorted(found.values(), key=lambda a: (a.seq, a.sha256)), notes


def _from_text(text: str, name: str, notes: list[str]) -> Iterable[Anchor]:
    for number, line in enumerate(text.splitlines(), 1):
        origin = f"{name} line {number}"
        stripped = line.strip()
        if stripped.startswith("{") and '"sha256"' in stripped:
            anchor = _from_json(stripped, origin)
            if anchor is None:
                notes.append(f"{origin} is no readable anchor; skipped")
            else:
                yield anchor
            continue
        for match in ANCHOR_LINE.finditer(line):
            yield Anchor(int(match[1]), match[2], origin=origin)


def _from_json(text: str, origin: str) -> Anchor | None:
    try:
        body: Any = json.loads(text)
        seq, sha256 = body["seq"], body["sha256"]
        at = _utc(datetime.fromisoformat(body["at"])) if body.get("at") else None
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(seq, int) or seq < 0 or not re.fullmatch(r"[0-9a-f]{64}", str(sha256)):
        return None
    run_id = body.get("run_id")
    return Anchor(seq, sha256, str(run_id) if run_id else None, at, origin)


def _looks_like_mail(data: bytes) -> bool:
    head = data[:4096]
    return data.startswith(b"From ") or (
        re.search(rb"(?im)^(received|return-path|message-id|mime-version):", head) is not None
    )


def _from_mail(path: Path, data: bytes) -> list[Anchor]:
    """Anchors in the decoded text parts of an mbox or a single message: mail bodies are
    often quoted-printable or base64, which hides the line from a plain search."""
    if data.startswith(b"From "):
        messages: list[Message] = [m for m in mailbox.mbox(path, create=False)]
    else:
        messages = [email.message_from_bytes(data)]
    anchors = []
    for number, message in enumerate(messages, 1):
        origin = f"{path.name} message {number}"
        if message.get("Subject"):
            origin += f" ({message['Subject']})"
        for part in message.walk():
            if part.get_content_maintype() != "text":
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
            for match in ANCHOR_LINE.finditer(text):
                anchors.append(Anchor(int(match[1]), match[2], origin=origin))
    return anchors


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
