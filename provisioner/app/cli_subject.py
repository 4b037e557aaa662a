"""``provisioner subject``: requests of the people concerned (access, rectification, erasure,
objection) and the bundle of what the product holds about a person (docs/accountability.md).

Exit codes: 0 done, 1 the state store or a file could not be used, 3 input unusable (an
unknown person, request or breach, a wrong date or kind, a pupil under 16 asking in person,
an extension too late or twice, an objection extended).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from provisioner.accountability.subject_deadlines import FLAG_TEXT, GROUNDS, KIND_WORDS
from provisioner.accountability.subject_requests import (
    RequestRecord,
    SubjectError,
    SubjectRequests,
)
from provisioner.app.cli_common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    out,
    parse_date,
    sessions_only,
)
from provisioner.app.cli_failures import Unusable, clean_failures
from provisioner.app.cli_subject_export import export
from provisioner.i18n import N_, cli_language, tr

subject_app = typer.Typer(
    help="Requests of the people concerned (inzage, correctie, verwijdering, bezwaar).",
    no_args_is_help=True,
)
subject_app.command("export")(export)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

OnOption = Annotated[
    str | None, typer.Option("--on", help="Today for this command (YYYY-MM-DD); default: today.")
]


def actor() -> str:
    return f"admin:{getpass.getuser()}"


def day_or_today(value: str | None) -> date:
    return parse_date(value) if value else datetime.now(AMSTERDAM).date()


@contextmanager
def refused() -> Iterator[None]:
    """What the register refuses (:class:`SubjectError`) as unusable input: exit 3, its reason."""
    try:
        yield
    except SubjectError as exc:
        raise Unusable(exc.message, **exc.values) from exc


def _show(item: RequestRecord, headline: str) -> None:
    language = cli_language()
    out.print(escape(headline))
    details = tr(
        language,
        "{kind} for {person}, received {received} by {by}; deadline {deadline} ({ground}).",
        kind=tr(language, KIND_WORDS.get(item.kind, item.kind)),
        person=item.person_key,
        received=item.received_on.isoformat(),
        by=item.made_by,
        deadline=item.deadline.isoformat(),
        ground=GROUNDS.get(item.kind, ""),
    )
    out.print("  " + escape(details))
    label = tr(language, "Check:")
    for flag in item.flags:
        out.print(f"  [yellow]{label}[/yellow] " + escape(tr(language, FLAG_TEXT.get(flag, flag))))


@subject_app.command("request")
def request(
    person: Annotated[str, typer.Option("--person", help="staff:<number> or pupil:<SIS id>.")],
    kind: Annotated[
        str, typer.Option("--kind", help="access, rectification, erasure or objection.")
    ],
    received: Annotated[str, typer.Option("--received", help="The day it came in, YYYY-MM-DD.")],
    by: Annotated[
        str, typer.Option("--by", help="self, parent, guardian or representative.")
    ] = "self",
    note: Annotated[str, typer.Option("--note", help="Free text kept with the request.")] = "",
    on: OnOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Register a request with its legal deadline (Art. 12(3): one month; objection: 4 weeks)."""
    with clean_failures(as_json):
        received_on, today = parse_date(received), day_or_today(on)
        sessions = sessions_only(config)
        with refused():
            item = SubjectRequests(sessions).register(
                person, kind=kind, received=received_on, made_by=by, note=note, actor=actor(),
                today=today,
            )  # fmt: skip
    if as_json:
        print(json.dumps(item.to_dict(), ensure_ascii=False))
        return
    _show(item, tr(cli_language(), "Registered {id}.", id=item.id))


@subject_app.command("list")
def list_requests(
    open_only: Annotated[bool, typer.Option("--open", help="Only the open requests.")] = False,
    on: OnOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Every request: number, person, kind, received, by, deadline, status."""
    with clean_failures(as_json):
        today = day_or_today(on)
        items = SubjectRequests(sessions_only(config)).find(open_only=open_only)
    if as_json:
        print(json.dumps([{**i.to_dict(), "overdue": i.overdue(today)} for i in items],
                         ensure_ascii=False))  # fmt: skip
        return
    language = cli_language()
    table = Table(title=tr(language, "Requests of the people concerned ({n})", n=len(items)))
    columns = (N_("number"), N_("person"), N_("kind"), N_("received"), N_("by"),
               N_("deadline"), N_("status"))  # fmt: skip
    for column in columns:  # the number whole; the rest wraps rather than being cut
        whole = column == "number"
        table.add_column(tr(language, column), no_wrap=whole, min_width=12 if whole else None,
                         overflow="fold")  # fmt: skip
    overdue = tr(language, "overdue")
    for i in items:
        status = f"[red]{overdue}[/red]" if i.overdue(today) else i.status
        extended = " (+2)" if i.extended_to else ""
        table.add_row(i.id, escape(i.person_key), i.kind, i.received_on.isoformat(), i.made_by,
                      i.deadline.isoformat() + extended, status)  # fmt: skip
    out.print(table)


@subject_app.command("extend")
def extend(
    request_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why two more months are needed.")],
    on: OnOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Extend by two further months (Art. 12(3)), once, within the first month, with a reason."""
    with clean_failures(as_json):
        day = day_or_today(on)
        with refused():
            item = SubjectRequests(sessions_only(config)).extend(
                request_id, reason=reason, on=day, actor=actor()
            )
    if as_json:
        print(json.dumps(item.to_dict(), ensure_ascii=False))
        return
    language = cli_language()
    _show(item, tr(language, "Extended {id} to {due}.", id=item.id, due=item.deadline.isoformat()))
    out.print("  " + escape(tr(language, "Tell the person, with the reason, by {due}.",
                               due=item.due_on.isoformat())))  # fmt: skip


@subject_app.command("close")
def close(
    request_id: Annotated[str, typer.Argument(metavar="ID")],
    outcome: Annotated[str, typer.Option("--outcome", help="What was done or decided.")],
    on: OnOption = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Close a request with its outcome (audited: when, by whom, in time or not)."""
    with clean_failures(as_json):
        day = day_or_today(on)
        with refused():
            item = SubjectRequests(sessions_only(config)).close(
                request_id, outcome=outcome, on=day, actor=actor()
            )
    if as_json:
        print(json.dumps(item.to_dict(), ensure_ascii=False))
        return
    language = cli_language()
    key = (
        N_("Closed {id} on {day}, in time.")
        if day <= item.deadline
        else N_("Closed {id} on {day}, after its deadline {due}.")
    )
    out.print(escape(tr(language, key, id=item.id, day=day.isoformat(),
                        due=item.deadline.isoformat())))  # fmt: skip


@subject_app.command("breach")
def breach(
    breach_id: Annotated[str, typer.Argument(metavar="BREACH")],
    person: Annotated[
        list[str], typer.Option("--person", help="A person the breach includes (repeat it).")
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Record that a breach of the register includes these people (for their bundle)."""
    with clean_failures(as_json), refused():
        added = SubjectRequests(sessions_only(config)).include_in_breach(
            breach_id, person, actor=actor()
        )
    if as_json:
        print(json.dumps({"breach": breach_id, "added": added}))
        return
    message = (
        N_("{breach}: 1 person added.")
        if len(added) == 1
        else N_("{breach}: {count} people added.")
    )
    out.print(escape(tr(cli_language(), message, breach=breach_id, count=len(added))))
