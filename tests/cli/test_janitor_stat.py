"""janitor (one pass and the loop) and stat (live per-shard metrics)."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import CLI, b64, unb64

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 \S.*$")
COUNTERS = ["Passes", "SegmentsTrimmed", "FramesUnblocked", "RollsHelped", "SegmentsPrepared", "ShardsExpired",
            "OrphansRemoved", "Problems"]


def segment_files(root, name="s", shard=0):
    return sorted(f for f in os.listdir(os.path.join(root, name, "shards", str(shard))) if f.endswith(".seg"))


def put_many(cli, count, name="s", size=100):
    entries = [{"Data": b64(f"{i:05d}".encode() + b"." * size), "PartitionKey": "k"} for i in range(count)]
    result = cli.json("put-records", "--stream-name", name, "--records", json.dumps(entries))
    assert result["FailedRecordCount"] == 0


def test_janitor_once_trims_expired_segments(cli, root):
    cli.ok("create-stream", "--stream-name", "s", "--segment-size", "4KiB", "--retention", "1s")
    put_many(cli, 200)
    files_before = segment_files(root)
    assert len(files_before) >= 5
    old_iterator = cli.iterator("s", "shardId-000000000000", "TRIM_HORIZON")
    first_before = cli.json("get-records", "--shard-iterator", old_iterator, "--limit", 1)["Records"][0]
    time.sleep(1.5)
    late = cli.put("s", "k", "late")  # younger than the retention window: must survive

    result = cli.run("janitor", "--once")
    assert result.returncode == 0, result.stderr
    counters = json.loads(result.stdout)
    assert list(counters) == COUNTERS
    assert counters["Passes"] == 1 and counters["SegmentsTrimmed"] >= 4 and counters["Problems"] == 0
    lines = result.stderr.splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines), result.stderr
    assert any(re.search(r" trimmed \d+ expired segment\(s\) of stream s shardId-000000000000$", line)
               for line in lines), result.stderr

    files_after = segment_files(root)
    assert len(files_after) < len(files_before)
    assert files_after[0] > files_before[0]  # the oldest segments went
    records = cli.read_all("s")
    assert int(records[0]["SequenceNumber"]) > int(first_before["SequenceNumber"])
    assert records[-1]["SequenceNumber"] == late["SequenceNumber"] and unb64(records[-1]["Data"]) == b"late"
    cli.fails("ExpiredIteratorException", "GetRecords", "get-records", "--shard-iterator", old_iterator)
    stats = cli.json("describe-stream-summary", "--stream-name", "s", "--shmstream-details")
    assert stats["ShmstreamDetails"]["RetentionSeconds"] == 1

    again = cli.run("janitor", "--once")  # nothing left to do: silent
    assert again.returncode == 0 and again.stderr == ""
    assert json.loads(again.stdout)["SegmentsTrimmed"] == 0


def test_janitor_loops_until_sigterm(cli, root):
    cli.create("s")
    process = subprocess.Popen([CLI, "--root", root, "janitor", "--interval", "100ms"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=cli.env)
    time.sleep(0.6)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    counters = json.loads(stdout)
    assert counters["Passes"] >= 2 and counters["Problems"] == 0


def test_janitor_bad_flags(cli):
    for interval in ("0s", "soon"):
        cli.fails("InvalidArgumentException", "Janitor", "janitor", "--interval", interval)
    cli.usage_error("janitor", "--once", "--no-such-flag")


def test_janitor_on_an_empty_root(cli):
    result = cli.run("janitor", "--once")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout) == dict.fromkeys(COUNTERS, 0) | {"Passes": 1}


def test_stat_once_table(cli):
    cli.create("s", 2)
    put_many(cli, 10)
    result = cli.ok("stat", "--stream-name", "s", "--count", "1", "--interval", "100ms", "--output", "table")
    lines = result.stdout.splitlines()
    assert re.match(r"^\S+\+00:00  s  2 open shard\(s\), rates over 0\.\d\d s, byte cap \S+/shard$",
                    lines[0]), lines[0]
    assert lines[1].split() == ["SHARD", "STATE", "RECORDS/S", "BYTES/S", "LOG", "B/S", "RECORDS", "BYTES", "SEGS",
                                "IN", "USE", "PUT_ERR", "ABORTED", "UNBLOCKED", "TRIMMED", "THROTTLED(W/R)"]
    rows = [line.split() for line in lines[2:] if line]
    assert [row[0] for row in rows] == ["shardId-000000000000", "shardId-000000000001", "total"]
    assert all(row[1] == "OPEN" for row in rows[:2])
    assert int(rows[2][4]) == 10  # total records (the "total" row has no STATE column)
    assert lines[-1] == ""
    assert "\x1b[" not in result.stdout  # redrawn in place only on a terminal


def test_stat_json_rates_and_closed_shards(cli, root):
    cli.create("s", 1)
    put_many(cli, 5)
    cli.ok("split-shard", "--stream-name", "s", "--shard-to-split", "0", "--new-starting-hash-key", 2**127)
    process = subprocess.Popen([CLI, "--root", root, "stat", "--stream-name", "s", "--count", "1", "--interval",
                                "1500ms"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=cli.env)
    time.sleep(0.4)
    put_many(cli, 100, size=50)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 0 and stderr == ""
    lines = stdout.splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    # Not a terminal: JSON lines without asking.
    assert list(report) == ["Timestamp", "StreamName", "IntervalSeconds", "OpenShardCount", "BytesPerShardCap",
                            "Shards", "Totals"]
    assert report["StreamName"] == "s" and report["OpenShardCount"] == 2
    assert 1.4 < report["IntervalSeconds"] < 5
    shards = {s["ShardId"]: s for s in report["Shards"]}
    assert [shards[f"shardId-00000000000{i}"]["State"] for i in range(3)] == ["CLOSED", "OPEN", "OPEN"]
    assert list(shards["shardId-000000000000"]) == [
        "ShardId", "State", "RecordsPerSecond", "BytesPerSecond", "LogBytesPerSecond", "IncomingRecords",
        "IncomingBytes", "PutErrors", "AbortedPuts", "UnblockedFrames", "TrimmedSegments", "SegmentsInUse",
        "BytesInUse", "WriteProvisionedThroughputExceeded",
        "ReadProvisionedThroughputExceeded", "TrimHorizon", "LatestPosition"]
    assert shards["shardId-000000000000"]["IncomingRecords"] == 5
    assert shards["shardId-000000000000"]["RecordsPerSecond"] == 0
    totals = report["Totals"]
    assert totals["IncomingRecords"] == 105
    assert totals["RecordsPerSecond"] > 0 and totals["BytesPerSecond"] > 0
    # Counted from the logs: exactly the 100 records of the interval, and their key + data bytes.
    assert abs(totals["RecordsPerSecond"] * report["IntervalSeconds"] - 100) < 1
    assert totals["LogBytesPerSecond"] > totals["BytesPerSecond"]
    assert totals["BytesInUse"] == sum(s["LatestPosition"] - s["TrimHorizon"] for s in report["Shards"])
    assert totals["PutErrors"] == 0 and totals["AbortedPuts"] == 0


def test_stat_errors(cli):
    cli.fails("ResourceNotFoundException", "Stat", "stat", "--stream-name", "nope", "--count", 1, "--interval", "10ms")
    cli.create("s")
    cli.fails("InvalidArgumentException", "Stat", "stat", "--stream-name", "s", "--count", -1)
    cli.fails("InvalidArgumentException", "Stat", "stat", "--stream-name", "s", "--interval", "0ms")
    cli.usage_error("stat", "--stream-name", "s", "--format", "xml")


def test_stat_every_stream(cli):
    """Without --stream-name: one report per stream under the root, in name order."""
    assert cli.ok("stat", "--count", 1, "--interval", "10ms").stdout.startswith("no streams under ")
    cli.create("b", 2)
    cli.create("a")
    lines = cli.ok("stat", "--count", 2, "--interval", "50ms").stdout.splitlines()
    assert [json.loads(line)["StreamName"] for line in lines] == ["a", "b", "a", "b"]
    assert [len(json.loads(line)["Shards"]) for line in lines[:2]] == [1, 2]


PASS_PROGRESS = rb"\r\x1b\[Kjanitor pass: stream (\d+) of 4 \(([a-z]+)\), shard (\d+) of (\d+)"


def test_janitor_pass_shows_progress_on_a_terminal_only(cli):
    """On a terminal, a janitor pass that runs long shows where it is (stream k of n, shard i of m) on one
    line, erased before each log line and at the end of the pass (SHMSTREAM_PROGRESS_AFTER_MS=0 stands in for
    a root big enough to take a second); piped, stderr carries the log lines only."""
    for name, shards in (("a", 2), ("b", 3), ("c", 1), ("d", 1)):
        cli.create(name, shards)
    os.truncate(os.path.join(cli.root, "b", "stream.meta"), 100)  # logged as a problem in mid-pass
    result, shown = cli.run_on_terminal("janitor", "--once", env={"SHMSTREAM_PROGRESS_AFTER_MS": "0"})
    assert result.returncode == 0 and json.loads(result.stdout)["Passes"] == 1
    drawn = re.findall(PASS_PROGRESS, shown)
    assert drawn, shown
    stream_shards = {"a": 2, "c": 1, "d": 1}
    for number, name, done, count in drawn:
        assert int(number) == "abcd".index(name.decode()) + 1
        assert int(count) == stream_shards[name.decode()] and 0 <= int(done) <= int(count)
    assert shown.endswith(b"\r\x1b[K"), shown
    # Log lines start at the beginning of a line: the progress line was erased before each.
    text = re.sub(PASS_PROGRESS, b"", shown).replace(b"\r\x1b[K", b"")
    lines = [line for line in text.decode().replace("\r\n", "\n").split("\n") if line]
    assert lines and all(LOG_LINE.match(line) for line in lines), shown
    assert any("cannot open stream b" in line for line in lines), shown
    for log_start in re.finditer(rb"\d{4}-\d\d-\d\dT", shown):
        before = shown[:log_start.start()]
        assert before == b"" or before.endswith((b"\r\x1b[K", b"\n")), shown

    # A threshold not reached: nothing drawn.
    quiet, shown = cli.run_on_terminal("janitor", "--once", env={"SHMSTREAM_PROGRESS_AFTER_MS": "60000"})
    assert quiet.returncode == 0 and b"janitor pass" not in shown, shown
    # Not a terminal: no progress, whatever the threshold.
    piped = cli.run("janitor", "--once", env={"SHMSTREAM_PROGRESS_AFTER_MS": "0"})
    assert piped.returncode == 0 and "janitor pass" not in piped.stderr, piped.stderr
