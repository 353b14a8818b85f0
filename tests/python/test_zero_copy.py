"""Record.data is bytes; zero_copy=True gives ZeroCopyRecords whose data is a memoryview of the mapping,
valid until the next get_records or seek on the iterator: released then (using it raises), refused while
a buffer made from it lives (BufferError, nothing read), and the reader lives as long as any view."""

import gc
import weakref

import pytest

import shmstream


def test_record_data_is_bytes_unless_zero_copy(make_stream):
    stream = make_stream()
    stream.put("k", b"payload")
    copied = stream.iterator().get_records().records[0]
    assert type(copied) is shmstream.Record and type(copied.data) is bytes
    lent = stream.iterator(zero_copy=True).get_records().records[0]
    assert type(lent) is shmstream.ZeroCopyRecord and isinstance(lent.data, memoryview)
    assert lent.data.readonly and bytes(lent.data) == b"payload"
    assert [type(r) for r in stream.records(zero_copy=True)] == [shmstream.ZeroCopyRecord]


def test_views_are_released_by_the_next_get_records_and_seek(make_stream):
    stream = make_stream()
    stream.put_many(("k", bytes([i]) * 100) for i in range(4))
    iterator = stream.iterator(zero_copy=True)
    first = iterator.get_records(limit=2)
    kept = first.records[0].data
    assert bytes(kept) == bytes([0]) * 100
    second = iterator.get_records(limit=1)
    with pytest.raises(ValueError, match="released"):
        bytes(kept)
    with pytest.raises(ValueError):
        len(first.records[1].data)
    assert bytes(second.records[0].data) == bytes([2]) * 100
    position = iterator.position
    iterator.seek(position)
    with pytest.raises(ValueError, match="released"):
        second.records[0].data[0]


def test_a_live_derived_buffer_stops_the_next_read(make_stream):
    stream = make_stream()
    stream.put_many(("k", f"record-{i}") for i in range(3))
    iterator = stream.iterator(zero_copy=True)
    batch = iterator.get_records(limit=1)
    tail_of_data = batch.records[0].data[7:]  # a slice shares the export
    with pytest.raises(BufferError, match="still in use"):
        iterator.get_records()
    assert bytes(tail_of_data) == b"0"  # still valid: the batch stayed pinned
    with pytest.raises(BufferError):
        iterator.seek(iterator.position)
    del tail_of_data
    # Nothing was read meanwhile: the next records are the ones after the first batch.
    assert [bytes(r.data) for r in iterator.get_records().records] == [b"record-1", b"record-2"]


def test_numpy_arrays_made_from_views_count_too(make_stream):
    numpy = pytest.importorskip("numpy")
    stream = make_stream()
    stream.put_many(("k", numpy.arange(4, dtype=numpy.int32).tobytes()) for _ in range(2))
    iterator = stream.iterator(zero_copy=True)
    array = numpy.frombuffer(iterator.get_records(limit=1).records[0].data, dtype=numpy.int32)
    with pytest.raises(BufferError):
        iterator.get_records()
    assert array.tolist() == [0, 1, 2, 3]
    del array
    assert len(iterator.get_records().records) == 1


def test_views_keep_their_reader_alive(make_stream):
    stream = make_stream()
    stream.put("k", b"kept")
    iterator = stream.iterator(zero_copy=True)
    native = weakref.ref(iterator._reader)
    view = iterator.get_records().records[0].data
    del iterator
    gc.collect()
    assert native() is not None and bytes(view) == b"kept"
    del view
    gc.collect()
    assert native() is None  # and nothing holds it once the views are gone


def test_tail_with_zero_copy_releases_each_batch(make_stream):
    stream = make_stream(shard_count=2)
    stream.put_many((f"k{i}", f"v{i}") for i in range(50))
    seen, views = [], []
    for record in stream.tail(timeout=0.2, iterator_type="TRIM_HORIZON", zero_copy=True):
        seen.append(bytes(record.data))
        views.append(record.data)
    assert sorted(seen) == sorted(f"v{i}".encode() for i in range(50))
    with pytest.raises(ValueError):
        bytes(views[0])


def test_a_tail_stopped_by_a_live_buffer_resumes_from_its_positions(make_stream):
    stream = make_stream(shard_count=1)
    stream.put_many(("k", f"v{i}") for i in range(3))
    tail = stream.tail(timeout=0.2, iterator_type="TRIM_HORIZON", zero_copy=True)
    kept = []
    with pytest.raises(BufferError):
        for record in tail:
            kept.append(record.data[:])  # a slice: keeps the batch exported
            stream.put("k", "later")
    assert [bytes(view) for view in kept] == [b"v0", b"v1", b"v2"]
    saved = tail.positions
    del kept
    assert [bytes(r.data) for r in stream.tail(timeout=0.2, positions=saved)] == [b"later"] * 3
