"""boto3 (python3-boto3) against `shmstream serve`: every operation the library has, paginators, the
stream_exists waiter, PutRecords partial failures, every iterator type."""
import json
import time

import botocore.exceptions
import pytest

import service_model
from wire import post, validate_wire_output

SHARD0 = "shardId-000000000000"


def read_shard(kinesis, stream, shard=SHARD0, kind="TRIM_HORIZON", **extra):
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType=kind,
                                          **extra)["ShardIterator"]
    records = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator)
        records += page["Records"]
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return records


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_create_wait_put_get(kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName="s", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    put = kinesis.put_record(StreamName="s", Data=b"\x00\xffbinary", PartitionKey="k", ExplicitHashKey="0")
    assert put["ShardId"] == SHARD0
    records = read_shard(kinesis, "s")
    assert [(r["Data"], r["PartitionKey"], r["SequenceNumber"]) for r in records] == \
        [(b"\x00\xffbinary", "k", put["SequenceNumber"])]
    arrival = records[0]["ApproximateArrivalTimestamp"].timestamp()
    assert abs(arrival - time.time()) < 60


def test_put_records_round_trip_and_order(kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    batch = [{"Data": bytes([i % 256]) * 64, "PartitionKey": f"key-{i}"} for i in range(500)]
    result = kinesis.put_records(StreamName="s", Records=batch)
    assert result["FailedRecordCount"] == 0 and len(result["Records"]) == 500
    records = read_shard(kinesis, "s")
    assert [r["Data"] for r in records] == [entry["Data"] for entry in batch]
    assert [r["SequenceNumber"] for r in records] == [r["SequenceNumber"] for r in result["Records"]]


def test_put_records_partial_failure(server, kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    server.cli("update-throttling", "--stream-name", "s", "--put-throttle-probability", "0.5")
    result = kinesis.put_records(StreamName="s", Records=[{"Data": b"d", "PartitionKey": str(i)} for i in range(200)])
    failed = [r for r in result["Records"] if "ErrorCode" in r]
    assert 0 < result["FailedRecordCount"] == len(failed) < 200
    assert {r["ErrorCode"] for r in failed} == {"ProvisionedThroughputExceededException"}
    assert all("Rate exceeded for shard" in r["ErrorMessage"] for r in failed)
    assert len(read_shard(kinesis, "s")) == 200 - len(failed)


def test_every_iterator_type(kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    first = kinesis.put_record(StreamName="s", Data=b"a", PartitionKey="k")
    # botocore sends timestamps in whole seconds: the next whole second after the first record.
    middle_time = int(time.time()) + 1
    time.sleep(max(0.0, middle_time - time.time()) + 0.05)
    second = kinesis.put_record(StreamName="s", Data=b"b", PartitionKey="k")
    data = lambda records: [r["Data"] for r in records]
    assert data(read_shard(kinesis, "s", kind="TRIM_HORIZON")) == [b"a", b"b"]
    assert data(read_shard(kinesis, "s", kind="AT_SEQUENCE_NUMBER",
                           StartingSequenceNumber=first["SequenceNumber"])) == [b"a", b"b"]
    assert data(read_shard(kinesis, "s", kind="AFTER_SEQUENCE_NUMBER",
                           StartingSequenceNumber=first["SequenceNumber"])) == [b"b"]
    assert data(read_shard(kinesis, "s", kind="AT_TIMESTAMP", Timestamp=middle_time)) == [b"b"]
    latest = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0, ShardIteratorType="LATEST")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=latest)["Records"] == []
    kinesis.put_record(StreamName="s", Data=b"c", PartitionKey="k")
    assert data(kinesis.get_records(ShardIterator=latest)["Records"]) == [b"c"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0, ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert error_code(excinfo) == "InvalidArgumentException"
    assert second["SequenceNumber"] != first["SequenceNumber"]


def test_paginators(kinesis):
    for name in ("a", "b", "c"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.create_stream(StreamName="wide", ShardCount=5)
    names = [n for page in kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1})
             for n in page["StreamNames"]]
    assert names == ["a", "b", "c", "wide"]
    shards = [s["ShardId"] for page in kinesis.get_paginator("list_shards").paginate(
        StreamName="wide", PaginationConfig={"PageSize": 2}) for s in page["Shards"]]
    assert shards == [f"shardId-00000000000{i}" for i in range(5)]
    described = [s["ShardId"] for page in kinesis.get_paginator("describe_stream").paginate(
        StreamName="wide", PaginationConfig={"PageSize": 2}) for s in page["StreamDescription"]["Shards"]]
    assert described == shards


def test_control_plane_operations(kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=2)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    assert arn == "arn:aws:kinesis:local:000000000000:stream/s"
    kinesis.add_tags_to_stream(StreamName="s", Tags={"team": "a", "env": "dev"})
    kinesis.remove_tags_from_stream(StreamName="s", TagKeys=["env"])
    assert kinesis.list_tags_for_stream(StreamName="s")["Tags"] == [{"Key": "team", "Value": "a"}]
    kinesis.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=48)
    kinesis.decrease_stream_retention_period(StreamName="s", RetentionPeriodHours=24)
    assert kinesis.describe_stream(StreamName="s")["StreamDescription"]["RetentionPeriodHours"] == 24
    enabled = kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingBytes"])
    assert enabled["DesiredShardLevelMetrics"] == ["IncomingBytes"]
    kinesis.disable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["ALL"])
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamModeDetails"] == \
        {"StreamMode": "ON_DEMAND"}
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
    assert kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"][
        "ConsumerName"] == "app"
    assert [c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]] == ["app"]
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.delete_stream(StreamName="s")
    kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="app")
    assert kinesis.describe_limits()["OpenShardCount"] == 2
    kinesis.delete_stream(StreamName="s")
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.describe_stream(StreamName="s")


def test_resharding(kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.merge_shards(StreamName="s", ShardToMerge=SHARD0, AdjacentShardToMerge="shardId-000000000001")
    open_shards = kinesis.list_shards(StreamName="s", ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"] for s in open_shards] == ["shardId-000000000002"]
    kinesis.split_shard(StreamName="s", ShardToSplit="shardId-000000000002",
                        NewStartingHashKey=str(2 ** 127))
    assert kinesis.update_shard_count(StreamName="s", TargetShardCount=4, ScalingType="UNIFORM_SCALING")[
        "TargetShardCount"] == 4
    assert kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["OpenShardCount"] == 4


def test_closed_shard_ends_with_child_shards(kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"before", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    kinesis.split_shard(StreamName="s", ShardToSplit=SHARD0, NewStartingHashKey=str(2 ** 127))
    page = kinesis.get_records(ShardIterator=iterator)
    while page["Records"] and "NextShardIterator" in page:
        page = kinesis.get_records(ShardIterator=page["NextShardIterator"])
    assert "NextShardIterator" not in page
    assert sorted(c["ShardId"] for c in page["ChildShards"]) == ["shardId-000000000001", "shardId-000000000002"]


def test_every_response_has_the_model_shape(server, kinesis):
    """The raw JSON of every operation, walked against the output shape of the service model."""
    kinesis.create_stream(StreamName="s", ShardCount=2)
    arn = "arn:aws:kinesis:local:000000000000:stream/s"
    put = kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=put["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    requests = [
        ("DescribeStream", {"StreamName": "s"}),
        ("DescribeStreamSummary", {"StreamName": "s"}),
        ("ListStreams", {}),
        ("ListShards", {"StreamName": "s", "MaxResults": 1}),
        ("PutRecord", {"StreamName": "s", "Data": "eA==", "PartitionKey": "k"}),
        ("PutRecords", {"StreamName": "s", "Records": [{"Data": "eA==", "PartitionKey": "k"}]}),
        ("GetShardIterator", {"StreamName": "s", "ShardId": put["ShardId"], "ShardIteratorType": "LATEST"}),
        ("GetRecords", {"ShardIterator": iterator}),
        ("AddTagsToStream", {"StreamName": "s", "Tags": {"a": "b"}}),
        ("ListTagsForStream", {"StreamName": "s"}),
        ("EnableEnhancedMonitoring", {"StreamName": "s", "ShardLevelMetrics": ["ALL"]}),
        ("RegisterStreamConsumer", {"StreamARN": arn, "ConsumerName": "c"}),
        ("DescribeStreamConsumer", {"StreamARN": arn, "ConsumerName": "c"}),
        ("ListStreamConsumers", {"StreamARN": arn}),
        ("DescribeLimits", {}),
        ("UpdateShardCount", {"StreamName": "s", "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"}),
    ]
    for operation, body in requests:
        status, headers, data = post(server, operation, body)
        assert status == 200, (operation, data)
        assert headers["Content-Type"] == "application/x-amz-json-1.1"
        validate_wire_output(operation, json.loads(data) if data else {})
    covered = {operation for operation, _ in requests}
    assert covered <= set(service_model.operations())


def test_errors_are_aws_shaped(server):
    kinesis = server.client(parameter_validation=False)  # the server's own validation, not botocore's
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.put_record(StreamName="missing", Data=b"x", PartitionKey="k")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.create_stream(StreamName="s", ShardCount=1)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kinesis.get_records(ShardIterator="not-a-token")
    assert error_code(excinfo) == "InvalidArgumentException"
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        kinesis.list_shards(StreamName="s", MaxResults=0)
    assert error_code(excinfo) == "ValidationException"


def test_encrypted_stream_round_trip(start_server, root):
    kinesis = start_server(env={"SHMSTREAM_KEY_DIR": root + "/keys"}).client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"plain before")
    kinesis.start_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", "alias/aws/kinesis")
    assert kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"sealed one")["EncryptionType"] == "KMS"
    entries = [{"PartitionKey": f"k{i}", "Data": b"sealed %d" % i * (i + 1)} for i in range(50)]
    result = kinesis.put_records(StreamName="s", Records=entries)
    assert result["FailedRecordCount"] == 0 and result["EncryptionType"] == "KMS"
    kinesis.stop_stream_encryption(StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"plain after")

    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = []
    while len(records) < 53:
        page = kinesis.get_records(ShardIterator=iterator, Limit=7)  # pages end inside the sealed records
        records += page["Records"]
        iterator = page["NextShardIterator"]
    expected = [b"plain before", b"sealed one"] + [entry["Data"] for entry in entries] + [b"plain after"]
    assert [record["Data"] for record in records] == expected
    assert [record["PartitionKey"] for record in records[2:52]] == [entry["PartitionKey"] for entry in entries]
    assert [record.get("EncryptionType", "NONE") for record in records] == ["NONE"] + ["KMS"] * 51 + ["NONE"]
