"""Fixtures: every test gets its own stream root under /dev/shm, removed afterwards."""

import itertools
import shutil
import tempfile

import pytest

import shmstream

_names = itertools.count()


@pytest.fixture
def root():
    path = tempfile.mkdtemp(prefix="shmstream-pytest-", dir="/dev/shm")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_stream(root):
    """make_stream(shard_count=1, **options) -> a new Stream with small segments (tmpfs is RAM)."""

    def make(shard_count=1, **options):
        options.setdefault("segment_size", 1 << 16)
        return shmstream.Stream.create(f"s{next(_names)}", shard_count=shard_count, root=root, **options)

    return make
