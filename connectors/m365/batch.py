"""Graph ``$batch`` requests and results, and how a list of them is cut into batches of at
most :data:`BATCH_LIMIT` that keep each request with what it depends on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.errors import ConnectorError

BATCH_LIMIT = 20  # Graph answers 400 to a $batch with more requests


@dataclass(frozen=True)
class BatchRequest:
    """One request inside a ``$batch``; ``url`` is relative to the version (``/users/{id}``)."""

    id: str
    method: str
    url: str
    body: Any = None
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchResult:
    """The final answer to one :class:`BatchRequest`; ``status`` 0 means no answer came back."""

    id: str
    status: int
    body: Any
    error: ConnectorError | None


def chunks(requests: Sequence[BatchRequest]) -> list[list[BatchRequest]]:
    """Chunks of at most 20 in input order, keeping each request with what it depends on."""
    position = {r.id: n for n, r in enumerate(requests)}
    root = list(range(len(requests)))

    def find(n: int) -> int:
        while root[n] != n:
            root[n] = root[root[n]]
            n = root[n]
        return n

    for n, request in enumerate(requests):
        for dep in request.depends_on:
            if dep not in position:
                raise ValueError(f"batch request {request.id} depends on unknown {dep}")
            root[find(n)] = find(position[dep])
    groups: dict[int, list[BatchRequest]] = {}
    for n, request in enumerate(requests):
        groups.setdefault(find(n), []).append(request)
    chunks: list[list[BatchRequest]] = []
    for group in groups.values():  # in order of each group's first request
        if len(group) > BATCH_LIMIT:
            raise ValueError(f"more than {BATCH_LIMIT} batch requests depend on each other")
        if not chunks or len(chunks[-1]) + len(group) > BATCH_LIMIT:
            chunks.append([])
        chunks[-1].extend(group)
    return chunks
