"""The Kinesis operations of the Python API, their responses checked against the service model's shapes:
describe / describe_summary paging, list_shards with filters and NextToken, retention, tags, stream mode,
enhanced monitoring, consumers, DescribeLimits, and throttling."""

import datetime
import pathlib
import sys

import pytest

import shmstream
from shmstream import Stream

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "cli"))
from shape_check import MODEL, problems  # noqa: E402  (the CLI tests' checker of the service model)


def assert_shape(document, shape):
    found = problems(document, shape)
    assert not found, "\n".join(found)


def output_shape(operation):
    return MODEL["operations"][operation]["output"]["shape"]


def member_shape(operation, member):
    return MODEL["shapes"][output_shape(operation)]["members"][member]["shape"]


def test_describe_validates_against_describe_stream(make_stream):
    stream = make_stream(3)
    stream.enable_enhanced_monitoring(["IncomingBytes"])
    description = stream.describe()
    assert_shape({"StreamDescription": description}, output_shape("DescribeStream"))
    assert description["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingBytes"]}]
    assert description["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert isinstance(description["StreamCreationTimestamp"], datetime.datetime)
    summary = stream.describe_summary()
    assert_shape({"StreamDescriptionSummary": summary}, output_shape("DescribeStreamSummary"))
    assert summary["OpenShardCount"] == 3 and summary["ConsumerCount"] == 0


def test_describe_pages_shards(make_stream):
    stream = make_stream(5)
    first = stream.describe(limit=2)
    assert [s["ShardId"] for s in first["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert first["HasMoreShards"] is True
    rest = stream.describe(limit=100, exclusive_start_shard_id=first["Shards"][-1]["ShardId"])
    assert len(rest["Shards"]) == 3 and rest["HasMoreShards"] is False
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.describe(limit=0)


def test_retention_hours_are_whole(make_stream):
    stream = make_stream(retention=90)  # 90 seconds: an IPC window finer than Kinesis can say
    assert stream.describe()["RetentionPeriodHours"] == 1
    assert stream.details()["RetentionSeconds"] == 90
    stream.increase_retention_period(48)
    assert stream.describe_summary()["RetentionPeriodHours"] == 48
    with pytest.raises(shmstream.InvalidArgumentException, match="can not be longer"):
        stream.decrease_retention_period(72)
    with pytest.raises(shmstream.InvalidArgumentException, match="Minimum allowed retention period"):
        stream.increase_retention_period(23)
    stream.update_retention(retention=datetime.timedelta(minutes=5), unblock_timeout=0.5)
    assert stream.details()["RetentionSeconds"] == 300
    assert stream.details()["UnblockTimeoutMillis"] == 500
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.update_retention()


def test_list_shards_filters_and_paging(make_stream):
    stream = make_stream(2)
    stream.split_shard(0, 2**126)
    everything = stream.list_shards()
    assert_shape(everything, output_shape("ListShards"))
    assert [s["ShardId"] for s in everything["Shards"]] == [shmstream.shard_id_text(i) for i in range(4)]
    latest = stream.list_shards({"Type": "AT_LATEST"})
    assert [s["ShardId"] for s in latest["Shards"]] == [shmstream.shard_id_text(i) for i in (1, 2, 3)]
    after = stream.list_shards({"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000001"})
    assert [s["ShardId"] for s in after["Shards"]] == [shmstream.shard_id_text(i) for i in (2, 3)]
    page = stream.list_shards({"Type": "AT_LATEST"}, max_results=2)
    assert len(page["Shards"]) == 2 and "NextToken" in page
    rest = stream.list_shards(next_token=page["NextToken"])  # the token keeps the filter
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000003"] and "NextToken" not in rest
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.list_shards({"Type": "AT_LATEST"}, next_token=page["NextToken"])
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.list_shards({"Type": "SOMETIMES"})
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.list_shards(next_token="garbage")
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.list_shards(max_results=10001)


def test_list_shards_next_token_expires(make_stream, monkeypatch):
    stream = make_stream(3)
    page = stream.list_shards(max_results=1)
    import shmstream._control as control
    real_time = control.time.time
    monkeypatch.setattr(control.time, "time", lambda: real_time() + 301)
    with pytest.raises(shmstream.ExpiredNextTokenException):
        stream.list_shards(next_token=page["NextToken"])


def test_tags(make_stream):
    stream = make_stream()
    stream.add_tags({"team": "data", "env": ""})
    listed = stream.list_tags()
    assert_shape(listed, output_shape("ListTagsForStream"))
    assert listed == {"Tags": [{"Key": "env", "Value": ""}, {"Key": "team", "Value": "data"}], "HasMoreTags": False}
    assert stream.list_tags(limit=1)["HasMoreTags"] is True
    assert stream.list_tags(exclusive_start_tag_key="env")["Tags"] == [{"Key": "team", "Value": "data"}]
    stream.remove_tags(["env"])
    assert stream.list_tags()["Tags"] == [{"Key": "team", "Value": "data"}]
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.add_tags({f"k{i}": "v" for i in range(50)})  # 51 with "team"
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.add_tags({"bad*key": "v"})
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.remove_tags("team")  # a str is not a list of keys


def test_stream_mode_and_limits(root):
    on_demand = Stream.create("od", stream_mode="ON_DEMAND", segment_size=1 << 16, root=root)
    assert len(on_demand.describe()["Shards"]) == 4
    Stream.create("p", shard_count=2, segment_size=1 << 16, root=root)
    limits = Stream.describe_limits(root)
    assert_shape(limits, output_shape("DescribeLimits"))
    assert limits == {"ShardLimit": 1024, "OpenShardCount": 6, "OnDemandStreamCount": 1,
                      "OnDemandStreamCountLimit": 1000000}
    on_demand.update_stream_mode("PROVISIONED")
    assert on_demand.describe_summary()["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert Stream.describe_limits(root)["OnDemandStreamCount"] == 0
    with pytest.raises(shmstream.InvalidArgumentException):
        on_demand.update_stream_mode("SERVERLESS")
    with pytest.raises(shmstream.InvalidArgumentException):
        Stream.create("bad", stream_mode="on_demand", root=root)


def test_enhanced_monitoring(make_stream):
    stream = make_stream()
    enabled = stream.enable_enhanced_monitoring(["ALL"])
    assert_shape(enabled, output_shape("EnableEnhancedMonitoring"))
    assert enabled["CurrentShardLevelMetrics"] == [] and len(enabled["DesiredShardLevelMetrics"]) == 7
    disabled = stream.disable_enhanced_monitoring(["IteratorAgeMilliseconds"])
    assert "IteratorAgeMilliseconds" not in disabled["DesiredShardLevelMetrics"]
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.enable_enhanced_monitoring(["CpuUsage"])


def test_consumers(make_stream):
    stream = make_stream()
    consumer = stream.register_consumer("kcl-app")
    assert_shape(consumer, "Consumer")
    assert consumer["ConsumerStatus"] == "ACTIVE"
    description = stream.describe_consumer("kcl-app")
    assert_shape(description, "ConsumerDescription")
    assert description["ConsumerARN"] == consumer["ConsumerARN"]
    assert [c["ConsumerName"] for c in stream.list_consumers()] == ["kcl-app"]
    assert stream.describe_summary()["ConsumerCount"] == 1
    with pytest.raises(shmstream.ResourceInUseException):
        stream.register_consumer("kcl-app")
    with pytest.raises(shmstream.ResourceInUseException):
        Stream.delete(stream.name, root=stream.root)
    stream.deregister_consumer("kcl-app")
    with pytest.raises(shmstream.ResourceNotFoundException):
        stream.describe_consumer("kcl-app")
    stream.register_consumer("again")
    Stream.delete(stream.name, root=stream.root, enforce_consumer_deletion=True)
    assert Stream.list(stream.root) == []


def test_injected_throttling_reaches_put_and_put_many(make_stream):
    stream = make_stream(2)
    assert stream.throttling() == {"PutThrottleProbability": 0.0, "AwsLimits": False}
    stream.put("k", b"before")
    stream.set_throttling(put_throttle_probability=1.0)
    with pytest.raises(shmstream.ProvisionedThroughputExceededException):
        stream.put("k", b"refused")
    result = stream.put_many([("a", b"1"), ("b", b"2")])
    assert result.failed_record_count == 2
    assert {r.error_code for r in result.records} == {"ProvisionedThroughputExceededException"}
    assert all("Rate exceeded for shard" in r.error_message for r in result.records)
    assert sum(s["WriteProvisionedThroughputExceeded"] for s in stream.details()["Shards"]) == 3
    stream.set_throttling(put_throttle_probability=0)
    stream.put("k", b"after")
    assert [r.data for r in stream.records()] == [b"before", b"after"]
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.set_throttling(put_throttle_probability=2)


def test_aws_limits_mode_refuses_fast_reads(make_stream):
    stream = make_stream(segment_size=1 << 20)
    stream.put("k", b"x")
    stream.set_throttling(aws_limits=True)
    assert stream.throttling()["AwsLimits"] is True
    iterator = stream.iterator(0, "TRIM_HORIZON")
    outcomes = []
    for _ in range(10):
        try:
            iterator.get_records()
            outcomes.append("ok")
        except shmstream.ProvisionedThroughputExceededException:
            outcomes.append("refused")
    assert outcomes.count("ok") == 5  # 5 GetRecords per second per shard, from an idle shard
    stream.set_throttling(aws_limits=False)
    iterator.get_records()
