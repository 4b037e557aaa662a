"""The one retry policy of every HTTP transport in this project (STYLE practice 4).

Only :class:`~provisioner.errors.TransientError` is retried. The wait is exactly the server's
``Retry-After`` when it gave one (never earlier), else exponential backoff with full jitter
(a 1 s window, doubling, capped at 60 s). A call gives up after ``max_attempts`` or when the
next wait would take it past ``max_wait`` seconds, and then raises the last error.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import tenacity

from provisioner.errors import TransientError

log = logging.getLogger(__name__)

BACKOFF_START = 1.0  # seconds: the first jitter window when the server gave no Retry-After
BACKOFF_CAP = 60.0


def retry_policy(
    max_attempts: int,
    max_wait: float,
    sleep: Callable[[float], None],
    on_retry: Callable[[TransientError, float], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity ``Retrying`` for one logical request; ``sleep`` is injectable for tests."""
    backoff = tenacity.wait_random_exponential(multiplier=BACKOFF_START, max=BACKOFF_CAP)

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return exc.retry_after
        return float(backoff(state))

    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= max_attempts:
            return True
        spent = max(state.seconds_since_start or 0.0, state.idle_for)
        return spent + (state.upcoming_sleep or 0.0) > max_wait

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError):
            # the message names the call and the server's code, never data or secrets
            log.warning("%s; retry %d in %.2f s", exc, state.attempt_number, state.upcoming_sleep)
            if on_retry is not None:
                on_retry(exc, state.upcoming_sleep)

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError),
        wait=wait,
        stop=stop,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait: ``x-ms-retry-after-ms`` (the Graph emulator's precise extension), else
    ``Retry-After`` as seconds or an HTTP date; None when the server said nothing usable."""
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = lowered.get("x-ms-retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
