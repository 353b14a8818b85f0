"""Shared helpers for the shmstream CLI tests: run the built binary against a private --root."""
import base64
import json
import os
import shutil
import subprocess
import tempfile

import pytest

import service_model

CLI = os.environ.get("SHMSTREAM_CLI", "")

EXIT_USAGE = 252
EXIT_SERVICE = 254


class Cli:
    def __init__(self, root):
        self.root = root
        # The tests pass --root explicitly; an inherited SHMSTREAM_ROOT must not change anything.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SHMSTREAM_")}

    def run(self, *args, env=None, timeout=60):
        full_env = dict(self.env)
        full_env.update(env or {})
        return subprocess.run([CLI, "--root", self.root, *map(str, args)], capture_output=True, text=True,
                              env=full_env, timeout=timeout)

    def ok(self, *args, **kwargs):
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, f"{args} -> {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        assert result.stderr == ""
        return result

    def json(self, *args, **kwargs):
        result = self.ok(*args, **kwargs)
        document = json.loads(result.stdout)
        # Byte for byte what the AWS CLI would print for the same document.
        assert result.stdout == json.dumps(document, indent=4, ensure_ascii=False) + "\n"
        validate_response(args, document)
        return document

    def fails(self, exception, operation, *args, **kwargs):
        result = self.run(*args, **kwargs)
        assert result.returncode == EXIT_SERVICE, f"{args} -> {result.returncode}: {result.stderr}"
        assert result.stderr.startswith(f"\nAn error occurred ({exception}) when calling the {operation} operation: "), \
            result.stderr
        assert result.stdout == ""
        assert_no_crash(result)
        return result

    def run_on_terminal(self, *args, env):
        """Runs the CLI with stderr on a pseudo-terminal; returns (result with stdout, bytes shown on the terminal)."""
        import pty
        controller, terminal = pty.openpty()
        try:
            result = subprocess.run([CLI, "--root", self.root, *args], stdout=subprocess.PIPE, stderr=terminal,
                                    env=dict(self.env, **env), timeout=60)
            os.close(terminal)
            shown = b""
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the terminal's other end is closed: everything was read
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            os.close(controller)
        return result, shown

    def usage_error(self, *args):
        result = self.run(*args)
        assert result.returncode == EXIT_USAGE, f"{args} -> {result.returncode}: {result.stderr}"
        assert result.stdout == ""
        assert_no_crash(result)
        return result

    def create(self, name="s", shards=1, *extra):
        self.ok("create-stream", "--stream-name", name, "--shard-count", shards, "--segment-size", "64KiB", *extra)

    def put(self, name, key, data, *extra):
        """put-record of raw text (--cli-binary-format raw-in-base64-out, as an AWS CLI v2 user would)."""
        return self.json("put-record", "--stream-name", name, "--partition-key", key, "--data", data,
                         "--cli-binary-format", "raw-in-base64-out", *extra)

    def iterator(self, name, shard, kind, *extra):
        return self.json("get-shard-iterator", "--stream-name", name, "--shard-id", shard,
                         "--shard-iterator-type", kind, *extra)["ShardIterator"]

    def read_all(self, name, shard="shardId-000000000000"):
        """Every record of one shard from TRIM_HORIZON, following NextShardIterator until nothing more."""
        iterator = self.iterator(name, shard, "TRIM_HORIZON")
        records = []
        while True:
            page = self.json("get-records", "--shard-iterator", iterator)
            records += page["Records"]
            if not page["Records"] or "NextShardIterator" not in page:
                return records
            iterator = page["NextShardIterator"]

    def record_count(self, name):
        shards = self.json("list-shards", "--stream-name", name)["Shards"]
        return sum(len(self.read_all(name, shard["ShardId"])) for shard in shards)


# The documented extension object of --shmstream-details: a top-level sibling of the AWS response object.
EXTENSION_MEMBER = "ShmstreamDetails"


def validate_response(args, document):
    """Every response of a command that is a Kinesis operation has that operation's output shape exactly (an
    extension object only where --shmstream-details asked for it, beside the AWS object)."""
    args = [str(arg) for arg in args]
    operation = service_model.operation_for_command(args[0]) if args else None
    if operation is None or "--query" in args:
        return
    if "--shmstream-details" in args:
        assert isinstance(document.get(EXTENSION_MEMBER), dict), document
        document = {key: value for key, value in document.items() if key != EXTENSION_MEMBER}
    service_model.validate_output(operation, document)


def assert_no_crash(result):
    for marker in ("terminate called", "what():", "Segmentation fault", "Aborted", "core dumped"):
        assert marker not in result.stderr


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def root():
    directory = tempfile.mkdtemp(prefix="shmstream-cli-test-", dir="/dev/shm")
    yield os.path.join(directory, "root")  # the CLI creates the root itself
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def cli(root):
    assert CLI and os.access(CLI, os.X_OK), "set SHMSTREAM_CLI to the built shmstream binary"
    return Cli(root)
