"""The morning report (ochtendrapport): after each nightly run, a short summary for IT.

It says what changed, how much drift (changes made by hand) was put back, what failed and
why, what the safety gate stopped and how to approve it, how many manual tasks are open (per
location and system) and which data-breach deadlines are coming up. It goes to a Slack
channel and by e-mail, so it holds nothing the channel's members may not see: counts, run
ids, target names, reasons by kind, breach ids and the audit chain head (an anchor kept off
the box, see ``provisioner.audit.anchors``); never a name, an e-mail address or a person's
key. Details stay behind ``provisioner runs show``.

- :func:`gather` reads the facts from the state store (the run, its outcomes, the manual
  tasks, the breach register);
- :func:`build_morning_report` (:mod:`.morning_text`) is pure: facts in, subject + text +
  Slack blocks out, in the board's language (``board.language``) from the catalogues;
- :func:`send_to_slack`, :func:`send_by_email` and :func:`deliver` send it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.anchors import report_line
from provisioner.config import Config, ReportConfig
from provisioner.i18n import tr
from provisioner.logging_setup import scrub
from provisioner.report.morning_retention import retention_lines
from provisioner.report.morning_subjects import subject_lines
from provisioner.report.morning_text import (
    Deadline,
    MorningReport,
    ReportFacts,
    build_morning_report,
)
from provisioner.store.tables import JournalEntry, SyncOutcome, SyncRun

log = logging.getLogger(__name__)

__all__ = ["Deadline", "MorningReport", "ReportFacts", "build_morning_report", "deliver", "gather"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FAILURES = ("failed", "rejected")
#: The planner marks an operation that puts back a change made by hand with this in its reason.
DRIFT_MARK = "(drift)"


# -- facts ----------------------------------------------------------------------------------


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


#: The kinds of reason the executor writes before a colon (see ``executor._describe``).
REASON_KINDS = frozenset(
    {"temporarily unavailable", "not found", "already exists", "rejected", "not sent"}
)


def reason_kind(reason: str) -> str:
    """'rejected: Graph said ... jan.jansen ...' -> 'rejected': the kind, never the details.
    Known kinds and error class names pass; anything else is 'other'."""
    kind = reason.partition(":")[0].strip()
    if kind in REASON_KINDS or (kind.isidentifier() and kind.endswith("Error")):
        return kind
    return "other"


def latest_full_run(session: Session) -> SyncRun | None:
    """The newest run of the whole board (not one person's, not a dry run)."""
    return session.execute(
        select(SyncRun)
        .where(SyncRun.scope.is_(None), SyncRun.dry_run.is_(False))
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def _open_tasks(sessions: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    from provisioner.tasks import ManualTasks

    counts: Counter[tuple[str, str]] = Counter(
        (task.location or "board", task.system) for task in ManualTasks(sessions).list()
    )
    return dict(sorted(counts.items()))


def _deadlines(sessions: sessionmaker[Session], now: datetime, within: timedelta) -> list[Deadline]:
    """Data-breach deadlines (meldplicht) due within ``within``, soonest first."""
    from provisioner.privacy.breaches import BreachRegister

    items = BreachRegister(sessions).upcoming_deadlines(now, within=within)
    deadlines = [
        Deadline(str(item.breach_id), str(item.kind), _aware(item.due_at) or now) for item in items
    ]
    return sorted(deadlines, key=lambda d: d.due_at)


def gather(
    sessions: sessionmaker[Session],
    config: Config,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
) -> ReportFacts:
    """The facts of the report on ``run_id`` (default: the newest full run)."""
    now = now or datetime.now(UTC)
    within = timedelta(days=config.report.deadlines_within_days)
    with sessions() as session:
        run = session.get(SyncRun, run_id) if run_id else latest_full_run(session)
        if run_id and run is None:
            from provisioner.errors import ConfigError

            raise ConfigError(f"there is no run {run_id}")
        outcomes: dict[str, dict[str, int]] = {}
        failures: dict[str, Counter[str]] = {}
        drift: dict[str, int] = {}
        if run is not None:
            rows = session.execute(
                select(SyncOutcome.target, SyncOutcome.outcome, func.count())
                .where(SyncOutcome.run_id == run.id)
                .group_by(SyncOutcome.target, SyncOutcome.outcome)
            ).all()
            for target, outcome, count in rows:
                outcomes.setdefault(target, {})[outcome] = count
            for target, reason in session.execute(
                select(SyncOutcome.target, SyncOutcome.reason).where(
                    SyncOutcome.run_id == run.id, SyncOutcome.outcome.in_(FAILURES)
                )
            ):
                failures.setdefault(target, Counter())[reason_kind(reason)] += 1
            # every repair counts (as in ``provisioner runs show``), also on an object that
            # was changed otherwise as well: the journal, not the one outcome per object
            drift_rows = session.execute(
                select(JournalEntry.target, func.count())
                .where(
                    JournalEntry.run_id == run.id,
                    JournalEntry.status == "applied",
                    JournalEntry.reason.contains(DRIFT_MARK),
                )
                .group_by(JournalEntry.target)
            ).all()
            drift = {target: count for target, count in drift_rows}
        anchor = report_line(session, run) if run is not None else None
    return ReportFacts(
        board=config.board.name,
        run_id=run.id if run else None,
        status=run.status if run else None,
        started_at=_aware(run.started_at) if run else None,
        finished_at=_aware(run.finished_at) if run else None,
        outcomes=outcomes,
        failures={t: dict(c) for t, c in failures.items()},
        stop_reasons=[scrub(r) for r in run.stop_reasons] if run else [],
        problems=len(run.problems) if run else 0,
        drift_repaired=dict(sorted(drift.items())),
        open_tasks=_open_tasks(sessions),
        deadlines=_deadlines(sessions, now, within),
        deadlines_within=within,
        audit_anchor=anchor,
        consent=consent_lines(sessions, config, now.astimezone(AMSTERDAM).date()),
        subjects=subject_lines(sessions, config.board.language, now.astimezone(AMSTERDAM).date()),
        retention=retention_lines(
            sessions, config.board.language, now.astimezone(AMSTERDAM).date()
        ),
        language=config.board.language,
    )


def consent_lines(sessions: sessionmaker[Session], config: Config, today: date) -> list[str]:
    """Photo consent: the locations without the yearly reminder after its due date, and the
    answers that count as no because the board has not said how consent was asked."""
    from provisioner.privacy.consent_reminders import (
        HOW_TO_CONFIRM,
        answers_without_mechanism,
        missing_reminders,
        unconfirmed_locations,
    )

    language = config.board.language
    lines: list[str] = []
    year, due, missing = missing_reminders(sessions, config, today)
    if missing:
        lines.append(
            tr(
                language,
                "Yearly reminder for {year} not recorded by {due} at: {locations} (parents, "
                "and pupils from 16, must be told they can withdraw; record it with "
                "`provisioner consent reminder`)",
                year=year,
                due=format_date(due, "dd MMMM", locale=language),
                locations=", ".join(missing),
            )
        )
    unconfirmed = unconfirmed_locations(config)
    if unconfirmed:
        count = answers_without_mechanism(sessions)
        if count:
            lines.append(
                tr(
                    language,
                    "{count} 'yes' answers do not say how consent was asked and count as no "
                    "(not_valid_consent) at {locations}: {how}",
                    count=count,
                    locations=", ".join(unconfirmed),
                    how=tr(language, HOW_TO_CONFIRM),
                )
            )
    return lines


# -- sending ----------------------------------------------------------------------------------


class DeliveryError(Exception):
    """The report could not be sent to one of its destinations."""


def send_to_slack(report: MorningReport, *, token: str, channel: str, base_url: str) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=token, base_url=base_url)
    try:
        client.chat_postMessage(channel=channel, text=report.text, blocks=report.blocks)
    except SlackApiError as exc:
        raise DeliveryError(f"Slack refused the report: {exc.response.get('error')}") from exc
    except OSError as exc:
        raise DeliveryError(f"Slack could not be reached: {type(exc).__name__}") from exc


def send_by_email(report: MorningReport, settings: ReportConfig) -> None:
    message = EmailMessage()
    message["Subject"] = report.subject
    message["From"] = settings.email_from
    message["To"] = ", ".join(settings.email_to)
    message.set_content(report.text)
    password = settings.secret_value("smtp_password")
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, context=context)
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and password:
                smtp.login(settings.smtp_username, password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"the mail server did not take the report: {exc}") from exc


def deliver(config: Config, report: MorningReport) -> dict[str, str]:
    """Send the report wherever it is configured: destination -> 'sent', 'not configured' or
    why it failed. A failure of one destination does not keep the other from getting it."""
    results: dict[str, str] = {}
    settings = config.report
    token = config.bot.slack.secret_value("bot_token")
    if not settings.slack_channel:
        results["slack"] = "not configured"
    elif not token:
        results["slack"] = "no bot token (PROVISIONER_SLACK_BOT_TOKEN)"
    else:
        try:
            send_to_slack(
                report,
                token=token,
                channel=settings.slack_channel,
                base_url=config.bot.slack.api_url,
            )
            results["slack"] = "sent"
        except DeliveryError as exc:
            results["slack"] = str(exc)
    if not settings.email_to:
        results["email"] = "not configured"
    else:
        try:
            send_by_email(report, settings)
            results["email"] = "sent"
        except DeliveryError as exc:
            results["email"] = str(exc)
    for destination, result in results.items():
        level = logging.INFO if result in ("sent", "not configured") else logging.ERROR
        log.log(level, "morning report to %s: %s", destination, result)
    return results
