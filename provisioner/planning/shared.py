"""Small pieces the planner uses for every account and operation of a board, made cheap: a
board of a million identities plans millions of operations (benchmarks/plan.py)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from provisioner.planning.models import PHASE, DesiredAccount, Operation, OpType

#: Shared data of operations that carry none, or only a licence (read-only: never changed).
NO_DATA: Mapping[str, Any] = MappingProxyType({})


def names(account: DesiredAccount) -> tuple[str, str, str]:
    """The display, given and family name (with prefix) of ``PersonName``, made here without
    a generator per part: the planner asks for them for every account of a board."""
    name = account.name
    given, prefix, family = name.given, name.prefix, name.family
    family_with_prefix = f"{prefix} {family}" if prefix and family else prefix or family
    if given and family_with_prefix:
        return f"{given} {family_with_prefix}", given, family_with_prefix
    return given or family_with_prefix, given, family_with_prefix


@functools.lru_cache(maxsize=1024)
def licence_data(sku: str) -> Mapping[str, Any]:
    """The (shared, read-only) data of a licence operation."""
    return MappingProxyType({"licence": sku})


def in_order(ops: list[Operation]) -> tuple[Operation, ...]:
    """``ops`` sorted by :meth:`Operation.sort_key` (a stable sort), without a key tuple per
    operation: by phase in buckets, within each by key and then, stably, by group."""
    phases: dict[OpType, list[Operation]] = {}
    for op in ops:
        bucket = phases.get(op.type)
        if bucket is None:
            phases[op.type] = [op]
        else:
            bucket.append(op)
    ordered: list[Operation] = []
    for phase in sorted(phases, key=PHASE.__getitem__):
        bucket = phases[phase]
        bucket.sort(key=_KEY)
        if any(op.group for op in bucket):
            bucket.sort(key=_group)
        ordered += bucket
    return tuple(ordered)


_KEY = operator.attrgetter("key")


def _group(op: Operation) -> str:
    return op.group or ""
