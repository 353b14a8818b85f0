"""Argument conversions shared by the public API: shard ids, sequence numbers, timestamps, durations."""

from __future__ import annotations

import datetime as _dt
from typing import Union

from ._errors import InvalidArgumentException
from ._native_import import native

# datetime, ISO 8601 text, int ns since the epoch, numpy.datetime64 / pandas.Timestamp
Timestamp = Union[_dt.datetime, str, int, "object"]
SequenceNumber = Union[int, str]
ShardRef = Union[int, str]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
UINT64_MAX = (1 << 64) - 1
INT64_MAX = (1 << 63) - 1


def shard_index(shard: ShardRef) -> int:
    if isinstance(shard, int):
        return shard
    index = native.parse_shard_id(shard)
    if index is None:
        raise InvalidArgumentException(f"{shard!r} is not a ShardId (shardId-000000000000) or shard index")
    return index


def sequence_number(value: SequenceNumber) -> int:
    """Kinesis prints sequence numbers as decimal text; both that and int are accepted."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidArgumentException(f"sequence number {value!r} is not a decimal integer") from None
    if not 0 <= number <= UINT64_MAX:
        raise InvalidArgumentException(f"sequence number {value!r} is outside the unsigned 64-bit range")
    return number


def timestamp_ns(value: Timestamp) -> int:
    """ns since the Unix epoch. Naive datetimes are taken as UTC, like pandas' datetime64 columns."""
    if isinstance(value, bool):
        raise InvalidArgumentException("a timestamp cannot be a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidArgumentException(f"{value!r} is not an ISO 8601 timestamp") from None
    nanoseconds = getattr(value, "value", None)
    if isinstance(nanoseconds, int) and isinstance(value, _dt.datetime):
        return nanoseconds  # pandas.Timestamp: exact ns since the epoch (UTC), aware or naive
    if isinstance(value, _dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)
        delta = aware - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if type(value).__name__ == "datetime64":  # numpy, without importing numpy
        return int(value.astype("datetime64[ns]").astype("int64"))  # type: ignore[attr-defined]
    raise InvalidArgumentException(f"{value!r} is not a timestamp (datetime, ISO text, numpy.datetime64, int ns)")


def duration_ns(value: Union[_dt.timedelta, float, int]) -> int:
    """timedelta, or seconds as a number."""
    if isinstance(value, _dt.timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000_000 + value.microseconds * 1000
    return int(value * 1_000_000_000)
