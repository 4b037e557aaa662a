"""``provisioner ad``: the ICT desk's (Stafbureau's) tasks in Active Directory.

``provisioner ad reset-password --person staff:123`` gives the person's account a new random
one-time password that must be changed at first logon, and shows it once, on this terminal.
The password is never logged, stored or put in the audit trail; the audit trail records that
the reset happened, for which person key, and by whom (``cli:<os user>``). Check who is asking
before running it (docs/ad.md, "The first password").

Exit codes: 0 done, 1 refused or failed (unknown key, disabled account, the DC said no),
3 configuration unusable.
"""

from __future__ import annotations

import getpass
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from connectors.ad.config import ADTargetConfig
from provisioner.app.cli_failures import Unusable
from provisioner.app.config import load_config
from provisioner.audit.service import record
from provisioner.config import Config, database_url
from provisioner.errors import ConnectorError, OutcomeUnknown
from provisioner.i18n import N_, cli_language, tr
from provisioner.store.db import ensure_current, make_engine, session_factory

app = typer.Typer(no_args_is_help=True, help="Active Directory: the ICT desk's tasks.")
out = Console()
err = Console(stderr=True)
EXIT_REFUSED = 1
PERSON_KEY = re.compile(r"^(staff|pupil):\S+$")

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", envvar="PROVISIONER_CONFIG", help="The board's provisioner.toml."
    ),
]
DEFAULT_CONFIG = Path("provisioner.toml")


@app.command("reset-password")
def reset_password(
    person: Annotated[
        str, typer.Option("--person", help="The person key: staff:<employee number> or pupil:<id>.")
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    target: Annotated[
        str | None, typer.Option("--target", help="The AD target's name, when there are several.")
    ] = None,
) -> None:
    """A new one-time password (must be changed at first logon), shown once on this terminal."""
    if not PERSON_KEY.match(person):
        raise typer.BadParameter(
            tr(cli_language(), "use staff:<employee number> or pupil:<id>"),
            param_hint="--person",
        )
    board = load_config(config)
    chosen = _ad_target(board, target)
    sessions = _sessions(board, config)
    actor = f"cli:{getpass.getuser()}"

    from connectors.ad.build import build_ad_target
    from connectors.passwords import one_time_password

    def refuse(reason: str, **values: Any) -> NoReturn:
        """Refused: the reason in English in the audit trail, in the user's language here."""
        english = tr("en", reason, **values)
        _audit(sessions, actor, chosen.name, person, "ad.reset_password.refused", english)
        _fail(reason, **values)

    with ExitStack() as stack:
        ad = build_ad_target(board, chosen, dry_run=False)
        stack.callback(ad.close)
        try:
            accounts = ad.find_accounts(person)
        except ConnectorError as exc:
            _fail(N_("cannot read the account of {person}: {error}"), person=person, error=exc)
        if not accounts:
            refuse(
                N_("no account in AD target '{target}' has person key {person}"),
                target=chosen.name,
                person=person,
            )
        if len(accounts) > 1:
            refuse(
                N_("{n} accounts have person key {person}: fix this in AD first"),
                n=len(accounts),
                person=person,
            )
        (account,) = accounts
        if not account.enabled:
            refuse(
                N_("the account of {person} is disabled: the password was not reset"),
                person=person,
            )
        password = one_time_password()
        try:
            ad.reset_password(account.remote_id, password, must_change=True)
        except OutcomeUnknown as exc:
            # It may have landed, with a password nobody saw: say so; a new reset is harmless.
            reason = f"the domain controller's answer was lost: {type(exc).__name__}"
            _audit(sessions, actor, chosen.name, person, "ad.reset_password.unknown", reason,
                   account.remote_id)  # fmt: skip
            _fail(N_("the answer of the domain controller was lost: the password of {person} may "
                     "or may not have been reset (to a password nobody has seen). Reset it "
                     "again."), person=person)  # fmt: skip
        except ConnectorError as exc:
            reason = f"the domain controller refused: {type(exc).__name__}"
            _audit(sessions, actor, chosen.name, person, "ad.reset_password.failed", reason,
                   account.remote_id)  # fmt: skip
            _fail(N_("the password of {person} was not reset: {error}"), person=person, error=exc)
        reason = "ICT desk reset; the one-time password must be changed at first logon"
        _audit(sessions, actor, chosen.name, person, "ad.reset_password", reason,
               account.remote_id)  # fmt: skip
    _show_password(person, account.username, password)


def _show_password(person: str, username: str, password: str) -> None:
    language = cli_language()
    out.print(
        tr(
            language,
            "New one-time password for {person} ({username}):",
            person=escape(person),
            username=escape(username),
        )
    )
    # only here, once: not in a log line, not in the audit trail, not in the store
    print(f"    {password}", flush=True)
    out.print(
        tr(
            language,
            "It must be changed at first logon. Do not write it down or send it by e-mail.",
        )
    )


def _ad_target(config: Config, name: str | None) -> ADTargetConfig:
    targets = [t for t in config.targets if isinstance(t, ADTargetConfig)]
    if name is not None:
        targets = [t for t in targets if t.name == name]
        if not targets:
            raise Unusable(N_("targets: no AD target named '{name}'"), name=name)
    if not targets:
        raise Unusable(N_('targets: no AD target (type = "ad") is configured'))
    if len(targets) > 1:
        names = ", ".join(t.name for t in targets)
        raise Unusable(
            N_("targets: several AD targets ({names}): choose one with --target"), names=names
        )
    return targets[0]


def _sessions(config: Config, config_path: Path) -> sessionmaker[Session]:
    engine = make_engine(database_url(config, config_path.parent))
    ensure_current(engine)
    return session_factory(engine)


def _audit(
    sessions: sessionmaker[Session],
    actor: str,
    target: str,
    person: str,
    action: str,
    reason: str,
    remote_id: str | None = None,
) -> None:
    with sessions() as session, session.begin():
        change = {"remote_id": remote_id, "must_change_at_logon": True} if remote_id else None
        record(session, actor=actor, action=action, target=target, object_key=person,
               reason=reason, change=change)  # fmt: skip


def _fail(message: str, **values: Any) -> NoReturn:
    """Refused: ``message`` (a catalogue sentence) in the user's language."""
    language = cli_language()
    label, text = tr(language, "Refused:"), tr(language, message, **values)
    err.print(f"[red]{label}[/red] {escape(text)}")
    raise typer.Exit(EXIT_REFUSED)
