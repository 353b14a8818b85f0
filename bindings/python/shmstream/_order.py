"""Parent-before-child shard order.

After a reshard, records of one partition key continue in a child shard. Reading a child only after its
parents were read to their end keeps every key's records in order (docs/DESIGN.md §4.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

UNREADABLE_STATES = frozenset({"EXPIRED", "UNUSED"})


def parents_of(shard: Mapping[str, Any]) -> list[int]:
    return [p for p in (shard.get("parent_index"), shard.get("adjacent_parent_index")) if p is not None]


def read_order(shards: Iterable[Mapping[str, Any]]) -> list[int]:
    """Indexes of the readable shards, each after all of its readable parents (lowest index first on ties).

    A parent that is expired or unknown no longer holds records, so it does not hold its children back.
    """
    readable = {s["index"]: s for s in shards if s["state"] not in UNREADABLE_STATES}
    waiting_on = {i: {p for p in parents_of(s) if p in readable} for i, s in readable.items()}
    order: list[int] = []
    ready = sorted(i for i, parents in waiting_on.items() if not parents)
    while ready:
        index = ready.pop(0)
        order.append(index)
        for child, parents in waiting_on.items():
            if index in parents:
                parents.discard(index)
                if not parents:
                    ready.append(child)
        ready.sort()
    if len(order) != len(readable):
        raise ValueError("the shard table has a parent cycle")  # impossible with a sane stream.meta
    return order
