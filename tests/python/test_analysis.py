"""to_pandas and to_numpy exports."""

import time

import pytest

import shmstream

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

TICK = np.dtype([("price", "<f8"), ("size", "<i4"), ("side", "u1"), ("flags", "u1", (3,))])


def put_ticks(stream, count, symbols=("AAPL", "MSFT", "GOOG")):
    ticks = np.zeros(count, TICK)
    ticks["price"] = np.arange(count) * 0.5
    ticks["size"] = np.arange(count)
    ticks["side"] = np.arange(count) % 2
    stream.put_many((symbols[i % len(symbols)], ticks[i].tobytes()) for i in range(count))
    return ticks


def test_to_pandas_columns_and_types(make_stream):
    stream = make_stream(shard_count=3)
    stream.put_many((f"key{i}", f"value{i}") for i in range(50))
    frame = stream.to_pandas()
    assert list(frame.columns) == ["shard_id", "sequence_number", "arrival_time", "partition_key", "data"]
    assert len(frame) == 50
    assert frame["sequence_number"].dtype == np.uint64
    assert frame["arrival_time"].dtype == pd.DatetimeTZDtype("ns", "UTC")  # aware, like Record.arrival_time
    first = next(iter(stream.records()))
    assert frame["arrival_time"].iloc[0].value == first.arrival_ns  # the same instant, to the ns
    assert frame["arrival_time"].iloc[0].tzinfo is not None and first.arrival_time.utcoffset().total_seconds() == 0
    assert set(frame["shard_id"].astype(str)) <= {"shardId-000000000000", "shardId-000000000001",
                                                   "shardId-000000000002"}
    rows = {row.partition_key: row.data for row in frame.itertuples()}
    assert rows == {f"key{i}": f"value{i}".encode() for i in range(50)}
    # Same content as the record iterator, in the same (parent-before-child, then shard) order.
    assert list(frame["sequence_number"]) == [r.sequence_number for r in stream.records()]
    now = pd.Timestamp.now(tz="UTC")
    assert ((now - frame["arrival_time"]) < pd.Timedelta(minutes=1)).all()


def test_to_pandas_ranges(make_stream):
    stream = make_stream()
    first = [stream.put("k", str(i)) for i in range(10)]
    time.sleep(0.002)
    middle = time.time_ns()
    time.sleep(0.002)
    later = [stream.put("k", str(i)) for i in range(10, 15)]
    seqs = [r.sequence_number for r in first + later]
    by_sequence = stream.to_pandas(start_sequence_number=seqs[3], end_sequence_number=seqs[6])
    assert list(by_sequence["sequence_number"]) == seqs[3:7]
    by_time = stream.to_pandas(start_time=middle)
    assert list(by_time["data"]) == [str(i).encode() for i in range(10, 15)]
    until = stream.to_pandas(end_time=pd.Timestamp(middle))
    assert len(until) == 10
    iso = pd.Timestamp(middle, tz="UTC").isoformat()
    assert len(stream.to_pandas(start_time=iso)) == 5 and len(stream.to_pandas(end_time=iso)) == 10
    assert len(stream.to_pandas(max_records=4)) == 4


def test_sequence_ranges_need_one_shard(make_stream):
    stream = make_stream(shard_count=2)
    result = stream.put("k", b"x")
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.to_pandas(start_sequence_number=result.sequence_number)
    frame = stream.to_pandas(shard=result.shard_id, start_sequence_number=result.sequence_number)
    assert list(frame["data"]) == [b"x"]


def test_empty_stream_gives_empty_frames(make_stream):
    stream = make_stream(shard_count=2)
    assert len(stream.to_pandas()) == 0
    assert stream.to_numpy(TICK).shape == (0,)


def test_to_numpy_views_fixed_layout_payloads(make_stream):
    stream = make_stream(shard_count=1, segment_size=1 << 20)
    ticks = put_ticks(stream, 1000)
    array = stream.to_numpy(TICK)
    assert array.dtype == TICK and np.array_equal(array, ticks)
    assert array.flags.owndata is False and array.base is not None  # owned by the native buffer


def test_to_numpy_metadata_fields(make_stream):
    stream = make_stream(shard_count=2, segment_size=1 << 20)
    put_ticks(stream, 200)
    array = stream.to_numpy(TICK, metadata=True)
    frame = stream.to_pandas()
    assert list(array.dtype.names[:3]) == ["sequence_number", "arrival_time", "shard_index"]
    assert np.array_equal(array["sequence_number"], frame["sequence_number"].to_numpy())
    assert np.array_equal(array["arrival_time"], frame["arrival_time"].dt.tz_localize(None).to_numpy())
    assert sorted(array["size"]) == list(range(200))


def test_to_numpy_plain_dtype_and_size_mismatch(make_stream):
    stream = make_stream()
    stream.put_many(("k", np.float64(i).tobytes()) for i in range(10))
    assert list(stream.to_numpy("<f8")) == list(range(10))
    stream.put("k", b"odd")
    with pytest.raises(shmstream.InvalidArgumentException, match="bytes of data"):
        stream.to_numpy("<f8")
    assert len(stream.to_numpy("<f8", strict=False)) == 10
    with pytest.raises(shmstream.InvalidArgumentException):
        stream.to_numpy(object)
