"""Stream encryption through the CLI: the `kms` commands in the JSON of `aws kms`, start-/stop-stream-encryption
with the AWS errors, describe showing EncryptionType and KeyId, get-records and tail decrypting for a holder
of the key; and, as real Unix users, KMSAccessDeniedException for a user who cannot read the key file (CLI and
Python), a group member reading once the owner shares the key file with the group.
"""
import glob
import grp
import json
import os
import pwd

import pytest

from conftest import CLI, EXIT_SERVICE, b64, unb64
from unix_users import cli_as, made_users, needs_root, run_as, shared_place

KEY_METADATA = ["AWSAccountId", "KeyId", "Arn", "CreationDate", "Enabled", "Description", "KeyUsage", "KeyState",
                "Origin", "KeyManager", "CustomerMasterKeySpec", "KeySpec", "EncryptionAlgorithms", "MultiRegion"]


@pytest.fixture
def keys(cli, tmp_path):
    """A private key directory, passed as the library reads it ($SHMSTREAM_KEY_DIR)."""
    directory = str(tmp_path / "keys")
    cli.env["SHMSTREAM_KEY_DIR"] = directory
    return directory


def test_kms_commands_have_the_aws_shapes(cli, keys):
    made = cli.json("kms", "create-key", "--description", "orders key")["KeyMetadata"]
    assert list(made) == KEY_METADATA
    assert made["Description"] == "orders key" and made["Enabled"] is True and made["KeyState"] == "Enabled"
    assert made["Arn"] == f"arn:aws:kms:local:000000000000:key/{made['KeyId']}"
    assert made["KeySpec"] == "SYMMETRIC_DEFAULT" and made["KeyUsage"] == "ENCRYPT_DECRYPT"
    key_file = os.path.join(keys, made["KeyId"] + ".key")
    assert oct(os.stat(key_file).st_mode & 0o7777) == "0o600"
    assert oct(os.stat(keys).st_mode & 0o7777) == "0o700"
    assert cli.json("kms", "list-keys") == {"Keys": [{"KeyId": made["KeyId"], "KeyArn": made["Arn"]}],
                                            "Truncated": False}
    assert cli.ok("kms", "create-alias", "--alias-name", "alias/orders", "--target-key-id", made["KeyId"]).stdout == ""
    aliases = cli.json("kms", "list-aliases")["Aliases"]
    assert [list(a) for a in aliases] == [["AliasName", "AliasArn", "TargetKeyId", "CreationDate", "LastUpdatedDate"]]
    assert aliases[0]["AliasArn"] == "arn:aws:kms:local:000000000000:alias/orders"
    for key_id in (made["KeyId"], made["Arn"], "alias/orders", "arn:aws:kms:local:000000000000:alias/orders"):
        assert cli.json("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyId"] == made["KeyId"]
    cli.ok("kms", "disable-key", "--key-id", "alias/orders")
    described = cli.json("kms", "describe-key", "--key-id", made["KeyId"])["KeyMetadata"]
    assert described["Enabled"] is False and described["KeyState"] == "Disabled"
    cli.ok("kms", "enable-key", "--key-id", made["KeyId"])
    assert cli.json("kms", "describe-key", "--key-id", made["KeyId"])["KeyMetadata"]["Enabled"] is True
    cli.fails("NotFoundException", "DescribeKey", "kms", "describe-key", "--key-id", "alias/none")
    cli.fails("AlreadyExistsException", "CreateAlias", "kms", "create-alias", "--alias-name", "alias/orders",
              "--target-key-id", made["KeyId"])
    cli.fails("ValidationException", "CreateAlias", "kms", "create-alias", "--alias-name", "orders",
              "--target-key-id", made["KeyId"])


def test_key_dir_flag_and_default_under_xdg_config_home(cli, tmp_path):
    flagged = str(tmp_path / "flagged")
    made = cli.json("--key-dir", flagged, "kms", "create-key")["KeyMetadata"]
    assert os.path.exists(os.path.join(flagged, made["KeyId"] + ".key"))
    config = tmp_path / "config"
    made = cli.json("kms", "create-key", env={"XDG_CONFIG_HOME": str(config)})["KeyMetadata"]
    assert os.path.exists(config / "shmstream" / "keys" / (made["KeyId"] + ".key"))


def test_start_and_stop_with_describe_and_reads_that_decrypt(cli, keys):
    cli.create("s", 2)
    cli.put("s", "before", "plain before")
    assert cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]["EncryptionType"] == "NONE"
    assert "KeyId" not in cli.json("describe-stream", "--stream-name", "s")["StreamDescription"]
    assert cli.ok("start-stream-encryption", "--stream-name", "s", "--encryption-type", "KMS",
                  "--key-id", "alias/aws/kinesis").stdout == ""
    summary = cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "KMS" and summary["KeyId"] == "alias/aws/kinesis"
    assert list(summary).index("KeyId") == list(summary).index("EncryptionType") + 1
    description = cli.json("describe-stream", "--stream-name", "s")["StreamDescription"]
    assert description["EncryptionType"] == "KMS" and description["KeyId"] == "alias/aws/kinesis"
    # The default key was made on first use, with the Kinesis alias.
    assert [a["AliasName"] for a in cli.json("kms", "list-aliases")["Aliases"]] == ["alias/aws/kinesis"]
    for i in range(20):
        cli.put("s", f"key-{i}", f"SECRET-{i:03}")
    assert cli.put("s", "k", "SECRET-sealed")["EncryptionType"] == "KMS"
    cli.ok("stop-stream-encryption", "--stream-name", "s", "--encryption-type", "KMS", "--key-id", "alias/aws/kinesis")
    assert "EncryptionType" not in cli.put("s", "after", "plain after")
    assert cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]["EncryptionType"] == "NONE"
    records = [r for shard in ("shardId-000000000000", "shardId-000000000001") for r in cli.read_all("s", shard)]
    data = sorted(unb64(r["Data"]).decode() for r in records)
    assert data == sorted(["plain before", "plain after", "SECRET-sealed"] + [f"SECRET-{i:03}" for i in range(20)])
    # AWS marks sealed records (and the puts that sealed them) with EncryptionType KMS, plain ones not at all.
    assert all((r.get("EncryptionType") == "KMS") == unb64(r["Data"]).startswith(b"SECRET-") for r in records)
    tail = cli.ok("tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--max-records", "23", "--timeout", "10")
    assert sorted(unb64(json.loads(line)["Data"]).decode() for line in tail.stdout.splitlines()) == data
    for segment in glob.glob(os.path.join(cli.root, "s", "shards", "*", "*.seg")):
        content = open(segment, "rb").read()
        assert b"SECRET-" not in content and b"key-1" not in content, segment


def test_start_errors_are_the_aws_ones(cli, keys):
    cli.create("s")
    key_id = cli.json("kms", "create-key")["KeyMetadata"]["KeyId"]
    start = ("start-stream-encryption", "--stream-name", "s")
    cli.fails("InvalidArgumentException", "StartStreamEncryption", *start, "--encryption-type", "NONE", "--key-id", key_id)
    cli.fails("KMSNotFoundException", "StartStreamEncryption", *start, "--encryption-type", "KMS",
              "--key-id", "alias/missing")
    cli.fails("KMSNotFoundException", "StartStreamEncryption", *start, "--encryption-type", "KMS",
              "--key-id", "arn:aws:kms:us-east-1:123456789012:key/" + key_id)
    cli.ok("kms", "disable-key", "--key-id", key_id)
    cli.fails("KMSDisabledException", "StartStreamEncryption", *start, "--encryption-type", "KMS", "--key-id", key_id)
    cli.fails("ResourceNotFoundException", "StartStreamEncryption", "start-stream-encryption", "--stream-name", "nope",
              "--encryption-type", "KMS", "--key-id", key_id)
    assert cli.json("describe-stream-summary", "--stream-name", "s")["StreamDescriptionSummary"]["EncryptionType"] == "NONE"
    # A reader whose key was disabled after the records were sealed: KMSDisabledException.
    cli.ok("kms", "enable-key", "--key-id", key_id)
    cli.ok(*start, "--encryption-type", "KMS", "--key-id", key_id)
    cli.put("s", "k", "sealed")
    cli.ok("kms", "disable-key", "--key-id", key_id)
    iterator = cli.iterator("s", "shardId-000000000000", "TRIM_HORIZON")
    cli.fails("KMSDisabledException", "GetRecords", "get-records", "--shard-iterator", iterator)
    cli.fails("KMSDisabledException", "PutRecord", "put-record", "--stream-name", "s", "--partition-key", "k",
              "--data", b64(b"x"))


# -- other Unix users ------------------------------------------------------------------------------------

GROUP = "shmse-keys"
OWNER, MEMBER, OUTSIDER = "shmse-owner", "shmse-member", "shmse-outsider"
BUILD_PYTHON = os.path.join(os.path.dirname(os.path.dirname(CLI)), "bindings", "python") if CLI else ""
SOURCE_PYTHON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "bindings", "python")


@pytest.fixture(scope="module")
def users():
    with made_users(GROUP, OWNER, MEMBER, OUTSIDER, owner_primary_group_is_shared=False):
        yield


@pytest.fixture
def place(users):
    with shared_place("shmstream-keys-") as place:
        yield place


def python_as(user, root, code):
    env = {"PYTHONPATH": f"{BUILD_PYTHON}:{SOURCE_PYTHON}", "PYTHONDONTWRITEBYTECODE": "1"}
    return run_as(user, "/usr/bin/python3", "-c", code, root, env=env)


READ_IN_PYTHON = """
import sys, shmstream
stream = shmstream.Stream.open("s", root=sys.argv[1])
try:
    print(sorted(bytes(r.data).decode() for r in stream.iterator(0).get_records().records))
except shmstream.KMSAccessDeniedException as error:
    print("KMSAccessDeniedException", error)
    sys.exit(3)
"""


@needs_root
def test_other_users_need_the_key_file_and_a_group_shares_it(place):
    directory, binary, root = place
    keys = os.path.join(directory, "owner-keys")
    os.mkdir(keys, 0o700)  # the owner's own directory, as ~/.config would be
    os.chown(keys, pwd.getpwnam(OWNER).pw_uid, pwd.getpwnam(OWNER).pw_gid)
    owner = {"SHMSTREAM_KEY_DIR": keys}
    # A stream every user may read and write: its files alone protect nothing, the key does.
    assert cli_as(OWNER, binary, root, "create-stream", "--stream-name", "s", "--mode", "0666").returncode == 0
    key_id = json.loads(cli_as(OWNER, binary, root, "kms", "create-key", env=owner).stdout)["KeyMetadata"]["KeyId"]
    started = cli_as(OWNER, binary, root, "start-stream-encryption", "--stream-name", "s", "--encryption-type", "KMS",
                     "--key-id", key_id, env=owner)
    assert started.returncode == 0, started.stderr
    for i in range(3):
        assert cli_as(OWNER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "k",
                      "--data", f"owner secret {i}", "--cli-binary-format", "raw-in-base64-out",
                      env=owner).returncode == 0

    def get_records(user):
        token = json.loads(cli_as(user, binary, root, "get-shard-iterator", "--stream-name", "s", "--shard-id", 0,
                                  "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
        return cli_as(user, binary, root, "get-records", "--shard-iterator", token)

    # Neither the outsider nor (before the owner shares) the member: KMSAccessDeniedException, clearly.
    for user in (OUTSIDER, MEMBER):
        denied = get_records(user)
        assert denied.returncode == EXIT_SERVICE, denied.stderr
        assert "(KMSAccessDeniedException) when calling the GetRecords operation" in denied.stderr
        assert "may not read the key file" in denied.stderr and key_id in denied.stderr
        put = cli_as(user, binary, root, "put-record", "--stream-name", "s", "--partition-key", "k", "--data", b64(b"x"))
        assert put.returncode == EXIT_SERVICE and "KMSAccessDeniedException" in put.stderr, put.stderr
        tail = cli_as(user, binary, root, "tail", "--stream-name", "s", "--from", "TRIM_HORIZON", "--timeout", "2")
        assert tail.returncode == EXIT_SERVICE and "KMSAccessDeniedException" in tail.stderr, tail.stderr
    python = python_as(OUTSIDER, root, READ_IN_PYTHON)
    assert python.returncode == 3 and python.stdout.startswith("KMSAccessDeniedException"), python.stdout + python.stderr
    # Nothing was written by the refused puts.
    token = json.loads(cli_as(OWNER, binary, root, "get-shard-iterator", "--stream-name", "s", "--shard-id", 0,
                              "--shard-iterator-type", "TRIM_HORIZON").stdout)["ShardIterator"]
    records = json.loads(cli_as(OWNER, binary, root, "get-records", "--shard-iterator", token, env=owner).stdout)
    assert [unb64(r["Data"]).decode() for r in records["Records"]] == [f"owner secret {i}" for i in range(3)]

    # The owner shares the key file (and a way to it) with the group: the member reads, in CLI and Python,
    # and writes sealed records; the outsider still cannot.
    gid = grp.getgrnam(GROUP).gr_gid
    os.chown(keys, -1, gid)
    os.chmod(keys, 0o750)
    key_file = os.path.join(keys, key_id + ".key")
    os.chown(key_file, -1, gid)
    os.chmod(key_file, 0o640)
    member = get_records(MEMBER)
    assert member.returncode == 0, member.stderr
    assert [unb64(r["Data"]).decode() for r in json.loads(member.stdout)["Records"]] == \
        [f"owner secret {i}" for i in range(3)]
    python = python_as(MEMBER, root, READ_IN_PYTHON)
    assert python.returncode == 0, python.stderr
    assert python.stdout.strip() == str([f"owner secret {i}" for i in range(3)])
    assert cli_as(MEMBER, binary, root, "put-record", "--stream-name", "s", "--partition-key", "m",
                  "--data", "member secret", "--cli-binary-format", "raw-in-base64-out").returncode == 0
    assert get_records(OUTSIDER).returncode == EXIT_SERVICE
    for segment in glob.glob(os.path.join(root, "s", "shards", "*", "*.seg")):
        assert b"secret" not in open(segment, "rb").read()
