"""Resuming a tail: Tail.positions saved after handling a record and given to stream.tail(positions=...)
continue with exactly the records after it, with no gap and no duplicate, across a reshard too."""

import json

import pytest

import shmstream


def take(tail, count):
    """Handles `count` records, saving positions after each as an application would; returns both."""
    got, saved = [], None
    for record in tail:
        got.append(record.data.decode())
        saved = json.loads(json.dumps(tail.positions))  # what survives a restart
        if len(got) == count:
            break
    return got, saved


def test_resume_continues_after_the_last_handled_record(make_stream):
    stream = make_stream(shard_count=3)
    stream.put_many((f"k{i}", f"v{i}") for i in range(60))
    first, saved = take(stream.tail(timeout=0.2, iterator_type="TRIM_HORIZON"), 25)  # stops mid-batch
    assert set(saved) == {"shardId-000000000000", "shardId-000000000001", "shardId-000000000002"}
    stream.put_many((f"k{i}", f"v{i}") for i in range(60, 90))
    rest = [r.data.decode() for r in stream.tail(timeout=0.2, positions=saved)]
    assert sorted(first + rest) == sorted(f"v{i}" for i in range(90))
    assert len(first) + len(rest) == 90


def test_positions_taken_before_any_record_miss_nothing(make_stream):
    stream = make_stream(shard_count=2)
    stream.put("old", b"old")
    tail = stream.tail(timeout=0.1)  # LATEST
    saved = tail.positions
    assert list(tail) == []
    stream.put_many((f"k{i}", f"v{i}") for i in range(10))
    assert sorted(r.data for r in stream.tail(timeout=0.2, positions=saved)) == sorted(f"v{i}".encode()
                                                                                          for i in range(10))


def test_resume_across_a_split_made_after_the_save(make_stream):
    stream = make_stream(shard_count=1)
    stream.put_many(("k%d" % (i % 7), f"a{i}") for i in range(20))
    first, saved = take(stream.tail(timeout=0.2, iterator_type="TRIM_HORIZON"), 8)
    stream.put_many(("k%d" % (i % 7), f"b{i}") for i in range(10))  # still the parent
    stream.split_shard(0, 2**127)
    stream.put_many(("k%d" % (i % 7), f"c{i}") for i in range(30))  # the children
    resumed = list(stream.tail(timeout=0.3, positions=saved))
    rest = [r.data.decode() for r in resumed]
    expected = [f"a{i}" for i in range(20)] + [f"b{i}" for i in range(10)] + [f"c{i}" for i in range(30)]
    assert sorted(first + rest) == sorted(expected) and len(first + rest) == len(expected)
    # Per key, in put order: the parent's rest before the children.
    order = {value: n for n, value in enumerate(expected)}
    for key in {r.partition_key for r in resumed}:
        values = [order[r.data.decode()] for r in resumed if r.partition_key == key]
        assert values == sorted(values)


def test_resume_after_the_children_started(make_stream):
    stream = make_stream(shard_count=1)
    stream.put_many((f"k{i}", f"a{i}") for i in range(5))
    stream.split_shard(0, 2**127)
    stream.put_many((f"k{i}", f"c{i}") for i in range(40))
    first, saved = take(stream.tail(timeout=0.2, iterator_type="TRIM_HORIZON"), 20)
    assert set(saved) == {"shardId-000000000000", "shardId-000000000001", "shardId-000000000002"}
    rest = [r.data.decode() for r in stream.tail(timeout=0.2, positions=saved)]
    assert sorted(first + rest) == sorted([f"a{i}" for i in range(5)] + [f"c{i}" for i in range(40)])
    assert len(first + rest) == 45
    # A saved map that no longer lists the finished parent (pruned, or expired since): its children go on.
    children_only = {k: v for k, v in saved.items() if k != "shardId-000000000000"}
    assert sorted(r.data.decode() for r in stream.tail(timeout=0.2, positions=children_only)) == sorted(rest)


def test_latest_tail_reads_the_children_of_an_earlier_reshard(make_stream):
    stream = make_stream(shard_count=1)
    stream.split_shard(0, 2**127)
    tail = stream.tail(timeout=0.2)
    assert set(tail.positions) == {"shardId-000000000001", "shardId-000000000002"}
    stream.put_many((f"k{i}", f"v{i}") for i in range(20))
    assert sorted(r.data for r in tail) == sorted(f"v{i}".encode() for i in range(20))


def test_bad_saved_positions(make_stream):
    stream = make_stream(shard_count=1, segment_size=4096, retention_bytes=8192)
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.tail(positions=[("shardId-000000000000", 64)])
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.tail(positions={"shardId-000000000000": 65})  # not a frame boundary
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.tail(positions={"no-such-shard": 64})
    with pytest.raises(shmstream.ResourceNotFoundException, match="shardId-000000000007"):
        stream.tail(positions={"shardId-000000000007": 64})
    start = stream.tail(iterator_type="TRIM_HORIZON").positions
    stream.put_many(("k", b"x" * 1000) for _ in range(40))  # the byte cap trims the first segments
    with pytest.raises(shmstream.ExpiredIteratorException):
        list(stream.tail(timeout=0.1, positions=start))
    skipped = list(stream.tail(timeout=0.1, positions=start, skip_expired=True))
    assert 0 < len(skipped) < 40


def test_resume_across_a_merge_made_after_the_save(make_stream):
    stream = make_stream(shard_count=2)
    stream.put_many((f"k{i}", f"a{i}") for i in range(40))
    first, saved = take(stream.tail(timeout=0.2, iterator_type="TRIM_HORIZON"), 15)
    stream.put_many((f"k{i}", f"b{i}") for i in range(10))  # the parents
    stream.merge_shards(0, 1)
    stream.put_many((f"k{i}", f"c{i}") for i in range(10))  # the child, after both parents end
    resumed = [r.data.decode() for r in stream.tail(timeout=0.3, positions=saved)]
    expected = [f"a{i}" for i in range(40)] + [f"b{i}" for i in range(10)] + [f"c{i}" for i in range(10)]
    assert sorted(first + resumed) == sorted(expected) and len(first + resumed) == len(expected)
    assert all(value.startswith("c") for value in resumed[-10:])
