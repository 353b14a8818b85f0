"""Python and the C++ CLI (build/tools/shmstream) on one stream from several processes: whatever one side
writes, the other reads back identically (shard, sequence number, partition key, data)."""

import base64
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

import shmstream

RECORDS_PER_PRODUCER = 400


def find_cli():
    candidates = [os.environ.get("SHMSTREAM_CLI", "")]
    repo = pathlib.Path(__file__).resolve().parents[2]
    candidates += [str(repo / build / "tools" / "shmstream") for build in ("build", "build-py")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


CLI = find_cli()
pytestmark = pytest.mark.skipif(CLI is None, reason="the shmstream CLI binary is not built "
                                                    "(looked at $SHMSTREAM_CLI, build/ and build-py/tools)")

# A producer process: puts binary payloads (never valid UTF-8, so the CLI prints them as base64) and
# prints one JSON line per record with what PutRecord answered.
PRODUCER = """
import base64, json, sys
import shmstream
root, name, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
stream = shmstream.Stream.open(name, root=root)
for i in range(count):
    key = f"w{worker}-k{i % 5}"
    data = b"\\xff\\x00" + f"{worker}:{i}".encode()
    result = stream.put(key, data) if i % 2 else stream.put_many([(key, data)]).records[0]
    print(json.dumps({"ShardId": result.shard_id, "SequenceNumber": str(result.sequence_number),
                      "PartitionKey": key, "Data": base64.b64encode(data).decode()}))
"""


def cli(root, *args, **kwargs):
    return subprocess.run([CLI, "--root", root, *args], capture_output=True, text=True, check=True,
                          timeout=60, **kwargs)


def record_tuple(shard_id, record):
    return (shard_id, int(record["SequenceNumber"]), record["PartitionKey"], base64.b64decode(record["Data"]))


def read_with_get_records(root, name, shard_id):
    iterator = json.loads(cli(root, "get-shard-iterator", "--stream-name", name, "--shard-id", shard_id,
                              "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
    records = []
    while iterator:
        page = json.loads(cli(root, "get-records", "--shard-iterator", iterator).stdout)
        records += [record_tuple(shard_id, r) for r in page["Records"]]
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return records


def test_python_producers_cli_consumers(root):
    stream = shmstream.Stream.create("py-to-cli", shard_count=3, segment_size=1 << 16, root=root)
    expected_total = 2 * RECORDS_PER_PRODUCER
    tail = subprocess.Popen([CLI, "--root", root, "tail", "--stream-name", stream.name, "--from", "TRIM_HORIZON",
                             "--max-records", str(expected_total), "--timeout", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    producers = [subprocess.Popen([sys.executable, "-c", PRODUCER, root, stream.name, str(w),
                                   str(RECORDS_PER_PRODUCER)], stdout=subprocess.PIPE, text=True)
                 for w in range(2)]
    written = set()
    for producer in producers:
        out, _ = producer.communicate(timeout=60)
        assert producer.returncode == 0
        written |= {record_tuple(r["ShardId"], r) for r in map(json.loads, out.splitlines())}
    assert len(written) == expected_total

    tail_out, tail_err = tail.communicate(timeout=60)
    assert tail.returncode == 0, tail_err
    tailed = [json.loads(line) for line in tail_out.splitlines()]
    assert {record_tuple(r["ShardId"], r) for r in tailed} == written

    fetched = []
    for shard_id in stream.shard_ids():
        fetched += read_with_get_records(root, stream.name, shard_id)
    assert len(fetched) == expected_total and set(fetched) == written


def test_cli_producers_python_consumers(root):
    stream = shmstream.Stream.create("cli-to-py", shard_count=2, segment_size=1 << 16, root=root)
    requests, per_request = 4, 100
    expected_total = 2 * requests * per_request + 1
    tailed = []

    def consume():
        for record in stream.tail(timeout=20, iterator_type="TRIM_HORIZON"):
            tailed.append((record.shard_id, record.sequence_number, record.partition_key, record.data))
            if len(tailed) == expected_total:
                return

    consumer = threading.Thread(target=consume)
    consumer.start()

    def put_records_process(worker):
        written = []
        for request in range(requests):
            batch = [{"PartitionKey": f"c{worker}-{i % 3}",
                      "Data": base64.b64encode(bytes([worker, request, i, 0xfe])).decode()}
                     for i in range(per_request)]
            answer = json.loads(cli(root, "put-records", "--stream-name", stream.name,
                                    "--records", json.dumps(batch)).stdout)
            assert answer["FailedRecordCount"] == 0
            written += [(r["ShardId"], int(r["SequenceNumber"]), e["PartitionKey"], base64.b64decode(e["Data"]))
                        for r, e in zip(answer["Records"], batch)]
        return written

    results = {}
    workers = [threading.Thread(target=lambda w=w: results.__setitem__(w, put_records_process(w)))
               for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    single = json.loads(cli(root, "put-record", "--stream-name", stream.name, "--partition-key", "solo",
                            "--cli-binary-format", "raw-in-base64-out", "--data", "plain text").stdout)
    consumer.join(timeout=30)
    written = set(results[0]) | set(results[1])
    written.add((single["ShardId"], int(single["SequenceNumber"]), "solo", b"plain text"))
    assert len(written) == expected_total
    assert len(tailed) == expected_total and set(tailed) == written
    # A second reader, by snapshot and as a DataFrame, agrees too.
    assert {(r.shard_id, r.sequence_number, r.partition_key, r.data) for r in stream.records()} == written
    pandas = pytest.importorskip("pandas")
    frame = stream.to_pandas()
    rows = {(str(row.shard_id), int(row.sequence_number), row.partition_key, row.data)
            for row in frame.itertuples(index=False)}
    assert rows == written and isinstance(frame, pandas.DataFrame)


def test_stat_counts_a_slow_producer_that_has_not_flushed_its_counters(root):
    """A producer that puts a few records and stays alive has not flushed its incoming counters (it does so
    every 1,024 records); stat still shows its rate, counted from the log."""
    stream = shmstream.Stream.create("slow", shard_count=2, root=root)
    stat = subprocess.Popen([CLI, "--root", root, "stat", "--stream-name", "slow", "--count", "1", "--interval",
                             "1500ms"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    for i in range(7):
        stream.put(f"key-{i}", b"x" * 10)
    stdout, stderr = stat.communicate(timeout=30)
    assert stat.returncode == 0, stderr
    report = json.loads(stdout)
    totals, seconds = report["Totals"], report["IntervalSeconds"]
    assert totals["IncomingRecords"] == 0  # nothing flushed yet
    assert round(totals["RecordsPerSecond"] * seconds) == 7
    assert round(totals["BytesPerSecond"] * seconds) == 7 * (len("key-0") + 10)
