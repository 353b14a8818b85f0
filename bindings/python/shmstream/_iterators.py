"""Shard iterators, GetRecords results, and the multi-shard readers (snapshot and tail)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from . import _convert
from ._errors import InvalidArgumentException
from ._native_import import native
from ._order import parents_of, read_order, UNREADABLE_STATES

if TYPE_CHECKING:
    from ._shmstream import NativeShardReader, NativeStream, Record

ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP")
# Blocking waits are cut into slices so Ctrl-C (checked between native calls) stays responsive.
WAIT_SLICE_SECONDS = 0.1


@dataclass
class GetRecordsResult:
    records: list[Record]
    next_position: int  # where the iterator continues (a position, usable with ShardIterator.seek)
    millis_behind_latest: int
    shard_ended: bool = False  # closed shard read to its end
    child_shard_ids: list[str] = field(default_factory=list)


def native_reader(stream: NativeStream, shard: _convert.ShardRef, iterator_type: str,
                  sequence_number: Optional[_convert.SequenceNumber], timestamp: Optional[_convert.Timestamp],
                  skip_expired: bool) -> NativeShardReader:
    iterator_type = iterator_type.upper()
    if iterator_type not in ITERATOR_TYPES:
        raise InvalidArgumentException(f"unknown ShardIteratorType {iterator_type!r}; one of {ITERATOR_TYPES}")
    needs_sequence = iterator_type in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
    if needs_sequence != (sequence_number is not None):
        raise InvalidArgumentException("StartingSequenceNumber is required for, and only for, "
                                       "AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER")
    if (iterator_type == "AT_TIMESTAMP") != (timestamp is not None):
        raise InvalidArgumentException("Timestamp is required for, and only for, AT_TIMESTAMP")
    return native.NativeShardReader(
        stream, _convert.shard_index(shard), iterator_type,
        _convert.sequence_number(sequence_number) if sequence_number is not None else 0,
        _convert.timestamp_ns(timestamp) if timestamp is not None else 0,
        skip_expired)


class ShardIterator:
    """A cursor on one shard (GetShardIterator + GetRecords). Use from one thread at a time.

    Iterating yields the records up to the shard's current end; :meth:`tail` keeps waiting for more.
    """

    def __init__(self, reader: NativeShardReader, zero_copy: bool = False) -> None:
        self._reader = reader
        self._zero_copy = zero_copy

    @property
    def shard_id(self) -> str:
        """The ShardId this iterator reads."""
        return self._reader.shard_id

    @property
    def position(self) -> int:
        """Where the next get_records continues (a sequence number; save it to resume with seek())."""
        return self._reader.position

    def seek(self, position: int) -> None:
        """Continue at a position from an earlier result's next_position."""
        self._reader.seek(position)

    def get_records(self, limit: int = 10000, max_bytes: int = 10 << 20,
                    zero_copy: Optional[bool] = None) -> GetRecordsResult:
        """Up to `limit` records. With zero_copy, each record's data is a read-only memoryview into the
        shared mapping, valid only until the next get_records on this iterator (copy what you keep)."""
        copy_free = self._zero_copy if zero_copy is None else zero_copy
        records, next_position, behind, ended, children = self._reader.get_records(limit, max_bytes, copy_free)
        return GetRecordsResult(records, next_position, behind, ended, [native.shard_id_text(c) for c in children])

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks (GIL released) until a record or the shard's end is visible; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = WAIT_SLICE_SECONDS if deadline is None else min(WAIT_SLICE_SECONDS,
                                                                        deadline - time.monotonic())
            if remaining <= 0:
                return False
            if self._reader.wait(int(remaining * 1e9)):
                return True

    def __iter__(self) -> Iterator[Record]:
        while True:
            result = self.get_records()
            if not result.records:
                return
            yield from result.records

    def tail(self, timeout: Optional[float] = None) -> Iterator[Record]:
        """Yields records as they arrive; stops after `timeout` seconds without one (None: never) or at
        the end of a closed shard."""
        while True:
            result = self.get_records()
            yield from result.records
            if result.shard_ended:
                return
            if not result.records and not self.wait(timeout):
                return


def snapshot_records(stream: NativeStream, iterator_type: str, timestamp: Optional[_convert.Timestamp],
                     zero_copy: bool) -> Iterator[Record]:
    """Every shard up to its current end, parents before children."""
    for index in read_order(stream.describe()["shards"]):
        reader = native_reader(stream, index, iterator_type, None, timestamp, skip_expired=True)
        yield from ShardIterator(reader, zero_copy)


class _TailScheduler:
    """Which shards a multi-shard tail reads now: a child joins once all its parents reached their end."""

    def __init__(self, stream: NativeStream, iterator_type: str, timestamp: Optional[_convert.Timestamp]) -> None:
        self._stream = stream
        self._finished: set[int] = set()
        self._started: set[int] = set()
        self.active: list[ShardIterator] = []
        shards = stream.describe()["shards"]
        for shard in shards:
            if iterator_type == "LATEST" and shard["state"] != "OPEN":
                continue  # nothing new will ever arrive in a closed shard
            if self._parents_done(shard, shards):
                self._start(shard["index"], iterator_type, timestamp)

    def _parents_done(self, shard: dict[str, Any], shards: list[dict[str, Any]]) -> bool:
        if shard["state"] in UNREADABLE_STATES:
            return False
        readable = {s["index"] for s in shards if s["state"] not in UNREADABLE_STATES}
        return all(p in self._finished or p not in readable for p in parents_of(shard))

    def _start(self, index: int, iterator_type: str, timestamp: Optional[_convert.Timestamp]) -> None:
        self._started.add(index)
        reader = native_reader(self._stream, index, iterator_type, None, timestamp, skip_expired=True)
        self.active.append(ShardIterator(reader))

    def finish(self, iterator: ShardIterator) -> None:
        self.active.remove(iterator)
        self._finished.add(_convert.shard_index(iterator.shard_id))
        shards = self._stream.describe()["shards"]  # children may be newer than our last look
        for shard in shards:
            if shard["index"] not in self._started and self._parents_done(shard, shards) and \
                    any(p in self._finished for p in parents_of(shard)):
                self._start(shard["index"], "TRIM_HORIZON", None)


def tail_records(stream: NativeStream, timeout: Optional[float], iterator_type: str,
                 timestamp: Optional[_convert.Timestamp], zero_copy: bool) -> Iterator[Record]:
    scheduler = _TailScheduler(stream, iterator_type.upper(), timestamp)
    idle_since = time.monotonic()
    while scheduler.active:
        progressed = False
        for iterator in list(scheduler.active):
            result = iterator.get_records(zero_copy=zero_copy)
            if result.records:
                progressed = True
                yield from result.records
            if result.shard_ended:
                progressed = True
                scheduler.finish(iterator)
        if progressed:
            idle_since = time.monotonic()
            continue
        slice_seconds = WAIT_SLICE_SECONDS
        if timeout is not None:
            slice_seconds = min(slice_seconds, idle_since + timeout - time.monotonic())
            if slice_seconds <= 0:
                return
        readers = [iterator._reader for iterator in scheduler.active]
        if len(readers) == 1:
            readers[0].wait(int(slice_seconds * 1e9))
        else:
            native.wait_any(readers, int(slice_seconds * 1e9))
