"""The processes of ``benchmarks/bot.py`` that are not the product: the fake Slack Web API
and the load generator, each a process of its own (so neither shares the product's
interpreter lock or counts in its CPU time). Both talk to the benchmark over stdin/stdout,
one JSON object a line.

    python benchmarks/slack_load.py slack    # in: {"users": [[id, email], ...]}
                                             # out: {"base_url", "response_url", "bot_token"}
                                             # in: "stop" -> out: {"calls": {method: n}}
    python benchmarks/slack_load.py fire     # in: {"url", "batch": [{"body", "headers"}]}
                                             # out: {"connected": n}; in: "go"
                                             # out: {"latencies_ms": [...], "cpu_s": ...}

The load generator is plain HTTP/1.1 over asyncio streams, one connection a request, every
connection open before the first request is sent (a lean client: its own overhead must not
count as the bot's latency); each request is timed from its first byte sent to the status
line of the answer.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit


def fake_slack() -> None:
    from connectors.emulators.slack import SlackEmulator

    setup = json.loads(sys.stdin.readline())
    with SlackEmulator() as slack:
        for user_id, email in setup["users"]:
            slack.add_user(user_id, email)
        print(json.dumps({"base_url": slack.base_url, "response_url": slack.response_url(),
                          "bot_token": slack.bot_token}), flush=True)
        sys.stdin.readline()  # "stop", or the end of stdin
        counts = collections.Counter(call.method for call in slack.calls())
        print(json.dumps({"calls": dict(counts)}), flush=True)


def fire() -> None:
    order = json.loads(sys.stdin.readline())
    latencies, cpu = asyncio.run(_fire(order["url"], order["batch"]))
    print(json.dumps({"latencies_ms": latencies, "cpu_s": cpu}), flush=True)


async def _fire(url: str, batch: list[dict[str, Any]]) -> tuple[list[float], float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    go = asyncio.Event()

    async def one(item: dict[str, Any], connected: asyncio.Queue[None]) -> float:
        body = item["body"].encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in item["headers"].items())
        wire = (f"POST {parts.path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                f"Content-Length: {len(body)}\r\n{head}\r\n").encode() + body
        reader, writer = await asyncio.open_connection(host, port)
        connected.put_nowait(None)
        await go.wait()
        began = time.perf_counter()
        writer.write(wire)
        await writer.drain()
        status = await reader.readline()
        elapsed = (time.perf_counter() - began) * 1000
        writer.close()
        if b" 200 " not in status:
            raise RuntimeError(f"answer: {status!r}")
        return elapsed

    connected: asyncio.Queue[None] = asyncio.Queue()
    tasks = [asyncio.create_task(one(item, connected)) for item in batch]
    for _ in batch:
        await connected.get()
    print(json.dumps({"connected": len(batch)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
    began = time.process_time()
    go.set()
    latencies = list(await asyncio.gather(*tasks))
    return latencies, time.process_time() - began


if __name__ == "__main__":
    {"slack": fake_slack, "fire": fire}[sys.argv[1]]()
