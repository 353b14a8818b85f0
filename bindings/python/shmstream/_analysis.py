"""pandas / numpy exports. numpy and pandas are imported here, on first use, never by `import shmstream`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from . import _convert
from ._errors import InvalidArgumentException
from ._native_import import native
from ._order import read_order

if TYPE_CHECKING:
    import numpy
    import pandas

    from ._shmstream import NativeStream

# Metadata fields to_numpy(metadata=True) puts before the payload; the payload starts 8-byte aligned.
METADATA_FIELDS = (("sequence_number", "<u8", 0), ("arrival_time", "<M8[ns]", 8), ("shard_index", "<u4", 16))
METADATA_BYTES = 24


def _plan(stream: NativeStream, shard: Optional[_convert.ShardRef],
          start_sequence_number: Optional[_convert.SequenceNumber],
          end_sequence_number: Optional[_convert.SequenceNumber], start_time: Optional[_convert.Timestamp],
          end_time: Optional[_convert.Timestamp], max_records: Optional[int]) -> dict[str, Any]:
    """Arguments of the native bulk readers: shards in parent-before-child order and the bounds."""
    shards = read_order(stream.describe()["shards"])
    if shard is not None:
        index = _convert.shard_index(shard)
        stream.describe_shard(index)  # ResourceNotFoundException for an unknown shard
        shards = [index]
    if (start_sequence_number is not None or end_sequence_number is not None) and len(shards) != 1:
        raise InvalidArgumentException("sequence numbers are per shard: pass shard= with a sequence range")
    if start_sequence_number is not None and start_time is not None:
        raise InvalidArgumentException("start at a sequence number or at a time, not both")
    iterator_type, sequence, timestamp = "TRIM_HORIZON", 0, 0
    if start_sequence_number is not None:
        iterator_type, sequence = "AT_SEQUENCE_NUMBER", _convert.sequence_number(start_sequence_number)
    elif start_time is not None:
        iterator_type, timestamp = "AT_TIMESTAMP", _convert.timestamp_ns(start_time)
    if max_records is not None and max_records < 0:
        raise InvalidArgumentException("max_records must be >= 0")
    return {
        "shards": shards,
        "iterator_type": iterator_type,
        "sequence_number": sequence,
        "timestamp_ns": timestamp,
        "end_sequence_number": (_convert.UINT64_MAX if end_sequence_number is None
                                else _convert.sequence_number(end_sequence_number)),
        "end_ns": _convert.INT64_MAX if end_time is None else _convert.timestamp_ns(end_time),
        "max_records": _convert.UINT64_MAX if max_records is None else max_records,
    }


def to_pandas(stream: NativeStream, shard: Optional[_convert.ShardRef] = None,
              start_sequence_number: Optional[_convert.SequenceNumber] = None,
              end_sequence_number: Optional[_convert.SequenceNumber] = None,
              start_time: Optional[_convert.Timestamp] = None, end_time: Optional[_convert.Timestamp] = None,
              max_records: Optional[int] = None) -> pandas.DataFrame:
    """A snapshot as a DataFrame: shard_id (category), sequence_number (uint64), arrival_time
    (datetime64[ns, UTC]: timezone-aware, like Record.arrival_time), partition_key (str), data (bytes).
    Sequence bounds are inclusive; end_time is exclusive."""
    import numpy
    import pandas

    columns = native.read_columns(stream, **_plan(stream, shard, start_sequence_number, end_sequence_number,
                                                  start_time, end_time, max_records))
    shard_indexes = columns["shard_index"]
    # Category codes by table lookup: shard indexes are small, and bincount is one linear pass.
    present = numpy.flatnonzero(numpy.bincount(shard_indexes)) if len(shard_indexes) else numpy.empty(0, "int64")
    code_of = numpy.full(int(present.max()) + 1 if len(present) else 1, -1, dtype="int32")
    code_of[present] = numpy.arange(len(present), dtype="int32")
    shard_ids = pandas.Categorical.from_codes(code_of[shard_indexes], [native.shard_id_text(int(i)) for i in present])
    return pandas.DataFrame({
        "shard_id": shard_ids,
        "sequence_number": columns["sequence_number"],
        # The stored times are UTC: localising naive UTC values to UTC is a relabel, not a conversion.
        "arrival_time": pandas.DatetimeIndex(columns["arrival_ns"].view("datetime64[ns]")).tz_localize("UTC"),
        "partition_key": columns["partition_key"],
        "data": columns["data"],
    }, copy=False)


def _record_dtype(numpy: Any, payload: numpy.dtype, metadata: bool) -> tuple[numpy.dtype, int]:
    """The output dtype and the payload's offset in it."""
    if not metadata:
        return payload, 0
    payload_fields = ({name: payload.fields[name] for name in payload.names} if payload.names
                      else {"data": (payload, 0)})
    names, formats, offsets = [], [], []
    for name, form, offset in METADATA_FIELDS:
        names.append(name), formats.append(form), offsets.append(offset)
    for name, (field_dtype, offset, *_title) in payload_fields.items():
        if name in names:
            raise InvalidArgumentException(f"payload field {name!r} clashes with a metadata field")
        names.append(name), formats.append(field_dtype), offsets.append(METADATA_BYTES + offset)
    combined = numpy.dtype({"names": names, "formats": formats, "offsets": offsets,
                            "itemsize": METADATA_BYTES + payload.itemsize})
    return combined, METADATA_BYTES


def to_numpy(stream: NativeStream, dtype: Any, shard: Optional[_convert.ShardRef] = None,
             start_sequence_number: Optional[_convert.SequenceNumber] = None,
             end_sequence_number: Optional[_convert.SequenceNumber] = None,
             start_time: Optional[_convert.Timestamp] = None, end_time: Optional[_convert.Timestamp] = None,
             max_records: Optional[int] = None, metadata: bool = False, strict: bool = True) -> numpy.ndarray:
    """Views fixed-layout payloads (each record's data is one `dtype` item) as an array, copied once from
    the shared mapping into the array's own buffer. metadata=True adds sequence_number, arrival_time and
    shard_index fields; strict=False skips records of another size instead of raising."""
    import numpy

    payload = numpy.dtype(dtype)
    if payload.itemsize == 0 or payload.hasobject:
        raise InvalidArgumentException(f"dtype {payload} has no fixed binary layout")
    record, payload_offset = _record_dtype(numpy, payload, metadata)
    raw = native.read_fixed(
        stream, **_plan(stream, shard, start_sequence_number, end_sequence_number, start_time, end_time,
                        max_records),
        payload_size=payload.itemsize, record_size=record.itemsize, payload_offset=payload_offset,
        sequence_offset=0 if metadata else -1, arrival_offset=8 if metadata else -1,
        shard_offset=16 if metadata else -1, strict=strict)
    return raw.view(record)
