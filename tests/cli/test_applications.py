"""describe-application, list-applications, delete-application and tail --application-name
(docs/CLI.md "Applications"). The application is made by the fuzz seed-corpus program: a stream "seed" of 400
records on one shard, consumed to its end by a Worker of application "seed-app" that checkpointed every batch."""
import json
import os
import subprocess

import pytest

SEED = os.environ.get("SHMSTREAM_SEED_CORPUS", "")


@pytest.fixture
def seeded(cli):
    if not SEED:
        pytest.skip("SHMSTREAM_SEED_CORPUS not set")
    subprocess.run([SEED, cli.root], check=True, timeout=60)
    return cli


def test_describe_application_shows_the_lease_table_with_kcl_names(seeded):
    document = seeded.json("describe-application", "--stream-name", "seed", "--application-name", "seed-app")
    assert document["ApplicationName"] == "seed-app"
    assert document["StreamName"] == "seed"
    assert document["InitialPosition"] == "TRIM_HORIZON"
    [lease] = document["Leases"]
    assert lease["leaseKey"] == "shardId-000000000000"
    assert lease["leaseOwner"] is None  # released at shutdown
    assert lease["leaseCounter"] >= 2  # taken, released
    assert lease["ownerSwitchesSinceCheckpoint"] == 0
    assert "parentShardId" not in lease
    # Checkpointed at the last record: nothing behind.
    last = seeded.read_all("seed")[-1]["SequenceNumber"]
    assert lease["checkpoint"] == last
    assert lease["MillisBehindLatest"] == 0
    assert lease["BytesBehindLatest"] == 0
    seeded.put("seed", "k", "new")
    [lease] = seeded.json("describe-application", "--stream-name", "seed", "--application-name", "seed-app")["Leases"]
    assert lease["BytesBehindLatest"] > 0


def test_tail_resumes_where_the_application_checkpointed(seeded):
    seeded.put("seed", "k", "after-the-checkpoint")
    result = seeded.ok("tail", "--stream-name", "seed", "--application-name", "seed-app", "--from", "TRIM_HORIZON",
                       "--exit-at-end", "--format", "text")
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].endswith("after-the-checkpoint"), result.stdout


def test_list_and_delete_application(seeded):
    assert seeded.json("list-applications", "--stream-name", "seed") == {"ApplicationNames": ["seed-app"]}
    assert seeded.ok("delete-application", "--stream-name", "seed", "--application-name", "seed-app").stdout == ""
    assert seeded.json("list-applications", "--stream-name", "seed") == {"ApplicationNames": []}
    seeded.fails("ResourceNotFoundException", "DescribeApplication", "describe-application", "--stream-name", "seed",
                 "--application-name", "seed-app")
    seeded.fails("ResourceNotFoundException", "DeleteApplication", "delete-application", "--stream-name", "seed",
                 "--application-name", "seed-app")


def test_bad_and_damaged_applications_are_clear_errors(seeded):
    seeded.fails("InvalidArgumentException", "DescribeApplication", "describe-application", "--stream-name", "seed",
                 "--application-name", "a/b")
    table = os.path.join(seeded.root, "seed", "apps", "seed-app.leases")
    with open(table, "r+b") as f:
        f.truncate(100)
    result = seeded.fails("CorruptedDataException", "DescribeApplication", "describe-application", "--stream-name",
                          "seed", "--application-name", "seed-app")
    assert "truncated" in result.stderr and table in result.stderr
    seeded.usage_error("describe-application", "--stream-name", "seed")


def test_stat_shows_each_applications_lag_per_shard(seeded):
    for i in range(3):
        seeded.put("seed", "k", f"behind-{i}")
    result = seeded.ok("stat", "--stream-name", "seed", "--interval", "10ms", "--count", "1", "--format", "json")
    report = json.loads(result.stdout)
    [application] = report["Applications"]
    assert application["ApplicationName"] == "seed-app"
    [shard] = application["Shards"]
    assert shard["ShardId"] == "shardId-000000000000"
    assert shard["RecordsBehindLatest"] == 3
    assert shard["MillisBehindLatest"] >= 0
    table = seeded.ok("stat", "--stream-name", "seed", "--interval", "10ms", "--count", "1", "--output", "table").stdout
    assert "application seed-app" in table and "RECORDS_BEHIND" in table


def test_describe_counts_records_behind(seeded):
    for i in range(5):
        seeded.put("seed", "k", f"behind-{i}")
    [lease] = seeded.json("describe-application", "--stream-name", "seed", "--application-name", "seed-app")["Leases"]
    assert lease["RecordsBehindLatest"] == 5
