"""shmstream: Kinesis Data Streams for one host, over memory-mapped files.

    import shmstream
    stream = shmstream.Stream.create("ticks", shard_count=4)
    stream.put("AAPL", b"...")
    for record in stream.records():
        print(record.shard_id, record.sequence_number, record.partition_key, record.data)
    frame = stream.to_pandas()          # needs pandas (imported on first use only)

See docs/PYTHON.md for the whole API.
"""

from ._errors import (
    AccessDeniedException,
    CorruptedDataException,
    Error,
    ExpiredIteratorException,
    IncompatibleLayoutException,
    InternalFailure,
    InvalidArgumentException,
    KMSAccessDeniedException,
    KMSDisabledException,
    KMSNotFoundException,
    LimitExceededException,
    ProvisionedThroughputExceededException,
    RecordAbortedException,
    ResourceInUseException,
    ResourceNotFoundException,
    ShardClosedException,
    StorageFullException,
    TimeoutException,
)
from ._control import SHARD_FILTER_TYPES, ExpiredNextTokenException
from ._iterators import ITERATOR_TYPES, GetRecordsResult, ShardIterator, Tail
from ._native_import import native as _native
from ._order import read_order
from ._stream import Producer, PutFailure, PutManyResult, PutResult, Stream, get_records, iterator_from_token
from ._worker import InvalidStateException, RecordProcessor, ShutdownException, Worker

Record = _native.Record
ZeroCopyRecord = _native.ZeroCopyRecord
default_root = _native.default_root
shard_id_text = _native.shard_id_text

__version__ = "0.1.0"

__all__ = [
    "AccessDeniedException", "CorruptedDataException", "Error", "ExpiredIteratorException",
    "ExpiredNextTokenException", "GetRecordsResult", "SHARD_FILTER_TYPES",
    "ITERATOR_TYPES", "IncompatibleLayoutException", "InternalFailure", "InvalidArgumentException",
    "KMSAccessDeniedException", "KMSDisabledException", "KMSNotFoundException", "LimitExceededException", "Producer",
    "PutFailure", "PutManyResult", "ProvisionedThroughputExceededException", "PutResult", "Record",
    "RecordAbortedException", "ResourceInUseException", "ResourceNotFoundException", "ShardClosedException",
    "ShardIterator", "StorageFullException", "Stream", "TimeoutException", "default_root", "read_order",
    "shard_id_text", "Worker", "RecordProcessor", "ShutdownException", "InvalidStateException",
    "Tail", "ZeroCopyRecord", "get_records", "iterator_from_token",
]
