"""Consumer applications (docs/APPLICATIONS.md): Worker and RecordProcessor, as the KCL 2.x.

    class Printer(shmstream.RecordProcessor):
        def process_records(self, records, checkpointer, millis_behind_latest):
            for record in records:
                print(record.partition_key, record.data)
            checkpointer.checkpoint()

    worker = shmstream.Worker(stream, application="printer", processor_factory=Printer)
    worker.run()          # until worker.shutdown() from another thread or a signal handler
"""

import datetime
import threading

from ._native_import import native


class RecordProcessor:
    """One shard's processor. Methods are called from the shard's thread, one at a time. An exception
    restarts the shard with a new processor from its last checkpoint."""

    def initialize(self, shard_id, starting_checkpoint):
        """`starting_checkpoint`: a sequence number (str) or TRIM_HORIZON / LATEST / AT_TIMESTAMP."""

    def process_records(self, records, checkpointer, millis_behind_latest):
        """`records`: list of shmstream.Record. `checkpointer.checkpoint()` marks them all processed;
        `checkpointer.checkpoint(sequence_number)` up to one of them."""
        raise NotImplementedError

    def lease_lost(self):
        """Another worker holds the shard now; do not checkpoint (it raises ShutdownException)."""

    def shard_ended(self, checkpointer):
        """The shard is closed and read to its end: must checkpoint (SHARD_END) so its children start."""
        checkpointer.checkpoint()

    def shutdown_requested(self, checkpointer):
        """The worker shuts down gracefully: checkpoint what was processed."""
        checkpointer.checkpoint()


def _timestamp_ns(value):
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("initial_timestamp needs a timezone-aware datetime")
        return int(value.timestamp() * 1_000_000) * 1000
    return int(float(value) * 1_000_000_000)


class Worker:
    """A member of the consumer application `application` on `stream` (docs/APPLICATIONS.md)."""

    def __init__(self, stream, application, processor_factory, initial_position="TRIM_HORIZON",
                 initial_timestamp=None, worker_id="", failover_time=2.0, lease_pass_interval=0.01,
                 max_records=10000):
        if initial_position == "AT_TIMESTAMP" and initial_timestamp is None:
            raise ValueError("initial_position AT_TIMESTAMP needs initial_timestamp")
        self._native = native.NativeWorker(
            stream._native, application, processor_factory, initial_position, _timestamp_ns(initial_timestamp),
            worker_id or "", float(failover_time), float(lease_pass_interval), int(max_records))

    def run(self):
        """Processes until shutdown() (the GIL is released while it waits). Ctrl-C (KeyboardInterrupt) on the
        thread calling run() shuts the worker down gracefully first, then propagates."""
        failures = []
        finished = threading.Event()

        def run_native():
            try:
                self._native.run()
            except BaseException as error:  # handed to the caller's thread below
                failures.append(error)
            finally:
                finished.set()

        # The native run() blocks in C++, where Python cannot deliver a signal: it runs on a helper thread
        # while this one waits in short steps, so KeyboardInterrupt arrives here. (An Event, not join():
        # a join interrupted by KeyboardInterrupt may no longer wait for the thread.)
        threading.Thread(target=run_native, name="shmstream-worker", daemon=True).start()
        try:
            while not finished.wait(0.05):
                pass
        except KeyboardInterrupt:
            self.shutdown()
            finished.wait()
            raise
        if failures:
            raise failures[0]

    def shutdown(self):
        """Graceful: every processor gets shutdown_requested, then the leases are released."""
        self._native.shutdown()

    @property
    def worker_id(self):
        """This worker's id, as leaseOwner shows it in describe-application."""
        return self._native.worker_id

    @property
    def held_shards(self):
        """Shard ids of the leases held now."""
        return [native.shard_id_text(index) for index in self._native.held_shards]


ShutdownException = native.ShutdownException
InvalidStateException = native.InvalidStateException
