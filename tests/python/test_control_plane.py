"""CreateStream / open / list / delete / describe and their Kinesis-named errors."""

import datetime
import subprocess

import pytest

import shmstream
from shmstream import Stream


def test_create_list_open_delete(root):
    created = Stream.create("orders", shard_count=3, segment_size=1 << 16, root=root)
    assert Stream.list(root) == ["orders"]
    opened = Stream.open("orders", root=root)
    assert opened.name == "orders" and opened.shard_ids() == created.shard_ids()
    Stream.delete("orders", root=root)
    assert Stream.list(root) == []
    with pytest.raises(shmstream.ResourceNotFoundException):
        Stream.open("orders", root=root)


def test_describe_is_shaped_like_kinesis(root):
    stream = Stream.create("d", shard_count=2, segment_size=1 << 16, retention=datetime.timedelta(hours=48),
                           root=root)
    description = stream.describe()
    assert description["StreamName"] == "d"
    assert description["StreamStatus"] == "ACTIVE"
    assert description["RetentionPeriodHours"] == 48
    assert description["StreamARN"].endswith(":stream/d")
    assert description["StreamCreationTimestamp"].tzinfo is not None
    first, second = description["Shards"]
    assert first["ShardId"] == "shardId-000000000000"
    assert first["HashKeyRange"]["StartingHashKey"] == "0"
    assert second["HashKeyRange"]["EndingHashKey"] == str(2**128 - 1)
    assert int(first["HashKeyRange"]["EndingHashKey"]) + 1 == int(second["HashKeyRange"]["StartingHashKey"])
    assert "EndingSequenceNumber" not in first["SequenceNumberRange"]
    assert "ParentShardId" not in first


@pytest.mark.parametrize("call, error", [
    (lambda root: Stream.create("bad/name", root=root), shmstream.InvalidArgumentException),
    (lambda root: Stream.create("x", shard_count=0, root=root), shmstream.InvalidArgumentException),
    (lambda root: Stream.create("x", shard_count=5000, root=root), shmstream.LimitExceededException),
    (lambda root: Stream.create("x", segment_size=5000, root=root), shmstream.InvalidArgumentException),
    (lambda root: Stream.open("missing", root=root), shmstream.ResourceNotFoundException),
    (lambda root: Stream.delete("missing", root=root), shmstream.ResourceNotFoundException),
])
def test_errors_are_kinesis_exceptions(root, call, error):
    with pytest.raises(error) as caught:
        call(root)
    assert isinstance(caught.value, shmstream.Error)


def test_duplicate_create_is_resource_in_use(root):
    Stream.create("twice", segment_size=1 << 16, root=root)
    with pytest.raises(shmstream.ResourceInUseException, match="already exists"):
        Stream.create("twice", segment_size=1 << 16, root=root)


def test_exception_hierarchy():
    assert issubclass(shmstream.InvalidArgumentException, ValueError)
    assert issubclass(shmstream.TimeoutException, TimeoutError)
    for name in ("ResourceNotFoundException", "InvalidArgumentException", "ResourceInUseException",
                 "LimitExceededException", "ExpiredIteratorException", "InternalFailure"):
        cls = getattr(shmstream, name)
        assert issubclass(cls, shmstream.Error) and cls.__name__ == name
        assert cls.__module__ == "shmstream"


def test_import_needs_neither_numpy_nor_pandas():
    import subprocess
    import sys
    code = ("import sys; sys.modules['numpy'] = None; sys.modules['pandas'] = None\n"
            "import shmstream; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_describe_counts_put_many_records(root):
    stream = Stream.create("counted", shard_count=2, segment_size=1 << 16, root=root)
    stream.put_many((f"k{i}", b"12345") for i in range(10))
    shards = stream.details()["Shards"]
    assert sum(s["IncomingRecords"] for s in shards) == 10
    assert sum(s["IncomingBytes"] for s in shards) == sum(len(f"k{i}") + 5 for i in range(10))


# --- checksums: a per-stream setting fixed at creation ------------------------------------------------------------

def _filesystem_type(path):
    return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True, check=True).stdout.strip()


def _assert_checksums(stream, expected):
    assert stream.details()["Checksums"] is expected
    assert Stream.open(stream.name, root=stream.root).details()["Checksums"] is expected
    put = stream.put("key", b"payload")
    assert [(r.partition_key, r.data, r.sequence_number) for r in stream.records()] == \
        [("key", b"payload", put.sequence_number)]


def test_checksums_on_off_and_tmpfs_default(root):
    assert _filesystem_type(root) in ("tmpfs", "ramfs")  # the fixture's root is under /dev/shm
    _assert_checksums(Stream.create("on", segment_size=1 << 16, root=root, checksums=True), True)
    _assert_checksums(Stream.create("off", segment_size=1 << 16, root=root, checksums=False), False)
    _assert_checksums(Stream.create("default", segment_size=1 << 16, root=root), False)
    _assert_checksums(Stream.create("none", segment_size=1 << 16, root=root, checksums=None), False)


def test_checksums_default_follows_the_filesystem(tmp_path):
    # On a persistent filesystem the default is on (tmp_path is wherever TMPDIR is: disk on most hosts).
    expected = _filesystem_type(str(tmp_path)) not in ("tmpfs", "ramfs")
    _assert_checksums(Stream.create("default", segment_size=1 << 16, root=str(tmp_path)), expected)
    _assert_checksums(Stream.create("off", segment_size=1 << 16, root=str(tmp_path), checksums=False), False)


def test_details_list_checksums_with_the_other_extensions(root):
    stream = Stream.create("d", segment_size=1 << 16, root=root, checksums=True)
    assert list(stream.details()) == ["StreamId", "RetentionSeconds", "RetentionBytes", "UnblockTimeoutMillis",
                                      "SegmentSize", "Checksums", "Shards"]
    assert "Checksums" not in stream.describe()  # DescribeStream's shape has no such member


@pytest.mark.parametrize("value", ["on", "off", 1, 0, "true"])
def test_checksums_must_be_a_bool_or_none(root, value):
    with pytest.raises(shmstream.InvalidArgumentException, match="checksums"):
        Stream.create("bad", segment_size=1 << 16, root=root, checksums=value)
    assert Stream.list(root) == []
