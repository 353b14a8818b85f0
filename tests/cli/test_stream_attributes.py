"""describe-limits, tags, update-stream-mode, enhanced monitoring, stream consumers and throttling: outputs
checked against the service model's output shapes, errors as AWS names them, --stream-arn beside --stream-name."""
import json
import subprocess

import pytest

from conftest import CLI

from shape_check import assert_output_shape

ARN = "arn:aws:kinesis:local:000000000000:stream/{}"


def test_describe_limits(cli):
    limits = cli.json("describe-limits")
    assert_output_shape(limits, "DescribeLimits")
    assert limits == {"ShardLimit": 1024, "OpenShardCount": 0, "OnDemandStreamCount": 0,
                      "OnDemandStreamCountLimit": 1000000}
    cli.create("a", 3)
    cli.ok("create-stream", "--stream-name", "od", "--segment-size", "64KiB",
           "--stream-mode-details", "StreamMode=ON_DEMAND")
    limits = cli.json("describe-limits")
    assert limits["OpenShardCount"] == 3 + 4
    assert limits["OnDemandStreamCount"] == 1


def test_tags_round_trip(cli):
    cli.create("s")
    assert cli.ok("add-tags-to-stream", "--stream-name", "s", "--tags", "team=data,env=").stdout == ""
    cli.ok("add-tags-to-stream", "--stream-arn", ARN.format("s"), "--tags", '{"owner": "ops team", "env": "prod"}')
    listed = cli.json("list-tags-for-stream", "--stream-name", "s")
    assert_output_shape(listed, "ListTagsForStream")
    assert listed == {"Tags": [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "ops team"},
                               {"Key": "team", "Value": "data"}], "HasMoreTags": False}
    page = cli.json("list-tags-for-stream", "--stream-name", "s", "--limit", 2)
    assert [t["Key"] for t in page["Tags"]] == ["env", "owner"] and page["HasMoreTags"] is True
    page = cli.json("list-tags-for-stream", "--stream-arn", ARN.format("s"), "--exclusive-start-tag-key", "owner")
    assert page == {"Tags": [{"Key": "team", "Value": "data"}], "HasMoreTags": False}
    assert cli.ok("remove-tags-from-stream", "--stream-name", "s", "--tag-keys", "env", "absent").stdout == ""
    assert [t["Key"] for t in cli.json("list-tags-for-stream", "--stream-name", "s")["Tags"]] == ["owner", "team"]
    cli.ok("remove-tags-from-stream", "--stream-name", "s", "--tag-keys", '["owner", "team"]')
    assert cli.json("list-tags-for-stream", "--stream-name", "s")["Tags"] == []


def test_concurrent_tag_changes_lose_nothing(cli):
    # Each change is read-modify-write of attributes.json under the stream's flock: none overwrites another.
    cli.create("s")
    processes = [subprocess.Popen([CLI, "--root", cli.root, "add-tags-to-stream", "--stream-name", "s",
                                   "--tags", f"writer{i}=v{i}"], env=cli.env) for i in range(12)]
    processes += [subprocess.Popen([CLI, "--root", cli.root, "register-stream-consumer", "--stream-name", "s",
                                    "--consumer-name", f"c{i}"], env=cli.env, stdout=subprocess.DEVNULL)
                  for i in range(8)]
    assert [p.wait(timeout=60) for p in processes] == [0] * 20
    tags = cli.json("list-tags-for-stream", "--stream-name", "s")["Tags"]
    assert sorted(t["Key"] for t in tags) == sorted(f"writer{i}" for i in range(12))
    consumers = cli.json("list-stream-consumers", "--stream-name", "s")["Consumers"]
    assert sorted(c["ConsumerName"] for c in consumers) == sorted(f"c{i}" for i in range(8))


def test_tag_limits(cli):
    cli.create("s")
    tags = {f"k{i}": "v" for i in range(50)}
    cli.ok("add-tags-to-stream", "--stream-name", "s", "--tags", json.dumps(tags))
    result = cli.fails("InvalidArgumentException", "AddTagsToStream", "add-tags-to-stream", "--stream-name", "s",
                       "--tags", "extra=1")
    assert "cannot have more than 50 tags" in result.stderr
    cli.fails("InvalidArgumentException", "AddTagsToStream", "add-tags-to-stream", "--stream-name", "s",
              "--tags", '{"bad*key": "1"}')  # the model has no pattern for tag keys; the service checks them
    cli.fails("ValidationException", "AddTagsToStream", "add-tags-to-stream", "--stream-name", "s",
              "--tags", "k" * 129 + "=1")
    assert "Expected: '='" in cli.usage_error("add-tags-to-stream", "--stream-name", "s", "--tags", "novalue").stderr
    cli.fails("ValidationException", "ListTagsForStream", "list-tags-for-stream", "--stream-name", "s",
              "--limit", 51)
    cli.fails("ResourceNotFoundException", "ListTagsForStream", "list-tags-for-stream", "--stream-name", "missing")
    assert len(cli.json("list-tags-for-stream", "--stream-name", "s")["Tags"]) == 50


def test_structured_flags_from_files(cli, tmp_path):
    cli.create("s")
    (tmp_path / "tags.txt").write_text("team=data,env=")
    (tmp_path / "bad.json").write_text('{"team": ')
    cli.ok("add-tags-to-stream", "--stream-name", "s", "--tags", f"file://{tmp_path}/tags.txt")
    assert cli.json("list-tags-for-stream", "--stream-name", "s")["Tags"] == [
        {"Key": "env", "Value": ""}, {"Key": "team", "Value": "data"}]
    for value, problem in ((f"file://{tmp_path}/missing.json", "Unable to load paramfile"),
                           (f"file://{tmp_path}/bad.json", "Invalid JSON")):
        result = cli.fails("InvalidArgumentException", "AddTagsToStream", "add-tags-to-stream", "--stream-name", "s",
                           "--tags", value)
        assert f"Error parsing parameter '--tags': {problem}" in result.stderr
    assert len(cli.json("list-tags-for-stream", "--stream-name", "s")["Tags"]) == 2


def test_stream_arn_checks(cli):
    cli.create("s")
    cli.fails("ValidationException", "ListTagsForStream", "list-tags-for-stream", "--stream-arn", "not-an-arn")
    cli.fails("ResourceNotFoundException", "ListTagsForStream", "list-tags-for-stream",
              "--stream-arn", "arn:aws:kinesis:us-east-1:123456789012:stream/s")
    cli.fails("InvalidArgumentException", "ListTagsForStream", "list-tags-for-stream",
              "--stream-arn", ARN.format("s"), "--stream-name", "other")
    cli.fails("InvalidArgumentException", "ListTagsForStream", "list-tags-for-stream")
    cli.json("list-tags-for-stream", "--stream-arn", ARN.format("s"), "--stream-name", "s")


def test_on_demand_create_and_update_stream_mode(cli):
    cli.ok("create-stream", "--stream-name", "od", "--segment-size", "64KiB",
           "--stream-mode-details", '{"StreamMode": "ON_DEMAND"}')
    description = cli.json("describe-stream", "--stream-name", "od")["StreamDescription"]
    assert description["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert len(description["Shards"]) == 4  # as AWS starts an on-demand stream
    cli.ok("create-stream", "--stream-name", "od2", "--segment-size", "64KiB", "--shard-count", 2,
           "--stream-mode-details", "StreamMode=ON_DEMAND")
    assert len(cli.json("list-shards", "--stream-name", "od2")["Shards"]) == 2
    result = cli.fails("InvalidArgumentException", "UpdateShardCount", "update-shard-count", "--stream-name", "od2",
                       "--target-shard-count", 4, "--scaling-type", "UNIFORM_SCALING")
    assert "ON_DEMAND" in result.stderr
    assert cli.ok("update-stream-mode", "--stream-arn", ARN.format("od"),
                  "--stream-mode-details", "StreamMode=PROVISIONED").stdout == ""
    summary = cli.json("describe-stream-summary", "--stream-name", "od")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    listed = cli.json("list-streams")
    modes = {s["StreamName"]: s["StreamModeDetails"]["StreamMode"] for s in listed["StreamSummaries"]}
    assert modes == {"od": "PROVISIONED", "od2": "ON_DEMAND"}
    cli.fails("ValidationException", "UpdateStreamMode", "update-stream-mode", "--stream-arn", ARN.format("od"),
              "--stream-mode-details", "StreamMode=FAST")
    cli.fails("ResourceNotFoundException", "UpdateStreamMode", "update-stream-mode",
              "--stream-arn", ARN.format("missing"), "--stream-mode-details", "StreamMode=ON_DEMAND")
    cli.usage_error("update-stream-mode", "--stream-arn", ARN.format("od"))


def test_enhanced_monitoring(cli):
    cli.create("s")
    enabled = cli.json("enable-enhanced-monitoring", "--stream-name", "s",
                       "--shard-level-metrics", "IncomingBytes", "OutgoingRecords")
    assert_output_shape(enabled, "EnableEnhancedMonitoring")
    assert enabled == {"StreamName": "s", "CurrentShardLevelMetrics": [],
                       "DesiredShardLevelMetrics": ["IncomingBytes", "OutgoingRecords"],
                       "StreamARN": ARN.format("s")}
    description = cli.json("describe-stream", "--stream-name", "s")["StreamDescription"]
    assert description["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingBytes", "OutgoingRecords"]}]
    everything = cli.json("enable-enhanced-monitoring", "--stream-arn", ARN.format("s"), "--shard-level-metrics", "ALL")
    assert len(everything["DesiredShardLevelMetrics"]) == 7
    disabled = cli.json("disable-enhanced-monitoring", "--stream-name", "s",
                        "--shard-level-metrics", '["IncomingBytes"]')
    assert_output_shape(disabled, "DisableEnhancedMonitoring")
    assert "IncomingBytes" in disabled["CurrentShardLevelMetrics"]
    assert "IncomingBytes" not in disabled["DesiredShardLevelMetrics"]
    summary = cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": disabled["DesiredShardLevelMetrics"]}]
    cli.fails("ValidationException", "EnableEnhancedMonitoring", "enable-enhanced-monitoring",
              "--stream-name", "s", "--shard-level-metrics", "CpuUsage")


def test_stream_consumers(cli):
    cli.create("s")
    registered = cli.json("register-stream-consumer", "--stream-arn", ARN.format("s"), "--consumer-name", "app")
    assert_output_shape(registered, "RegisterStreamConsumer")
    consumer = registered["Consumer"]
    assert consumer["ConsumerStatus"] == "ACTIVE"
    assert consumer["ConsumerARN"].startswith(ARN.format("s") + "/consumer/app:")
    described = cli.json("describe-stream-consumer", "--consumer-arn", consumer["ConsumerARN"])
    assert_output_shape(described, "DescribeStreamConsumer")
    assert described["ConsumerDescription"]["StreamARN"] == ARN.format("s")
    assert described == cli.json("describe-stream-consumer", "--stream-arn", ARN.format("s"), "--consumer-name", "app")
    cli.fails("ResourceInUseException", "RegisterStreamConsumer", "register-stream-consumer",
              "--stream-arn", ARN.format("s"), "--consumer-name", "app")
    cli.json("register-stream-consumer", "--stream-name", "s", "--consumer-name", "second")
    listed = cli.json("list-stream-consumers", "--stream-arn", ARN.format("s"))
    assert_output_shape(listed, "ListStreamConsumers")
    assert [c["ConsumerName"] for c in listed["Consumers"]] == ["app", "second"]
    page = cli.json("list-stream-consumers", "--stream-arn", ARN.format("s"), "--max-results", 1)
    assert [c["ConsumerName"] for c in page["Consumers"]] == ["app"]
    rest = cli.json("list-stream-consumers", "--stream-arn", ARN.format("s"), "--next-token", page["NextToken"])
    assert [c["ConsumerName"] for c in rest["Consumers"]] == ["second"] and "NextToken" not in rest
    summary = cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]
    assert summary["ConsumerCount"] == 2
    assert cli.ok("deregister-stream-consumer", "--consumer-arn", consumer["ConsumerARN"]).stdout == ""
    cli.fails("ResourceNotFoundException", "DescribeStreamConsumer", "describe-stream-consumer",
              "--consumer-arn", consumer["ConsumerARN"])
    cli.fails("ResourceNotFoundException", "DeregisterStreamConsumer", "deregister-stream-consumer",
              "--stream-arn", ARN.format("s"), "--consumer-name", "app")
    cli.fails("ValidationException", "RegisterStreamConsumer", "register-stream-consumer",
              "--stream-arn", ARN.format("s"), "--consumer-name", "bad name")
    cli.fails("ValidationException", "DescribeStreamConsumer", "describe-stream-consumer",
              "--consumer-arn", "arn:aws:kinesis:local:000000000000:stream/s/consumer/x")
    cli.fails("ResourceNotFoundException", "DescribeStreamConsumer", "describe-stream-consumer",
              "--consumer-arn", ARN.format("s") + "/consumer/never:1")
    cli.fails("InvalidArgumentException", "ListStreamConsumers", "list-stream-consumers",
              "--stream-arn", ARN.format("s"), "--next-token", "garbage")


def test_delete_stream_with_consumers_needs_enforce_consumer_deletion(cli):
    cli.create("s")
    cli.json("register-stream-consumer", "--stream-name", "s", "--consumer-name", "app")
    cli.fails("ResourceInUseException", "DeleteStream", "delete-stream", "--stream-name", "s")
    assert cli.json("list-streams")["StreamNames"] == ["s"]
    cli.ok("delete-stream", "--stream-name", "s", "--enforce-consumer-deletion")
    assert cli.json("list-streams")["StreamNames"] == []


def test_consumer_limit(cli):
    cli.create("s")
    for i in range(20):
        cli.json("register-stream-consumer", "--stream-arn", ARN.format("s"), "--consumer-name", f"c{i}")
    cli.fails("LimitExceededException", "RegisterStreamConsumer", "register-stream-consumer",
              "--stream-arn", ARN.format("s"), "--consumer-name", "c20")


def test_injected_throttling(cli):
    cli.create("s", 2)
    settings = cli.json("describe-throttling", "--stream-name", "s")
    assert settings["PutThrottleProbability"] == 0 and settings["AwsLimits"] is False
    cli.ok("update-throttling", "--stream-name", "s", "--put-throttle-probability", "1")
    result = cli.fails("ProvisionedThroughputExceededException", "PutRecord", "put-record", "--stream-name", "s",
                       "--partition-key", "k", "--data", "aGk=")
    assert "Rate exceeded for shard shardId-00000000000" in result.stderr
    assert "in stream s under account 000000000000." in result.stderr
    records = json.dumps([{"Data": "aGk=", "PartitionKey": f"k{i}"} for i in range(4)])
    output = cli.json("put-records", "--stream-name", "s", "--records", records)
    assert output["FailedRecordCount"] == 4
    assert {r["ErrorCode"] for r in output["Records"]} == {"ProvisionedThroughputExceededException"}
    counts = cli.json("describe-throttling", "--stream-name", "s")
    assert sum(s["WriteProvisionedThroughputExceeded"] for s in counts["Shards"]) == 5
    report = json.loads(cli.ok("stat", "--stream-name", "s", "--count", 1, "--interval", "10ms",
                               "--format", "json").stdout)
    assert report["Totals"]["WriteProvisionedThroughputExceeded"] == 5
    cli.ok("update-throttling", "--stream-name", "s", "--put-throttle-probability", "0")
    cli.put("s", "k", "aGk=")
    cli.fails("InvalidArgumentException", "UpdateThrottling", "update-throttling", "--stream-name", "s",
              "--put-throttle-probability", "1.5")
    cli.fails("InvalidArgumentException", "UpdateThrottling", "update-throttling", "--stream-name", "s")


def test_aws_limits_mode_holds_readers_off_after_a_large_read(cli, tmp_path):
    cli.ok("create-stream", "--stream-name", "s", "--segment-size", "16MiB")
    data = tmp_path / "megabyte"
    data.write_bytes(b"x" * 1_000_000)
    for _ in range(8):
        cli.put("s", "k", f"fileb://{data}")
    cli.ok("update-throttling", "--stream-arn", ARN.format("s"), "--aws-limits", "on")
    assert cli.json("describe-throttling", "--stream-name", "s")["AwsLimits"] is True
    iterator = cli.iterator("s", "shardId-000000000000", "TRIM_HORIZON")
    assert len(cli.json("get-records", "--shard-iterator", iterator)["Records"]) == 8
    # 8 MB read at 2 MiB/s is ~4 s of quota: the shard's readers are refused for ~3 s after it.
    refused = cli.fails("ProvisionedThroughputExceededException", "GetRecords", "get-records",
                        "--shard-iterator", iterator)
    assert "Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000." in refused.stderr
    assert cli.json("describe-throttling", "--stream-name", "s")["Shards"][0]["ReadProvisionedThroughputExceeded"] == 1
    cli.ok("update-throttling", "--stream-name", "s", "--aws-limits", "off")
    for _ in range(8):
        cli.json("get-records", "--shard-iterator", iterator)


def test_a_damaged_attributes_file_is_reported_and_the_stream_goes_on(cli):
    import os
    cli.create("s")
    cli.ok("add-tags-to-stream", "--stream-name", "s", "--tags", "a=1")
    with open(os.path.join(cli.root, "s", "attributes.json"), "w") as file:
        file.write('{"Version": 1, "Tags": {"a"')  # truncated by hand
    result = cli.fails("CorruptedDataException", "ListTagsForStream", "list-tags-for-stream", "--stream-name", "s")
    assert "attributes.json" in result.stderr
    cli.fails("CorruptedDataException", "DescribeStreamSummary", "describe-stream-summary", "--stream-name", "s")
    cli.fails("CorruptedDataException", "AddTagsToStream", "add-tags-to-stream", "--stream-name", "s", "--tags", "b=2")
    assert cli.json("list-streams")["StreamNames"] == ["s"]
    assert cli.json("describe-stream", "--stream-name", "s")["StreamDescription"]["StreamStatus"] == "ACTIVE"
    cli.put("s", "k", "aGk=")
