"""Client-side pacing of Graph writes to the published write quota.

Microsoft Graph's identity and access service allows one application 3,000 write requests
per 2 minutes and 30 seconds in one tenant, as a token bucket (learn.microsoft.com/graph/
throttling-limits, "Identity and access service limits"). A client that only reacts to
``429`` answers sends every refused write twice or more; one that keeps its own bucket of
the same size and rate sends each write once, when Graph can take it. The server's bucket
is never emptier than this one (it refills over the same time and is charged later, when
the request arrives), so pacing never stops the client short of the quota. A ``429`` is
still honoured (the retry policy waits its ``Retry-After``): another process of the same
app may share the quota.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Graph's identity write quota per application and tenant: 3,000 per 150 seconds.
WRITE_QUOTA = 3000.0
WRITE_WINDOW = 150.0


class WritePacer:
    """A token bucket, full at the start, refilled continuously; callers reserve writes
    and sleep until their share is due (first come, first served)."""

    def __init__(
        self,
        quota: float,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.capacity = max(1.0, quota)
        self.rate = self.capacity / window if window > 0 else 0.0
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def take(self, writes: int) -> float:
        """Reserve ``writes`` and wait until they are due; returns the seconds waited."""
        if writes <= 0 or self.rate <= 0.0:
            return 0.0
        with self._lock:
            self._refill()
            self._tokens -= min(float(writes), self.capacity)
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0.0:
            self._sleep(wait)
        return wait

    def give_back(self, writes: int) -> None:
        """Graph refused ``writes`` (429): they were not charged there, so not here either."""
        if writes <= 0 or self.rate <= 0.0:
            return
        with self._lock:
            self._refill()
            self._tokens = min(self.capacity, self._tokens + writes)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
