"""Unix users for the tests that need several of them: made before a module's tests and removed after (root only).

Three users and a shared group: an owner, a member of the group and an outsider. The member has a primary group
of its own and the shared one as a supplementary group, so a file the member makes with its primary group would
lock the owner out. The owner's primary group is the shared group, or a group of its own when the test shares
files with chgrp itself.
"""
import contextlib
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import CLI

# /usr/sbin is not on every PATH (pytest under meson passes a user's PATH).
SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"
USERADD = shutil.which("useradd", path=SBIN)
RUNUSER = shutil.which("runuser", path=SBIN)

needs_root = pytest.mark.skipif(os.geteuid() != 0 or USERADD is None or RUNUSER is None,
                                reason="needs root, useradd and runuser to make and be the test's users")


def _admin(*command, check=True):
    tool = shutil.which(command[0], path=SBIN)
    if tool is None:
        assert not check, f"{command[0]} is not installed"
        return
    subprocess.run([tool, *command[1:]], capture_output=True, check=check)


@contextlib.contextmanager
def made_users(group, owner, member, outsider, owner_primary_group_is_shared):
    def remove():
        for user in (owner, member, outsider):
            _admin("pkill", "-KILL", "-u", user, check=False)  # userdel refuses users with processes
            _admin("userdel", user, check=False)
        for name in (group, owner, member, outsider):
            _admin("groupdel", name, check=False)

    remove()
    _admin("groupadd", group)
    if owner_primary_group_is_shared:
        _admin("useradd", "-M", "-N", "-g", group, owner)
    else:
        _admin("useradd", "-M", "-U", owner)
    _admin("useradd", "-M", "-U", "-G", group, member)
    _admin("useradd", "-M", "-U", outsider)
    try:
        yield
    finally:
        remove()


@contextlib.contextmanager
def shared_place(prefix):
    """(directory, binary, root): a directory every user can reach, a copy of the CLI every user can run and a
    root every user can create streams in, as a shared root is (the library makes it so when it creates one)."""
    directory = tempfile.mkdtemp(prefix=prefix, dir="/dev/shm")
    os.chmod(directory, 0o755)
    binary = os.path.join(directory, "shmstream")
    shutil.copy(CLI, binary)
    os.chmod(binary, 0o755)
    root = os.path.join(directory, "root")
    os.mkdir(root)
    os.chmod(root, 0o1777)
    try:
        yield directory, binary, root
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_as(user, *command, env=None):
    full = {"PATH": "/usr/bin:/bin", "HOME": "/"}
    full.update(env or {})
    return subprocess.run([RUNUSER, "-u", user, "--", *map(str, command)], capture_output=True, text=True,
                          env=full, timeout=60)


def cli_as(user, binary, root, *args, env=None):
    return run_as(user, binary, "--root", root, *args, env=env)
