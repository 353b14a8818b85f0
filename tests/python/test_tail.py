"""Blocking tail: waits release the GIL, records arrive in order, timeouts end the generator."""

import threading
import time

import shmstream


def test_tail_gets_records_put_later(make_stream):
    stream = make_stream(shard_count=3)

    def produce():
        time.sleep(0.1)
        for i in range(300):
            stream.put(f"k{i % 7}", str(i))

    producer = threading.Thread(target=produce)
    producer.start()
    got = []
    for record in stream.tail(timeout=2.0):
        got.append(record)
        if len(got) == 300:
            break
    producer.join()
    assert sorted(int(r.data) for r in got) == list(range(300))
    per_key = {}
    for record in got:
        per_key.setdefault(record.partition_key, []).append(int(record.data))
    assert all(values == sorted(values) for values in per_key.values())


def test_tail_times_out_when_idle(make_stream):
    stream = make_stream(shard_count=2)
    started = time.monotonic()
    assert list(stream.tail(timeout=0.3)) == []
    assert 0.25 <= time.monotonic() - started < 2.0


def test_wait_releases_the_gil(make_stream):
    stream = make_stream()
    iterator = stream.iterator(0, "LATEST")
    ticks = []
    stop = threading.Event()

    def count():  # runs Python bytecode only while the waiting thread does not hold the GIL
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    wait_started = time.monotonic()
    assert iterator.wait(timeout=0.5) is False
    wait_ended = time.monotonic()
    stop.set()
    counter.join()
    # Had the wait kept the GIL, the counter could not have run inside it at all.
    during = [t for t in ticks if wait_started + 0.05 < t < wait_ended - 0.05]
    assert len(during) >= 3


def test_single_shard_wait_wakes_on_put(make_stream):
    stream = make_stream()
    iterator = stream.iterator(0, "LATEST")
    threading.Timer(0.1, lambda: stream.put("k", b"wake")).start()
    started = time.monotonic()
    assert iterator.wait(timeout=5)
    assert time.monotonic() - started < 2
    assert [r.data for r in iterator.tail(timeout=0.1)] == [b"wake"]


def test_iterator_in_use_by_two_threads_is_refused(make_stream):
    stream = make_stream()
    iterator = stream.iterator(0, "LATEST")
    waiter = threading.Thread(target=iterator.wait, kwargs={"timeout": 0.5})
    waiter.start()
    time.sleep(0.1)
    try:
        iterator.get_records()
    except shmstream.ResourceInUseException:
        pass
    else:
        raise AssertionError("a second thread read a busy iterator")
    finally:
        waiter.join()
