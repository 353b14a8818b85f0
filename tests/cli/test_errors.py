"""Bad input for every command: AWS error shape on stderr, exit 254 (service) or 252 (usage), nothing written."""
import json

import pytest

from conftest import b64, unb64

SHARD = "shardId-000000000000"
TWO_TO_128 = str(2**128)


@pytest.fixture
def stream(cli):
    cli.create("s", 2)
    return "s"


def assert_nothing_written(cli, name="s"):
    assert cli.record_count(name) == 0


# --- usage errors (CLI11 parse failures) -> 252 ------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    [],
    ["no-such-command"],
    ["create-stream"],
    ["create-stream", "--stream-name", "s", "--shard-count", "many"],
    ["put-record", "--stream-name", "s", "--data", "x"],
    ["get-records"],
    ["get-records", "--shard-iterator", "x", "--limit", "ten"],
    ["describe-stream", "--stream-name", "s", "--no-such-flag"],
    ["tail", "--stream-name", "s", "--format", "xml"],
    ["put-record", "--stream-name", "s", "--partition-key", "k", "--data", "x", "--cli-binary-format", "hex"],
])
def test_usage_errors(cli, args):
    cli.usage_error(*args)


# --- create-stream / delete-stream ------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [["--shard-count", "0"], ["--shard-count", "-1"]])
def test_create_stream_shard_count_outside_the_model(cli, extra):
    cli.fails("ValidationException", "CreateStream", "create-stream", "--stream-name", "s", *extra)
    assert cli.json("list-streams")["StreamNames"] == []


@pytest.mark.parametrize("extra", [
    ["--segment-size", "3000"],
    ["--segment-size", "12XB"],
    ["--segment-size", "4.5MiB"],
    ["--segment-size", "0x1000"],
    ["--segment-size", "99999999999999999999"],
    ["--segment-size", "16EiB"],
    ["--retention", "10x"],
    ["--retention", "1.5h"],
    ["--retention", "-90s"],
    ["--retention", "999999999999d"],
    ["--retention-bytes", "0"],
    ["--mode", "999"],
    ["--mode", "0400"],
    ["--stream-mode-details", "Mode=ON_DEMAND"],
    ["--stream-mode-details", '{"StreamMode": 1}'],
])
def test_create_stream_bad_options(cli, extra):
    cli.fails("InvalidArgumentException", "CreateStream", "create-stream", "--stream-name", "s", *extra)
    assert cli.json("list-streams")["StreamNames"] == []


def test_create_stream_unknown_stream_mode_breaks_the_model(cli):
    cli.fails("ValidationException", "CreateStream", "create-stream", "--stream-name", "s",
              "--stream-mode-details", "StreamMode=SERVERLESS")
    assert cli.json("list-streams")["StreamNames"] == []


@pytest.mark.parametrize("size, retention, bytes_, seconds", [
    ("64mb", "90", 64 << 20, 90),           # units are case-insensitive powers of two; a bare number is seconds
    ("010KiB", "0015m", None, 900),         # leading zeros are decimal, not octal (010KiB is not a power of two)
    ("8 KiB", "2d", 8 << 10, 2 * 86400),
])
def test_create_stream_size_and_duration_forms(cli, size, retention, bytes_, seconds):
    args = ("create-stream", "--stream-name", "s", "--segment-size", size, "--retention", retention)
    if bytes_ is None:
        cli.fails("InvalidArgumentException", "CreateStream", *args)
        return
    cli.ok(*args)
    details = cli.json("describe-stream-summary", "--stream-name", "s", "--shmstream-details")["ShmstreamDetails"]
    assert details["SegmentSize"] == bytes_ and details["RetentionSeconds"] == seconds


@pytest.mark.parametrize("name", ["bad/name", "spaces here", "x" * 129, ""])
def test_create_stream_bad_name(cli, name):
    cli.fails("ValidationException", "CreateStream", "create-stream", "--stream-name", name)
    assert cli.json("list-streams")["StreamNames"] == []


@pytest.mark.parametrize("name", [".", "..", "...", "-", "_", "x" * 128])
def test_every_name_of_the_model_pattern_is_a_stream(cli, name):
    """The model's [a-zA-Z0-9_.-]{1,128}: "." and ".." too, although they name directories on a filesystem."""
    cli.create(name)
    cli.put(name, "k", "in " + name)
    assert name in cli.json("list-streams")["StreamNames"]
    assert cli.json("describe-stream-summary", "--stream-name", name)["StreamDescriptionSummary"]["StreamName"] == name
    assert [unb64(r["Data"]) for r in cli.read_all(name)] == [b"in " + name.encode()]
    cli.ok("delete-stream", "--stream-name", name)
    assert name not in cli.json("list-streams")["StreamNames"]


def test_create_stream_too_many_shards(cli):
    cli.fails("LimitExceededException", "CreateStream", "create-stream", "--stream-name", "s", "--shard-count", "5000")


def test_create_existing_stream(cli, stream):
    cli.fails("ResourceInUseException", "CreateStream", "create-stream", "--stream-name", stream)


def test_delete_missing_stream(cli):
    cli.fails("ResourceNotFoundException", "DeleteStream", "delete-stream", "--stream-name", "missing")
    cli.fails("ValidationException", "DeleteStream", "delete-stream", "--stream-name", "bad/name")


# --- describe / list --------------------------------------------------------------------------------------------

def test_describe_stream_errors(cli, stream):
    result = cli.fails("ResourceNotFoundException", "DescribeStream", "describe-stream", "--stream-name", "missing")
    assert "Stream missing under account 000000000000 not found." in result.stderr
    for limit in ("0", "10001"):
        cli.fails("ValidationException", "DescribeStream", "describe-stream", "--stream-name", stream,
                  "--limit", limit)
    cli.fails("ValidationException", "DescribeStream", "describe-stream", "--stream-name", stream,
              "--exclusive-start-shard-id", "shard one")


def test_describe_stream_summary_errors(cli):
    cli.fails("ResourceNotFoundException", "DescribeStreamSummary", "describe-stream-summary", "--stream-name", "nope")
    cli.fails("ValidationException", "DescribeStreamSummary", "describe-stream-summary", "--stream-name", "a b")


def test_list_streams_errors(cli):
    for limit in ("0", "10001"):
        cli.fails("ValidationException", "ListStreams", "list-streams", "--limit", limit)


def test_list_shards_errors(cli, stream):
    cli.fails("ResourceNotFoundException", "ListShards", "list-shards", "--stream-name", "missing")
    for limit in ("0", "10001"):
        cli.fails("ValidationException", "ListShards", "list-shards", "--stream-name", stream,
                  "--max-results", limit)
    cli.fails("InvalidArgumentException", "ListShards", "list-shards")
    cli.fails("InvalidArgumentException", "ListShards", "list-shards", "--next-token", "garbage!")
    token = cli.json("list-shards", "--stream-name", stream, "--max-results", "1")["NextToken"]
    cli.fails("InvalidArgumentException", "ListShards", "list-shards", "--next-token", token, "--stream-name", stream)
    cli.fails("ValidationException", "ListShards", "list-shards", "--stream-name", stream,
              "--exclusive-start-shard-id", "no/pe")


# --- put-record -------------------------------------------------------------------------------------------------

def put(cli, *args):
    return ["put-record", "--stream-name", "s", "--partition-key", "k", *args]


@pytest.mark.parametrize("args", [
    ["--data", "x", "--data-base64", "eA=="],
    [],
    ["--data-base64", "not base64!"],
    ["--data-base64", "eA="],
    ["--data-base64", "eB=="],  # non-zero padding bits
    ["--data", "eA==", "--explicit-hash-key", TWO_TO_128],  # the pattern allows it; the range does not
    ["--data", "file:///nonexistent/file"],
    ["--data", "not base64!"],
    ["--data", "not base64!", "--cli-binary-format", "base64"],
])
def test_put_record_bad_arguments(cli, stream, args):
    cli.fails("InvalidArgumentException", "PutRecord", *put(cli, *args))
    assert_nothing_written(cli)


@pytest.mark.parametrize("key", ["-1", "12abc", " 1", "007"])
def test_put_record_explicit_hash_key_outside_the_pattern(cli, stream, key):
    cli.fails("ValidationException", "PutRecord", *put(cli, "--data", "eA==", "--explicit-hash-key", key))
    assert_nothing_written(cli)


def test_put_record_partition_keys_count_characters(cli, stream):
    for key in ("", "k" * 257, "é" * 257):
        cli.fails("ValidationException", "PutRecord", "put-record", "--stream-name", stream,
                  "--partition-key", key, "--data", "eA==")
    assert_nothing_written(cli)
    for key in ("é" * 256, "\U0001F600" * 256):  # 512 and 1024 bytes of UTF-8: 256 characters each
        cli.put(stream, key, "x")
    keys = [r["PartitionKey"] for shard in ("shardId-000000000000", "shardId-000000000001")
            for r in cli.read_all(stream, shard)]
    assert sorted(keys) == sorted(["é" * 256, "\U0001F600" * 256])


def test_put_record_oversized(cli, stream, tmp_path):
    # A segment must hold the largest record: this stream gets 4 MiB segments rather than the tests' 64 KiB.
    cli.ok("delete-stream", "--stream-name", "s")
    cli.ok("create-stream", "--stream-name", "s", "--segment-size", "4MiB")
    blob = tmp_path / "big.bin"
    blob.write_bytes(b"x" * (1024 * 1024))  # + a 1-byte key is one byte over the 1 MiB limit
    cli.fails("InvalidArgumentException", "PutRecord", *put(cli, "--data", f"fileb://{blob}"))
    encoded = tmp_path / "big.b64"
    encoded.write_text(b64(b"x" * (1024 * 1024)))
    cli.fails("InvalidArgumentException", "PutRecord", *put(cli, "--data-base64", f"file://{encoded}"))
    assert_nothing_written(cli)
    # Exactly at the limit is fine.
    blob.write_bytes(b"x" * (1024 * 1024 - 1))
    cli.json(*put(cli, "--data", f"fileb://{blob}"))


def test_put_record_missing_stream(cli):
    cli.fails("ResourceNotFoundException", "PutRecord", "put-record", "--stream-name", "missing",
              "--partition-key", "k", "--data", "eA==")
    cli.fails("ValidationException", "PutRecord", "put-record", "--stream-name", "bad/name",
              "--partition-key", "k", "--data", "eA==")


# --- put-records ------------------------------------------------------------------------------------------------

GOOD = {"Data": b64(b"ok"), "PartitionKey": "k"}


# Cases are built lazily and have short ids: pytest exports the test id in PYTEST_CURRENT_TEST, and a
# megabyte id would overflow the environment of every process the test starts.
BAD_RECORDS = {
    "malformed-json": lambda: "[{\"Data\": ",
    "not-a-list": lambda: json.dumps(GOOD),
    "empty-list": lambda: "[]",
    "missing-partition-key": lambda: json.dumps([GOOD, {"Data": b64(b"x")}]),
    "missing-data": lambda: json.dumps([GOOD, {"PartitionKey": "k"}]),
    "bad-base64": lambda: json.dumps([GOOD, {"Data": "%%%", "PartitionKey": "k"}]),
    "hash-key-2^128": lambda: json.dumps([GOOD, {"Data": b64(b"x"), "PartitionKey": "k", "ExplicitHashKey": TWO_TO_128}]),
    "unknown-field": lambda: json.dumps([GOOD, {"Data": b64(b"x"), "PartitionKey": "k", "Extra": "1"}]),
    "data-not-a-string": lambda: json.dumps([GOOD, {"Data": 5, "PartitionKey": "k"}]),
    "empty-partition-key": lambda: json.dumps([GOOD, {"Data": b64(b"x"), "PartitionKey": ""}]),
    "501-entries": lambda: json.dumps([GOOD] * 501),
    "oversized-entry": lambda: json.dumps([GOOD, {"Data": b64(b"x" * (1024 * 1024)), "PartitionKey": "k"}]),
    "missing-file": lambda: "file:///nonexistent/records.json",
}


MODEL_VIOLATIONS = {"empty-list", "empty-partition-key", "501-entries"}


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_put_records_bad_input_writes_nothing(cli, stream, case, tmp_path):
    records = BAD_RECORDS[case]()
    if len(records) > 100_000:  # too long for one argv string: pass it as a file like users would
        path = tmp_path / "records.json"
        path.write_text(records)
        records = f"file://{path}"
    exception = "ValidationException" if case in MODEL_VIOLATIONS else "InvalidArgumentException"
    cli.fails(exception, "PutRecords", "put-records", "--stream-name", stream, "--records", records)
    assert_nothing_written(cli)


def test_put_records_missing_stream(cli):
    cli.fails("ResourceNotFoundException", "PutRecords", "put-records", "--stream-name", "missing",
              "--records", json.dumps([GOOD]))


# --- get-shard-iterator -----------------------------------------------------------------------------------------

def iterator_args(*args, shard=SHARD, kind="TRIM_HORIZON"):
    return ["get-shard-iterator", "--stream-name", "s", "--shard-id", shard, "--shard-iterator-type", kind, *args]


@pytest.mark.parametrize("args", [
    iterator_args(kind="OLDEST"),
    iterator_args(kind="trim_horizon"),
    iterator_args("--starting-sequence-number", "abc", kind="AT_SEQUENCE_NUMBER"),
    iterator_args("--starting-sequence-number", "-5", kind="AFTER_SEQUENCE_NUMBER"),
    iterator_args("--starting-sequence-number", "0064", kind="AT_SEQUENCE_NUMBER"),
])
def test_get_shard_iterator_outside_the_model(cli, stream, args):
    cli.fails("ValidationException", "GetShardIterator", *args)


@pytest.mark.parametrize("args", [
    iterator_args(kind="AT_SEQUENCE_NUMBER"),
    iterator_args("--starting-sequence-number", "999999", kind="AT_SEQUENCE_NUMBER"),
    iterator_args("--starting-sequence-number", "65", kind="AT_SEQUENCE_NUMBER"),
    iterator_args("--starting-sequence-number", "64", kind="TRIM_HORIZON"),
    iterator_args(kind="AT_TIMESTAMP"),
    iterator_args("--timestamp", "yesterday", kind="AT_TIMESTAMP"),
    iterator_args("--timestamp", "2026-13-01T00:00:00Z", kind="AT_TIMESTAMP"),
    iterator_args("--timestamp", "5", kind="LATEST"),
])
def test_get_shard_iterator_bad_arguments(cli, stream, args):
    cli.put(stream, "k", "x", "--explicit-hash-key", "0")  # a record on shard 0, at the first position
    cli.fails("InvalidArgumentException", "GetShardIterator", *args)


def test_get_shard_iterator_missing_things(cli, stream):
    result = cli.fails("ResourceNotFoundException", "GetShardIterator",
                       *iterator_args(shard="shardId-000000000009"))
    assert "shardId-000000000009" in result.stderr
    for well_formed in ("shard-0", "shardId-abc", "shardId-999999999999"):  # the model's pattern, but no such shard
        result = cli.fails("ResourceNotFoundException", "GetShardIterator", *iterator_args(shard=well_formed))
        assert well_formed in result.stderr
    cli.fails("ResourceNotFoundException", "GetShardIterator", "get-shard-iterator", "--stream-name", "missing",
              "--shard-id", SHARD, "--shard-iterator-type", "LATEST")


# --- get-records ------------------------------------------------------------------------------------------------

def test_get_records_bad_arguments(cli, stream):
    iterator = cli.iterator(stream, SHARD, "TRIM_HORIZON")
    for limit in ("0", "10001", "-3"):
        result = cli.fails("ValidationException", "GetRecords", "get-records", "--shard-iterator", iterator,
                           "--limit", limit)
        assert "limit" in result.stderr
    cli.fails("ValidationException", "GetRecords", "get-records", "--shard-iterator", "")
    for bad in ("garbage", "!!!!", "AAAA" * 20, iterator + "A"):
        cli.fails("InvalidArgumentException", "GetRecords", "get-records", "--shard-iterator", bad)


# --- tail / demo ------------------------------------------------------------------------------------------------

def test_tail_errors(cli, stream):
    cli.fails("ResourceNotFoundException", "Tail", "tail", "--stream-name", "missing", "--timeout", "0.1")
    cli.fails("InvalidArgumentException", "Tail", "tail", "--stream-name", stream, "--from", "AT_TIMESTAMP")
    cli.fails("InvalidArgumentException", "Tail", "tail", "--stream-name", stream, "--max-records", "-1")


def test_demo_errors(cli):
    cli.fails("InvalidArgumentException", "Demo", "demo", "--seconds", "0")
    cli.fails("InvalidArgumentException", "Demo", "demo", "--rate", "0")
    cli.fails("InvalidArgumentException", "Demo", "demo", "--stream-name", "bad/name")
    assert cli.json("list-streams")["StreamNames"] == []


def test_numbers_out_of_every_range_are_reported_as_given(cli):
    """A number no option can hold is a usage error that quotes it, not a clamped value the user never typed."""
    huge = "99999999999999999999"
    for args in (("create-stream", "--stream-name", "s", "--shard-count", huge),
                 ("list-streams", "--limit", huge),
                 ("update-shard-count", "--stream-name", "s", "--target-shard-count", huge,
                  "--scaling-type", "UNIFORM_SCALING")):
        result = cli.usage_error(*args)
        assert huge in result.stderr and "9223372036854775807" not in result.stderr, result.stderr
    assert cli.run("list-streams").returncode == 0  # nothing was created


def test_a_damaged_record_is_reported_as_damaged_by_the_cli_and_python(cli, root):
    """A frame damaged on disk by another process: get-records answers CorruptedDataException (not
    InvalidArgument about the caller's iterator), from a fresh CLI process and from Python."""
    import os
    import struct
    import subprocess
    import sys

    cli.create("s")
    cli.put("s", "k", "first")
    second = int(cli.put("s", "k", "second")["SequenceNumber"])
    iterator = cli.iterator("s", "shardId-000000000000", "TRIM_HORIZON")
    page = cli.json("get-records", "--shard-iterator", iterator, "--limit", 1)
    segment = os.path.join(root, "s", "shards", "0", "00000000000000000000.seg")
    with open(segment, "r+b") as file:  # flip a bit of the second frame's type
        file.seek(second + 4)
        byte = file.read(1)[0]
        file.seek(second + 4)
        file.write(bytes([byte ^ 0x40]))
    cli.fails("CorruptedDataException", "GetRecords", "get-records", "--shard-iterator", page["NextShardIterator"])
    repo = os.path.join(os.path.dirname(__file__), "..", "..")
    python = subprocess.run(
        [sys.executable, "-c",
         "import shmstream, sys\n"
         "try:\n"
         "    list(shmstream.Stream.open('s', root=sys.argv[1]).records())\n"
         "except shmstream.CorruptedDataException as error:\n"
         "    print('corrupted:', error)\n", root],
        capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(os.path.dirname(os.environ["SHMSTREAM_CLI"]),
                                                                       "..", "bindings", "python"),
                                                          os.path.join(repo, "bindings", "python")])})
    assert python.stdout.startswith("corrupted:"), (python.stdout, python.stderr)
