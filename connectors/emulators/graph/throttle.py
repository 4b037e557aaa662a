"""Throttling modelled on Graph's identity and access service limits (per app and tenant).

Two token buckets, both refilled continuously:

- resource units: 3,500 per 10 s below 50 users, 5,000 for 50-500 users, 8,000 above 500;
- writes: 3,000 per 150 s.

Request costs: ``GET`` of users or groups 2 RU, ``GET /groups/{id}/members`` 3 RU,
``GET /subscribedSkus`` 3 RU (Microsoft's table of base costs), ``$select`` -1 RU (never
below 1); ``POST``/``PATCH``/``PUT``/``DELETE`` 1 RU and 1 write. (Graph's table puts other
identity reads, ``groups`` among them, at 1 RU: the emulator charges them 2, stricter.)
A request the buckets cannot pay is refused (and costs nothing) with the seconds until they
can.
``window_scale`` multiplies both windows, ``budget_scale`` both budgets (never below 1).
"""

from __future__ import annotations

from collections.abc import Mapping

RU_WINDOW = 10.0
WRITE_WINDOW = 150.0
WRITE_BUDGET = 3000.0
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_EPSILON = 1e-6  # a client that waited exactly the advised time is not refused for rounding


def ru_budget(users: int) -> float:
    if users < 50:
        return 3500.0
    return 5000.0 if users <= 500 else 8000.0


def cost(method: str, segments: list[str], query: Mapping[str, str]) -> tuple[int, int]:
    """(resource units, writes) of one Graph request."""
    if method in WRITE_METHODS:
        return 1, 1
    members = len(segments) >= 3 and segments[0] == "groups" and segments[2] == "members"
    units = 3 if members or segments == ["subscribedSkus"] else 2
    if "$select" in query:
        units -= 1
    return max(1, units), 0


class Throttle:
    """The two buckets of one app in one tenant."""

    def __init__(self, window_scale: float, budget_scale: float, enabled: bool) -> None:
        self.enabled = enabled
        self.ru_window = RU_WINDOW * window_scale
        self.write_window = WRITE_WINDOW * window_scale
        self.budget_scale = budget_scale
        self.write_capacity = max(1.0, WRITE_BUDGET * budget_scale)
        self._ru: float | None = None  # full until first use
        self._writes = self.write_capacity
        self._last: float | None = None

    def ru_capacity(self, users: int) -> float:
        return max(1.0, ru_budget(users) * self.budget_scale)

    def take(self, now: float, units: int, writes: int, users: int) -> float:
        """0.0 when the request is admitted (and paid), else the seconds until it could be."""
        if not self.enabled:
            return 0.0
        capacity = self.ru_capacity(users)
        ru_rate = capacity / self.ru_window
        write_rate = self.write_capacity / self.write_window
        if self._ru is None or self._last is None:
            self._ru, self._last = capacity, now
        elapsed = max(0.0, now - self._last)
        self._ru = min(capacity, self._ru + elapsed * ru_rate)
        self._writes = min(self.write_capacity, self._writes + elapsed * write_rate)
        self._last = now
        need_ru = min(float(units), capacity)  # a tiny budget must still admit every request
        need_writes = min(float(writes), self.write_capacity)
        wait = max(
            (need_ru - self._ru) / ru_rate if self._ru + _EPSILON < need_ru else 0.0,
            (need_writes - self._writes) / write_rate
            if self._writes + _EPSILON < need_writes
            else 0.0,
        )
        if wait > 0.0:
            return wait
        self._ru -= need_ru
        self._writes -= need_writes
        return 0.0
