"""Shapes the native describe() output like the Kinesis responses: DescribeStream's StreamDescription,
DescribeStreamSummary's StreamDescriptionSummary, ListShards' Shard, exactly as the service model has them;
shmstream's own fields go to Stream.details()."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ._native_import import native

NS_PER_HOUR = 3_600_000_000_000


def utc_datetime(ns: int) -> _dt.datetime:
    seconds, rest = divmod(ns, 1_000_000_000)
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).replace(microsecond=rest // 1000)


def retention_hours(ns: int) -> int:
    """RetentionPeriodHours is an integer: a finer shmstream window rounds up to whole hours (at least 1);
    details()["RetentionSeconds"] has the exact window."""
    return max(1, -(-ns // NS_PER_HOUR))


def shard(shard_row: dict[str, Any]) -> dict[str, Any]:
    """A Shard of DescribeStream / ListShards."""
    out: dict[str, Any] = {"ShardId": shard_row["shard_id"]}
    if shard_row["parent_index"] is not None:
        out["ParentShardId"] = native.shard_id_text(shard_row["parent_index"])
    if shard_row["adjacent_parent_index"] is not None:
        out["AdjacentParentShardId"] = native.shard_id_text(shard_row["adjacent_parent_index"])
    out["HashKeyRange"] = {"StartingHashKey": shard_row["starting_hash_key"],
                           "EndingHashKey": shard_row["ending_hash_key"]}
    sequence_range = {"StartingSequenceNumber": str(shard_row["starting_sequence_number"])}
    if shard_row["ending_sequence_number"] is not None:
        sequence_range["EndingSequenceNumber"] = str(shard_row["ending_sequence_number"])
    out["SequenceNumberRange"] = sequence_range
    return out


def listed_shards(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Shard rows Kinesis still knows (EXPIRED ones are gone), by index."""
    return [s for s in info["shards"] if s["state"] != "EXPIRED"]


def _common(info: dict[str, Any]) -> dict[str, Any]:
    return {
        "StreamName": info["name"],
        "StreamARN": info["arn"],
        "StreamStatus": info["status"],
        "StreamModeDetails": {"StreamMode": info["stream_mode"]},
    }


def stream_description(info: dict[str, Any], shards: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    out = _common(info)
    out.update({
        "Shards": [shard(s) for s in shards],
        "HasMoreShards": has_more,
        "RetentionPeriodHours": retention_hours(info["retention_ns"]),
        "StreamCreationTimestamp": utc_datetime(info["creation_ns"]),
        "EnhancedMonitoring": [{"ShardLevelMetrics": list(info["shard_level_metrics"])}],
        "EncryptionType": info["encryption_type"],
    })
    return out


def stream_description_summary(info: dict[str, Any]) -> dict[str, Any]:
    out = _common(info)
    out.update({
        "RetentionPeriodHours": retention_hours(info["retention_ns"]),
        "StreamCreationTimestamp": utc_datetime(info["creation_ns"]),
        "EnhancedMonitoring": [{"ShardLevelMetrics": list(info["shard_level_metrics"])}],
        "EncryptionType": info["encryption_type"],
        "OpenShardCount": info["open_shard_count"],
        "ConsumerCount": info["consumer_count"],
    })
    return out


def details(info: dict[str, Any]) -> dict[str, Any]:
    """shmstream's settings and live per-shard state, which no Kinesis response has room for."""
    return {
        "StreamId": info["uuid"],
        "RetentionSeconds": info["retention_ns"] / 1e9 if info["retention_ns"] % 1_000_000_000
        else info["retention_ns"] // 1_000_000_000,
        "RetentionBytes": info["retention_bytes"],
        "UnblockTimeoutMillis": info["unblock_timeout_ns"] // 1_000_000,
        "SegmentSize": info["segment_size"],
        "Checksums": info["checksums"],
        "Shards": [{
            "ShardId": s["shard_id"],
            "ShardState": s["state"],
            "TrimHorizon": s["trim_horizon"],
            "LatestPosition": s["latest_position"],
            "IncomingRecords": s["incoming_records"],
            "IncomingBytes": s["incoming_bytes"],
            "WriteProvisionedThroughputExceeded": s["writes_throttled"],
            "ReadProvisionedThroughputExceeded": s["reads_throttled"],
        } for s in info["shards"]],
    }


def consumer(row: dict[str, Any]) -> dict[str, Any]:
    """A Consumer of RegisterStreamConsumer / ListStreamConsumers."""
    return {"ConsumerName": row["name"], "ConsumerARN": row["arn"], "ConsumerStatus": row["status"],
            "ConsumerCreationTimestamp": utc_datetime(row["creation_ns"])}
