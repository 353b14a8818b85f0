"""The CLI against the Kinesis service model itself (tests/cli/service_model.py reads botocore's service-2.json).

- Every constraint of every input member of every operation the CLI implements (lengths, patterns, ranges, enums,
  nested members, list sizes) is broken once, through --cli-input-json and, where the value fits a command line,
  through the flag the aws CLI would use: the answer is ValidationException and nothing changes.
- Every response is validated against the operation's output shape by the `cli` fixture itself (conftest.py); the
  tests here make sure each implemented operation's response is produced at least once, paged or not.
"""
import base64
import json
import subprocess

import pytest

import service_model
from conftest import CLI, EXIT_SERVICE, EXIT_USAGE, b64

SHARD0 = "shardId-000000000000"


def implemented_operations():
    """The model's operations this CLI has a command for (asked of the binary, not listed by hand)."""
    if not CLI:
        return []
    usage = subprocess.run([CLI, "--help"], capture_output=True, text=True).stdout
    commands = {line.split()[0] for line in usage.split("Subcommands:", 1)[-1].splitlines() if line.strip()}
    return [operation for operation in sorted(service_model.operations())
            if service_model.command_for_operation(operation) in commands]


OPERATIONS = implemented_operations()


def baseline_request(cli, operation):
    """A valid request for each operation against the stream "s" of the `model_stream` fixture. An operation the
    CLI implements without a baseline here fails the test: its constraints would go unchecked."""
    def summary():
        return cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]

    def arn():
        return summary()["StreamARN"]

    def created():
        return summary()["StreamCreationTimestamp"]

    def registered_consumer():
        cli.json("register-stream-consumer", "--stream-arn", arn(), "--consumer-name", "c")
        return "c"

    requests = {
        "CreateStream": {"StreamName": "fresh", "ShardCount": 1, "StreamModeDetails": {"StreamMode": "PROVISIONED"}},
        "DeleteStream": {"StreamName": "s"},
        "DescribeStream": {"StreamName": "s", "Limit": 1, "ExclusiveStartShardId": SHARD0},
        "DescribeStreamSummary": {"StreamName": "s"},
        "ListStreams": {"Limit": 1, "ExclusiveStartStreamName": "a"},
        "ListShards": {"StreamName": "s", "MaxResults": 1, "ShardFilter": {"Type": "AT_LATEST"},
                       "StreamCreationTimestamp": created},
        "PutRecord": {"StreamName": "s", "Data": b64(b"x"), "PartitionKey": "k", "ExplicitHashKey": "1",
                      "SequenceNumberForOrdering": "1"},
        "PutRecords": {"StreamName": "s", "Records": [{"Data": b64(b"x"), "PartitionKey": "k",
                                                       "ExplicitHashKey": "1"}]},
        "GetShardIterator": {"StreamName": "s", "ShardId": SHARD0, "ShardIteratorType": "TRIM_HORIZON"},
        "GetRecords": {"ShardIterator": lambda: cli.iterator("s", SHARD0, "TRIM_HORIZON"), "Limit": 1},
        "SplitShard": {"StreamName": "s", "ShardToSplit": SHARD0, "NewStartingHashKey": "1"},
        "MergeShards": {"StreamName": "s", "ShardToMerge": SHARD0, "AdjacentShardToMerge": "shardId-000000000001"},
        "UpdateShardCount": {"StreamName": "s", "TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"},
        "IncreaseStreamRetentionPeriod": {"StreamName": "s", "RetentionPeriodHours": 48},
        "DecreaseStreamRetentionPeriod": {"StreamName": "s", "RetentionPeriodHours": 24},
        "DescribeLimits": {},
        "AddTagsToStream": {"StreamName": "s", "Tags": {"team": "quant"}},
        "RemoveTagsFromStream": {"StreamName": "s", "TagKeys": ["team"]},
        "ListTagsForStream": {"StreamName": "s", "ExclusiveStartTagKey": "a", "Limit": 1},
        "UpdateStreamMode": {"StreamARN": arn, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
        "EnableEnhancedMonitoring": {"StreamName": "s", "ShardLevelMetrics": ["IncomingBytes"]},
        "DisableEnhancedMonitoring": {"StreamName": "s", "ShardLevelMetrics": ["IncomingBytes"]},
        "RegisterStreamConsumer": {"StreamARN": arn, "ConsumerName": "fresh"},
        "DeregisterStreamConsumer": {"StreamARN": arn, "ConsumerName": registered_consumer},
        "DescribeStreamConsumer": {"StreamARN": arn, "ConsumerName": registered_consumer},
        "ListStreamConsumers": {"StreamARN": arn, "MaxResults": 1, "StreamCreationTimestamp": created},
        "StartStreamEncryption": {"StreamName": "s", "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
        "StopStreamEncryption": {"StreamName": "s", "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
    }
    assert operation in requests, f"{operation} is implemented but has no baseline request in this test"
    return {member: value() if callable(value) else value for member, value in requests[operation].items()}


def cases():
    for operation in OPERATIONS:
        for member, violation in service_model.input_violations(operation):
            yield pytest.param(operation, violation, id=f"{operation}-{violation!r}"[:120])


@pytest.fixture
def model_stream(cli, tmp_path):
    cli.env["SHMSTREAM_KEY_DIR"] = str(tmp_path / "keys")  # StartStreamEncryption's default key is made here
    cli.create("s", 2)
    cli.put("s", "k", "one record")
    return cli


def state(cli):
    """What a refused request must leave as it was: the streams, their shards and their records."""
    streams = cli.json("list-streams")["StreamNames"]
    return streams, {name: (cli.json("list-shards", "--stream-name", name)["Shards"], cli.record_count(name))
                     for name in streams}


def request_flags(request):
    """The aws CLI flags for a request document (structures and lists as JSON, booleans as --x / --no-x)."""
    flags = []
    for member, value in request.items():
        flag = service_model.flag_for_member(member)
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, (dict, list)):
            flags += [flag, json.dumps(value)]
        else:
            flags += [flag, str(value)]
    return flags


@pytest.mark.parametrize("operation,violation", list(cases()))
def test_every_input_constraint_is_enforced_as_validation_exception(model_stream, operation, violation, tmp_path):
    cli = model_stream
    request = baseline_request(cli, operation)
    parent = request
    for step in violation.member_path[:-1]:
        if isinstance(parent, dict) and step not in parent or isinstance(parent, list) and step >= len(parent):
            pytest.fail(f"the baseline request of {operation} has no {violation.member_path[:-1]}: extend it")
        parent = parent[step]
    bad = service_model.with_violation(request, violation)
    command = service_model.command_for_operation(operation)
    before = state(cli)

    path = tmp_path / "request.json"
    path.write_text(json.dumps(bad))
    result = cli.fails("ValidationException", operation, command, "--cli-input-json", f"file://{path}")
    assert "validation error" in result.stderr

    flags = request_flags(bad)
    if sum(len(flag) for flag in flags) < 100_000:  # one argv string must stay below the kernel's 128 KiB
        cli.fails("ValidationException", operation, command, *flags)
    assert state(cli) == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_baseline_request_is_accepted_and_answers_the_output_shape(model_stream, operation, tmp_path):
    """The baselines are valid (so each violation above is refused for its own sake), and each response has the
    operation's output shape (checked by cli.json)."""
    cli = model_stream
    request = baseline_request(cli, operation)
    command = service_model.command_for_operation(operation)
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    result = cli.ok(command, "--cli-input-json", f"file://{path}")
    if service_model.output_shape_name(operation):
        document = json.loads(result.stdout)
        service_model.validate_output(operation, document)
    else:
        assert result.stdout == ""


def test_the_model_has_the_newer_members():
    """The suite reads the newest model Debian ships (awscli's copy has StreamARN and StreamSummaries)."""
    assert "StreamSummaries" in service_model.shape("ListStreamsOutput")["members"]
    assert "StreamARN" in service_model.shape("DescribeStreamInput")["members"]


def test_the_output_validator_refuses_what_is_not_the_shape():
    with pytest.raises(service_model.ShapeError, match="not in"):
        service_model.validate_output("ListStreams", {"StreamNames": [], "HasMoreStreams": False, "Extra": 1})
    with pytest.raises(service_model.ShapeError, match="required"):
        service_model.validate_output("ListStreams", {"StreamNames": []})
    with pytest.raises(service_model.ShapeError, match="enum|not one of"):
        service_model.validate_output("DescribeStreamSummary", {"StreamDescriptionSummary": {
            "StreamName": "s", "StreamARN": "arn:aws:kinesis:local:000000000000:stream/s", "StreamStatus": "SLEEPY",
            "RetentionPeriodHours": 24, "StreamCreationTimestamp": "2026-01-01T00:00:00+00:00",
            "EnhancedMonitoring": [], "OpenShardCount": 1}})
    with pytest.raises(service_model.ShapeError, match="integer"):
        service_model.validate_output("PutRecords", {"FailedRecordCount": "0", "Records": []})


# --- semantic errors: not in the model, so InvalidArgumentException (and the others Kinesis uses) ----------------

def test_semantic_errors_are_invalid_argument(model_stream):
    cli = model_stream
    cli.fails("InvalidArgumentException", "PutRecord", "put-record", "--stream-name", "s", "--partition-key", "k",
              "--data", "eA==", "--explicit-hash-key", str(2**128))  # 39 digits fit the pattern; 2^128 does not
    cli.fails("InvalidArgumentException", "GetShardIterator", "get-shard-iterator", "--stream-name", "s",
              "--shard-id", SHARD0, "--shard-iterator-type", "AT_SEQUENCE_NUMBER")
    cli.fails("InvalidArgumentException", "ListShards", "list-shards")


def test_well_formed_shard_ids_that_name_no_shard_are_resource_not_found(model_stream):
    cli = model_stream
    for shard in ("shardId-000000000077", "shardId-999999999999", "my.shard"):
        cli.fails("ResourceNotFoundException", "GetShardIterator", "get-shard-iterator", "--stream-name", "s",
                  "--shard-id", shard, "--shard-iterator-type", "LATEST")
        cli.fails("ResourceNotFoundException", "SplitShard", "split-shard", "--stream-name", "s",
                  "--shard-to-split", shard, "--new-starting-hash-key", "5")


def test_update_shard_count_beyond_the_scaling_limits_is_limit_exceeded(model_stream):
    cli = model_stream
    for target in (5, 1000, 1025):  # over double the 2 open shards; over the open-shard limit
        cli.fails("LimitExceededException", "UpdateShardCount", "update-shard-count", "--stream-name", "s",
                  "--target-shard-count", target, "--scaling-type", "UNIFORM_SCALING")


def test_a_closed_shard_without_records_ends_at_or_after_its_start(cli):
    cli.create("s", 2)
    cli.ok("merge-shards", "--stream-name", "s", "--shard-to-merge", SHARD0,
           "--adjacent-shard-to-merge", "shardId-000000000001")
    for shard in cli.json("list-shards", "--stream-name", "s")["Shards"]:
        numbers = shard["SequenceNumberRange"]
        if "EndingSequenceNumber" in numbers:
            assert int(numbers["EndingSequenceNumber"]) >= int(numbers["StartingSequenceNumber"]), shard


# --- paging ---------------------------------------------------------------------------------------------------

def test_describe_stream_pages_hold_at_most_100_shards_and_the_cli_merges_them(cli):
    cli.ok("create-stream", "--stream-name", "wide", "--shard-count", 150, "--segment-size", "4KiB")
    merged = cli.json("describe-stream", "--stream-name", "wide")["StreamDescription"]
    assert len(merged["Shards"]) == 150 and merged["HasMoreShards"] is False
    page = cli.json("describe-stream", "--stream-name", "wide", "--limit", 10000)["StreamDescription"]
    assert len(page["Shards"]) == 100 and page["HasMoreShards"] is True
    rest = cli.json("describe-stream", "--stream-name", "wide", "--exclusive-start-shard-id",
                    page["Shards"][-1]["ShardId"])["StreamDescription"]
    assert page["Shards"] + rest["Shards"] == merged["Shards"] and rest["HasMoreShards"] is False


def test_list_streams_pages_hold_at_most_100_with_next_token(cli):
    names = sorted(f"s{i:03}" for i in range(103))
    for name in names:
        cli.ok("create-stream", "--stream-name", name, "--segment-size", "4KiB")
    merged = cli.json("list-streams")
    assert merged["StreamNames"] == names and merged["HasMoreStreams"] is False and "NextToken" not in merged
    assert [s["StreamName"] for s in merged["StreamSummaries"]] == names
    page = cli.json("list-streams", "--limit", 10000)
    assert page["StreamNames"] == names[:100] and page["HasMoreStreams"] is True
    rest = cli.json("list-streams", "--next-token", page["NextToken"])
    assert rest["StreamNames"] == names[100:] and rest["HasMoreStreams"] is False
    cli.fails("InvalidArgumentException", "ListStreams", "list-streams", "--next-token", page["NextToken"],
              "--exclusive-start-stream-name", "s001")


def test_list_shards_pages_hold_at_most_1000_and_next_tokens_expire(cli):
    cli.ok("create-stream", "--stream-name", "s", "--shard-count", 1001, "--segment-size", "4KiB")
    assert len(cli.json("list-shards", "--stream-name", "s")["Shards"]) == 1001
    page = cli.json("list-shards", "--stream-name", "s", "--max-results", 10000)
    assert len(page["Shards"]) == 1000
    assert len(cli.json("list-shards", "--next-token", page["NextToken"])["Shards"]) == 1
    cli.fails("ExpiredNextTokenException", "ListShards", "list-shards", "--next-token", page["NextToken"],
              env={"SHMSTREAM_NEXT_TOKEN_TTL_SECONDS": "0"})


def test_list_shards_stream_creation_timestamp_tells_a_recreated_stream_apart(cli):
    cli.create("s", 2)
    created = cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"][
        "StreamCreationTimestamp"]
    assert len(cli.json("list-shards", "--stream-name", "s", "--stream-creation-timestamp", created)["Shards"]) == 2
    cli.ok("delete-stream", "--stream-name", "s")
    cli.create("s", 2)
    cli.fails("ResourceNotFoundException", "ListShards", "list-shards", "--stream-name", "s",
              "--stream-creation-timestamp", created)


def test_max_items_and_starting_token_as_the_aws_cli(cli):
    cli.create("s", 5)
    for i in range(5):
        cli.ok("create-stream", "--stream-name", f"t{i}", "--segment-size", "4KiB")
    every = [s["ShardId"] for s in cli.json("list-shards", "--stream-name", "s")["Shards"]]
    first = cli.json("list-shards", "--stream-name", "s", "--max-items", 3)
    assert [s["ShardId"] for s in first["Shards"]] == every[:3] and "NextToken" in first
    rest = cli.json("list-shards", "--stream-name", "s", "--starting-token", first["NextToken"])
    assert [s["ShardId"] for s in rest["Shards"]] == every[3:] and "NextToken" not in rest
    names = cli.json("list-streams")["StreamNames"]
    head = cli.json("list-streams", "--max-items", 2)
    assert head["StreamNames"] == names[:2] and head["HasMoreStreams"] is True
    tail = cli.json("list-streams", "--starting-token", head["NextToken"])
    assert tail["StreamNames"] == names[2:] and tail["HasMoreStreams"] is False
    cli.fails("InvalidArgumentException", "ListShards", "list-shards", "--stream-name", "t0", "--starting-token",
              first["NextToken"])


# --- aws CLI habits -------------------------------------------------------------------------------------------

def test_output_text_is_the_aws_cli_text_form(cli):
    from awscli.text import format_text
    import io
    cli.create("s", 2)
    for args in (["describe-stream", "--stream-name", "s"], ["list-shards", "--stream-name", "s"],
                 ["list-streams"]):
        document = cli.json(*args)
        expected = io.StringIO()
        format_text(document, expected)
        assert cli.ok(*args, "--output", "text").stdout == expected.getvalue()


def test_output_table_is_the_aws_cli_table_form(cli):
    """Byte for byte what awscli's own TableFormatter prints for the same response (stdout is not a terminal:
    80 columns, sections wider than that made vertical)."""
    from awscli.formatter import TableFormatter
    import io

    class Arguments:
        color = "off"
        query = None

    cli.create("s", 3)
    cli.ok("merge-shards", "--stream-name", "s", "--shard-to-merge", SHARD0,
           "--adjacent-shard-to-merge", "shardId-000000000001")
    put = cli.put("s", "key", "payload")
    iterator = cli.iterator("s", put["ShardId"], "TRIM_HORIZON")
    for operation, args in (("DescribeStream", ["describe-stream", "--stream-name", "s"]),
                            ("DescribeStreamSummary", ["describe-stream-summary", "--stream-name", "s"]),
                            ("ListShards", ["list-shards", "--stream-name", "s"]),
                            ("ListStreams", ["list-streams"]),
                            ("GetRecords", ["get-records", "--shard-iterator", iterator, "--query", "Records"]),
                            ("ListShards", ["list-shards", "--stream-name", "s", "--query", "Shards[].ShardId"])):
        document = json.loads(cli.ok(*args).stdout)
        expected = io.StringIO()
        TableFormatter(Arguments())(operation, document, expected)
        assert cli.ok(*args, "--output", "table").stdout == expected.getvalue(), args


def test_query_is_evaluated_by_jmespath(cli):
    cli.create("s", 3)
    ids = json.loads(cli.ok("list-shards", "--stream-name", "s", "--query", "Shards[].ShardId").stdout)
    assert ids == [f"shardId-{i:012}" for i in range(3)]
    assert cli.ok("list-shards", "--stream-name", "s", "--query", "length(Shards)", "--output", "text").stdout == "3\n"
    assert cli.run("list-shards", "--stream-name", "s", "--query", "Shards[").returncode == EXIT_USAGE


def test_stream_arn_wherever_the_model_accepts_it(cli):
    cli.create("s", 1)
    arn = cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]["StreamARN"]
    assert cli.json("describe-stream", "--stream-arn", arn)["StreamDescription"]["StreamName"] == "s"
    put = cli.json("put-record", "--stream-arn", arn, "--partition-key", "k", "--data", b64(b"by arn"))
    iterator = cli.json("get-shard-iterator", "--stream-arn", arn, "--shard-id", put["ShardId"],
                        "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    records = cli.json("get-records", "--shard-iterator", iterator, "--stream-arn", arn)["Records"]
    assert base64.b64decode(records[0]["Data"]) == b"by arn"
    cli.fails("InvalidArgumentException", "GetRecords", "get-records", "--shard-iterator", iterator,
              "--stream-arn", arn + "x")
    cli.fails("ResourceNotFoundException", "DescribeStream", "describe-stream", "--stream-arn",
              "arn:aws:kinesis:us-east-1:123456789012:stream/s")
    cli.fails("ValidationException", "DescribeStream", "describe-stream", "--stream-arn", "not-an-arn")
    cli.fails("InvalidArgumentException", "DescribeStream", "describe-stream", "--stream-arn", arn,
              "--stream-name", "other")


def test_shorthand_records_and_stream_mode_details(cli):
    cli.ok("create-stream", "--stream-name", "s", "--stream-mode-details", "StreamMode=PROVISIONED")
    result = cli.json("put-records", "--stream-name", "s", "--records", f"Data={b64(b'one')},PartitionKey=a",
                      f"Data={b64(b'two')},PartitionKey=b")
    assert result["FailedRecordCount"] == 0 and len(result["Records"]) == 2
    assert sorted(base64.b64decode(r["Data"]) for r in cli.read_all("s")) == [b"one", b"two"]


def test_blob_arguments_follow_aws_cli_v2(cli):
    cli.create("s")
    cli.json("put-record", "--stream-name", "s", "--partition-key", "k", "--data", b64(b"base64 by default"))
    cli.json("put-record", "--stream-name", "s", "--partition-key", "k", "--data", "raw text",
             "--cli-binary-format", "raw-in-base64-out")
    assert [base64.b64decode(r["Data"]) for r in cli.read_all("s")] == [b"base64 by default", b"raw text"]
    cli.fails("InvalidArgumentException", "PutRecord", "put-record", "--stream-name", "s", "--partition-key", "k",
              "--data", "raw text")


def test_ignored_aws_options_version_and_unknown_commands(cli):
    cli.create("s")
    cli.json("describe-stream-summary", "--stream-name", "s", "--region", "eu-west-1", "--profile", "dev",
             "--endpoint-url", "http://localhost:4566", "--no-cli-pager")
    version = cli.ok("--version").stdout
    assert version.startswith("shmstream/")
    result = cli.usage_error("describe-streams")
    assert "Invalid choice" in result.stderr and "describe-stream" in result.stderr


def test_wait_stream_exists_and_not_exists(cli):
    import threading
    import time
    cli.ok("wait", "stream-not-exists", "--stream-name", "s")  # already true: returns at once, prints nothing
    creator = threading.Timer(0.5, lambda: cli.create("s"))
    creator.start()
    started = time.monotonic()
    result = cli.ok("wait", "stream-exists", "--stream-name", "s")
    creator.join()
    assert result.stdout == "" and 0.4 < time.monotonic() - started < 30
    failed = cli.run("wait", "stream-not-exists", "--stream-name", "s", env={"SHMSTREAM_WAITER_TIMEOUT_SECONDS": "0.3"})
    assert failed.returncode == 255 and "Waiter StreamNotExists failed: Max attempts exceeded" in failed.stderr
    remover = threading.Timer(0.5, lambda: cli.ok("delete-stream", "--stream-name", "s"))
    remover.start()
    cli.ok("wait", "stream-not-exists", "--stream-name", "s")
    remover.join()
    assert cli.run("wait").returncode == EXIT_USAGE
