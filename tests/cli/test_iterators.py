"""get-shard-iterator types and get-records paging, expiry and token validation."""
import time

from conftest import unb64

SHARD = "shardId-000000000000"


def datas(page):
    return [unb64(r["Data"]).decode() for r in page["Records"]]


def test_get_records_shape_and_paging(cli):
    cli.create("s")
    for i in range(5):
        cli.put("s", "k", f"m{i}")
    iterator = cli.iterator("s", SHARD, "TRIM_HORIZON")
    assert isinstance(iterator, str) and len(iterator) > 20
    seen = []
    for _ in range(5):
        page = cli.json("get-records", "--shard-iterator", iterator, "--limit", "2")
        assert list(page) == ["Records", "NextShardIterator", "MillisBehindLatest"]
        for record in page["Records"]:
            assert list(record) == ["SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"]
        assert isinstance(page["MillisBehindLatest"], int)
        seen += datas(page)
        iterator = page["NextShardIterator"]
    assert seen == [f"m{i}" for i in range(5)]
    # Caught up: an empty page still hands out a next iterator and reports 0 behind.
    empty = cli.json("get-records", "--shard-iterator", iterator)
    assert empty["Records"] == [] and empty["MillisBehindLatest"] == 0 and "NextShardIterator" in empty
    # The iterator is a cursor, not a consumed resource: reading again returns the same records.
    cli.put("s", "k", "late")
    again = cli.json("get-records", "--shard-iterator", iterator)
    assert datas(again) == ["late"]
    assert datas(cli.json("get-records", "--shard-iterator", iterator)) == ["late"]


def test_latest_sees_only_new_records(cli):
    cli.create("s")
    cli.put("s", "k", "old")
    iterator = cli.iterator("s", SHARD, "LATEST")
    assert cli.json("get-records", "--shard-iterator", iterator)["Records"] == []
    cli.put("s", "k", "new")
    assert datas(cli.json("get-records", "--shard-iterator", iterator)) == ["new"]


def test_at_and_after_sequence_number(cli):
    cli.create("s")
    sequence = [cli.put("s", "k", f"m{i}")["SequenceNumber"] for i in range(4)]
    at = cli.iterator("s", SHARD, "AT_SEQUENCE_NUMBER", "--starting-sequence-number", sequence[2])
    assert datas(cli.json("get-records", "--shard-iterator", at)) == ["m2", "m3"]
    after = cli.iterator("s", SHARD, "AFTER_SEQUENCE_NUMBER", "--starting-sequence-number", sequence[2])
    assert datas(cli.json("get-records", "--shard-iterator", after)) == ["m3"]
    after_last = cli.iterator("s", SHARD, "AFTER_SEQUENCE_NUMBER", "--starting-sequence-number", sequence[3])
    assert cli.json("get-records", "--shard-iterator", after_last)["Records"] == []


def test_at_timestamp_epoch_and_iso8601(cli):
    cli.create("s")
    cli.put("s", "k", "before")
    time.sleep(0.05)
    boundary = time.time()
    time.sleep(0.05)
    cli.put("s", "k", "after")
    by_epoch = cli.iterator("s", SHARD, "AT_TIMESTAMP", "--timestamp", f"{boundary:.6f}")
    assert datas(cli.json("get-records", "--shard-iterator", by_epoch)) == ["after"]
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(boundary)) + f".{int(boundary % 1 * 1e6):06d}Z"
    by_iso = cli.iterator("s", SHARD, "AT_TIMESTAMP", "--timestamp", iso)
    assert datas(cli.json("get-records", "--shard-iterator", by_iso)) == ["after"]
    from_start = cli.iterator("s", SHARD, "AT_TIMESTAMP", "--timestamp", "0")
    assert datas(cli.json("get-records", "--shard-iterator", from_start)) == ["before", "after"]
    # The arrival timestamp printed is the one AT_TIMESTAMP searches by.
    record = cli.json("get-records", "--shard-iterator", by_epoch)["Records"][0]
    at_arrival = cli.iterator("s", SHARD, "AT_TIMESTAMP", "--timestamp", record["ApproximateArrivalTimestamp"])
    assert datas(cli.json("get-records", "--shard-iterator", at_arrival)) == ["after"]


def test_expired_iterator(cli):
    cli.create("s")
    cli.put("s", "k", "x")
    iterator = cli.iterator("s", SHARD, "TRIM_HORIZON")
    time.sleep(0.3)
    result = cli.fails("ExpiredIteratorException", "GetRecords", "get-records", "--shard-iterator", iterator,
                       env={"SHMSTREAM_ITERATOR_TTL_SECONDS": "0.1"})
    assert "Iterator expired. The iterator was created at time " in result.stderr
    assert "while right now it is " in result.stderr
    # Within the default 5 minutes the same token still works.
    assert datas(cli.json("get-records", "--shard-iterator", iterator)) == ["x"]


def test_iterator_of_a_recreated_stream_is_rejected(cli):
    cli.create("s")
    iterator = cli.iterator("s", SHARD, "TRIM_HORIZON")
    cli.ok("delete-stream", "--stream-name", "s")
    cli.fails("ResourceNotFoundException", "GetRecords", "get-records", "--shard-iterator", iterator)
    cli.create("s")
    cli.fails("InvalidArgumentException", "GetRecords", "get-records", "--shard-iterator", iterator)


def test_tampered_iterator_is_rejected(cli):
    cli.create("s")
    iterator = cli.iterator("s", SHARD, "TRIM_HORIZON")
    flipped = iterator[:10] + ("A" if iterator[10] != "A" else "B") + iterator[11:]
    cli.fails("InvalidArgumentException", "GetRecords", "get-records", "--shard-iterator", flipped)
    cli.fails("InvalidArgumentException", "GetRecords", "get-records", "--shard-iterator", iterator[:-4])
