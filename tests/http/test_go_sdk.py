"""The AWS SDK for Go v2 (Debian's golang-github-aws-aws-sdk-go-v2-dev) against `shmstream serve`: a Go program
(go_client/) written as code bound for AWS is, only its endpoint resolver and credentials pointing here, runs
every data and control plane operation and checks what the SDK parsed; its records are read through shared
memory and by boto3, and the reverse."""
import base64
import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

SHARD0 = "shardId-000000000000"
GO = shutil.which("go", path="/usr/bin:/usr/lib/go/bin")
GOPATH = "/usr/share/gocode"  # where Debian's Go library packages install their sources
SDK = os.path.join(GOPATH, "src/github.com/aws/aws-sdk-go-v2/service/kinesis")
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go_client")

pytestmark = [
    pytest.mark.skipif(GO is None, reason="go is not installed (Debian package golang-go; tools/dev.sh installs it)"),
    pytest.mark.skipif(not os.path.isdir(SDK), reason="the AWS SDK for Go v2 is not installed (Debian package "
                       "golang-github-aws-aws-sdk-go-v2-dev; tools/dev.sh installs it)"),
]


@pytest.fixture(scope="module")
def go_client():
    """The client built once per run, offline: GOPATH mode over the Debian sources, never a module download.
    The build cache lives in the build directory (a temporary one outside meson) so a rebuild takes a second."""
    build_dir = os.environ.get("SHMSTREAM_GO_BUILD_DIR") or tempfile.mkdtemp(prefix="shmstream-go-")
    os.makedirs(build_dir, exist_ok=True)
    binary = os.path.join(build_dir, "go_client")
    env = {"PATH": "/usr/bin:/bin", "HOME": build_dir, "GO111MODULE": "off", "GOPATH": GOPATH,
           "GOCACHE": os.path.join(build_dir, "cache"), "GOPROXY": "off", "GOFLAGS": "", "CGO_ENABLED": "0"}
    started = time.monotonic()
    result = subprocess.run([GO, "build", "-o", binary, "."], cwd=SOURCE, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, f"go build failed:\n{result.stderr}"
    print(f"go build: {time.monotonic() - started:.1f} s")
    return binary


def run_go(go_client, server, *args):
    """Runs the client with an environment free of AWS settings (no profile, no region, no keys) and returns its
    JSON result; a failed check fails the test with the client's own messages."""
    home = tempfile.mkdtemp(prefix="shmstream-go-home-")
    try:
        result = subprocess.run([go_client, "-endpoint", server.url, *map(str, args)], capture_output=True,
                                text=True, env={"PATH": "/usr/bin:/bin", "HOME": home}, timeout=180)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert result.returncode == 0, f"the Go SDK client failed:\n{result.stderr}\n{result.stdout}"
    output = json.loads(result.stdout)
    assert output["failures"] == []
    return output


def test_go_sdk_scenario(go_client, server):
    result = run_go(go_client, server, "scenario")
    # Every step ran (a scenario that stopped early would pass no check after the stop).
    expected = {
        "CreateStream", "StreamExists waiter", "DescribeStream shard count", "DescribeStreamSummary fields",
        "ListShards with StreamCreationTimestamp shards", "ListShards with another StreamCreationTimestamp typed error",
        "ListStreams pages", "ListShards pages", "PutRecords result", "GetRecords record",
        "GetRecords ApproximateArrivalTimestamp", "AT_SEQUENCE_NUMBER records", "AFTER_SEQUENCE_NUMBER records",
        "AT_TIMESTAMP records", "LATEST sees the next record", "GetRecords Limit 1", "ListTagsForStream after remove",
        "RetentionPeriodHours after increase", "EnableEnhancedMonitoring output", "DescribeLimits OpenShardCount",
        "UpdateShardCount shards", "closed shard ends with ChildShards", "PutRecord goes to an open shard",
        "SplitShard ranges", "MergeShards child", "DescribeStream missing stream typed error",
        "CreateStream existing stream typed error", "GetShardIterator without a sequence number typed error",
        "GetRecords malformed iterator typed error", "StreamNotExists waiter",
        "DescribeStream deleted stream typed error", "ListStreams after delete empty", "DescribeStream next page",
        "RegisterStreamConsumer output", "DescribeStreamConsumer output", "ListStreamConsumers paginator",
        "DeregisterStreamConsumer"}
    assert expected <= set(result["passed"]), sorted(expected - set(result["passed"]))
    assert result["passed"]["GetRecords record"] == 102  # 2 PutRecord + 100 PutRecords, each compared
    assert result["StreamARN"] == "arn:aws:kinesis:local:000000000000:stream/go-sdk"
    assert len(result["OpenShardsAfterUpdateShardCount"]) == 4


def throttle_refusals(server, stream):
    described = json.loads(server.cli("describe-throttling", "--stream-name", stream).stdout)
    return sum(shard["WriteProvisionedThroughputExceeded"] for shard in described["Shards"])


def test_go_sdk_put_records_partial_failure(go_client, server, kinesis):
    server.cli("create-stream", "--stream-name", "s", "--shard-count", "1")
    server.cli("update-throttling", "--stream-name", "s", "--put-throttle-probability", "1")
    refused = run_go(go_client, server, "put-records", "-stream", "s", "-prefix", "all", "-count", 20)
    assert refused["FailedRecordCount"] == 20
    assert {r["ErrorCode"] for r in refused["Records"]} == {"ProvisionedThroughputExceededException"}
    assert all("Rate exceeded for shard" in r["ErrorMessage"] for r in refused["Records"])

    # A refused PutRecord is the SDK's typed throttling error, retried by the SDK's standard retryer as against
    # AWS (3 attempts, each refused: the shard's refusal count grows by 3).
    refusals_before = throttle_refusals(server, "s")
    single = run_go(go_client, server, "put-record", "-stream", "s", "-data", "one")["Error"]
    assert single == {"Type": "*types.ProvisionedThroughputExceededException",
                      "Code": "ProvisionedThroughputExceededException", "IsProvisionedThroughputExceeded": True,
                      "HTTPStatus": 400, "Message": single["Message"]}
    assert "Rate exceeded for shard" in single["Message"]
    assert throttle_refusals(server, "s") == refusals_before + 3

    # Half refused: the SDK parses successful and failed entries side by side (2^-199 to see all or none fail).
    server.cli("update-throttling", "--stream-name", "s", "--put-throttle-probability", "0.5")
    mixed = run_go(go_client, server, "put-records", "-stream", "s", "-prefix", "half", "-count", 200)
    succeeded = [(i, r) for i, r in enumerate(mixed["Records"]) if "SequenceNumber" in r]
    assert 0 < mixed["FailedRecordCount"] == 200 - len(succeeded) < 200
    server.cli("update-throttling", "--stream-name", "s", "--put-throttle-probability", "0")
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    read = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [(r["Data"], r["SequenceNumber"]) for r in read] == \
        [(f"half-{i}".encode(), r["SequenceNumber"]) for i, r in succeeded]


def shared_memory_records(server, stream, shard=SHARD0):
    """The shard's records read by another process through the memory-mapped files (the C++ library)."""
    iterator = json.loads(server.cli("get-shard-iterator", "--stream-name", stream, "--shard-id", shard,
                                     "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
    return json.loads(server.cli("get-records", "--shard-iterator", iterator).stdout)["Records"]


def test_go_sdk_records_cross_shared_memory_and_boto3(go_client, server, kinesis):
    server.cli("create-stream", "--stream-name", "s", "--shard-count", "1")
    # The Go SDK writes over HTTP...
    put = run_go(go_client, server, "put-records", "-stream", "s", "-prefix", "from-go", "-count", 50)
    assert put["FailedRecordCount"] == 0
    go_sequence_numbers = [r["SequenceNumber"] for r in put["Records"]]
    # ...a separate process reads them through shared memory, and boto3 over HTTP: same bytes, same numbers.
    shm = shared_memory_records(server, "s")
    assert [(base64.b64decode(r["Data"]), r["PartitionKey"], r["SequenceNumber"]) for r in shm] == \
        [(f"from-go-{i}".encode(), f"k{i}", go_sequence_numbers[i]) for i in range(50)]
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [(r["Data"], r["SequenceNumber"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == \
        [(f"from-go-{i}".encode(), go_sequence_numbers[i]) for i in range(50)]

    # The reverse: a shared-memory producer process and boto3 write, the Go SDK reads.
    for i in range(10):
        server.cli("put-record", "--stream-name", "s", "--partition-key", f"shm{i}",
                   "--data", base64.b64encode(b"\x00from-shm-%d\xff" % i).decode())
    boto3_put = kinesis.put_records(StreamName="s", Records=[{"Data": b"from-boto3-%d" % i, "PartitionKey": f"b{i}"}
                                                             for i in range(10)])
    assert boto3_put["FailedRecordCount"] == 0
    # Read with the endpoint set on the Kinesis client's options rather than the shared configuration.
    read = run_go(go_client, server, "-resolver", "client", "read", "-stream", "s")["Records"]
    shm = shared_memory_records(server, "s")
    assert len(read) == len(shm) == 70
    assert [(base64.b64decode(r["Data"]), r["PartitionKey"], r["SequenceNumber"]) for r in read] == \
        [(base64.b64decode(r["Data"]), r["PartitionKey"], r["SequenceNumber"]) for r in shm]
    assert [base64.b64decode(r["Data"]) for r in read[50:]] == \
        [b"\x00from-shm-%d\xff" % i for i in range(10)] + [b"from-boto3-%d" % i for i in range(10)]
    assert [r["SequenceNumber"] for r in read[60:]] == [r["SequenceNumber"] for r in boto3_put["Records"]]
    # The arrival time the Go SDK parsed is the one stored, truncated to the millisecond the wire carries.
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    millisecond = datetime.timedelta(milliseconds=1)
    assert [r["ApproximateArrivalTimestamp"] for r in read] == \
        [(datetime.datetime.fromisoformat(r["ApproximateArrivalTimestamp"]) - epoch) // millisecond for r in shm]
