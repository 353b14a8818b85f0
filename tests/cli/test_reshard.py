"""split-shard, merge-shards, update-shard-count and list-shards --shard-filter: AWS lineage fields and errors."""
import json
import time

import pytest

from conftest import unb64

MAX_HASH_KEY = 2**128 - 1
HALF = 2**127


def sid(index):
    return f"shardId-{index:012d}"


def shards_by_id(cli, name="s", *extra):
    return {s["ShardId"]: s for s in cli.json("list-shards", "--stream-name", name, *extra)["Shards"]}


def listed_ids(cli, *extra, name="s"):
    return [s["ShardId"] for s in cli.json("list-shards", "--stream-name", name, *extra)["Shards"]]


def key_range(start, end):
    return {"StartingHashKey": str(start), "EndingHashKey": str(end)}


def test_split_shard_lineage(cli):
    cli.create("s", 1)
    last = max(int(cli.put("s", f"k{i}", f"before {i}")["SequenceNumber"]) for i in range(3))
    result = cli.ok("split-shard", "--stream-name", "s", "--shard-to-split", sid(0), "--new-starting-hash-key", HALF)
    assert result.stdout == ""  # like the AWS CLI

    shards = shards_by_id(cli)
    assert list(shards) == [sid(0), sid(1), sid(2)]
    parent, low, high = shards[sid(0)], shards[sid(1)], shards[sid(2)]
    assert list(parent) == ["ShardId", "HashKeyRange", "SequenceNumberRange"]
    assert parent["HashKeyRange"] == key_range(0, MAX_HASH_KEY)
    assert list(parent["SequenceNumberRange"]) == ["StartingSequenceNumber", "EndingSequenceNumber"]
    ending = int(parent["SequenceNumberRange"]["EndingSequenceNumber"])
    assert ending >= last
    for child, expected in ((low, key_range(0, HALF - 1)), (high, key_range(HALF, MAX_HASH_KEY))):
        assert list(child) == ["ShardId", "ParentShardId", "HashKeyRange", "SequenceNumberRange"]
        assert child["ParentShardId"] == sid(0)
        assert child["HashKeyRange"] == expected
        assert list(child["SequenceNumberRange"]) == ["StartingSequenceNumber"]
        # Sequence numbers are byte positions in each shard's own log (docs/DECISIONS.md): a child starts at 64.
        assert child["SequenceNumberRange"]["StartingSequenceNumber"] == "64"
    # describe-stream shows the same Shard objects.
    description = cli.json("describe-stream", "--stream-name", "s")["StreamDescription"]
    assert description["Shards"] == list(shards.values())
    summary = cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    # New records go to the children.
    assert cli.put("s", "x", "low", "--explicit-hash-key", "0")["ShardId"] == sid(1)
    assert cli.put("s", "x", "high", "--explicit-hash-key", MAX_HASH_KEY)["ShardId"] == sid(2)


def test_merge_shards_lineage(cli):
    cli.create("s", 2)
    result = cli.ok("merge-shards", "--stream-name", "s", "--shard-to-merge", sid(1),
                    "--adjacent-shard-to-merge", sid(0))
    assert result.stdout == ""
    shards = shards_by_id(cli)
    assert list(shards) == [sid(0), sid(1), sid(2)]
    for parent in (shards[sid(0)], shards[sid(1)]):
        assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    child = shards[sid(2)]
    assert list(child) == ["ShardId", "ParentShardId", "AdjacentParentShardId", "HashKeyRange", "SequenceNumberRange"]
    assert child["ParentShardId"] == sid(1)  # the --shard-to-merge, as AWS
    assert child["AdjacentParentShardId"] == sid(0)
    assert child["HashKeyRange"] == key_range(0, MAX_HASH_KEY)
    assert list(child["SequenceNumberRange"]) == ["StartingSequenceNumber"]
    assert cli.put("s", "k", "merged")["ShardId"] == sid(2)


def test_update_shard_count_up_and_down(cli):
    cli.create("s", 2)
    output = cli.json("update-shard-count", "--stream-name", "s", "--target-shard-count", 4,
                      "--scaling-type", "UNIFORM_SCALING")
    assert list(output) == ["StreamName", "CurrentShardCount", "TargetShardCount", "StreamARN"]
    assert output["StreamName"] == "s" and output["StreamARN"].endswith(":stream/s")
    assert output["CurrentShardCount"] == 2 and output["TargetShardCount"] == 4
    open_shards = cli.json("list-shards", "--stream-name", "s", "--shard-filter", "Type=AT_LATEST")["Shards"]
    assert [s["HashKeyRange"] for s in open_shards] == \
        [key_range(i * 2**126, (i + 1) * 2**126 - 1) for i in range(4)]
    assert all(s["ParentShardId"] in (sid(0), sid(1)) and "AdjacentParentShardId" not in s for s in open_shards)

    output = cli.json("update-shard-count", "--stream-name", "s", "--target-shard-count", 2,
                      "--scaling-type", "UNIFORM_SCALING")
    assert output["CurrentShardCount"] == 4 and output["TargetShardCount"] == 2
    merged = cli.json("list-shards", "--stream-name", "s", "--shard-filter", "Type=AT_LATEST")["Shards"]
    assert [s["HashKeyRange"] for s in merged] == [key_range(0, HALF - 1), key_range(HALF, MAX_HASH_KEY)]
    assert all("ParentShardId" in s and "AdjacentParentShardId" in s for s in merged)

    cli.json("update-shard-count", "--stream-name", "s", "--target-shard-count", 3, "--scaling-type", "UNIFORM_SCALING")
    three = cli.json("list-shards", "--stream-name", "s", "--shard-filter", "Type=AT_LATEST")["Shards"]
    assert len(three) == 3
    ranges = sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in three)
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH_KEY
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(2))
    summary = cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3


# --- errors: exit 254, the AWS exception, nothing changed -------------------------------------------------------

def three_shards(cli):
    cli.create("s", 3)
    return cli.json("list-shards", "--stream-name", "s")


@pytest.mark.parametrize("exception,operation,args", [
    ("ResourceNotFoundException", "SplitShard",
     ["split-shard", "--shard-to-split", sid(9), "--new-starting-hash-key", "1"]),
    ("ResourceNotFoundException", "MergeShards",
     ["merge-shards", "--shard-to-merge", sid(0), "--adjacent-shard-to-merge", sid(9)]),
    ("InvalidArgumentException", "SplitShard",  # at the shard's start: the first child would be empty
     ["split-shard", "--shard-to-split", sid(1), "--new-starting-hash-key", "{start1}"]),
    ("InvalidArgumentException", "SplitShard", ["split-shard", "--shard-to-split", sid(0), "--new-starting-hash-key", "0"]),
    ("InvalidArgumentException", "SplitShard",  # past the shard's end (the next shard's start)
     ["split-shard", "--shard-to-split", sid(0), "--new-starting-hash-key", "{start1}"]),
    ("InvalidArgumentException", "SplitShard",
     ["split-shard", "--shard-to-split", sid(0), "--new-starting-hash-key", str(HALF)]),
    ("InvalidArgumentException", "SplitShard",
     ["split-shard", "--shard-to-split", sid(0), "--new-starting-hash-key", str(2**128)]),
    ("ValidationException", "SplitShard", ["split-shard", "--shard-to-split", sid(0), "--new-starting-hash-key", "-1"]),
    ("ValidationException", "SplitShard", ["split-shard", "--shard-to-split", sid(0), "--new-starting-hash-key", "1e5"]),
    ("ResourceNotFoundException", "SplitShard",  # well-formed for the model, but no such shard
     ["split-shard", "--shard-to-split", "shard-one", "--new-starting-hash-key", "5"]),
    ("InvalidArgumentException", "MergeShards",  # not adjacent
     ["merge-shards", "--shard-to-merge", sid(0), "--adjacent-shard-to-merge", sid(2)]),
    ("InvalidArgumentException", "MergeShards",
     ["merge-shards", "--shard-to-merge", sid(1), "--adjacent-shard-to-merge", sid(1)]),
    ("LimitExceededException", "UpdateShardCount",  # over double: a scaling limit, as in Kinesis
     ["update-shard-count", "--target-shard-count", "7", "--scaling-type", "UNIFORM_SCALING"]),
    ("LimitExceededException", "UpdateShardCount",  # under half
     ["update-shard-count", "--target-shard-count", "1", "--scaling-type", "UNIFORM_SCALING"]),
    ("ValidationException", "UpdateShardCount",
     ["update-shard-count", "--target-shard-count", "0", "--scaling-type", "UNIFORM_SCALING"]),
    ("ValidationException", "UpdateShardCount",
     ["update-shard-count", "--target-shard-count", "4", "--scaling-type", "NONUNIFORM_SCALING"]),
])
def test_reshard_errors_change_nothing(cli, exception, operation, args):
    before = three_shards(cli)
    start1 = before["Shards"][1]["HashKeyRange"]["StartingHashKey"]
    args = [arg.replace("{start1}", start1) for arg in args]
    cli.fails(exception, operation, args[0], "--stream-name", "s", *args[1:])
    assert cli.json("list-shards", "--stream-name", "s") == before


def test_resplitting_or_merging_a_closed_shard_fails(cli):
    cli.create("s", 2)
    cli.ok("split-shard", "--stream-name", "s", "--shard-to-split", sid(0), "--new-starting-hash-key", "1000")
    before = cli.json("list-shards", "--stream-name", "s")
    result = cli.fails("InvalidArgumentException", "SplitShard", "split-shard", "--stream-name", "s",
                       "--shard-to-split", sid(0), "--new-starting-hash-key", "2000")
    assert "has already been merged or split" in result.stderr
    cli.fails("InvalidArgumentException", "MergeShards", "merge-shards", "--stream-name", "s",
              "--shard-to-merge", sid(0), "--adjacent-shard-to-merge", sid(1))
    assert cli.json("list-shards", "--stream-name", "s") == before


def test_reshard_unknown_stream_and_usage(cli):
    cli.fails("ResourceNotFoundException", "SplitShard", "split-shard", "--stream-name", "nope",
              "--shard-to-split", sid(0), "--new-starting-hash-key", "5")
    cli.fails("ResourceNotFoundException", "UpdateShardCount", "update-shard-count", "--stream-name", "nope",
              "--target-shard-count", "2", "--scaling-type", "UNIFORM_SCALING")
    cli.create("s", 1)
    cli.usage_error("update-shard-count", "--stream-name", "s", "--target-shard-count", "2")  # no --scaling-type
    cli.usage_error("split-shard", "--stream-name", "s", "--shard-to-split", sid(0))
    cli.usage_error("merge-shards", "--stream-name", "s", "--shard-to-merge", sid(0))
    assert listed_ids(cli) == [sid(0)]


# --- list-shards --shard-filter -----------------------------------------------------------------------------------

@pytest.fixture
def lineage(cli):
    """0 and 1 created; at t_split 0 splits into 2 and 3; at t_merge 2 and 3 merge into 4. Open now: 1 and 4."""
    cli.create("s", 2)
    time.sleep(0.05)
    t_before = time.time()
    time.sleep(0.05)
    cli.ok("split-shard", "--stream-name", "s", "--shard-to-split", sid(0), "--new-starting-hash-key", 2**126)
    time.sleep(0.05)
    t_between = time.time()
    time.sleep(0.05)
    cli.ok("merge-shards", "--stream-name", "s", "--shard-to-merge", sid(2), "--adjacent-shard-to-merge", sid(3))
    time.sleep(0.05)
    return {"before": t_before, "between": t_between, "after": time.time()}


@pytest.mark.parametrize("shard_filter,expected", [
    ("Type=AT_LATEST", [1, 4]),
    ("Type=AFTER_SHARD_ID,ShardId=shardId-000000000002", [3, 4]),
    ("Type=AFTER_SHARD_ID,ShardId=0", [1, 2, 3, 4]),
    ("Type=AT_TRIM_HORIZON", [0, 1]),
    ("Type=FROM_TRIM_HORIZON", [0, 1, 2, 3, 4]),
    ("Type=AT_TIMESTAMP,Timestamp={before}", [0, 1]),
    ("Type=AT_TIMESTAMP,Timestamp={between}", [1, 2, 3]),
    ("Type=AT_TIMESTAMP,Timestamp={after}", [1, 4]),
    ("Type=FROM_TIMESTAMP,Timestamp={before}", [0, 1, 2, 3, 4]),
    ("Type=FROM_TIMESTAMP,Timestamp={between}", [1, 2, 3, 4]),
    ('{{"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000002"}}', [3, 4]),
    ('{{"Type": "AT_TIMESTAMP", "Timestamp": {between}}}', [1, 2, 3]),
    ('{{"Type": "AT_LATEST"}}', [1, 4]),
])
def test_list_shards_filters(cli, lineage, shard_filter, expected):
    text = shard_filter.format(**lineage)
    assert listed_ids(cli, "--shard-filter", text) == [sid(i) for i in expected]


def test_list_shards_filter_iso_timestamp_and_file(cli, lineage, tmp_path):
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(lineage["between"])) + \
        f".{int(lineage['between'] % 1 * 1e6):06d}Z"
    assert listed_ids(cli, "--shard-filter", f"Type=AT_TIMESTAMP,Timestamp={iso}") == [sid(1), sid(2), sid(3)]
    path = tmp_path / "filter.json"
    path.write_text(json.dumps({"Type": "AT_TRIM_HORIZON"}))
    assert listed_ids(cli, "--shard-filter", f"file://{path}") == [sid(0), sid(1)]


def test_list_shards_filter_pages_keep_the_filter(cli, lineage):
    page = cli.json("list-shards", "--stream-name", "s", "--shard-filter", "Type=FROM_TIMESTAMP,Timestamp="
                    f"{lineage['between']}", "--max-results", 2)
    seen = [s["ShardId"] for s in page["Shards"]]
    while "NextToken" in page:
        page = cli.json("list-shards", "--next-token", page["NextToken"], "--max-results", 2)
        seen += [s["ShardId"] for s in page["Shards"]]
    assert seen == [sid(i) for i in (1, 2, 3, 4)]
    first = cli.json("list-shards", "--stream-name", "s", "--shard-filter", "Type=AT_LATEST", "--max-results", 1)
    assert [s["ShardId"] for s in first["Shards"]] == [sid(1)]
    second = cli.json("list-shards", "--next-token", first["NextToken"])
    assert [s["ShardId"] for s in second["Shards"]] == [sid(4)] and "NextToken" not in second


@pytest.mark.parametrize("shard_filter", [
    "Type=AFTER_SHARD_ID",
    "Type=AT_TIMESTAMP",
    "Type=FROM_TIMESTAMP",
    "Type=AT_LATEST,ShardId=shardId-000000000001",
    "Type=AT_LATEST,Timestamp=1700000000",
    "Type=AT_TIMESTAMP,Timestamp=yesterday",
    "Type=AT_LATEST,Colour=red",
    "ShardId=shardId-000000000001",
    '{"Type": 5}',
    '{"Type": "AT_LATEST"',
    '["AT_LATEST"]',
])
def test_list_shards_bad_filter(cli, shard_filter):
    cli.create("s", 1)
    cli.fails("InvalidArgumentException", "ListShards", "list-shards", "--stream-name", "s",
              "--shard-filter", shard_filter)


def test_list_shards_filter_type_outside_the_model(cli):
    cli.create("s", 2)
    cli.fails("ValidationException", "ListShards", "list-shards", "--stream-name", "s", "--shard-filter", "Type=BOGUS")


@pytest.mark.parametrize("shard_filter", ["Type=AT_LATEST,Type=AT_LATEST", "AT_LATEST"])
def test_list_shards_filter_shorthand_that_does_not_parse_is_a_usage_error(cli, shard_filter):
    cli.create("s", 2)
    result = cli.usage_error("list-shards", "--stream-name", "s", "--shard-filter", shard_filter)
    assert "Error parsing parameter '--shard-filter'" in result.stderr


def test_list_shards_after_a_well_formed_id_that_names_no_shard(cli):
    """Kinesis lists the shards whose ids sort after ExclusiveStartShardId / ShardFilter's ShardId, a shard or not."""
    cli.create("s", 3)
    every = [s["ShardId"] for s in cli.json("list-shards", "--stream-name", "s")["Shards"]]
    assert [s["ShardId"] for s in cli.json("list-shards", "--stream-name", "s", "--shard-filter",
                                           "Type=AFTER_SHARD_ID,ShardId=shard-two")["Shards"]] == every
    assert [s["ShardId"] for s in cli.json("list-shards", "--stream-name", "s", "--exclusive-start-shard-id",
                                           "shardId-000000000000x")["Shards"]] == every[1:]
    assert cli.json("list-shards", "--stream-name", "s", "--exclusive-start-shard-id", "zzz")["Shards"] == []


def test_list_shards_filter_with_next_token_is_rejected(cli):
    cli.create("s", 2)
    token = cli.json("list-shards", "--stream-name", "s", "--max-results", 1)["NextToken"]
    cli.fails("InvalidArgumentException", "ListShards", "list-shards", "--next-token", token,
              "--shard-filter", "Type=AT_LATEST")


# --- reading across a reshard -------------------------------------------------------------------------------------

def read_to_shard_end(cli, shard):
    """Follows NextShardIterator until a page has none; returns (records, last page)."""
    iterator = cli.iterator("s", shard, "TRIM_HORIZON")
    records = []
    for _ in range(100):
        page = cli.json("get-records", "--shard-iterator", iterator)
        records += page["Records"]
        if "NextShardIterator" not in page:
            return records, page
        iterator = page["NextShardIterator"]
    raise AssertionError("the closed shard never ended")


def test_get_records_at_the_end_of_a_split_shard_gives_child_shards(cli):
    cli.create("s", 1)
    for i in range(3):
        cli.put("s", f"k{i}", f"parent {i}")
    cli.ok("split-shard", "--stream-name", "s", "--shard-to-split", sid(0), "--new-starting-hash-key", HALF)
    cli.put("s", "x", "to low", "--explicit-hash-key", "1")
    cli.put("s", "x", "to high", "--explicit-hash-key", MAX_HASH_KEY)

    records, last = read_to_shard_end(cli, sid(0))
    assert [unb64(r["Data"]) for r in records] == [b"parent 0", b"parent 1", b"parent 2"]
    assert list(last) == ["Records", "MillisBehindLatest", "ChildShards"]
    assert last["ChildShards"] == [
        {"ShardId": sid(1), "ParentShards": [sid(0)], "HashKeyRange": key_range(0, HALF - 1)},
        {"ShardId": sid(2), "ParentShards": [sid(0)], "HashKeyRange": key_range(HALF, MAX_HASH_KEY)},
    ]
    ending = int(shards_by_id(cli)[sid(0)]["SequenceNumberRange"]["EndingSequenceNumber"])
    assert int(records[-1]["SequenceNumber"]) <= ending
    # The children: open, so their pages keep a NextShardIterator and have no ChildShards.
    assert [unb64(r["Data"]) for r in cli.read_all("s", sid(1))] == [b"to low"]
    assert [unb64(r["Data"]) for r in cli.read_all("s", sid(2))] == [b"to high"]
    page = cli.json("get-records", "--shard-iterator", cli.iterator("s", sid(1), "TRIM_HORIZON"))
    assert "NextShardIterator" in page and "ChildShards" not in page


def test_get_records_at_the_end_of_merged_shards(cli):
    cli.create("s", 2)
    cli.put("s", "x", "left", "--explicit-hash-key", "0")
    cli.put("s", "x", "right", "--explicit-hash-key", MAX_HASH_KEY)
    cli.ok("merge-shards", "--stream-name", "s", "--shard-to-merge", sid(0), "--adjacent-shard-to-merge", sid(1))
    cli.put("s", "x", "merged")
    for parent, data in ((sid(0), b"left"), (sid(1), b"right")):
        records, last = read_to_shard_end(cli, parent)
        assert [unb64(r["Data"]) for r in records] == [data]
        assert last["ChildShards"] == [
            {"ShardId": sid(2), "ParentShards": [sid(0), sid(1)], "HashKeyRange": key_range(0, MAX_HASH_KEY)}]
    assert [unb64(r["Data"]) for r in cli.read_all("s", sid(2))] == [b"merged"]
