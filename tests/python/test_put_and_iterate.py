"""PutRecord / PutRecords and shard iterators of every type."""

import datetime
import os
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

import shmstream


def test_put_returns_shard_and_sequence(make_stream):
    stream = make_stream(shard_count=4)
    first = stream.put("alpha", b"1")
    second = stream.put("alpha", b"2")
    assert first.shard_id == second.shard_id  # same key, same shard
    assert second.sequence_number > first.sequence_number
    records = list(stream.iterator(first.shard_id))
    assert [(r.partition_key, r.data) for r in records] == [("alpha", b"1"), ("alpha", b"2")]
    assert [r.sequence_number for r in records] == [first.sequence_number, second.sequence_number]


def test_explicit_hash_key_routes(make_stream):
    stream = make_stream(shard_count=2)
    assert stream.put("k", b"x", explicit_hash_key=0).shard_id == "shardId-000000000000"
    assert stream.put("k", b"x", explicit_hash_key=str(2**128 - 1)).shard_id == "shardId-000000000001"
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.put("k", b"x", explicit_hash_key=2**128)


def test_put_many_accepts_tuples_and_dicts(make_stream):
    stream = make_stream(shard_count=2)
    result = stream.put_many([("a", b"1"), ("b", bytearray(b"2"), 0),
                              {"PartitionKey": "c", "Data": b"3"}, {"key": "d", "data": "four"}])
    assert result.failed_record_count == 0 and len(result.records) == 4
    assert result.records[1].shard_id == "shardId-000000000000"
    got = {r.partition_key: r.data for r in stream.records()}
    assert got == {"a": b"1", "b": b"2", "c": b"3", "d": b"four"}


def test_put_many_splits_into_requests_of_500(make_stream):
    stream = make_stream(shard_count=3, segment_size=1 << 20)
    result = stream.put_many((f"k{i}", i.to_bytes(4, "little")) for i in range(1234))
    assert result.failed_record_count == 0 and len(result.records) == 1234
    assert sorted(int.from_bytes(r.data, "little") for r in stream.records()) == list(range(1234))


def test_invalid_records_raise(make_stream):
    stream = make_stream()
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.put("", b"x")
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.put("k" * 257, b"x")
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.put_many([("ok", b"x"), ("", b"y")])
    assert list(stream.records()) == []  # the bad request wrote nothing


def test_every_iterator_type(make_stream):
    stream = make_stream()
    results = [stream.put("k", bytes([i])) for i in range(5)]
    time.sleep(0.002)
    middle_time = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.002)
    late = [stream.put("k", bytes([i])) for i in range(5, 8)]
    seqs = [r.sequence_number for r in results + late]

    def read(**kwargs):
        return [r.sequence_number for r in stream.iterator(0, **kwargs)]

    assert read(iterator_type="TRIM_HORIZON") == seqs
    assert read(iterator_type="LATEST") == []
    assert read(iterator_type="AT_SEQUENCE_NUMBER", sequence_number=seqs[2]) == seqs[2:]
    assert read(iterator_type="AFTER_SEQUENCE_NUMBER", sequence_number=str(seqs[2])) == seqs[3:]
    assert read(iterator_type="AT_TIMESTAMP", timestamp=middle_time) == seqs[5:]
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.iterator(0, iterator_type="AT_SEQUENCE_NUMBER", sequence_number=seqs[2] + 1)
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.iterator(0, iterator_type="AT_SEQUENCE_NUMBER")
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.iterator(0, iterator_type="SOMEWHERE")
    with pytest.raises(shmstream.ResourceNotFoundException):
        stream.iterator("shardId-000000000007")


def test_latest_sees_only_later_records(make_stream):
    stream = make_stream()
    stream.put("k", b"old")
    iterator = stream.iterator(0, "LATEST")
    stream.put("k", b"new")
    assert [r.data for r in iterator] == [b"new"]


def test_get_records_limit_and_seek(make_stream):
    stream = make_stream()
    for i in range(10):
        stream.put("k", bytes([i]))
    iterator = stream.iterator()
    batch = iterator.get_records(limit=4)
    assert [r.data for r in batch.records] == [bytes([i]) for i in range(4)]
    assert batch.millis_behind_latest >= 0 and not batch.shard_ended
    rest = iterator.get_records()
    assert len(rest.records) == 6
    iterator.seek(batch.next_position)
    assert iterator.get_records(limit=1).records[0].data == bytes([4])


def test_zero_copy_data_is_a_read_only_memoryview(make_stream):
    stream = make_stream()
    stream.put("k", b"payload-1")
    batch = stream.iterator(zero_copy=True).get_records()
    view = batch.records[0].data
    assert isinstance(view, memoryview) and view.readonly
    assert bytes(view) == b"payload-1"


def test_records_cross_segments(make_stream):
    stream = make_stream(segment_size=4096)
    payloads = [bytes([i % 256]) * 300 for i in range(100)]
    stream.put_many(("k", p) for p in payloads)
    assert [r.data for r in stream.records()] == payloads


def test_record_fields(make_stream):
    stream = make_stream()
    before = time.time_ns()
    stream.put("clé", "données")
    record = next(iter(stream.records()))
    assert record.partition_key == "clé" and record.data == "données".encode()
    assert record.shard_id == "shardId-000000000000"
    # The ticking clock is at most a tick (0.1 ms) behind while it ticks; 20 ms allows for a loaded machine.
    assert before - 20_000_000 <= record.arrival_ns <= time.time_ns()
    assert abs(record.arrival_time.timestamp() - record.arrival_ns / 1e9) < 1e-5
    assert "clé" in repr(record)


def test_exact_arrival_times(make_stream):
    stream = make_stream()
    producer = stream.producer(exact_arrival_times=True)
    stamps = []
    for i in range(200):
        before = time.time_ns()
        producer.put("k", bytes([i]))
        stamps.append((before, time.time_ns()))
    records = list(stream.records())
    assert len(records) == 200
    for record, (before, after) in zip(records, stamps):
        assert before - 5_000 <= record.arrival_ns <= after + 5_000  # the TSC clock's error: microseconds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.text(min_size=1, max_size=20).filter(lambda k: len(k.encode()) <= 256),
                          st.binary(max_size=300)), min_size=1, max_size=30))
def test_round_trip_any_keys_and_data(make_stream, records):
    stream = make_stream(shard_count=3)
    stream.put_many(records)
    got = sorted((r.partition_key, r.data) for r in stream.records())
    assert got == sorted(records)


def test_one_producer_per_thread(make_stream):
    stream = make_stream(shard_count=2, segment_size=1 << 20)

    def produce(worker):
        for i in range(500):
            stream.put(f"w{worker}", f"{worker}:{i}")

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_worker = {}
    for record in stream.records():
        worker, i = record.data.decode().split(":")
        by_worker.setdefault(worker, []).append(int(i))
    assert {w: v for w, v in by_worker.items()} == {str(w): list(range(500)) for w in range(4)}


def test_exclusive_producer_is_the_only_writer(make_stream):
    stream = make_stream(shard_count=2)
    exclusive = stream.producer(exclusive=True)
    put = exclusive.put("k", b"solo")
    with pytest.raises(shmstream.ResourceInUseException, match="exclusive producer"):
        stream.producer()
    assert [r.data for r in stream.iterator(put.shard_id)] == [b"solo"]
    del exclusive  # released with the native producer
    assert stream.put("k", b"shared").shard_id == put.shard_id
    with pytest.raises(shmstream.ResourceInUseException, match="another producer"):
        stream.producer(exclusive=True)


def test_put_many_names_the_bad_entry(make_stream):
    """A request-level error of put_many says which record it is about, and nothing of that request lands."""
    stream = make_stream()
    for bad, index in (([("k", "a"), ("", "b")], 1),
                       ([("k", "a"), ("k", "b"), ("x" * 300, "c")], 2),
                       ([("k", "a"), ("k2", 5)], 1),
                       ([("k", "a"), ("k", b"x" * (2 << 20))], 1),
                       ([("k", "a"), ("k", "b", "c", "d")], 1)):
        with pytest.raises(shmstream.InvalidArgumentException, match=rf"put_many: record {index}\b"):
            stream.put_many(bad)
    assert list(stream.records()) == []


def _distinct_arrivals_in_subprocess(root, mode):
    """Puts 2000 records back to back in a process with SHMSTREAM_TICKING_CLOCK=mode; returns how many
    distinct arrival times they got, or the process's error output."""
    script = (
        "import sys, shmstream\n"
        "stream = shmstream.Stream.create('ticks', shard_count=1, root=sys.argv[1])\n"
        "producer = stream.producer()\n"
        "for i in range(2000): producer.put('k', b'x')\n"
        "print(len({r.arrival_ns for r in stream.records()}))\n"
    )
    os.makedirs(root, exist_ok=True)
    env = dict(os.environ, SHMSTREAM_TICKING_CLOCK=mode)
    done = subprocess.run([sys.executable, "-c", script, root], env=env, capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else done.stderr


def test_ticking_clock_modes(root):
    # A Python put takes a microsecond or two: 2000 of them span a few ms, so a 0.1 ms tick stamps many
    # records with one time, while the exact clock gives nearly each its own. (auto at this rate: exact.)
    assert int(_distinct_arrivals_in_subprocess(root + "/always", "always")) < 500
    assert int(_distinct_arrivals_in_subprocess(root + "/never", "never")) > 1900
    assert int(_distinct_arrivals_in_subprocess(root + "/auto", "auto")) > 1900
    error = _distinct_arrivals_in_subprocess(root + "/bad", "sometimes")
    assert "InvalidArgumentException" in error and "SHMSTREAM_TICKING_CLOCK='sometimes'" in error
