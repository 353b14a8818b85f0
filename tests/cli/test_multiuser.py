"""A group-shared stream (--mode 0660) used by two Unix users and refused to a third, through the CLI.

The test makes its own users and group (it needs root, as CI has) and removes them afterwards. The owner's
primary group is the shared group; the member has a primary group of its own and the shared one as a
supplementary group, so any file the member makes with its primary group would lock the owner out.
"""
import grp
import os
import pwd
import shutil
import signal
import stat
import subprocess

import pytest

from conftest import CLI, EXIT_SERVICE
from unix_users import RUNUSER, cli_as, made_users, needs_root, shared_place

GROUP = "shmst-share"
OWNER, MEMBER, OUTSIDER = "shmst-owner", "shmst-member", "shmst-outsider"

pytestmark = needs_root


@pytest.fixture(scope="module")
def users():
    with made_users(GROUP, OWNER, MEMBER, OUTSIDER, owner_primary_group_is_shared=True):
        yield


@pytest.fixture
def shared(users):
    with shared_place("shmstream-multiuser-") as (_, binary, root):
        yield binary, root


def ok(user, binary, root, *args):
    result = cli_as(user, binary, root, *args)
    assert result.returncode == 0, f"{user} {args}: {result.stderr}"
    return result


def records(user, binary, root):
    import json
    iterator = json.loads(ok(user, binary, root, "get-shard-iterator", "--stream-name", "s", "--shard-id",
                             "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
    out = []
    while True:
        page = json.loads(ok(user, binary, root, "get-records", "--shard-iterator", iterator,
                             "--limit", 10000).stdout)
        out += page["Records"]
        if not page["Records"]:
            return out
        iterator = page["NextShardIterator"]


def test_owner_and_member_share_a_0660_stream_and_an_outsider_is_refused(shared):
    binary, root = shared
    ok(OWNER, binary, root, "create-stream", "--stream-name", "s", "--shard-count", 1, "--segment-size", "4KiB",
       "--mode", "0660")
    # The member writes enough to roll segments: every file it makes must carry the stream's group and mode.
    for i in range(100):
        ok(MEMBER, binary, root, "put-record", "--stream-name", "s", "--partition-key", f"k{i}",
           "--cli-binary-format", "raw-in-base64-out", "--data", f"member record {i:03} " + "x" * 80)
    ok(OWNER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "o",
       "--cli-binary-format", "raw-in-base64-out", "--data", "owner record")
    shard = os.path.join(root, "s", "shards", "0")
    segments = [name for name in os.listdir(shard) if name.endswith(".seg")]
    assert len(segments) >= 3
    group = grp.getgrnam(GROUP).gr_gid
    for name in segments + ["../../stream.lock", "../../writers.lock"]:
        info = os.stat(os.path.join(shard, name))
        assert info.st_gid == group, f"{name} has group {info.st_gid}, not the stream's {group}"
        assert stat.S_IMODE(info.st_mode) == 0o660, f"{name} mode {oct(info.st_mode)}"
    made_by_member = [n for n in segments if os.stat(os.path.join(shard, n)).st_uid == pwd.getpwnam(MEMBER).pw_uid]
    assert made_by_member, "the member rolled no segment: the test would prove nothing"
    # Both read everything; the member reshards (stream.lock) and the owner still reads the children.
    assert len(records(OWNER, binary, root)) == 101
    assert len(records(MEMBER, binary, root)) == 101
    ok(MEMBER, binary, root, "split-shard", "--stream-name", "s", "--shard-to-split", "shardId-000000000000",
       "--new-starting-hash-key", 2 ** 127)
    child = os.stat(os.path.join(root, "s", "shards", "1"))
    assert child.st_gid == group and child.st_mode & stat.S_ISGID
    ok(OWNER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "after",
       "--explicit-hash-key", 1, "--cli-binary-format", "raw-in-base64-out", "--data", "into a child")
    # The owner reshards the member's children back together.
    ok(OWNER, binary, root, "merge-shards", "--stream-name", "s", "--shard-to-merge", "shardId-000000000001",
       "--adjacent-shard-to-merge", "shardId-000000000002")
    import json
    token = json.loads(ok(OWNER, binary, root, "get-shard-iterator", "--stream-name", "s", "--shard-id",
                          "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
    # The outsider gets AccessDenied from every command that touches the stream, and nothing changes.
    for args in (("describe-stream", "--stream-name", "s"),
                 ("describe-stream-summary", "--stream-name", "s"),
                 ("list-shards", "--stream-name", "s"),
                 ("put-record", "--stream-name", "s", "--partition-key", "x", "--data", "eA=="),
                 ("put-records", "--stream-name", "s", "--records", '[{"Data": "eA==", "PartitionKey": "x"}]'),
                 ("get-shard-iterator", "--stream-name", "s", "--shard-id", "shardId-000000000000",
                  "--shard-iterator-type", "TRIM_HORIZON"),
                 ("get-records", "--shard-iterator", token),
                 ("split-shard", "--stream-name", "s", "--shard-to-split", "shardId-000000000003",
                  "--new-starting-hash-key", 2 ** 126),
                 ("update-retention", "--stream-name", "s", "--retention", "1h"),
                 ("delete-stream", "--stream-name", "s")):
        result = cli_as(OUTSIDER, binary, root, *args)
        assert result.returncode == EXIT_SERVICE, f"{args}: {result.returncode} {result.stderr}"
        assert "(AccessDeniedException)" in result.stderr, (args, result.stderr)
    assert len(records(OWNER, binary, root)) == 101  # the parent shard, untouched


PYTHONPATH = os.pathsep.join([os.path.join(os.path.dirname(CLI), "..", "bindings", "python"),
                              os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python")])


def python_as(user, code, *args, **kwargs):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/", "PYTHONPATH": PYTHONPATH, "PYTHONDONTWRITEBYTECODE": "1"}
    # A session of its own: runuser forks, so the whole group is what has to be stopped.
    return subprocess.Popen([RUNUSER, "-u", user, "--", "/usr/bin/python3", "-c", code, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, **kwargs)


def python_bindings_built():
    return os.path.isdir(os.path.join(os.path.dirname(CLI), "..", "bindings", "python"))


def test_the_janitor_runs_as_a_member_and_exclusion_holds_across_users(shared):
    binary, root = shared
    ok(OWNER, binary, root, "create-stream", "--stream-name", "s", "--shard-count", 1, "--segment-size", "4KiB",
       "--mode", "0660", "--retention-bytes", "16KiB")
    for i in range(100):
        ok(OWNER, binary, root, "put-record", "--stream-name", "s", "--partition-key", f"k{i}",
           "--cli-binary-format", "raw-in-base64-out", "--data", f"owner record {i:03} " + "y" * 80)
    # The member's janitor services the owner's stream: it trims to the byte cap (unlinking the owner's
    # files) and logs no problem.
    import json
    result = ok(MEMBER, binary, root, "janitor", "--once")
    counters = json.loads(result.stdout)
    assert counters["Problems"] == 0, result.stderr
    assert "cannot" not in result.stderr, result.stderr
    if not python_bindings_built():
        pytest.skip("the Python bindings are not built")
    # An exclusive producer of the owner's excludes a member's producer, and the reverse.
    holder = python_as(OWNER, "import shmstream, sys, time\n"
                              "s = shmstream.Stream.open('s', root=sys.argv[1])\n"
                              "p = shmstream.Producer(s._native, exclusive=True)\n"
                              "print('held', flush=True)\n"
                              "time.sleep(30)\n", root)
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read() if holder.poll() is not None else ""
        refused = cli_as(MEMBER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "m",
                         "--cli-binary-format", "raw-in-base64-out", "--data", "while held")
        assert refused.returncode == EXIT_SERVICE and "(ResourceInUseException)" in refused.stderr, refused.stderr
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    ok(MEMBER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "m", "--cli-binary-format", "raw-in-base64-out", "--data", "after")
    # The outsider gets AccessDeniedException from Python too.
    outsider = python_as(OUTSIDER, "import shmstream, sys\n"
                                   "try:\n"
                                   "    shmstream.Stream.open('s', root=sys.argv[1])\n"
                                   "except shmstream.AccessDeniedException as error:\n"
                                   "    print('denied:', error)\n", root)
    out, err = outsider.communicate(timeout=60)
    assert out.startswith("denied:"), (out, err)


def test_tags_consumers_and_throttling_are_shared_with_the_group(shared):
    import json
    binary, root = shared
    ok(OWNER, binary, root, "create-stream", "--stream-name", "s", "--segment-size", "4KiB", "--mode", "0660")
    ok(OWNER, binary, root, "add-tags-to-stream", "--stream-name", "s", "--tags", "owner=yes")
    # The member replaces attributes.json and makes throughput.state: both keep the stream's group and mode.
    ok(MEMBER, binary, root, "add-tags-to-stream", "--stream-name", "s", "--tags", "member=yes")
    ok(MEMBER, binary, root, "register-stream-consumer", "--stream-name", "s", "--consumer-name", "app")
    ok(MEMBER, binary, root, "update-throttling", "--stream-name", "s", "--put-throttle-probability", 1)
    group = grp.getgrnam(GROUP).gr_gid
    for name in ("attributes.json", "throughput.state"):
        info = os.stat(os.path.join(root, "s", name))
        assert info.st_gid == group and stat.S_IMODE(info.st_mode) == 0o660, (name, info)
    tags = json.loads(ok(OWNER, binary, root, "list-tags-for-stream", "--stream-name", "s").stdout)["Tags"]
    assert [t["Key"] for t in tags] == ["member", "owner"]
    result = cli_as(OWNER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "k", "--data", "eA==")
    assert result.returncode == EXIT_SERVICE and "(ProvisionedThroughputExceededException)" in result.stderr
    ok(OWNER, binary, root, "update-throttling", "--stream-name", "s", "--put-throttle-probability", 0)
    ok(OWNER, binary, root, "deregister-stream-consumer", "--stream-name", "s", "--consumer-name", "app")
    for args in (("list-tags-for-stream", "--stream-name", "s"),
                 ("add-tags-to-stream", "--stream-name", "s", "--tags", "outsider=yes"),
                 ("register-stream-consumer", "--stream-name", "s", "--consumer-name", "intruder"),
                 ("update-throttling", "--stream-name", "s", "--aws-limits", "on")):
        result = cli_as(OUTSIDER, binary, root, *args)
        assert result.returncode == EXIT_SERVICE, f"{args}: {result.returncode} {result.stderr}"
        assert "(AccessDeniedException)" in result.stderr, (args, result.stderr)
    assert len(json.loads(ok(OWNER, binary, root, "list-tags-for-stream", "--stream-name", "s").stdout)["Tags"]) == 2


def test_an_application_is_shared_by_owner_and_member_and_refused_to_an_outsider(shared):
    """The lease table a member's worker makes carries the stream's group and mode, so the owner's workers
    and describe-application use it; an outsider is refused (docs/APPLICATIONS.md)."""
    import json
    import time
    binary, root = shared
    place = os.path.dirname(binary)
    processor = os.path.join(place, "journal_processor.py")
    shutil.copy(os.path.join(os.path.dirname(__file__), "multilang", "journal_processor.py"), processor)
    os.chmod(processor, 0o755)
    journals = os.path.join(place, "journals")
    os.mkdir(journals)
    os.chmod(journals, 0o777)
    ok(OWNER, binary, root, "create-stream", "--stream-name", "s", "--shard-count", 2, "--segment-size", "4KiB",
       "--mode", "0660")
    for i in range(20):
        ok(OWNER, binary, root, "put-record", "--stream-name", "s", "--partition-key", f"k{i}", "--data", "eA==")

    def consume(user, journal):
        env = {"PATH": "/usr/bin:/bin", "HOME": "/", "JOURNAL": os.path.join(journals, journal)}
        return subprocess.Popen([RUNUSER, "-u", user, "--", binary, "--root", root, "consume", "--stream-name", "s",
                                 "--application-name", "app", "--", "/usr/bin/python3", processor],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)

    def processed(journal):
        path = os.path.join(journals, journal)
        return sum(1 for line in open(path) if line.startswith("record ")) if os.path.exists(path) else 0

    def stop(process):
        # SIGTERM to consume itself (runuser's child), as a service manager would send it.
        with open(f"/proc/{process.pid}/task/{process.pid}/children") as f:
            os.kill(int(f.read().split()[0]), signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err

    member = consume(MEMBER, "member")
    deadline = time.time() + 20
    while processed("member") < 20:
        assert time.time() < deadline and member.poll() is None, member.stderr.read() if member.poll() else "timeout"
        time.sleep(0.02)
    stop(member)
    group = grp.getgrnam(GROUP).gr_gid
    apps = os.stat(os.path.join(root, "s", "apps"))
    assert apps.st_gid == group and stat.S_IMODE(apps.st_mode) == 0o2770, oct(apps.st_mode)
    table = os.stat(os.path.join(root, "s", "apps", "app.leases"))
    assert table.st_uid == pwd.getpwnam(MEMBER).pw_uid
    assert table.st_gid == group and stat.S_IMODE(table.st_mode) == 0o660, oct(table.st_mode)
    # The owner's worker resumes after the member's checkpoints.
    ok(OWNER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "late", "--data", "eA==")
    owner = consume(OWNER, "owner")
    deadline = time.time() + 20
    while processed("owner") < 1:
        assert time.time() < deadline and owner.poll() is None, owner.stderr.read() if owner.poll() else "timeout"
        time.sleep(0.02)
    time.sleep(0.2)
    stop(owner)
    assert processed("owner") == 1
    leases = json.loads(ok(MEMBER, binary, root, "describe-application", "--stream-name", "s",
                           "--application-name", "app").stdout)["Leases"]
    assert len(leases) == 2
    for args in (("describe-application", "--stream-name", "s", "--application-name", "app"),
                 ("list-applications", "--stream-name", "s"),
                 ("delete-application", "--stream-name", "s", "--application-name", "app")):
        result = cli_as(OUTSIDER, binary, root, *args)
        assert result.returncode == EXIT_SERVICE and "(AccessDeniedException)" in result.stderr, (args, result.stderr)
