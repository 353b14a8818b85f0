"""A `shmstream serve` per test, on a free port and a private --root, and boto3 clients pointed at it."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))

CLI = os.environ.get("SHMSTREAM_CLI", "")
REGION = "local"  # the region of shmstream's ARNs (src/common/aws_names.hpp)


class Server:
    def __init__(self, root, *extra, env=None):
        if "--read-timeout" not in extra:
            extra = ("--read-timeout", "5s", *extra)  # also bounds the stop: the teardown waits 20 s
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SHMSTREAM_")}
        self.env.update(env or {})
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([CLI, "--root", root, "serve", "--port", "0", *extra],
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=self.env)
        line = self.process.stdout.readline()
        match = re.search(r"listening on http://([0-9.]+):(\d+)", line)
        assert match, f"serve did not start: {line!r}"
        self.host, self.port = match.group(1), int(match.group(2))
        self.url = f"http://{self.host}:{self.port}"

    def client(self, secret="dummy", key_id="AKIDSHMSTREAM", **config):
        import boto3
        import botocore.config
        return boto3.client("kinesis", endpoint_url=self.url, region_name=REGION, aws_access_key_id=key_id,
                            aws_secret_access_key=secret,
                            config=botocore.config.Config(retries={"max_attempts": 1}, **config))

    def cli(self, *args, check=True):
        result = subprocess.run([CLI, "--root", self.root, *map(str, args)], capture_output=True, text=True,
                                env=self.env, timeout=60)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def root():
    directory = tempfile.mkdtemp(prefix="shmstream-http-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def start_server(root):
    servers = []

    def start(*extra, env=None):
        server = Server(root, *extra, env=env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        code = server.stop()
        server.stderr.seek(0)
        errors = server.stderr.read()
        assert code == 0, f"serve must stop cleanly on SIGTERM: {errors}"
        assert "still open at the stop deadline" not in errors, errors


@pytest.fixture
def server(start_server):
    return start_server()


@pytest.fixture
def kinesis(server):
    return server.client()
