"""increase-/decrease-stream-retention-period (the Kinesis rules) and update-retention (shmstream's finer settings)."""
import pytest


def retention(cli, name="s"):
    output = cli.json("describe-stream-summary", "--stream-name", name, "--shmstream-details")
    return output["StreamDescriptionSummary"]["RetentionPeriodHours"], output["ShmstreamDetails"]


def test_increase_then_decrease(cli):
    cli.create("s")
    assert retention(cli)[0] == 24
    assert cli.ok("increase-stream-retention-period", "--stream-name", "s", "--retention-period-hours", 48).stdout == ""
    hours, extension = retention(cli)
    assert hours == 48 and extension["RetentionSeconds"] == 48 * 3600
    assert cli.json("describe-stream", "--stream-name", "s")["StreamDescription"]["RetentionPeriodHours"] == 48
    cli.ok("increase-stream-retention-period", "--stream-name", "s", "--retention-period-hours", 8760)
    assert retention(cli)[0] == 8760
    assert cli.ok("decrease-stream-retention-period", "--stream-name", "s", "--retention-period-hours", 24).stdout == ""
    assert retention(cli)[0] == 24


@pytest.mark.parametrize("command,hours,message", [
    ("increase-stream-retention-period", 23, "Minimum allowed retention period is 24 hours"),
    ("increase-stream-retention-period", 8761, "Maximum allowed retention period is 8760 hours"),
    ("decrease-stream-retention-period", 23, "Minimum allowed retention period is 24 hours"),
    ("decrease-stream-retention-period", 8761, "Maximum allowed retention period is 8760 hours"),
    ("increase-stream-retention-period", 24, "can not be shorter than existing retention period"),  # now 48
    ("decrease-stream-retention-period", 72, "can not be longer than existing retention period"),
    ("increase-stream-retention-period", -1, "Minimum allowed retention period"),
])
def test_retention_period_rules(cli, command, hours, message):
    cli.create("s")
    cli.ok("increase-stream-retention-period", "--stream-name", "s", "--retention-period-hours", 48)
    operation = "IncreaseStreamRetentionPeriod" if command.startswith("increase") else "DecreaseStreamRetentionPeriod"
    result = cli.fails("InvalidArgumentException", operation, command, "--stream-name", "s",
                       "--retention-period-hours", hours)
    assert message in result.stderr
    assert retention(cli)[0] == 48


def test_retention_period_from_a_short_ipc_retention(cli):
    cli.create("s", 1, "--retention", "90s")
    hours, extension = retention(cli)
    assert hours == 1 and extension["RetentionSeconds"] == 90  # the API's integer rounds up; the extension is exact
    cli.fails("InvalidArgumentException", "DecreaseStreamRetentionPeriod", "decrease-stream-retention-period",
              "--stream-name", "s", "--retention-period-hours", 24)  # 24 h is longer than 90 s
    cli.ok("increase-stream-retention-period", "--stream-name", "s", "--retention-period-hours", 24)
    assert retention(cli)[0] == 24


def test_retention_commands_unknown_stream_and_usage(cli):
    for command, operation in (("increase-stream-retention-period", "IncreaseStreamRetentionPeriod"),
                               ("decrease-stream-retention-period", "DecreaseStreamRetentionPeriod")):
        cli.fails("ResourceNotFoundException", operation, command, "--stream-name", "nope",
                  "--retention-period-hours", 48)
        cli.usage_error(command, "--stream-name", "s")
        cli.usage_error(command, "--stream-name", "s", "--retention-period-hours", "two days")
    cli.fails("ResourceNotFoundException", "UpdateRetention", "update-retention", "--stream-name", "nope",
              "--retention", "1h")


def test_update_retention(cli):
    cli.create("s", 2)  # 64 KiB segments
    default_bytes = retention(cli)[1]["RetentionBytesPerShard"]
    assert retention(cli)[1] == {"RetentionSeconds": 86400, "RetentionBytesPerShard": default_bytes, "UnblockTimeoutMillis": 2000,
                                 "SegmentSize": 65536, "Checksums": False}
    assert cli.ok("update-retention", "--stream-name", "s", "--retention", "15m").stdout == ""
    assert retention(cli) == (1, {"RetentionSeconds": 900, "RetentionBytesPerShard": default_bytes, "UnblockTimeoutMillis": 2000,
                                  "SegmentSize": 65536, "Checksums": False})
    cli.ok("update-retention", "--stream-name", "s", "--retention-bytes", "512KiB", "--unblock-timeout", "500ms")
    assert retention(cli)[1] == {"RetentionSeconds": 900, "RetentionBytesPerShard": 512 << 10, "UnblockTimeoutMillis": 500,
                                 "SegmentSize": 65536, "Checksums": False}
    cli.ok("update-retention", "--stream-name", "s", "--retention", "1500ms", "--retention-bytes", "0")
    hours, extension = retention(cli)
    assert hours == 1 and extension["RetentionSeconds"] == 1.5
    assert extension["RetentionBytesPerShard"] == default_bytes  # 0: back to the default cap
    cli.ok("update-retention", "--stream-name", "s", "--retention", "8760h")
    assert retention(cli)[0] == 8760


@pytest.mark.parametrize("flags", [
    [],
    ["--retention", "0s"],
    ["--retention", "500ms"],
    ["--retention", "8761h"],
    ["--retention", "10x"],
    ["--retention-bytes", "64KiB"],  # one segment
    ["--retention-bytes", "12XB"],
    ["--unblock-timeout", "0s"],
    ["--unblock-timeout", "2h"],
    ["--retention", "1h", "--retention-bytes", "1KiB"],  # one bad flag: nothing changes, not even the good one
    ["--retention-bytes", "1MiB", "--unblock-timeout", "0ms"],
])
def test_update_retention_errors_change_nothing(cli, flags):
    cli.create("s")
    before = retention(cli)
    cli.fails("InvalidArgumentException", "UpdateRetention", "update-retention", "--stream-name", "s", *flags)
    assert retention(cli) == before
