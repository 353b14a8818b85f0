"""Shapes the native describe() output like Kinesis DescribeStream's StreamDescription."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ._native_import import native

NS_PER_HOUR = 3_600_000_000_000


def utc_datetime(ns: int) -> _dt.datetime:
    seconds, rest = divmod(ns, 1_000_000_000)
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).replace(microsecond=rest // 1000)


def retention_hours(ns: int) -> int | float:
    # Kinesis reports whole hours; short IPC retentions here may be fractions of one.
    hours = ns / NS_PER_HOUR
    return int(hours) if hours.is_integer() else hours


def shard_description(shard: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ShardId": shard["shard_id"]}
    if shard["parent_index"] is not None:
        out["ParentShardId"] = native.shard_id_text(shard["parent_index"])
    if shard["adjacent_parent_index"] is not None:
        out["AdjacentParentShardId"] = native.shard_id_text(shard["adjacent_parent_index"])
    out["HashKeyRange"] = {"StartingHashKey": shard["starting_hash_key"],
                           "EndingHashKey": shard["ending_hash_key"]}
    sequence_range = {"StartingSequenceNumber": str(shard["starting_sequence_number"])}
    if shard["ending_sequence_number"] is not None:
        sequence_range["EndingSequenceNumber"] = str(shard["ending_sequence_number"])
    out["SequenceNumberRange"] = sequence_range
    # shmstream extensions (not in the AWS response): live state and counters.
    out["ShardState"] = shard["state"]
    out["TrimHorizon"] = shard["trim_horizon"]
    out["LatestPosition"] = shard["latest_position"]
    out["IncomingRecords"] = shard["incoming_records"]
    out["IncomingBytes"] = shard["incoming_bytes"]
    return out


def stream_description(info: dict[str, Any]) -> dict[str, Any]:
    return {
        "StreamName": info["name"],
        "StreamARN": info["arn"],
        "StreamStatus": info["status"],
        "StreamCreationTimestamp": utc_datetime(info["creation_ns"]),
        "RetentionPeriodHours": retention_hours(info["retention_ns"]),
        "EncryptionType": info["encryption_type"],
        **({"KeyId": info["key_id"]} if info["key_id"] else {}),
        "Shards": [shard_description(s) for s in info["shards"]],
        "HasMoreShards": False,
        # shmstream extensions.
        "StreamId": info["uuid"],
        "OpenShardCount": info["open_shard_count"],
        "SegmentSize": info["segment_size"],
        "RetentionBytes": info["retention_bytes"],
        "Checksums": info["checksums"],
    }
