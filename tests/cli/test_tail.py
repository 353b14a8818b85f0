"""tail: follows all shards, prints one JSON object per line, stops on --max-records / --timeout."""
import base64
import json
import subprocess
import time

from conftest import CLI


def start_tail(cli, *args):
    return subprocess.Popen([CLI, "--root", cli.root, "tail", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli.env)


def test_tail_from_trim_horizon_with_max_records(cli):
    cli.create("s", 3)
    for i in range(6):
        cli.put("s", f"key-{i}", f"message {i}")
    result = cli.ok("tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--max-records", "6", "--timeout", "10")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    # Data is base64 as AWS prints it, whatever the bytes are.
    assert sorted(base64.b64decode(line["Data"]) for line in lines) == [f"message {i}".encode() for i in range(6)]
    for line in lines:
        assert list(line) == ["ShardId", "SequenceNumber", "PartitionKey", "ApproximateArrivalTimestamp", "Data"]


def test_tail_latest_sees_only_new_records_and_text_mode_marks_binary(cli, tmp_path):
    cli.create("s", 2)
    cli.put("s", "k", "old")
    tail = start_tail(cli, "--stream-name", "s", "--max-records", "2", "--timeout", "20", "--data-encoding", "text")
    time.sleep(0.5)  # let it take its LATEST positions
    cli.put("s", "k", "new")
    blob = tmp_path / "blob"
    blob.write_bytes(b"\x00\xff")
    cli.json("put-record", "--stream-name", "s", "--partition-key", "k", "--data", f"fileb://{blob}")
    out, err = tail.communicate(timeout=30)
    assert tail.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["Data"] == "new" and "DataEncoding" not in lines[0]
    assert lines[1]["Data"] == "AP8=" and lines[1]["DataEncoding"] == "base64"


def decoded(lines):
    return [base64.b64decode(json.loads(line)["Data"]).decode() for line in lines]


def test_tail_starts_like_get_shard_iterator(cli):
    """--shard-iterator-type takes every iterator type; the sequence-number ones need --shard-id, because a
    sequence number is a position in one shard's log."""
    cli.create("s")
    first = cli.put("s", "k", "one")
    second = cli.put("s", "k", "two")
    time.sleep(0.02)
    between = time.time()
    time.sleep(0.02)
    cli.put("s", "k", "three")

    def tail(*flags):
        return decoded(cli.ok("tail", "--stream-name", "s", "--exit-at-end", *flags).stdout.splitlines())

    assert tail("--shard-iterator-type", "TRIM_HORIZON") == ["one", "two", "three"]
    assert tail("--shard-iterator-type", "AT_TIMESTAMP", "--timestamp", f"{between:.6f}") == ["three"]
    assert tail("--shard-iterator-type", "AT_SEQUENCE_NUMBER", "--shard-id", "shardId-000000000000",
                "--starting-sequence-number", second["SequenceNumber"]) == ["two", "three"]
    assert tail("--shard-iterator-type", "AFTER_SEQUENCE_NUMBER", "--shard-id", "shardId-000000000000",
                "--starting-sequence-number", first["SequenceNumber"]) == ["two", "three"]
    assert tail("--shard-iterator-type", "LATEST") == []
    for flags, message in [
        (["--shard-iterator-type", "AT_TIMESTAMP"], "Timestamp must be provided"),
        (["--shard-iterator-type", "AT_SEQUENCE_NUMBER", "--starting-sequence-number", second["SequenceNumber"]],
         "needs --shard-id"),
        (["--shard-iterator-type", "AT_SEQUENCE_NUMBER", "--shard-id", "shardId-000000000000"],
         "StartingSequenceNumber must be provided"),
        (["--shard-iterator-type", "LATEST", "--timestamp", "1700000000"], "Timestamp can only be used"),
        (["--shard-iterator-type", "SOMEWHERE"], "enum value set"),
    ]:
        result = cli.fails("InvalidArgumentException", "Tail", "tail", "--stream-name", "s", "--exit-at-end", *flags)
        assert message in result.stderr, (flags, result.stderr)


def test_tail_text_format_and_timeout(cli):
    cli.create("s")
    cli.put("s", "user", "hello")
    started = time.monotonic()
    result = cli.ok("tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--format", "text", "--timeout", "0.5")
    assert time.monotonic() - started < 5
    shard, sequence, key, data = result.stdout.rstrip("\n").split("\t")
    assert (shard, key, data) == ("shardId-000000000000", "user", "hello")
    assert sequence.isdigit()


def test_tail_stops_cleanly_on_sigint(cli):
    cli.create("s")
    tail = start_tail(cli, "--stream-name", "s")
    time.sleep(0.3)
    tail.send_signal(subprocess.signal.SIGINT)
    out, err = tail.communicate(timeout=10)
    assert tail.returncode == 130
    assert err == "" and out == ""


def test_tail_exit_at_end_and_filters(cli):
    """--exit-at-end stops once every shard is read to its current end (children of a split included);
    --shard-id and --partition-key narrow what is printed."""
    cli.create("s", 2)
    for i in range(6):
        cli.put("s", f"key-{i % 3}", f"before {i}")
    cli.ok("split-shard", "--stream-name", "s", "--shard-to-split", "shardId-000000000000",
           "--new-starting-hash-key", 2 ** 126)
    cli.put("s", "child", "after the split", "--explicit-hash-key", 1)
    started = time.monotonic()
    everything = cli.ok("tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--exit-at-end").stdout.splitlines()
    assert time.monotonic() - started < 5
    data = decoded(everything)
    assert sorted(data) == sorted([f"before {i}" for i in range(6)] + ["after the split"])
    one_key = cli.ok("tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--exit-at-end",
                     "--partition-key", "key-1").stdout.splitlines()
    assert decoded(one_key) == ["before 1", "before 4"]
    one_shard = cli.ok("tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--exit-at-end",
                       "--shard-id", "shardId-000000000001").stdout.splitlines()
    in_shard_1 = [line for line in everything if json.loads(line)["ShardId"] == "shardId-000000000001"]
    assert sorted(one_shard) == sorted(in_shard_1)
    cli.fails("ResourceNotFoundException", "Tail", "tail", "--stream-name", "s", "--shard-id", "shardId-000000000099",
              "--exit-at-end")


def test_tail_says_so_and_fails_when_the_stream_is_deleted_under_it(cli):
    cli.create("s")
    tail = start_tail(cli, "--stream-name", "s", "--timeout", "20")
    time.sleep(0.3)
    cli.ok("delete-stream", "--stream-name", "s")
    out, err = tail.communicate(timeout=30)
    assert tail.returncode == 254, (tail.returncode, err)
    assert "(ResourceNotFoundException)" in err and "was deleted while tailing it" in err, err
