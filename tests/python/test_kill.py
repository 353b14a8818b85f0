"""Producers killed mid-write through the Python API (put_many batches with 1 MiB records, so a kill often
lands inside a copy), and the janitor itself killed mid-pass: every record a put_many acknowledged is read
back exactly once and intact, and nothing that is read is torn. Seeded, so a failure replays."""

import hashlib
import os
import random
import signal
import subprocess
import sys
import time

import pytest

import shmstream

from test_multiprocess_cli import CLI

pytestmark = pytest.mark.skipif(CLI is None, reason="the shmstream CLI binary (the janitor) is not built")

# Puts batches of four records (one of ~1 MiB) forever; prints "sequence tag" for every acknowledged one.
PRODUCER = """
import hashlib, sys
import shmstream
root, worker = sys.argv[1], sys.argv[2]
producer = shmstream.Stream.open("s", root=root).producer()
blob = hashlib.sha256(worker.encode()).digest() * (1 << 15)  # 1 MiB, made once: the loop is the puts
for batch in range(10 ** 9):
    entries = []
    for i in range(4):
        tag = f"{worker}.{batch}.{i}".encode()
        size = (1 << 20) - 64 if i < 3 else 100
        entries.append((b"k" + tag, (tag + b":" + blob)[:size]))
    result = producer.put_many(entries)
    lines = [f"{r.sequence_number} {e[0][1:].decode()}" for e, r in zip(entries, result.records)
             if isinstance(r, shmstream.PutResult)]
    print("\\n".join(lines), flush=True)
"""


def expected_data(tag: bytes) -> bytes:
    worker, _, i = tag.split(b".")
    size = (1 << 20) - 64 if int(i) < 3 else 100
    return (tag + b":" + hashlib.sha256(worker).digest() * (1 << 15))[:size]


def acknowledged_tags(directory) -> dict:
    """tag -> sequence number of every record the producers' logs acknowledge."""
    acknowledged = {}
    for path in directory.glob("acks-*.txt"):
        for line in path.read_text().splitlines():
            parts = line.split(" ")
            if len(parts) == 2 and parts[1].count(".") == 2:  # a line cut by the kill is not an ack
                acknowledged[parts[1].encode()] = int(parts[0])
    return acknowledged


def test_kills_through_the_python_api_lose_no_acknowledged_record(tmp_path):
    root = "/dev/shm/" + tmp_path.name + "-kill"
    rng = random.Random(20261128)
    stream = shmstream.Stream.create("s", shard_count=2, segment_size=8 << 20, retention_bytes=1 << 30, root=root)
    try:
        subprocess.run([CLI, "--root", root, "update-retention", "--stream-name", "s", "--unblock-timeout", "300ms"],
                       check=True, capture_output=True)
        env = dict(os.environ)
        logs = []

        def start_producer(worker):
            log = open(tmp_path / f"acks-{worker}.txt", "w")
            logs.append(log)
            return subprocess.Popen([sys.executable, "-c", PRODUCER, root, worker], stdout=log, env=env)

        def start_janitor():
            return subprocess.Popen([CLI, "--root", root, "janitor", "--interval", "20ms"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        producers = {name: start_producer(f"{name}0") for name in ("a", "b")}
        generation = {"a": 0, "b": 0}
        janitor = start_janitor()
        for _ in range(8):
            time.sleep(rng.uniform(0.05, 0.3))
            name = rng.choice(["a", "b"])
            producers[name].send_signal(signal.SIGKILL)
            producers[name].wait()
            generation[name] += 1
            producers[name] = start_producer(f"{name}{generation[name]}")
            if rng.random() < 0.4:
                janitor.send_signal(signal.SIGKILL)
                janitor.wait()
                janitor = start_janitor()
        # On a loaded machine the interpreters may not have put much yet: let the last ones run until enough
        # records are acknowledged for the check below to mean something.
        deadline = time.monotonic() + 60
        time.sleep(0.2)
        while len(acknowledged_tags(tmp_path)) <= 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        for process in producers.values():
            process.send_signal(signal.SIGKILL)
            process.wait()
        time.sleep(0.5)  # past the unblock timeout: the janitor pads the killed producers' frames
        janitor.send_signal(signal.SIGTERM)
        janitor.wait()
        subprocess.run([CLI, "--root", root, "janitor", "--once"], check=True, capture_output=True)
        for log in logs:
            log.close()

        acknowledged = acknowledged_tags(tmp_path)
        assert len(acknowledged) > 20, "too few acknowledged records to prove anything"

        seen = {}
        for record in shmstream.Stream.open("s", root=root).records():
            tag = bytes(record.data).split(b":", 1)[0]
            assert bytes(record.data) == expected_data(tag), f"record {tag!r} is torn"
            assert tag not in seen, f"record {tag!r} read twice"
            seen[tag] = record.sequence_number
        missing = [tag for tag in acknowledged if tag not in seen]
        assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:3]}"
    finally:
        shmstream.Stream.delete("s", root=root)
        import shutil
        shutil.rmtree(root, ignore_errors=True)
