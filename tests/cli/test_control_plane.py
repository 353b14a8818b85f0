"""create-stream, describe-stream(-summary), list-streams, list-shards, delete-stream: round trips and shapes."""
import glob
import os
import re
import struct
import subprocess

from conftest import CLI, Cli, unb64

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
MAX_HASH_KEY = 2**128 - 1


def test_help_lists_commands(cli):
    result = cli.ok("--help")
    for command in ("create-stream", "delete-stream", "describe-stream", "describe-stream-summary", "list-streams",
                    "list-shards", "put-record", "put-records", "get-shard-iterator", "get-records", "tail", "demo",
                    "split-shard", "merge-shards", "update-shard-count", "increase-stream-retention-period",
                    "decrease-stream-retention-period", "update-retention", "janitor", "stat"):
        assert command in result.stdout


def test_create_prints_nothing_and_describe_shape(cli):
    result = cli.ok("create-stream", "--stream-name", "orders", "--shard-count", "3", "--segment-size", "64KiB",
                    "--retention", "90s", "--retention-bytes", "1MiB", "--mode", "0660")
    assert result.stdout == ""
    description = cli.json("describe-stream", "--stream-name", "orders")["StreamDescription"]
    assert list(description) == ["StreamName", "StreamARN", "StreamStatus", "StreamModeDetails", "Shards",
                                 "HasMoreShards", "RetentionPeriodHours", "StreamCreationTimestamp",
                                 "EnhancedMonitoring", "EncryptionType"]
    # The shmstream extension, only when asked for and beside the AWS object: what RetentionPeriodHours cannot say.
    detailed = cli.json("describe-stream", "--stream-name", "orders", "--shmstream-details")
    assert list(detailed) == ["StreamDescription", "ShmstreamDetails"]
    assert detailed["StreamDescription"] == description
    assert detailed["ShmstreamDetails"] == {"RetentionSeconds": 90, "RetentionBytesPerShard": 1 << 20,
                                            "UnblockTimeoutMillis": 2000, "SegmentSize": 64 << 10,
                                            "Checksums": False}  # tmpfs root
    assert description["StreamName"] == "orders"
    assert description["StreamARN"].endswith(":stream/orders")
    assert description["StreamStatus"] == "ACTIVE"
    assert description["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert description["HasMoreShards"] is False
    assert description["RetentionPeriodHours"] == 1  # 90 s rounds up to the API's whole hours
    assert TIMESTAMP.match(description["StreamCreationTimestamp"])
    assert description["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert description["EncryptionType"] == "NONE"
    shards = description["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(3)]
    for shard in shards:
        assert list(shard) == ["ShardId", "HashKeyRange", "SequenceNumberRange"]
        assert list(shard["SequenceNumberRange"]) == ["StartingSequenceNumber"]  # open: no ending number
        assert shard["SequenceNumberRange"]["StartingSequenceNumber"].isdigit()
    # The hash key space is split like AWS: contiguous decimal ranges covering [0, 2^128).
    assert shards[0]["HashKeyRange"]["StartingHashKey"] == "0"
    assert shards[-1]["HashKeyRange"]["EndingHashKey"] == str(MAX_HASH_KEY)
    for left, right in zip(shards, shards[1:]):
        assert int(left["HashKeyRange"]["EndingHashKey"]) + 1 == int(right["HashKeyRange"]["StartingHashKey"])
    # --mode 0660 reaches the files.
    assert os.stat(os.path.join(cli.root, "orders", "stream.meta")).st_mode & 0o777 == 0o660


def test_describe_stream_paging(cli):
    cli.create("paged", 5)
    first = cli.json("describe-stream", "--stream-name", "paged", "--limit", "2")["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert first["HasMoreShards"] is True
    rest = cli.json("describe-stream", "--stream-name", "paged", "--exclusive-start-shard-id",
                    "shardId-000000000001")["StreamDescription"]
    assert [s["ShardId"] for s in rest["Shards"]] == [f"shardId-{i:012d}" for i in (2, 3, 4)]
    assert rest["HasMoreShards"] is False


def test_describe_stream_summary_shape(cli):
    cli.create("summary", 2)
    summary = cli.json("describe-stream-summary", "--stream-name", "summary")["StreamDescriptionSummary"]
    assert list(summary) == ["StreamName", "StreamARN", "StreamStatus", "StreamModeDetails", "RetentionPeriodHours",
                             "StreamCreationTimestamp", "EnhancedMonitoring", "EncryptionType", "OpenShardCount",
                             "ConsumerCount"]
    assert summary["OpenShardCount"] == 2
    assert summary["ConsumerCount"] == 0
    assert summary["RetentionPeriodHours"] == 24


def test_list_streams_and_delete(cli):
    assert cli.json("list-streams") == {"StreamNames": [], "HasMoreStreams": False, "StreamSummaries": []}
    for name in ("b-stream", "a.stream", "c_stream"):
        cli.create(name)
    listing = cli.json("list-streams")
    assert list(listing) == ["StreamNames", "HasMoreStreams", "StreamSummaries"]
    assert listing["StreamNames"] == ["a.stream", "b-stream", "c_stream"]
    assert listing["HasMoreStreams"] is False
    summary = listing["StreamSummaries"][0]
    assert list(summary) == ["StreamName", "StreamARN", "StreamStatus", "StreamModeDetails", "StreamCreationTimestamp"]
    limited = cli.json("list-streams", "--limit", "2")
    assert limited["StreamNames"] == ["a.stream", "b-stream"] and limited["HasMoreStreams"] is True
    after = cli.json("list-streams", "--exclusive-start-stream-name", "b-stream")
    assert after["StreamNames"] == ["c_stream"]

    assert cli.ok("delete-stream", "--stream-name", "b-stream", "--enforce-consumer-deletion").stdout == ""
    assert cli.json("list-streams")["StreamNames"] == ["a.stream", "c_stream"]


def test_delete_stream_shows_progress_on_a_terminal_only(cli):
    """On a terminal, deleting a stream that takes long prints a progress line on stderr and erases it at the
    end (SHMSTREAM_PROGRESS_AFTER_MS=0 stands in for a stream big enough to take a second)."""
    for name in ("big", "piped"):
        cli.create(name, 4)
        for i in range(8):
            cli.put(name, f"key-{i}", "x" * 1000)
    result, shown = cli.run_on_terminal("delete-stream", "--stream-name", "big",
                                        env={"SHMSTREAM_PROGRESS_AFTER_MS": "0"})
    assert result.returncode == 0 and result.stdout == b""
    assert re.match(rb"^\r\x1b\[Kdeleting big: \d+\.\d\d GiB of \d+\.\d\d GiB \(\d+ %\)", shown), shown
    assert shown.endswith(b"\r\x1b[K"), shown
    # Not a terminal: nothing on stderr (cli.ok checks), whatever the threshold.
    cli.ok("delete-stream", "--stream-name", "piped", env={"SHMSTREAM_PROGRESS_AFTER_MS": "0"})
    assert cli.json("list-streams")["StreamNames"] == []


def test_list_shards_paging_with_next_token(cli):
    cli.create("shards", 3)
    page = cli.json("list-shards", "--stream-name", "shards", "--max-results", "2")
    assert [s["ShardId"] for s in page["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    rest = cli.json("list-shards", "--next-token", page["NextToken"])
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000002"]
    assert "NextToken" not in rest
    after = cli.json("list-shards", "--stream-name", "shards", "--exclusive-start-shard-id", "shardId-000000000000")
    assert [s["ShardId"] for s in after["Shards"]] == ["shardId-000000000001", "shardId-000000000002"]
    assert list(cli.json("list-shards", "--stream-name", "shards")) == ["Shards"]


def test_root_from_environment_and_after_the_command(cli):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHMSTREAM_")}
    env["SHMSTREAM_ROOT"] = cli.root
    subprocess.run([CLI, "create-stream", "--stream-name", "env-root"], env=env, check=True)
    result = subprocess.run([CLI, "list-streams", "--root", cli.root], env={"PATH": "/usr/bin"}, capture_output=True,
                            text=True, check=True)
    assert "env-root" in result.stdout


# --- create-stream --checksums -----------------------------------------------------------------------------------

def filesystem_type(path):
    return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True, check=True).stdout.strip()


def stored_frame_flags(root, name):
    """(frame flags of stream.meta at offset 100, flags byte of the first frame of shard 0): docs/FORMAT.md."""
    with open(os.path.join(root, name, "stream.meta"), "rb") as meta:
        stream_flags, = struct.unpack_from("<I", meta.read(104), 100)
    first_segment = sorted(glob.glob(os.path.join(root, name, "shards", "0", "*.seg")))[0]
    with open(first_segment, "rb") as segment:
        state, = struct.unpack_from("<Q", segment.read(72), 64)
    return stream_flags, (state >> 40) & 0xff


def assert_checksums(cli, name, expected):
    description = cli.json("describe-stream", "--stream-name", name, "--shmstream-details")
    assert description["ShmstreamDetails"]["Checksums"] is expected
    summary = cli.json("describe-stream-summary", "--stream-name", name, "--shmstream-details")
    assert summary["ShmstreamDetails"]["Checksums"] is expected
    # A record round-trips, and the setting reaches the stream header and the frames.
    put = cli.put(name, "key", "payload of " + name)
    records = cli.read_all(name)
    assert [(r["PartitionKey"], unb64(r["Data"]), r["SequenceNumber"]) for r in records] == \
        [("key", ("payload of " + name).encode(), put["SequenceNumber"])]
    flag = 0x01 if expected else 0
    assert stored_frame_flags(cli.root, name) == (flag, flag)


def test_create_stream_checksums_on_off_and_tmpfs_default(cli):
    cli.create("on", 1, "--checksums", "on")
    cli.create("off", 1, "--checksums", "off")
    cli.create("default")
    assert filesystem_type(cli.root) in ("tmpfs", "ramfs")  # the fixture's root is under /dev/shm
    assert_checksums(cli, "on", True)
    assert_checksums(cli, "off", False)
    assert_checksums(cli, "default", False)


def test_create_stream_checksums_default_follows_the_filesystem(tmp_path):
    # On a persistent filesystem the default is on (tmp_path is wherever TMPDIR is: disk on most hosts).
    cli = Cli(str(tmp_path / "root"))
    cli.create("default")
    expected = filesystem_type(str(tmp_path)) not in ("tmpfs", "ramfs")
    assert_checksums(cli, "default", expected)
    cli.create("off", 1, "--checksums", "off")
    assert_checksums(cli, "off", False)


def test_create_stream_checksums_bad_value_is_a_usage_error(cli):
    for value in ("yes", "true", "ON", "1", ""):
        result = cli.usage_error("create-stream", "--stream-name", "s", "--checksums", value)
        assert "--checksums" in result.stderr and "{on,off}" in result.stderr, result.stderr
    assert cli.json("list-streams")["StreamNames"] == []
    assert "--checksums" in cli.ok("create-stream", "--help").stdout
