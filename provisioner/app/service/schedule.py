"""Which scheduled moment of the nightly sync is due: pure functions over a cron expression.

The cron expression is read in the board's time zone (Europe/Amsterdam), so "0 5 * * *" is
05:00 local time in winter and in summer. Daylight saving time:

- spring forward (the night 02:00 -> 03:00 does not exist): a moment in the gap runs at 03:00,
  once (croniter moves it to the first moment that exists);
- fall back (02:00-03:00 happens twice): a wall-clock time that occurs twice is one scheduled
  moment, the first; the repeat is not a second run.

A moment is *due* when it has passed, no full sync started at or after it (a run by hand in
the morning counts as well), and it is not older than the catch-up window: a server that was
down at 05:00 and is back at 09:00 runs the night's sync at start; one that was down for days
waits for the next night instead of running one for a night long gone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

#: However small the configured catch-up window, a moment stays due for this long, so a
#: process that looks at the schedule every few seconds never misses it.
MIN_WINDOW = timedelta(minutes=10)


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None, fold=0)


def _utc(moment: datetime) -> datetime:
    """Aware datetimes that share a tzinfo compare by wall time, ignoring ``fold``: compare
    instants in UTC instead."""
    return moment.astimezone(UTC)


def latest_moment(cron: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The latest scheduled moment at or before ``now`` (aware, in ``zone``)."""
    local_now = now.astimezone(zone)
    moment: datetime = croniter(cron, local_now + timedelta(seconds=1)).get_prev(datetime)
    earlier: datetime = croniter(cron, moment).get_prev(datetime)
    if _wall(earlier) == _wall(moment):  # the repeated hour of a fall-back night
        moment = earlier
    return moment


def next_moment(cron: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The first scheduled moment after ``now`` that is not the repeat of one already passed."""
    local_now = now.astimezone(zone)
    it = croniter(cron, local_now)
    moment: datetime = it.get_next(datetime)
    previous = latest_moment(cron, zone, local_now)
    while _wall(moment) == _wall(previous) and _utc(moment) != _utc(previous):
        moment = it.get_next(datetime)
    return moment


def due_moment(
    cron: str,
    zone: ZoneInfo,
    now: datetime,
    *,
    catch_up: timedelta,
    last_full_run: datetime | None,
) -> datetime | None:
    """The scheduled moment to run now, or None (not due, done already, or too late)."""
    moment = latest_moment(cron, zone, now)
    if _utc(now) - _utc(moment) > max(catch_up, MIN_WINDOW):
        return None
    if last_full_run is not None and _utc(last_full_run) >= _utc(moment):
        return None
    return moment
