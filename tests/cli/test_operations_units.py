"""The systemd units docs/OPERATIONS.md shows (the janitor and the HTTP endpoint), read from the document itself:
each passes `systemd-analyze verify` with the built binary in place of /usr/local/bin/shmstream, and its
ExecStart command, run as written with the unit's Environment (the root moved to a temporary directory, the
port to a free one), does its job and exits 0 on the unit's stop signal, SIGTERM.
"""
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import CLI

OPERATIONS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"
INSTALLED = "/usr/local/bin/shmstream"


def documented_units():
    """{program: unit text} for every code block of OPERATIONS.md with a [Service] section."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", OPERATIONS.read_text(), flags=re.S)
    units = {}
    for block in blocks:
        if "[Service]" in block:
            program = shlex.split(service_value(block, "ExecStart"))[1]
            units[program] = block
    return units


def service_value(unit, key):
    values = [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(key + "=")]
    assert len(values) <= 1, f"{key} given twice"
    return values[0] if values else ""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


UNITS = documented_units()


def test_the_document_has_both_units():
    assert set(UNITS) == {"janitor", "serve"}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("program", sorted(UNITS))
def test_unit_passes_systemd_analyze_verify(program, tmp_path):
    unit = tmp_path / f"shmstream-{program}.service"
    unit.write_text(UNITS[program].replace(INSTALLED, CLI))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("program", sorted(UNITS))
def test_exec_start_runs_and_stops_on_sigterm(program):
    unit = UNITS[program]
    assert service_value(unit, "KillSignal") in ("", "SIGTERM")  # systemd's default is SIGTERM
    command = shlex.split(service_value(unit, "ExecStart"))
    assert command[0] == INSTALLED
    port = str(free_port())
    command = [CLI] + [port if word == "4567" else word for word in command[1:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHMSTREAM_")}
    directory = tempfile.mkdtemp(prefix="shmstream-unit-", dir="/dev/shm")
    for assignment in shlex.split(service_value(unit, "Environment")):
        name, value = assignment.split("=", 1)
        env[name] = os.path.join(directory, "root") if name == "SHMSTREAM_ROOT" else value
    assert "SHMSTREAM_ROOT" in env, "the unit names its root"
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        if program == "serve":
            assert f"listening on http://127.0.0.1:{port}" in process.stdout.readline()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=b"{}", headers={
                "X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": "application/x-amz-json-1.1"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.load(response)["StreamNames"] == []
        else:
            subprocess.run([CLI, "create-stream", "--stream-name", "s"], env=env, check=True)
            with pytest.raises(subprocess.TimeoutExpired):
                process.wait(timeout=1.5)  # a janitor keeps running its passes
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
