"""Shard iterators, GetRecords results, ShardIterator tokens, and the multi-shard readers (snapshot and
resumable tail)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _convert
from ._errors import InvalidArgumentException, ResourceNotFoundException
from ._native_import import native
from ._order import parents_of, read_order, UNREADABLE_STATES

if TYPE_CHECKING:
    from ._shmstream import NativeShardReader, NativeStream, Record, ZeroCopyRecord

    AnyRecord = Union[Record, ZeroCopyRecord]

ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP")
# Blocking waits are cut into slices so Ctrl-C (checked between native calls) stays responsive.
WAIT_SLICE_SECONDS = 0.1


@dataclass
class GetRecordsResult:
    """GetRecords' output: records (Record, or ZeroCopyRecord with zero_copy), next_position (where the
    iterator continues, usable with ShardIterator.seek), millis_behind_latest, shard_ended (a closed shard read
    to its end), child_shard_ids, and next_shard_iterator (the token of next_position, None at a shard's end)."""
    records: list[AnyRecord]
    next_position: int
    millis_behind_latest: int
    shard_ended: bool = False
    child_shard_ids: list[str] = field(default_factory=list)
    _issue_token: Optional[Callable[[int], str]] = field(default=None, repr=False, compare=False)

    @property
    def next_shard_iterator(self) -> Optional[str]:
        """NextShardIterator: a token (valid 300 s) of next_position, as the CLI's get-records prints it;
        None once the shard ended, as AWS."""
        if self.shard_ended or self._issue_token is None:
            return None
        return self._issue_token(self.next_position)


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

    def token(self) -> str:
        """A ShardIterator token of the current position (valid 300 s): what the CLI's get-shard-iterator
        prints, usable by `shmstream get-records --shard-iterator`, shmstream.get_records() or
        shmstream.iterator_from_token() in any process on the host."""
        return self._reader.token()

    def get_records(self, limit: int = 10000, max_bytes: int = 10 << 20,
                    zero_copy: Optional[bool] = None) -> GetRecordsResult:
        """Up to `limit` records. With zero_copy, records are ZeroCopyRecords whose data is a read-only
        memoryview into the shared mapping, valid only until the next get_records or seek on this iterator
        (then released; copy with bytes() what you keep). That call raises BufferError, reading nothing,
        while a numpy array or memoryview slice made from the previous batch's data is still alive."""
        copy_free = self._zero_copy if zero_copy is None else zero_copy
        records, next_position, behind, ended, children = self._reader.get_records(limit, max_bytes, copy_free)
        return GetRecordsResult(records, next_position, behind, ended, [native.shard_id_text(c) for c in children],
                                self._reader.token)

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

    def __iter__(self) -> Iterator[AnyRecord]:
        while True:
            result = self.get_records()
            if not result.records:
                return
            yield from result.records

    def tail(self, timeout: Optional[float] = None) -> Iterator[AnyRecord]:
        """Yields records as they arrive; stops after `timeout` seconds without one (None: never) or at
        the end of a closed shard."""
        while True:
            result = self.get_records()
            yield from result.records
            if result.shard_ended:
                return
            if not result.records and not self.wait(timeout):
                return


def iterator_from_token(stream: NativeStream, token: str, zero_copy: bool, skip_expired: bool) -> ShardIterator:
    """A ShardIterator at a token's position; the token must be younger than 300 s and name `stream`."""
    if not isinstance(token, str):
        raise InvalidArgumentException(f"a ShardIterator token is a str, not {type(token).__name__}")
    reader = native.NativeShardReader.from_token(stream, token, skip_expired)
    return ShardIterator(reader, zero_copy)


def token_stream_name(token: str) -> str:
    """The stream a token reads (InvalidArgumentException for anything that is not a token)."""
    fields = native.parse_iterator_token(token) if isinstance(token, str) else None
    if fields is None:
        shown = token[:64] + ("..." if len(token) > 64 else "") if isinstance(token, str) else repr(token)
        raise InvalidArgumentException(f"Invalid ShardIterator: {shown}")
    return fields["stream_name"]


def snapshot_records(stream: NativeStream, iterator_type: str, timestamp: Optional[_convert.Timestamp],
                     zero_copy: bool) -> Iterator[AnyRecord]:
    """Every shard up to its current end, parents before children."""
    for index in read_order(stream.describe()["shards"]):
        reader = native_reader(stream, index, iterator_type, None, timestamp, skip_expired=True)
        yield from ShardIterator(reader, zero_copy)


def _ancestors(shards: dict[int, dict[str, Any]], indexes: set[int]) -> set[int]:
    found: set[int] = set()
    pending = list(indexes)
    while pending:
        shard = shards.get(pending.pop())
        for parent in parents_of(shard) if shard is not None else ():
            if parent not in found:
                found.add(parent)
                pending.append(parent)
    return found


class Tail:
    """The iterator stream.tail() returns: records of every shard as they arrive, a child shard once all its
    parents were read to their end.

    `positions` says where it stands: {ShardId: position} for every shard it has started, the position being
    the sequence number of the next record it would yield there (a finished shard's end position). A record
    counts as done once yielded, so save positions after handling a record, and pass them to
    stream.tail(positions=...) to continue with exactly the records after it, across reshards too."""

    def __init__(self, stream: NativeStream, timeout: Optional[float], iterator_type: str,
                 timestamp: Optional[_convert.Timestamp], zero_copy: bool,
                 positions: Optional[Mapping[_convert.ShardRef, int]], skip_expired: bool) -> None:
        self._stream = stream
        self._timeout = timeout
        self._zero_copy = zero_copy
        self._skip_expired = skip_expired
        self._positions: dict[int, int] = {}
        self._finished: set[int] = set()
        self._started: set[int] = set()
        self._active: list[ShardIterator] = []
        self._saved = {_convert.shard_index(shard): _convert.sequence_number(position)
                       for shard, position in (positions or {}).items()}
        shards = {s["index"]: s for s in stream.describe()["shards"]}
        unknown = sorted(set(self._saved) - set(shards))
        if unknown:
            raise ResourceNotFoundException(f"positions name {native.shard_id_text(unknown[0])}, which stream "
                                            f"{stream.name} never had")
        if positions is not None:
            # Shards a saved tail had moved past: those before a saved shard, and (for LATEST) closed ones
            # it skipped; the others start at TRIM_HORIZON, so nothing put since the save is missed.
            self._finished |= _ancestors(shards, set(self._saved)) - set(self._saved)
            self._first_type, self._first_timestamp = "TRIM_HORIZON", None
        else:
            self._first_type, self._first_timestamp = iterator_type, timestamp
            if iterator_type == "LATEST":
                # Nothing new will ever arrive in a closed shard: its children start at once.
                self._finished |= {i for i, s in shards.items() if s["state"] != "OPEN"}
        self._start_ready(shards, first=True)
        self._records = self._generate()

    @property
    def positions(self) -> dict[str, int]:
        """{ShardId: sequence number of the next record this tail would yield there} (a copy)."""
        return {native.shard_id_text(index): position for index, position in sorted(self._positions.items())}

    def __iter__(self) -> Tail:
        return self

    def __next__(self) -> AnyRecord:
        return next(self._records)

    def close(self) -> None:
        """Ends the tail (as for a generator)."""
        self._records.close()

    def _parents_done(self, shard: dict[str, Any], shards: dict[int, dict[str, Any]]) -> bool:
        if shard["state"] in UNREADABLE_STATES:
            return False
        readable = {i for i, s in shards.items() if s["state"] not in UNREADABLE_STATES}
        return all(p in self._finished or p not in readable for p in parents_of(shard))

    def _start_ready(self, shards: dict[int, dict[str, Any]], first: bool) -> None:
        for index, shard in sorted(shards.items()):
            if index in self._started or index in self._finished or not self._parents_done(shard, shards):
                continue
            if index in self._saved:
                reader = native.NativeShardReader(self._stream, index, "TRIM_HORIZON", 0, 0, self._skip_expired)
                reader.seek(self._saved[index])
            elif first:
                reader = native_reader(self._stream, index, self._first_type, None, self._first_timestamp,
                                       skip_expired=True)
            else:
                reader = native_reader(self._stream, index, "TRIM_HORIZON", None, None, skip_expired=True)
            self._started.add(index)
            self._positions[index] = reader.position
            self._active.append(ShardIterator(reader, self._zero_copy))

    def _finish(self, iterator: ShardIterator) -> None:
        self._active.remove(iterator)
        self._finished.add(_convert.shard_index(iterator.shard_id))
        # Children may be newer than our last look.
        self._start_ready({s["index"]: s for s in self._stream.describe()["shards"]}, first=False)

    def _generate(self) -> Iterator[AnyRecord]:
        idle_since = time.monotonic()
        while self._active:
            progressed = False
            for iterator in list(self._active):
                result = iterator.get_records(zero_copy=self._zero_copy)
                index = iterator._reader.shard_index
                records = result.records
                for i, record in enumerate(records):
                    # Done once yielded: a position saved while handling it continues after it.
                    self._positions[index] = records[i + 1].sequence_number if i + 1 < len(records) \
                        else result.next_position
                    yield record
                self._positions[index] = result.next_position
                if records:
                    progressed = True
                if result.shard_ended:
                    progressed = True
                    self._finish(iterator)
            if progressed:
                idle_since = time.monotonic()
                continue
            slice_seconds = WAIT_SLICE_SECONDS
            if self._timeout is not None:
                slice_seconds = min(slice_seconds, idle_since + self._timeout - time.monotonic())
                if slice_seconds <= 0:
                    return
            readers = [iterator._reader for iterator in self._active]
            if len(readers) == 1:
                readers[0].wait(int(slice_seconds * 1e9))
            else:
                native.wait_any(readers, int(slice_seconds * 1e9))
