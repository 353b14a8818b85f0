"""A group-shared stream (--mode 0660) used by two Unix users and refused to a third, through the CLI.

The test makes its own users and group (it needs root, as CI has) and removes them afterwards. The owner's
primary group is the shared group; the member has a primary group of its own and the shared one as a
supplementary group, so any file the member makes with its primary group would lock the owner out.
"""
import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile

import pytest

from conftest import CLI, EXIT_SERVICE

GROUP = "shmst-share"
OWNER, MEMBER, OUTSIDER = "shmst-owner", "shmst-member", "shmst-outsider"

# /usr/sbin is not on every PATH (pytest under meson passes a user's PATH).
SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"
USERADD = shutil.which("useradd", path=SBIN)
RUNUSER = shutil.which("runuser", path=SBIN)

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or USERADD is None or RUNUSER is None,
                                reason="needs root, useradd and runuser to make and be the test's users")


def _admin(*command, check=True):
    tool = shutil.which(command[0], path=SBIN) or command[0]
    subprocess.run([tool, *command[1:]], capture_output=True, check=check)


@pytest.fixture(scope="module")
def users():
    for user in (OWNER, MEMBER, OUTSIDER):
        _admin("userdel", user, check=False)
    for group in (GROUP, MEMBER, OUTSIDER):
        _admin("groupdel", group, check=False)
    _admin("groupadd", GROUP)
    _admin("useradd", "-M", "-N", "-g", GROUP, OWNER)
    _admin("useradd", "-M", "-U", "-G", GROUP, MEMBER)
    _admin("useradd", "-M", "-U", OUTSIDER)
    try:
        yield
    finally:
        for user in (OWNER, MEMBER, OUTSIDER):
            _admin("userdel", user, check=False)
        for group in (GROUP, MEMBER, OUTSIDER):
            _admin("groupdel", group, check=False)


@pytest.fixture
def shared(users):
    """A root every user can reach and a copy of the CLI every user can run."""
    place = tempfile.mkdtemp(prefix="shmstream-multiuser-", dir="/dev/shm")
    os.chmod(place, 0o755)
    binary = os.path.join(place, "shmstream")
    shutil.copy(CLI, binary)
    os.chmod(binary, 0o755)
    root = os.path.join(place, "root")
    os.mkdir(root)
    os.chmod(root, 0o1777)  # as a shared root is (the library makes it so when it creates one)
    try:
        yield binary, root
    finally:
        shutil.rmtree(place, ignore_errors=True)


def run_as(user, binary, root, *args):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/"}
    return subprocess.run([RUNUSER, "-u", user, "--", binary, "--root", root, *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=60)


def ok(user, binary, root, *args):
    result = run_as(user, binary, root, *args)
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
    # The outsider gets AccessDenied from every command, and nothing changes.
    for args in (("describe-stream", "--stream-name", "s"),
                 ("put-record", "--stream-name", "s", "--partition-key", "x", "--data", "eA=="),
                 ("get-shard-iterator", "--stream-name", "s", "--shard-id", "shardId-000000000000",
                  "--shard-iterator-type", "TRIM_HORIZON")):
        result = run_as(OUTSIDER, binary, root, *args)
        assert result.returncode == EXIT_SERVICE, f"{args}: {result.returncode} {result.stderr}"
        assert "(AccessDeniedException)" in result.stderr, result.stderr
