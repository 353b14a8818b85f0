"""demo: a short live feed with a producer and two consumers must end with an OK summary and no stream."""
import signal
import subprocess
import time

from conftest import CLI


def test_demo_smoke(cli):
    result = cli.run("demo", "--seconds", "2", "--rate", "20000", timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consumer 1" in result.stdout and "consumer 2" in result.stdout
    summary = result.stdout[result.stdout.index("Summary"):]
    assert summary.count("OK") >= 3, summary
    assert "FAIL" not in summary
    assert cli.json("list-streams")["StreamNames"] == []


def test_demo_interrupted_cleans_up(cli):
    demo = subprocess.Popen([CLI, "--root", cli.root, "demo", "--seconds", "30", "--rate", "5000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli.env,
                            start_new_session=True)
    time.sleep(1.5)
    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=20)
    assert demo.returncode == 130, out + err
    assert cli.json("list-streams")["StreamNames"] == []
