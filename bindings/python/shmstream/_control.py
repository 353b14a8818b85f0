"""The Kinesis control-plane operations of a Stream beyond create/open/delete: DescribeStream(Summary),
ListShards with filters and paging, retention, tags, stream mode, enhanced monitoring, stream consumers,
DescribeLimits, and shmstream's throttling for testing retry paths. Responses have the service model's
shapes (timestamps as aware datetimes, as boto3 returns them)."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _convert, _describe
from ._errors import Error, InvalidArgumentException, ResourceNotFoundException
from ._native_import import native

if TYPE_CHECKING:
    from ._shmstream import NativeStream

SHARD_FILTER_TYPES = ("AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP",
                      "FROM_TIMESTAMP")
NEXT_TOKEN_SECONDS = 300  # a ListShards NextToken expires after 300 s, as AWS


class ExpiredNextTokenException(Error):
    """A ListShards NextToken older than 300 seconds."""


def _validation_error(value: Any, member: str, constraint: str) -> InvalidArgumentException:
    return InvalidArgumentException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}")


def _check_int(value: Any, member: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _validation_error(value, member, f"Member must have value between {low} and {high}")
    return value


def _page_after(shards: list[dict[str, Any]], after: Optional[int], limit: int) -> tuple[list[dict[str, Any]], bool]:
    remaining = [s for s in shards if after is None or s["index"] > after]
    return remaining[:limit], len(remaining) > limit


def _encode_token(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def _decode_token(token: str) -> dict[str, Any]:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(document, dict) or {"stream", "after", "filter", "issued"} - set(document):
            raise ValueError
        return document
    except (ValueError, TypeError, UnicodeError, AttributeError):
        raise InvalidArgumentException(f"Invalid NextToken: {token!r} is not a ListShards NextToken") from None


class ControlPlane:
    """Mixed into Stream: `_native` is the NativeStream, `_root` the root directory."""

    _native: NativeStream
    _root: str

    # -- describe ---------------------------------------------------------------------------------
    def describe(self, limit: int = 100, exclusive_start_shard_id: Optional[_convert.ShardRef] = None) -> dict[str, Any]:
        """DescribeStream's StreamDescription, as the service model shapes it: at most `limit` (1..10000,
        default 100) shards after `exclusive_start_shard_id`, HasMoreShards when more follow."""
        _check_int(limit, "limit", 1, 10000)
        info = self._native.describe()
        after = None if exclusive_start_shard_id is None else _convert.shard_index(exclusive_start_shard_id)
        shards, has_more = _page_after(_describe.listed_shards(info), after, limit)
        return _describe.stream_description(info, shards, has_more)

    def describe_summary(self) -> dict[str, Any]:
        """DescribeStreamSummary's StreamDescriptionSummary."""
        return _describe.stream_description_summary(self._native.describe())

    def details(self) -> dict[str, Any]:
        """shmstream's own settings and per-shard state (StreamId, RetentionSeconds, RetentionBytes,
        UnblockTimeoutMillis, SegmentSize, Checksums; per shard ShardState, TrimHorizon, LatestPosition,
        IncomingRecords/Bytes, Write-/ReadProvisionedThroughputExceeded)."""
        return _describe.details(self._native.describe())

    # -- ListShards ---------------------------------------------------------------------------------
    def list_shards(self, shard_filter: Optional[Mapping[str, Any]] = None,
                    exclusive_start_shard_id: Optional[_convert.ShardRef] = None, max_results: int = 1000,
                    next_token: Optional[str] = None) -> dict[str, Any]:
        """ListShards: {"Shards": [...], "NextToken": ...} (NextToken only when more follow; it carries the
        filter and expires after 300 s). shard_filter: {"Type": one of SHARD_FILTER_TYPES, "ShardId": for
        AFTER_SHARD_ID, "Timestamp": for AT_/FROM_TIMESTAMP}."""
        _check_int(max_results, "maxResults", 1, 10000)
        if next_token is not None:
            if shard_filter is not None or exclusive_start_shard_id is not None:
                raise InvalidArgumentException(
                    "NextToken and ExclusiveStartShardId or ShardFilter cannot be provided together.")
            position = _decode_token(next_token)
            if position["stream"] != self._native.name:
                raise InvalidArgumentException("Invalid NextToken: it was issued for another stream")
            if time.time() - position["issued"] > NEXT_TOKEN_SECONDS:
                raise ExpiredNextTokenException(f"The NextToken has expired: issued more than "
                                                f"{NEXT_TOKEN_SECONDS} seconds ago")
            filter_args = position["filter"]
            after: Optional[int] = position["after"]
        else:
            filter_args = self._filter_arguments(shard_filter)
            after = None if exclusive_start_shard_id is None else _convert.shard_index(exclusive_start_shard_id)
        rows = self._native.list_shards(*filter_args)
        page, has_more = _page_after(rows, after, max_results)
        out: dict[str, Any] = {"Shards": [_describe.shard(s) for s in page]}
        if has_more:
            out["NextToken"] = _encode_token({"stream": self._native.name, "after": page[-1]["index"],
                                              "filter": filter_args, "issued": time.time()})
        return out

    @staticmethod
    def _filter_arguments(shard_filter: Optional[Mapping[str, Any]]) -> list[Any]:
        if shard_filter is None:
            return ["", 0, 0]
        if not isinstance(shard_filter, Mapping) or "Type" not in shard_filter:
            raise InvalidArgumentException("shard_filter must be a dict with a Type")
        kind = shard_filter["Type"]
        if kind not in SHARD_FILTER_TYPES:
            raise _validation_error(kind, "shardFilter.type",
                                    "Member must satisfy enum value set: [" + ", ".join(SHARD_FILTER_TYPES) + "]")
        shard_index = 0
        timestamp = 0
        if kind == "AFTER_SHARD_ID":
            if "ShardId" not in shard_filter:
                raise InvalidArgumentException("ShardFilter of type AFTER_SHARD_ID needs a ShardId")
            shard_index = _convert.shard_index(shard_filter["ShardId"])
        if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            if "Timestamp" not in shard_filter:
                raise InvalidArgumentException(f"ShardFilter of type {kind} needs a Timestamp")
            timestamp = _convert.timestamp_ns(shard_filter["Timestamp"])
        return [kind, shard_index, timestamp]

    # -- retention ----------------------------------------------------------------------------------
    def increase_retention_period(self, hours: int) -> None:
        """IncreaseStreamRetentionPeriod: whole hours in [24, 8760], not shorter than now."""
        self._native.increase_retention_period(_check_int(hours, "retentionPeriodHours", -2**63, 2**63 - 1))

    def decrease_retention_period(self, hours: int) -> None:
        """DecreaseStreamRetentionPeriod: whole hours in [24, 8760], not longer than now."""
        self._native.decrease_retention_period(_check_int(hours, "retentionPeriodHours", -2**63, 2**63 - 1))

    def update_retention(self, retention: Union[_dt.timedelta, float, None] = None,
                         retention_bytes: Optional[int] = None,
                         unblock_timeout: Union[_dt.timedelta, float, None] = None) -> None:
        """shmstream's finer settings: any window in [1 s, 8760 h], the per-shard byte cap (0 = default), the
        janitor's unblock timeout (1 ms..1 h)."""
        if retention is None and retention_bytes is None and unblock_timeout is None:
            raise InvalidArgumentException("update_retention needs retention, retention_bytes or unblock_timeout")
        if retention_bytes is not None:
            self._native.set_retention_bytes(retention_bytes)
        if retention is not None:
            self._native.set_retention(_convert.duration_ns(retention))
        if unblock_timeout is not None:
            self._native.set_unblock_timeout(_convert.duration_ns(unblock_timeout))

    # -- tags ---------------------------------------------------------------------------------------
    def add_tags(self, tags: Mapping[str, str]) -> None:
        """AddTagsToStream: at most 50 tags per stream; keys 1..128 and values 0..256 characters of Unicode
        letters, digits, white space and _ . / = + - % @."""
        if not isinstance(tags, Mapping):
            raise InvalidArgumentException("tags must be a mapping of keys to values")
        for key, value in tags.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise InvalidArgumentException(f"tag {key!r}: keys and values must be str")
        self._native.add_tags(list(tags.items()))

    def remove_tags(self, keys: Sequence[str]) -> None:
        """RemoveTagsFromStream: 1..50 keys; keys the stream does not have are ignored."""
        if isinstance(keys, str) or not all(isinstance(key, str) for key in keys):
            raise InvalidArgumentException("keys must be a list of str")
        self._native.remove_tags(list(keys))

    def list_tags(self, exclusive_start_tag_key: Optional[str] = None, limit: int = 50) -> dict[str, Any]:
        """ListTagsForStream: {"Tags": [{"Key", "Value"}], "HasMoreTags"}, by key."""
        _check_int(limit, "limit", 1, 50)
        tags, has_more = self._native.list_tags(exclusive_start_tag_key or "", limit)
        return {"Tags": [{"Key": key, "Value": value} for key, value in tags], "HasMoreTags": has_more}

    # -- stream mode, enhanced monitoring -----------------------------------------------------------
    def update_stream_mode(self, stream_mode: str) -> None:
        """UpdateStreamMode: "PROVISIONED" or "ON_DEMAND" (recorded; shmstream never reshards by itself)."""
        self._native.update_stream_mode(stream_mode)

    def enable_enhanced_monitoring(self, shard_level_metrics: Sequence[str]) -> dict[str, Any]:
        """EnableEnhancedMonitoring: the EnhancedMonitoringOutput (Current before, Desired after)."""
        return self._monitoring_output(self._native.enable_enhanced_monitoring(list(shard_level_metrics)))

    def disable_enhanced_monitoring(self, shard_level_metrics: Sequence[str]) -> dict[str, Any]:
        """DisableEnhancedMonitoring: the EnhancedMonitoringOutput."""
        return self._monitoring_output(self._native.disable_enhanced_monitoring(list(shard_level_metrics)))

    def _monitoring_output(self, current_and_desired: tuple[list[str], list[str]]) -> dict[str, Any]:
        current, desired = current_and_desired
        return {"StreamName": self._native.name, "CurrentShardLevelMetrics": current,
                "DesiredShardLevelMetrics": desired, "StreamARN": self.describe_summary()["StreamARN"]}

    # -- consumers ----------------------------------------------------------------------------------
    def register_consumer(self, consumer_name: str) -> dict[str, Any]:
        """RegisterStreamConsumer: the Consumer (ACTIVE at once). At most 20 per stream."""
        return _describe.consumer(self._native.register_consumer(consumer_name))

    def deregister_consumer(self, consumer_name: str) -> None:
        """DeregisterStreamConsumer."""
        self._native.deregister_consumer(consumer_name)

    def describe_consumer(self, consumer_name: str) -> dict[str, Any]:
        """DescribeStreamConsumer: the ConsumerDescription."""
        description = _describe.consumer(self._native.describe_consumer(consumer_name))
        description["StreamARN"] = self.describe_summary()["StreamARN"]
        return description

    def list_consumers(self) -> list[dict[str, Any]]:
        """ListStreamConsumers' Consumers, by registration."""
        return [_describe.consumer(row) for row in self._native.list_consumers()]

    # -- throttling (shmstream) ---------------------------------------------------------------------
    def set_throttling(self, put_throttle_probability: Optional[float] = None,
                       aws_limits: Optional[bool] = None) -> None:
        """Fault injection: each PutRecord / PutRecords entry fails with ProvisionedThroughputExceededException
        with this probability (0..1, resolution 1e-6). aws_limits: enforce the real service's per-shard limits
        (1 MiB/s and 1000 records/s written, 5 GetRecords/s and 2 MiB/s read). None keeps a setting."""
        ppm, limits = self._native.throttling()
        if put_throttle_probability is not None:
            if isinstance(put_throttle_probability, bool) or not 0 <= put_throttle_probability <= 1:
                raise InvalidArgumentException("put_throttle_probability must be between 0 and 1")
            ppm = round(put_throttle_probability * 1_000_000)
        if aws_limits is not None:
            limits = bool(aws_limits)
        self._native.set_throttling(ppm, limits)

    def throttling(self) -> dict[str, Any]:
        """{"PutThrottleProbability": float, "AwsLimits": bool}."""
        ppm, limits = self._native.throttling()
        return {"PutThrottleProbability": ppm / 1_000_000, "AwsLimits": limits}


def describe_limits(root: str) -> dict[str, int]:
    """DescribeLimits over every stream under `root`."""
    limits = native.NativeStream.describe_limits(root)
    return {"ShardLimit": limits["shard_limit"], "OpenShardCount": limits["open_shard_count"],
            "OnDemandStreamCount": limits["on_demand_stream_count"],
            "OnDemandStreamCountLimit": limits["on_demand_stream_count_limit"]}
