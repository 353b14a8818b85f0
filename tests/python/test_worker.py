"""shmstream.Worker with Python record processors (docs/PYTHON.md "Applications")."""

import threading
import time

import pytest

import shmstream


class Collector(shmstream.RecordProcessor):
    seen = []
    events = []
    lock = threading.Lock()

    def initialize(self, shard_id, starting_checkpoint):
        with self.lock:
            self.events.append(("initialize", shard_id, starting_checkpoint))

    def process_records(self, records, checkpointer, millis_behind_latest):
        assert millis_behind_latest >= 0
        with self.lock:
            self.seen.extend(record.data for record in records)
        checkpointer.checkpoint()


def running(worker):
    thread = threading.Thread(target=worker.run)
    thread.start()
    return thread


def wait_for(condition, seconds=10):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def fresh_collector():
    Collector.seen = []
    Collector.events = []


def test_every_record_once_then_resume_after_checkpoints(make_stream):
    stream = make_stream(shard_count=2)
    for i in range(100):
        stream.put(f"k{i % 7}", f"r{i}".encode())
    worker = shmstream.Worker(stream, application="app", processor_factory=Collector)
    thread = running(worker)
    wait_for(lambda: len(Collector.seen) == 100)
    assert sorted(worker.held_shards) == ["shardId-000000000000", "shardId-000000000001"]
    worker.shutdown()
    thread.join()
    assert sorted(Collector.seen) == sorted(f"r{i}".encode() for i in range(100))

    stream.put("k", b"later")
    Collector.seen = []
    worker = shmstream.Worker(stream, application="app", processor_factory=Collector)
    thread = running(worker)
    wait_for(lambda: len(Collector.seen) == 1)
    time.sleep(0.05)
    worker.shutdown()
    thread.join()
    assert Collector.seen == [b"later"]
    assert any(event[2] not in ("TRIM_HORIZON",) for event in Collector.events if event[0] == "initialize")


def test_a_raising_processor_restarts_from_the_last_checkpoint(make_stream):
    stream = make_stream(shard_count=1)
    for i in range(10):
        stream.put("k", f"r{i}".encode())
    failures = []

    class Flaky(Collector):
        def process_records(self, records, checkpointer, millis_behind_latest):
            if not failures:
                failures.append(1)
                raise RuntimeError("first batch fails")
            super().process_records(records, checkpointer, millis_behind_latest)

    worker = shmstream.Worker(stream, application="app", processor_factory=Flaky)
    thread = running(worker)
    wait_for(lambda: len(Collector.seen) == 10)
    worker.shutdown()
    thread.join()
    assert Collector.seen == [f"r{i}".encode() for i in range(10)]  # again from the start, once


def test_checkpointer_outside_its_call_and_bad_arguments(make_stream):
    stream = make_stream()
    stream.put("k", b"x")
    kept = []

    class Keeper(Collector):
        def process_records(self, records, checkpointer, millis_behind_latest):
            kept.append(checkpointer)
            with pytest.raises(shmstream.InvalidArgumentException):
                checkpointer.checkpoint(records[-1].sequence_number + (1 << 40))
            super().process_records(records, checkpointer, millis_behind_latest)

    worker = shmstream.Worker(stream, application="app", processor_factory=Keeper)
    thread = running(worker)
    wait_for(lambda: len(Collector.seen) == 1)
    worker.shutdown()
    thread.join()
    with pytest.raises(shmstream.InvalidStateException):
        kept[0].checkpoint()
    with pytest.raises(shmstream.InvalidArgumentException):
        shmstream.Worker(stream, application="app", processor_factory=Collector, initial_position="SOMEWHERE")
    with pytest.raises(ValueError):
        shmstream.Worker(stream, application="app", processor_factory=Collector, initial_position="AT_TIMESTAMP")


def test_run_releases_the_gil_while_waiting(make_stream):
    stream = make_stream()
    worker = shmstream.Worker(stream, application="app", processor_factory=Collector)
    thread = running(worker)
    wait_for(lambda: worker.held_shards == ["shardId-000000000000"])
    # A pure-Python loop on this thread gets the interpreter to itself while the worker waits for records.
    deadline = time.perf_counter() + 0.2
    spins = 0
    while time.perf_counter() < deadline:
        spins += 1
    worker.shutdown()
    thread.join()
    assert spins > 100_000
    assert worker.worker_id


def test_keyboard_interrupt_shuts_the_worker_down_gracefully(make_stream):
    import _thread
    stream = make_stream(shard_count=2)
    stream.put("k", b"x")
    worker = shmstream.Worker(stream, application="app", processor_factory=Collector)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        worker.run()
    assert worker.held_shards == []  # released on the way out
    assert Collector.seen == [b"x"]
    # The next worker finds the checkpoint written at shutdown: nothing again.
    Collector.seen = []
    worker = shmstream.Worker(stream, application="app", processor_factory=Collector)
    thread = running(worker)
    wait_for(lambda: len(worker.held_shards) == 2)
    time.sleep(0.05)
    worker.shutdown()
    thread.join()
    assert Collector.seen == []


def test_a_failing_run_raises_in_the_callers_thread(make_stream, root):
    import shutil
    stream = make_stream()
    worker = shmstream.Worker(stream, application="app", processor_factory=Collector)

    def delete_soon():
        time.sleep(0.1)
        shutil.rmtree(f"{root}/{stream.name}/apps")

    deleter = threading.Thread(target=delete_soon)
    deleter.start()
    with pytest.raises(shmstream.InvalidStateException, match="deleted"):
        worker.run()
    deleter.join()
