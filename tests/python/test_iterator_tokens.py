"""ShardIterator tokens: one codec (the library's) for the CLI, Python and C++, so a token from
`shmstream get-shard-iterator` reads in Python and a Python token reads in the CLI; expiry after 300 s,
tokens of another stream or of a re-created one refused, the shard's end ends the chain."""

import base64
import json
import subprocess

import pytest

import shmstream
from test_multiprocess_cli import CLI

needs_cli = pytest.mark.skipif(CLI is None, reason="the shmstream CLI binary is not built")


def cli_json(root, *args):
    result = subprocess.run([CLI, "--root", root, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


@needs_cli
def test_a_cli_token_reads_in_python_and_a_python_token_in_the_cli(make_stream, root):
    stream = make_stream(shard_count=2)
    stream.put_many((f"k{i}", f"v{i}", 0) for i in range(5))  # all in shard 0 (hash key 0)
    token = cli_json(root, "get-shard-iterator", "--stream-name", stream.name, "--shard-id", "shardId-000000000000",
                     "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    first = shmstream.get_records(token, limit=2, root=root)
    assert [r.data for r in first.records] == [b"v0", b"v1"]
    assert all(type(r) is shmstream.Record for r in first.records)

    # Python's NextShardIterator, read by the CLI: the rest, and the CLI's next token read by Python.
    rest = cli_json(root, "get-records", "--shard-iterator", first.next_shard_iterator)
    assert [base64.b64decode(r["Data"]) for r in rest["Records"]] == [b"v2", b"v3", b"v4"]
    stream.put("k", b"v5", 0)
    later = shmstream.get_records(rest["NextShardIterator"], root=root)
    assert [r.data for r in later.records] == [b"v5"]

    # get_shard_iterator / iterator().token() give what the CLI takes, at the iterator's position.
    latest = stream.get_shard_iterator("shardId-000000000000", "LATEST")
    stream.put("k", b"v6", 0)
    assert [base64.b64decode(r["Data"]) for r in
            cli_json(root, "get-records", "--shard-iterator", latest)["Records"]] == [b"v6"]
    after = stream.get_shard_iterator(0, "AT_SEQUENCE_NUMBER", first.records[1].sequence_number)
    assert [r.data for r in stream.iterator_from_token(after).get_records(limit=1).records] == [b"v1"]


def test_next_shard_iterator_ends_with_the_shard(make_stream):
    stream = make_stream(shard_count=1)
    stream.put("k", b"before")
    token = stream.get_shard_iterator(0, "TRIM_HORIZON")
    stream.split_shard(0, 2**127)
    result = shmstream.get_records(token, root=stream.root)
    assert [r.data for r in result.records] == [b"before"] and result.next_shard_iterator is not None
    end = shmstream.get_records(result.next_shard_iterator, root=stream.root)
    assert end.records == [] and end.shard_ended and end.next_shard_iterator is None
    assert end.child_shard_ids == ["shardId-000000000001", "shardId-000000000002"]


def test_tokens_expire_after_their_time_to_live(make_stream, monkeypatch):
    stream = make_stream()
    token = stream.get_shard_iterator()
    monkeypatch.setenv("SHMSTREAM_ITERATOR_TTL_SECONDS", "0")
    with pytest.raises(shmstream.ExpiredIteratorException, match="Iterator expired. The iterator was created at"):
        shmstream.get_records(token, root=stream.root)
    monkeypatch.delenv("SHMSTREAM_ITERATOR_TTL_SECONDS")
    assert shmstream.get_records(token, root=stream.root).records == []  # 300 s by default


def test_foreign_and_damaged_tokens_are_refused(make_stream, root):
    stream, other = make_stream(), make_stream()
    token = stream.get_shard_iterator()
    with pytest.raises(shmstream.InvalidArgumentException, match="Invalid ShardIterator"):
        other.iterator_from_token(token)
    for bad in ("", "not-a-token", token[:-2], token + "A", token.replace(token[5], "A" if token[5] != "A" else "B")):
        with pytest.raises(shmstream.InvalidArgumentException, match="Invalid ShardIterator"):
            shmstream.get_records(bad, root=root)
    with pytest.raises(shmstream.InvalidArgumentException):
        shmstream.get_records(None, root=root)
    with pytest.raises(shmstream.InvalidArgumentException, match="at 'limit'"):
        shmstream.get_records(token, limit=0, root=root)
    # The same name created again: the old token does not read the new stream.
    name = stream.name
    del stream
    shmstream.Stream.delete(name, root=root)
    again = shmstream.Stream.create(name, root=root)
    with pytest.raises(shmstream.InvalidArgumentException, match="deleted and created again"):
        again.iterator_from_token(token)
