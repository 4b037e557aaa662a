"""Small pieces the planner uses for every account and operation of a board, made cheap: a
board of a million identities plans millions of operations (benchmarks/plan.py)."""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from provisioner.planning.models import PHASE, DesiredAccount, Operation, OpType
from provisioner.targets import RemoteAccount, RemoteGroup

Remote = TypeVar("Remote", RemoteAccount, RemoteGroup)


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


class CreateData(Mapping[str, Any]):
    """The data of an account's create operation, ``account_spec_data(account, True)``, read
    from the (immutable) desired account when asked instead of held: a board of a million
    identities plans a million creates. ``dict(data)`` gives the same dict, with a fresh copy
    of the attributes each time, as the journal and the fingerprint take it."""

    __slots__ = ("_account",)

    KEYS = ("username", "display_name", "given_name", "family_name", "enabled", "attributes")

    def __init__(self, account: DesiredAccount) -> None:
        self._account = account

    def __getitem__(self, name: str) -> Any:
        account = self._account
        if name == "username":
            return account.username
        if name == "enabled":
            return True
        if name == "attributes":
            return dict(account.attributes)
        if name in _NAME_INDEX:
            return names(account)[_NAME_INDEX[name]]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)

    def __repr__(self) -> str:
        return repr(dict(self))


_NAME_INDEX = {"display_name": 0, "given_name": 1, "family_name": 2}


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
    ordered = [phases[phase] for phase in sorted(phases, key=PHASE.__getitem__)]
    for bucket in ordered:
        bucket.sort(key=_KEY)
        if any(op.group for op in bucket):
            bucket.sort(key=_group)
    return tuple(itertools.chain.from_iterable(ordered))


_KEY = operator.attrgetter("key")


def _group(op: Operation) -> str:
    return op.group or ""


class Index(Generic[Remote]):
    """Remote objects by remote id, and by the correlation key they carry (most keys are
    carried once: a list is kept only for a key carried more than once)."""

    def __init__(self, objects: Sequence[Remote]) -> None:
        self.by_remote: dict[str, Remote] = {item.remote_id: item for item in objects}
        self._first: dict[str, Remote] = {}
        self._more: dict[str, list[Remote]] = {}
        for item in objects:
            if item.key:
                if item.key not in self._first:
                    self._first[item.key] = item
                else:
                    self._more.setdefault(item.key, []).append(item)

    def carrying(self, key: str) -> list[Remote]:
        """The objects that carry ``key``, in the snapshot's order."""
        first = self._first.get(key)
        if first is None:
            return []
        return [first, *self._more.get(key, ())]


def keys_of(wanted: Mapping[str, Any], linked: Mapping[str, Any]) -> Iterator[str]:
    """Every key of ``wanted`` and of ``linked``, each once."""
    yield from wanted
    yield from (key for key in linked if key not in wanted)
