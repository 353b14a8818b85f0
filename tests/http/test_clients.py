"""Records are the same records whichever way they travel: a C++ producer (the CLI, through shared memory)
read by boto3 over HTTP and the reverse, in separate processes; and the aws CLI (awscli) with --endpoint-url."""
import base64
import json
import os
import shutil
import subprocess
import time

import pytest

SHARD0 = "shardId-000000000000"


def test_shared_memory_producer_read_by_boto3_and_the_reverse(server, kinesis):
    server.cli("create-stream", "--stream-name", "s", "--shard-count", "1")
    # A C++ producer process writes through the memory-mapped files...
    for i in range(50):
        server.cli("put-record", "--stream-name", "s", "--partition-key", f"k{i}",
                   "--data", base64.b64encode(f"from-shm-{i}".encode()).decode())
    # ...boto3 reads them over HTTP.
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = kinesis.get_records(ShardIterator=iterator)
    assert [r["Data"] for r in page["Records"]] == [f"from-shm-{i}".encode() for i in range(50)]
    # boto3 writes over HTTP...
    put = kinesis.put_records(StreamName="s", Records=[{"Data": f"from-http-{i}".encode(), "PartitionKey": "p"}
                                                       for i in range(50)])
    assert put["FailedRecordCount"] == 0
    # ...and a separate process reads them from shared memory, with the sequence numbers boto3 was given.
    shm_iterator = json.loads(server.cli("get-shard-iterator", "--stream-name", "s", "--shard-id", SHARD0,
                                         "--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
                                         "--starting-sequence-number",
                                         page["Records"][-1]["SequenceNumber"]).stdout)["ShardIterator"]
    read = json.loads(server.cli("get-records", "--shard-iterator", shm_iterator).stdout)["Records"]
    assert [base64.b64decode(r["Data"]) for r in read] == [f"from-http-{i}".encode() for i in range(50)]
    assert [r["SequenceNumber"] for r in read] == [r["SequenceNumber"] for r in put["Records"]]


def test_shared_memory_writer_and_boto3_reader_in_parallel(server, kinesis):
    """A producer process writing while boto3 reads over HTTP: nothing lost, nothing duplicated, in order."""
    kinesis.create_stream(StreamName="s", ShardCount=1)
    producer = subprocess.Popen(
        ["bash", "-c", f'for i in $(seq 0 99); do "$0" --root "$1" put-record --stream-name s --partition-key k '
                       f'--data "$(printf "rec-%03d" $i | base64)" >/dev/null || exit 1; done',
         os.environ["SHMSTREAM_CLI"], server.root])
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    seen = []
    deadline = time.monotonic() + 120  # 100 producer processes on a loaded machine
    while len(seen) < 100 and time.monotonic() < deadline:
        page = kinesis.get_records(ShardIterator=iterator)
        seen += [r["Data"] for r in page["Records"]]
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            time.sleep(0.01)
    assert producer.wait(timeout=120) == 0
    assert seen == [b"rec-%03d" % i for i in range(100)]


AWS = shutil.which("aws", path="/usr/bin") or shutil.which("aws")


@pytest.mark.skipif(AWS is None, reason="awscli is not installed")
def test_aws_cli_with_endpoint_url(server, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "dummy",
           "AWS_SECRET_ACCESS_KEY": "dummy", "AWS_DEFAULT_REGION": "local", "AWS_PAGER": ""}

    def aws(*args):
        result = subprocess.run([AWS, "--endpoint-url", server.url, "--output", "json", "kinesis", *args],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    aws("create-stream", "--stream-name", "s", "--shard-count", "2")
    aws("wait", "stream-exists", "--stream-name", "s")
    put = aws("put-record", "--stream-name", "s", "--partition-key", "k", "--data", base64.b64encode(b"hi").decode())
    iterator = aws("get-shard-iterator", "--stream-name", "s", "--shard-id", put["ShardId"],
                   "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    records = aws("get-records", "--shard-iterator", iterator)["Records"]
    assert [base64.b64decode(r["Data"]) for r in records] == [b"hi"]
    assert aws("describe-stream", "--stream-name", "s")["StreamDescription"]["StreamStatus"] == "ACTIVE"
    assert aws("list-streams")["StreamNames"] == ["s"]
    assert [s["ShardId"] for s in aws("list-shards", "--stream-name", "s")["Shards"]] == \
        [SHARD0, "shardId-000000000001"]
    aws("merge-shards", "--stream-name", "s", "--shard-to-merge", SHARD0,
        "--adjacent-shard-to-merge", "shardId-000000000001")
    aws("split-shard", "--stream-name", "s", "--shard-to-split", "shardId-000000000002",
        "--new-starting-hash-key", str(2 ** 127))
    assert aws("update-shard-count", "--stream-name", "s", "--target-shard-count", "4",
               "--scaling-type", "UNIFORM_SCALING")["TargetShardCount"] == 4
    failed = subprocess.run([AWS, "--endpoint-url", server.url, "kinesis", "describe-stream", "--stream-name", "x"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert failed.returncode == 254 and "ResourceNotFoundException" in failed.stderr


def test_stream_deleted_and_created_again_by_another_process(server, kinesis):
    """The endpoint's open handle of a stream must not outlive the stream's files."""
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.put_record(StreamName="s", Data=b"old", PartitionKey="k")
    server.cli("delete-stream", "--stream-name", "s")
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.put_record(StreamName="s", Data=b"lost", PartitionKey="k")
    server.cli("create-stream", "--stream-name", "s", "--shard-count", "3")
    assert len(kinesis.list_shards(StreamName="s")["Shards"]) == 3
    kinesis.put_record(StreamName="s", Data=b"new", PartitionKey="k", ExplicitHashKey="0")
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=SHARD0,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]] == [b"new"]
