"""put-record and put-records: routing, encodings and output shapes."""
import json

import base64

from conftest import CLI, b64, unb64

MAX_HASH_KEY = 2**128 - 1


def test_put_record_raw_text_and_read_back(cli):
    cli.create("s")
    put = cli.put("s", "user-1", "hello world")
    assert list(put) == ["ShardId", "SequenceNumber"]
    assert put["ShardId"] == "shardId-000000000000"
    records = cli.read_all("s")
    assert [unb64(r["Data"]) for r in records] == [b"hello world"]
    assert records[0]["SequenceNumber"] == put["SequenceNumber"]
    assert records[0]["PartitionKey"] == "user-1"


def test_put_record_base64_and_binary_file(cli, tmp_path):
    cli.create("s")
    cli.json("put-record", "--stream-name", "s", "--partition-key", "k", "--data-base64", b64(b"\x00\x01\xff"))
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)))
    cli.json("put-record", "--stream-name", "s", "--partition-key", "k", "--data", f"fileb://{blob}")
    cli.json("put-record", "--stream-name", "s", "--partition-key", "k", "--data", b64(b"v2 style"),
             "--cli-binary-format", "base64")
    datas = [unb64(r["Data"]) for r in cli.read_all("s")]
    assert datas == [b"\x00\x01\xff", bytes(range(256)), b"v2 style"]


def test_explicit_hash_key_routes_to_the_owning_shard(cli):
    cli.create("routed", 2)
    low = cli.put("routed", "any", "x", "--explicit-hash-key", "0")
    high = cli.put("routed", "any", "y", "--explicit-hash-key", str(MAX_HASH_KEY))
    assert low["ShardId"] == "shardId-000000000000"
    assert high["ShardId"] == "shardId-000000000001"


def test_sequence_numbers_increase_within_a_shard(cli):
    cli.create("s")
    numbers = [int(cli.put("s", "k", f"m{i}")["SequenceNumber"]) for i in range(5)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5


def test_put_records_inline_and_from_file(cli, tmp_path):
    cli.create("batch", 2)
    entries = [{"Data": b64(f"record {i}".encode()), "PartitionKey": f"key-{i}"} for i in range(10)]
    entries.append({"Data": b64(b"pinned"), "PartitionKey": "p", "ExplicitHashKey": str(MAX_HASH_KEY)})
    result = cli.json("put-records", "--stream-name", "batch", "--records", json.dumps(entries))
    assert list(result) == ["FailedRecordCount", "Records"]
    assert result["FailedRecordCount"] == 0
    assert len(result["Records"]) == 11
    assert all(list(r) == ["SequenceNumber", "ShardId"] for r in result["Records"])
    assert result["Records"][-1]["ShardId"] == "shardId-000000000001"

    path = tmp_path / "records.json"
    path.write_text(json.dumps(entries[:3]))
    from_file = cli.json("put-records", "--stream-name", "batch", "--records", f"file://{path}")
    assert from_file["FailedRecordCount"] == 0 and len(from_file["Records"]) == 3
    assert cli.record_count("batch") == 14


def test_put_records_rejects_the_whole_request_when_one_record_fits_no_segment(cli):
    # 64 KiB segments: an 80 KB record is under the 1 MiB API limit but fits no segment. As Kinesis validates
    # the whole request before writing, PutRecords fails as a whole (not as one failed entry) and writes nothing.
    # (Per-entry failures, {"ErrorCode", "ErrorMessage"}, only come from faults: a put aborted by the janitor
    # after its producer stalled, a full filesystem, a read-only segment; no CLI test can cause them honestly.)
    cli.create("partial")
    entries = [{"Data": b64(b"first"), "PartitionKey": "k"},
               {"Data": b64(b"x" * 80_000), "PartitionKey": "k"},
               {"Data": b64(b"third"), "PartitionKey": "k"}]
    result = cli.fails("InvalidArgumentException", "PutRecords", "put-records", "--stream-name", "partial",
                       "--records", json.dumps(entries))
    assert "does not fit in one segment" in result.stderr
    assert cli.read_all("partial") == []
    # The same record alone through put-record: the same error, and still nothing written.
    cli.fails("InvalidArgumentException", "PutRecord", "put-record", "--stream-name", "partial", "--partition-key", "k",
              "--data-base64", b64(b"x" * 80_000))
    assert cli.read_all("partial") == []


def test_a_partition_key_that_is_not_utf8_is_shown_unambiguously(cli, root):
    """The C++ API takes any bytes as a key; the CLI shows such a key as base64, never with U+FFFD, marked outside
    the AWS Record shape (--shmstream-details of get-records; beside the key in tail's own lines)."""
    import subprocess

    cli.create("s")
    key = b"\xffk\xfe"
    put = subprocess.run([CLI.encode(), b"--root", root.encode(), b"put-record", b"--stream-name", b"s",
                          b"--partition-key", key, b"--data", b"cmF3"], capture_output=True)
    assert put.returncode == 0, put.stderr
    records = cli.read_all("s")
    assert records[0]["PartitionKey"] == base64.b64encode(key).decode()
    cli.put("s", "plain", "text")
    page = cli.json("get-records", "--shard-iterator", cli.iterator("s", "shardId-000000000000", "TRIM_HORIZON"),
                    "--shmstream-details")
    assert page["ShmstreamDetails"] == {"Base64PartitionKeys": [page["Records"][0]["SequenceNumber"]]}
    assert page["Records"][1]["PartitionKey"] == "plain"
    tail = cli.ok("tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--max-records", 2).stdout.splitlines()
    assert json.loads(tail[0])["PartitionKey"] == base64.b64encode(key).decode(), tail[0]
    assert "\ufffd" not in "".join(tail)
