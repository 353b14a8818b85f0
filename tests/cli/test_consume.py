"""consume -- CMD: a record processor in Python speaking the KCL MultiLangDaemon protocol over stdin/stdout
(tests/cli/multilang/journal_processor.py, no shmstream import) consumes a stream end to end, across a
split, and a second run resumes from its checkpoints (docs/CLI.md "Applications")."""
import os
import signal
import subprocess
import sys
import time

PROCESSOR = os.path.join(os.path.dirname(__file__), "multilang", "journal_processor.py")


def start_consume(cli, journal, *extra):
    env = dict(cli.env, JOURNAL=journal)
    return subprocess.Popen([os.environ["SHMSTREAM_CLI"], "--root", cli.root, "consume", "--stream-name", "s",
                             "--application-name", "app", *extra, "--", sys.executable, PROCESSOR],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def records(journal):
    if not os.path.exists(journal):
        return []
    with open(journal) as f:
        return [line.split() for line in f if line.startswith("record ")]


def wait_for(condition, seconds=20):
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def stop(process):
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return err


def test_a_multilang_processor_consumes_end_to_end_and_resumes(cli, tmp_path):
    cli.create("s", 2)
    for i in range(40):
        cli.put("s", f"k{i % 5}", f"first-{i}")
    journal = str(tmp_path / "journal")
    consume = start_consume(cli, journal)
    wait_for(lambda: len(records(journal)) == 40)
    # Per key in order, across the split that comes now.
    cli.ok("split-shard", "--stream-name", "s", "--shard-to-split", "shardId-000000000000",
           "--new-starting-hash-key", str(2 ** 126))
    for i in range(40):
        cli.put("s", f"k{i % 5}", f"second-{i}")
    wait_for(lambda: len(records(journal)) == 80)
    stop(consume)
    with open(journal) as f:
        lines = f.read().splitlines()
    assert "shardEnded shardId-000000000000 None" in lines
    assert sum(1 for line in lines if line.startswith("shutdownRequested") and line.endswith("None")) == 3
    data = [r[4] for r in records(journal)]
    assert sorted(data) == sorted([f"first-{i}" for i in range(40)] + [f"second-{i}" for i in range(40)])
    for key in range(5):
        mine = [int(d.split("-")[1]) + (100 if d.startswith("second") else 0)
                for r, d in zip(records(journal), data) if r[3] == f"k{key}"]
        assert mine == sorted(mine), key
    leases = cli.json("describe-application", "--stream-name", "s", "--application-name", "app")["Leases"]
    assert {lease["leaseKey"]: lease["checkpoint"] == "SHARD_END" for lease in leases}["shardId-000000000000"]

    # A second run starts after the checkpoints: only the new records.
    cli.put("s", "k1", "third")
    consume = start_consume(cli, journal)
    wait_for(lambda: len(records(journal)) == 81)
    time.sleep(0.2)
    stop(consume)
    assert len(records(journal)) == 81 and records(journal)[-1][4] == "third"


def test_consume_refuses_bad_arguments(cli):
    cli.create("s", 1)
    cli.fails("InvalidArgumentException", "Consume", "consume", "--stream-name", "s", "--application-name", "app",
              "--initial-position", "SOMEWHERE", "--", "true")
    cli.fails("ResourceNotFoundException", "Consume", "consume", "--stream-name", "nope", "--application-name", "app",
              "--", "true")
    cli.usage_error("consume", "--stream-name", "s", "--application-name", "app")


def test_a_processor_that_dies_is_restarted_from_the_last_checkpoint(cli, tmp_path):
    cli.create("s", 1)
    for i in range(10):
        cli.put("s", "k", f"r{i}")
    journal = str(tmp_path / "journal")
    env = dict(cli.env, JOURNAL=journal, CRASH_MARKER=str(tmp_path / "crashed"))
    crashing = os.path.join(os.path.dirname(__file__), "multilang", "crash_once_processor.py")
    consume = subprocess.Popen([os.environ["SHMSTREAM_CLI"], "--root", cli.root, "consume", "--stream-name", "s",
                                "--application-name", "app", "--", sys.executable, crashing],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(records(journal)) == 10)
    err = stop(consume)
    assert "exited before answering processRecords" in err
    assert [r[4] for r in records(journal)] == [f"r{i}" for i in range(10)]  # once each, in order


def test_an_interrupt_at_the_terminal_reaches_consume_only(cli, tmp_path):
    """Ctrl-C signals the terminal's whole process group: the processors are in groups of their own, so they
    are shut down by consume (shutdownRequested, checkpoint), not killed by the interrupt."""
    cli.create("s", 1)
    cli.put("s", "k", "one")
    journal = str(tmp_path / "journal")
    env = dict(cli.env, JOURNAL=journal)
    consume = subprocess.Popen([os.environ["SHMSTREAM_CLI"], "--root", cli.root, "consume", "--stream-name", "s",
                                "--application-name", "app", "--", sys.executable, PROCESSOR],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    wait_for(lambda: len(records(journal)) == 1)
    os.killpg(consume.pid, signal.SIGINT)
    _, err = consume.communicate(timeout=30)
    assert consume.returncode == 0, err  # a graceful shutdown is consume's way to end
    assert "failed" not in err, err
    with open(journal) as f:
        assert "shutdownRequested shardId-000000000000 None" in f.read().splitlines()
