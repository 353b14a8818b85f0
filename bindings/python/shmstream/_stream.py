"""The Stream handle: control path, puts, iterators, and the analysis exports."""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _control, _convert, _iterators
from ._errors import InvalidArgumentException, ResourceInUseException
from ._native_import import native

if TYPE_CHECKING:
    import numpy
    import pandas

    from ._iterators import AnyRecord
    from ._shmstream import NativeProducer, NativeStream

Bytes = Union[bytes, bytearray, memoryview, str]
HashKey = Union[int, str]
PutEntry = Union[tuple, Mapping[str, Any]]


@dataclass(frozen=True)
class PutResult:
    shard_id: str
    sequence_number: int


@dataclass(frozen=True)
class PutFailure:
    error_code: str  # a Kinesis exception name, e.g. "InvalidArgumentException"
    error_message: str


@dataclass(frozen=True)
class PutManyResult:
    failed_record_count: int
    records: list[Union[PutResult, PutFailure]]  # in request order


def _root(root: Optional[str]) -> str:
    return native.default_root() if root is None else str(root)


def _hash_key_text(key: Optional[HashKey]) -> Optional[str]:
    return None if key is None else str(key)


def _entry(record: PutEntry) -> tuple[Bytes, Bytes, Optional[str]]:
    """(key, data[, explicit_hash_key]) or a dict with Kinesis names (PartitionKey, Data,
    ExplicitHashKey) or pythonic ones (key / partition_key, data, explicit_hash_key)."""
    if isinstance(record, Mapping):
        key = record.get("PartitionKey", record.get("partition_key", record.get("key")))
        data = record.get("Data", record.get("data"))
        hash_key = record.get("ExplicitHashKey", record.get("explicit_hash_key"))
        if key is None or data is None:
            raise InvalidArgumentException(f"record {record!r} needs a partition key and data")
        return key, data, _hash_key_text(hash_key)
    if len(record) == 2:
        return record[0], record[1], None
    if len(record) == 3:
        return record[0], record[1], _hash_key_text(record[2])
    raise InvalidArgumentException("records are (key, data), (key, data, explicit_hash_key) or dicts")


def _as_bytes(value: Any) -> Optional[bytes]:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return None


def _first_bad_entry(entries: list[tuple[Bytes, Bytes, Optional[str]]]) -> Optional[int]:
    """The index of the first entry a PutRecords request would refuse for its own sake (type, key length,
    size), to name it in the error; None when the request failed for another reason."""
    for index, (key, data, _) in enumerate(entries):
        key_bytes, data_bytes = _as_bytes(key), _as_bytes(data)
        if key_bytes is None or data_bytes is None or not 1 <= len(key_bytes) <= native.MAX_PARTITION_KEY_BYTES:
            return index
        # Kinesis counts characters: the UTF-8 bytes that do not continue one.
        if sum(1 for byte in key_bytes if byte & 0xC0 != 0x80) > native.MAX_PARTITION_KEY_CHARACTERS:
            return index
        if len(key_bytes) + len(data_bytes) > native.MAX_RECORD_BYTES:
            return index
    return None


class Producer:
    """Puts records. Cheap to keep; one per thread is fastest (Stream.put does that for you).

    exclusive=True: the only writer of the stream (no locked instructions per record); opening it while any
    other producer lives, or any producer while it lives, raises ResourceInUseException.

    exact_arrival_times=True: each record's ApproximateArrivalTimestamp is read from the clock as it is put,
    also when the process puts over 4 M records/s, where the ticking clock (at most ~0.1 ms behind) stamps
    them otherwise (docs/DECISIONS.md)."""

    def __init__(self, stream: NativeStream, exclusive: bool = False, exact_arrival_times: bool = False) -> None:
        self._native: NativeProducer = native.NativeProducer(stream, exclusive, exact_arrival_times)

    def put(self, key: Bytes, data: Bytes, explicit_hash_key: Optional[HashKey] = None) -> PutResult:
        """PutRecord: routes by the MD5 of `key` (or `explicit_hash_key`) and appends; returns the shard and
        sequence number. Raises the Kinesis exception of a refused record, which is then not written."""
        shard, sequence = self._native.put(key, data, _hash_key_text(explicit_hash_key))
        return PutResult(native.shard_id_text(shard), sequence)

    def put_many(self, records: Iterable[PutEntry]) -> PutManyResult:
        """PutRecords, any number of records: sent in requests of up to 500. Per-record failures are
        reported, not raised; a request-level error (e.g. a key too long) raises and writes none of that
        request."""
        entries = []
        for index, record in enumerate(records):
            try:
                entries.append(_entry(record))
            except (InvalidArgumentException, TypeError) as error:
                raise InvalidArgumentException(f"put_many: record {index}: {error}") from None
        results: list[Union[PutResult, PutFailure]] = []
        failed = 0
        for start in range(0, len(entries), native.MAX_PUT_RECORDS_ENTRIES):
            request = entries[start:start + native.MAX_PUT_RECORDS_ENTRIES]
            try:
                count, outcomes = self._native.put_records(request)
            except (InvalidArgumentException, TypeError) as error:
                bad = _first_bad_entry(request)
                if bad is None:
                    raise
                raise InvalidArgumentException(f"put_many: record {start + bad} ({request[bad][0]!r}): {error}; "
                                               f"nothing of records {start}..{start + len(request) - 1} was written"
                                               ) from None
            failed += count
            for shard, sequence, error_code, message in outcomes:
                results.append(PutResult(native.shard_id_text(shard), sequence) if error_code is None
                               else PutFailure(error_code, message))
        return PutManyResult(failed, results)

    def flush_metrics(self) -> None:
        """Adds this producer's pending incoming-records/bytes counts to the shared counters now (they are
        otherwise added every 1,024 records, at segment rolls and when the producer is closed)."""
        self._native.flush_metrics()


class Stream(_control.ControlPlane):
    """One stream under a root directory (default $SHMSTREAM_ROOT or /dev/shm/shmstream)."""

    def __init__(self, native_stream: NativeStream, root: str) -> None:
        self._native = native_stream
        self._root = root
        self._producers = threading.local()

    # -- control path -----------------------------------------------------------------------------
    @classmethod
    def create(cls, name: str, shard_count: Optional[int] = None, segment_size: int = native.DEFAULT_SEGMENT_SIZE,
               retention: Union[_dt.timedelta, float] = _dt.timedelta(hours=24), retention_bytes: int = 0,
               mode: int = 0o600, root: Optional[str] = None, checksums: Optional[bool] = None,
               stream_mode: str = "PROVISIONED") -> Stream:
        """CreateStream. segment_size: power of two in [4 KiB, 1 GiB]; retention: timedelta or seconds;
        retention_bytes: per-shard cap, 0 for the default; mode: file permission bits; checksums: a checksum
        on every record, fixed for the stream's life (None: on where the root is on a persistent filesystem,
        off on tmpfs such as /dev/shm); details()["Checksums"] shows the setting. stream_mode: "PROVISIONED"
        or "ON_DEMAND" (which starts with 4 shards unless shard_count is given, as AWS)."""
        if checksums is not None and not isinstance(checksums, bool):
            raise InvalidArgumentException(f"checksums must be None, True or False, not {checksums!r}")
        if shard_count is None:
            shard_count = native.ON_DEMAND_INITIAL_SHARD_COUNT if stream_mode == "ON_DEMAND" else 1
        root = _root(root)
        return cls(native.NativeStream.create(name, shard_count, segment_size, _convert.duration_ns(retention),
                                              retention_bytes, mode, root, checksums, stream_mode), root)

    @classmethod
    def open(cls, name: str, root: Optional[str] = None) -> Stream:
        """Opens an existing stream (ResourceNotFoundException if there is none)."""
        root = _root(root)
        return cls(native.NativeStream.open(name, root), root)

    @staticmethod
    def list(root: Optional[str] = None) -> list[str]:
        """ListStreams: the names of the streams under `root` (default $SHMSTREAM_ROOT or /dev/shm/shmstream)."""
        return native.NativeStream.list(_root(root))

    @staticmethod
    def delete(name: str, root: Optional[str] = None, enforce_consumer_deletion: bool = False) -> None:
        """DeleteStream; a stream with registered consumers needs enforce_consumer_deletion, as AWS."""
        root = _root(root)
        if not enforce_consumer_deletion and native.NativeStream.open(name, root).list_consumers():
            raise ResourceInUseException(f"Stream {name} has registered consumers: deregister them, or delete "
                                         f"with enforce_consumer_deletion=True.")
        native.NativeStream.remove(name, root)

    @property
    def name(self) -> str:
        """The stream's name."""
        return self._native.name

    @property
    def root(self) -> str:
        """The directory the stream lives under."""
        return self._root

    @staticmethod
    def describe_limits(root: Optional[str] = None) -> dict[str, int]:
        """DescribeLimits: ShardLimit (per stream here), OpenShardCount and OnDemandStreamCount over the
        root, OnDemandStreamCountLimit."""
        return _control.describe_limits(_root(root))

    def shards(self) -> list[dict[str, Any]]:
        """Raw shard table rows: index, shard_id, parent_index, adjacent_parent_index, state, positions,
        counters."""
        return self._native.describe()["shards"]

    def shard_ids(self) -> list[str]:
        """ShardIds of every shard still known (open and closed), by index."""
        return [s["shard_id"] for s in self.shards()]

    # -- resharding ---------------------------------------------------------------------------------
    def split_shard(self, shard: _convert.ShardRef, new_starting_hash_key: HashKey) -> None:
        """SplitShard: the children get the next two indexes; the parent becomes CLOSED."""
        self._native.split_shard(_convert.shard_index(shard), str(new_starting_hash_key))

    def merge_shards(self, shard: _convert.ShardRef, adjacent_shard: _convert.ShardRef) -> None:
        """MergeShards of two OPEN shards with adjacent hash key ranges."""
        self._native.merge_shards(_convert.shard_index(shard), _convert.shard_index(adjacent_shard))

    def update_shard_count(self, target_shard_count: int) -> None:
        """UpdateShardCount (UNIFORM_SCALING)."""
        self._native.update_shard_count(target_shard_count)

    # -- encryption ---------------------------------------------------------------------------------
    def start_encryption(self, key_id: str = "alias/aws/kinesis", encryption_type: str = "KMS") -> None:
        """StartStreamEncryption: records put from now on are AES-256-GCM encrypted under the key of the local
        key service (``shmstream kms``) that key_id names (UUID, key ARN, alias name or alias ARN). Raises
        KMSNotFoundException, KMSDisabledException, KMSAccessDeniedException, InvalidArgumentException.
        Keys are looked for in $SHMSTREAM_KEY_DIR (else $XDG_CONFIG_HOME/shmstream/keys)."""
        self._native.start_encryption(encryption_type, key_id)

    def stop_encryption(self, key_id: str = "alias/aws/kinesis", encryption_type: str = "KMS") -> None:
        """StopStreamEncryption: records put from now on are plain; earlier ones stay encrypted."""
        self._native.stop_encryption(encryption_type, key_id)

    # -- puts -------------------------------------------------------------------------------------
    def producer(self, exclusive: bool = False, exact_arrival_times: bool = False) -> Producer:
        """A producer of your own (see Producer); stream.put* keeps one per thread for you."""
        return Producer(self._native, exclusive, exact_arrival_times)

    def _thread_producer(self) -> Producer:
        producer = getattr(self._producers, "producer", None)
        if producer is None:
            producer = self._producers.producer = Producer(self._native)
        return producer

    def put(self, key: Bytes, data: Bytes, explicit_hash_key: Optional[HashKey] = None) -> PutResult:
        """PutRecord. key: str of 1..256 characters (bytes: UTF-8 of as many); data: bytes-like or str (UTF-8)."""
        return self._thread_producer().put(key, data, explicit_hash_key)

    def put_many(self, records: Iterable[PutEntry]) -> PutManyResult:
        """PutRecords for (key, data), (key, data, explicit_hash_key) or dict records."""
        return self._thread_producer().put_many(records)

    # -- reads ------------------------------------------------------------------------------------
    def iterator(self, shard: _convert.ShardRef = 0, iterator_type: str = "TRIM_HORIZON",
                 sequence_number: Optional[_convert.SequenceNumber] = None,
                 timestamp: Optional[_convert.Timestamp] = None, zero_copy: bool = False,
                 skip_expired: bool = False) -> _iterators.ShardIterator:
        """GetShardIterator: shard as ShardId text or index; iterator_type one of TRIM_HORIZON, LATEST,
        AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER (with sequence_number), AT_TIMESTAMP (with timestamp).
        skip_expired: continue at the trim horizon instead of raising ExpiredIteratorException."""
        reader = _iterators.native_reader(self._native, shard, iterator_type, sequence_number, timestamp,
                                          skip_expired)
        return _iterators.ShardIterator(reader, zero_copy)

    def get_shard_iterator(self, shard: _convert.ShardRef = 0, iterator_type: str = "TRIM_HORIZON",
                           sequence_number: Optional[_convert.SequenceNumber] = None,
                           timestamp: Optional[_convert.Timestamp] = None) -> str:
        """GetShardIterator as the API has it: a ShardIterator token (valid 300 s), the same the CLI's
        get-shard-iterator prints; read it with shmstream.get_records() or stream.iterator_from_token()."""
        return self.iterator(shard, iterator_type, sequence_number, timestamp).token()

    def iterator_from_token(self, token: str, zero_copy: bool = False,
                            skip_expired: bool = False) -> _iterators.ShardIterator:
        """A ShardIterator at a token's position (from get_shard_iterator, a NextShardIterator, or the CLI).
        Raises ExpiredIteratorException for a token older than 300 s, InvalidArgumentException for a
        malformed one or one of another stream (or of this stream before it was deleted and created again),
        ResourceNotFoundException once its shard expired."""
        return _iterators.iterator_from_token(self._native, token, zero_copy, skip_expired)

    def records(self, iterator_type: str = "TRIM_HORIZON", timestamp: Optional[_convert.Timestamp] = None,
                zero_copy: bool = False) -> Iterator[AnyRecord]:
        """Every shard up to its current end, parents read to their end before their children."""
        if iterator_type.upper() not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
            raise InvalidArgumentException("sequence-number iterators are per shard: use iterator()")
        return _iterators.snapshot_records(self._native, iterator_type.upper(), timestamp, zero_copy)

    def tail(self, timeout: Optional[float] = None, iterator_type: str = "LATEST",
             timestamp: Optional[_convert.Timestamp] = None, zero_copy: bool = False,
             positions: Optional[Mapping[_convert.ShardRef, _convert.SequenceNumber]] = None,
             skip_expired: bool = False) -> _iterators.Tail:
        """Blocking iterator over all shards: yields records as they arrive, children after their parents
        end; stops after `timeout` seconds without a record (None: never). Its `positions` ({ShardId:
        position}) saved after handling a record and given back here as `positions` continue with exactly
        the records after it (iterator_type and timestamp then apply to nothing); a saved position that
        retention removed raises ExpiredIteratorException, or continues at the trim horizon with
        skip_expired=True."""
        if iterator_type.upper() not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
            raise InvalidArgumentException("sequence-number iterators are per shard: use iterator().tail()")
        if positions is not None and not isinstance(positions, Mapping):
            raise InvalidArgumentException("positions is a mapping {ShardId: position}, as Tail.positions gives")
        return _iterators.Tail(self._native, timeout, iterator_type.upper(), timestamp, zero_copy, positions,
                               skip_expired)

    # -- analysis ---------------------------------------------------------------------------------
    def to_pandas(self, shard: Optional[_convert.ShardRef] = None,
                  start_sequence_number: Optional[_convert.SequenceNumber] = None,
                  end_sequence_number: Optional[_convert.SequenceNumber] = None,
                  start_time: Optional[_convert.Timestamp] = None, end_time: Optional[_convert.Timestamp] = None,
                  max_records: Optional[int] = None) -> pandas.DataFrame:
        """A snapshot as a DataFrame (shard_id, sequence_number, arrival_time in UTC, partition_key, data),
        read in C++ with the GIL released; docs/PYTHON.md "Analysis" has the range arguments."""
        from ._analysis import to_pandas
        return to_pandas(self._native, shard, start_sequence_number, end_sequence_number, start_time, end_time,
                         max_records)

    def to_numpy(self, dtype: Any, shard: Optional[_convert.ShardRef] = None,
                 start_sequence_number: Optional[_convert.SequenceNumber] = None,
                 end_sequence_number: Optional[_convert.SequenceNumber] = None,
                 start_time: Optional[_convert.Timestamp] = None, end_time: Optional[_convert.Timestamp] = None,
                 max_records: Optional[int] = None, metadata: bool = False, strict: bool = True) -> numpy.ndarray:
        """Fixed-layout payloads as a structured array of `dtype`, copied once from the mapping; metadata=True
        adds sequence_number, arrival_time and shard_index; docs/PYTHON.md "Analysis"."""
        from ._analysis import to_numpy
        return to_numpy(self._native, dtype, shard, start_sequence_number, end_sequence_number, start_time,
                        end_time, max_records, metadata, strict)

    def __repr__(self) -> str:
        return f"Stream(name={self.name!r}, root={self._root!r})"


def iterator_from_token(token: str, root: Optional[str] = None, zero_copy: bool = False,
                        skip_expired: bool = False) -> _iterators.ShardIterator:
    """A ShardIterator at a token's position, opening the stream the token names under `root` (default
    $SHMSTREAM_ROOT or /dev/shm/shmstream); the errors of Stream.iterator_from_token."""
    stream_name = _iterators.token_stream_name(token)
    return Stream.open(stream_name, root).iterator_from_token(token, zero_copy, skip_expired)


def get_records(shard_iterator: str, limit: int = 10000, root: Optional[str] = None) -> _iterators.GetRecordsResult:
    """GetRecords as the API has it: reads from a ShardIterator token (from Stream.get_shard_iterator, a
    NextShardIterator, or the CLI's get-shard-iterator) and returns the records with next_shard_iterator
    (None once the shard ended) for the next call, as `shmstream get-records` does."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= native.MAX_GET_RECORDS_LIMIT:
        raise InvalidArgumentException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            f"Member must have value between 1 and {native.MAX_GET_RECORDS_LIMIT}")
    return iterator_from_token(shard_iterator, root).get_records(limit)
