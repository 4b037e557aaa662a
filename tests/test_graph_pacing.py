"""Writes to Graph are paced to the published write quota (connectors.m365.pacing)."""

from __future__ import annotations

import httpx

from connectors.m365.client import GraphClient, GraphSettings
from connectors.m365.pacing import WRITE_QUOTA, WRITE_WINDOW, WritePacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_defaults_are_graphs_published_identity_write_quota() -> None:
    assert (WRITE_QUOTA, WRITE_WINDOW) == (3000.0, 150.0)
    settings = GraphSettings(tenant="t", client_id="app", client_secret="s")
    assert (settings.write_quota, settings.write_window) == (3000.0, 150.0)


def test_a_full_bucket_sends_at_once_then_writes_wait_their_turn() -> None:
    clock = Clock()
    pacer = WritePacer(10, 10, clock=clock, sleep=clock.sleep)  # 1 write a second
    assert [pacer.take(1) for _ in range(10)] == [0.0] * 10
    assert pacer.take(1) == 1.0
    assert pacer.take(2) == 2.0  # reserved behind the previous one: in order
    clock.now += 30  # idle: refills to the quota, not beyond
    assert pacer.take(10) == 0.0
    assert pacer.take(1) == 1.0


def test_refused_writes_are_given_back() -> None:
    clock = Clock()
    pacer = WritePacer(2, 2, clock=clock, sleep=clock.sleep)
    pacer.take(2)
    pacer.give_back(2)  # Graph answered 429: not charged there
    assert pacer.take(2) == 0.0


def test_a_quota_of_zero_turns_pacing_off() -> None:
    clock = Clock()
    pacer = WritePacer(0, 0, clock=clock, sleep=clock.sleep)
    assert [pacer.take(5) for _ in range(100)] == [0.0] * 100


def test_the_client_paces_writes_not_reads() -> None:
    waits: list[float] = []
    client = GraphClient(
        GraphSettings(
            tenant="t", client_id="app", client_secret="s",
            graph_url="https://graph.example/v1.0", write_quota=2, write_window=200,
        ),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"id": "1"})),
        sleep=waits.append,
        token_provider=lambda refresh: "tok",
    )  # fmt: skip
    with client:
        client.post("/users", {"displayName": "a"})
        client.patch("/users/1", {"displayName": "b"})
        for _ in range(5):
            client.get("/users/1")
        assert waits == []
        client.delete("/users/1")  # the third write in a bucket of two: waits ~100 s
        assert len(waits) == 1 and waits[0] > 50
