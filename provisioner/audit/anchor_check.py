"""``provisioner audit verify``: the chain, the append-only triggers, and the anchors.

The anchors (:mod:`provisioner.audit.anchors`) were published off the box; the trail must
still hold each: the event at its seq with its hash (so every event before it is as it was),
a head not below the last one, and the run that published it still recording it. An event
after an anchor may not be dated before it (beyond the clock slack), unless a person gave its
time (``breach notified --at``): then it is a note, not a finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from provisioner.audit.anchors import Anchor
from provisioner.audit.service import GENESIS, VerifyResult, missing_triggers, verify
from provisioner.store.tables import AuditEvent, AuditHead, SyncRun

#: An event may be dated this much before an anchor it follows: its time is taken before it
#: waits for the trail's lock, while the run that publishes the anchor finishes.
CLOCK_SLACK = timedelta(minutes=10)
#: Actions whose time is given by a person (``breach notified --at``): may be dated earlier.
HAND_DATED = frozenset({"breach.notified"})
_LISTED = 5
_BATCH = 1000


def verify_trail(
    session: Session, anchors: Sequence[Anchor] = (), notes: Sequence[str] = ()
) -> VerifyResult:
    """``provisioner audit verify``: the chain (:func:`verify`), the append-only triggers and,
    when given, the anchors published off the box."""
    base = verify(session)
    problems = list(base.problems)
    all_notes = list(notes)
    if anchors:
        found, more = check_anchors(session, anchors)
        problems += found
        all_notes += more
    problems += missing_triggers(session)
    return VerifyResult(
        ok=not problems,
        checked=base.checked,
        problems=problems,
        notes=all_notes,
        anchors=len(anchors),
    )


def check_anchors(session: Session, anchors: Sequence[Anchor]) -> tuple[list[str], list[str]]:
    """Problems (tampering) and notes found by comparing the trail with ``anchors``."""
    problems: list[str] = []
    notes: list[str] = []
    ordered = sorted(anchors, key=lambda a: a.seq)
    last = ordered[-1]
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in ordered:
        by_seq.setdefault(anchor.seq, []).append(anchor)
    for seq, same in by_seq.items():
        if len({a.sha256 for a in same}) > 1:
            listed = "; ".join(f"{a.sha256[:12]}… ({a.origin or 'given'})" for a in same)
            problems.append(
                f"the anchors disagree about event {seq} ({listed}): one was not published by "
                "the provisioner, or the trail was rewritten between them"
            )
    for anchor in by_seq.get(0, []):
        if anchor.sha256 != GENESIS:
            problems.append(
                f"{anchor.published()} says event 0 has a hash: no genuine anchor, as event 0 "
                "is the start of the trail"
            )

    head = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one_or_none()
    head_seq = int(head[0]) if head else 0
    events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    if events == 0 and last.seq > 0:
        problems.append(
            f"the trail is empty, but {len(ordered)} anchors were published, the last at "
            f"event {last.seq}, {last.published()}: the trail was wiped"
        )
        return problems + _check_runs(session, ordered), notes
    if head_seq < last.seq:
        problems.append(
            f"audit_head says event {head_seq} was written last, but event {last.seq} is "
            f"{last.published()}: the end of the trail was cut and audit_head rewound"
        )

    stored, backdated, hand_dated = _walk(session, ordered)
    problems += _compare(ordered, stored)
    problems += _listed(backdated, "more events are dated before an anchor they follow")
    notes += _listed(hand_dated, "more such events")
    problems += _check_runs(session, ordered)
    if head_seq > last.seq:
        after = (
            f"event {head_seq} was"
            if head_seq == last.seq + 1
            else f"events {last.seq + 1} to {head_seq} were"
        )
        notes.append(
            f"{after} written after the last anchor (event {last.seq}, {last.published()}): "
            "an anchor covers only what came before it, so a forged event there dated after "
            "that anchor cannot be told from a real one"
        )
    return problems, notes


def _walk(
    session: Session, ordered: Sequence[Anchor]
) -> tuple[dict[int, str], list[str], list[str]]:
    """One pass from the first anchored event: the hashes at anchored seqs, and the events
    dated before an anchor they follow (backdated; by a person's hand when HAND_DATED)."""
    anchored = {a.seq for a in ordered}
    dated = [a for a in ordered if a.at is not None]
    stored: dict[int, str] = {}
    backdated: list[str] = []
    hand_dated: list[str] = []
    latest: Anchor | None = None  # the latest-dated anchor before the current event
    index = 0
    first = min((seq for seq in anchored if seq > 0), default=None)
    if first is None:
        return stored, backdated, hand_dated
    rows = session.execute(
        select(AuditEvent.seq, AuditEvent.hash, AuditEvent.at, AuditEvent.action)
        .where(AuditEvent.seq >= first)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=_BATCH)
    )
    for seq, hash_, at, action in rows:
        while index < len(dated) and dated[index].seq < seq:
            candidate = dated[index]
            if latest is None or _later(candidate, latest):
                latest = candidate
            index += 1
        if seq in anchored:
            stored[int(seq)] = str(hash_)
        when = _utc(at)
        if latest is not None and latest.at is not None and when < latest.at - CLOCK_SLACK:
            finding = (
                f"event {seq} ({action}) is dated {when:%Y-%m-%d %H:%M} UTC, yet comes after "
                f"event {latest.seq}, {latest.published()}"
            )
            if action in HAND_DATED:
                hand_dated.append(f"{finding}: recorded late, with a time given by hand")
            else:
                backdated.append(f"{finding}: it was appended later with an earlier date")
    return stored, backdated, hand_dated


def _compare(ordered: Sequence[Anchor], stored: dict[int, str]) -> list[str]:
    """Each anchor against the hash now stored at its seq."""
    problems: list[str] = []
    matching: Anchor | None = None
    missing: list[Anchor] = []
    differing = 0
    for anchor in ordered:
        if anchor.seq == 0:
            continue
        now = stored.get(anchor.seq)
        if now is None:
            missing.append(anchor)
        elif now != anchor.sha256:
            differing += 1
            if differing <= _LISTED:
                since = f"event {matching.seq + 1}" if matching else "event 1"
                problems.append(
                    f"event {anchor.seq} is not the event of {anchor.published()}: its "
                    f"hash is now {now[:12]}…, published {anchor.sha256[:12]}…; the trail was "
                    f"rewritten or replaced between {since} and event {anchor.seq}"
                )
        else:
            matching = anchor
    if differing > _LISTED:
        problems.append(f"… and {differing - _LISTED} more anchors no longer match")
    if missing:
        first = missing[0]
        more = f" (and the {len(missing) - 1} published after it)" if len(missing) > 1 else ""
        problems.append(
            f"event {first.seq}, {first.published()}{more}, is no longer in the "
            "trail: events were removed or the end of the trail was cut"
        )
    return problems


def _check_runs(session: Session, ordered: Sequence[Anchor]) -> list[str]:
    """Each anchor's run must still record the head it published."""
    runs = {a.run_id: a for a in ordered if a.run_id}
    recorded: dict[str, str | None] = {}
    ids = sorted(runs)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        for run_id, head in session.execute(
            select(SyncRun.id, SyncRun.audit_head).where(SyncRun.id.in_(chunk))
        ):
            recorded[str(run_id)] = head
    problems = []
    for run_id, anchor in sorted(runs.items()):
        if run_id not in recorded:
            problems.append(
                f"run {run_id}, which published event {anchor.seq} as its head "
                f"({anchor.origin}), is no longer in the run "
                "records (sync_runs): its record was removed"
            )
        elif recorded[run_id] != anchor.sha256:
            head = (recorded[run_id] or "none")[:12]
            problems.append(
                f"run {run_id} records head {head}…, but published {anchor.sha256[:12]}… "
                f"for event {anchor.seq} ({anchor.origin}): the run's record was changed"
            )
    return _listed(problems, "more runs do not match their anchors")


def _listed(items: list[str], rest: str) -> list[str]:
    if len(items) <= _LISTED:
        return items
    return [*items[:_LISTED], f"… and {len(items) - _LISTED} {rest}"]


def _later(one: Anchor, other: Anchor) -> bool:
    return one.at is not None and (other.at is None or one.at > other.at)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
