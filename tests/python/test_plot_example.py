"""docs/PYTHON.md's plotting example runs as written: it takes the block after the plot-example marker,
runs it in a fresh interpreter, and checks the figure it saves."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "PYTHON.md"

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")


def example_code():
    text = DOC.read_text()
    match = re.search(r"<!-- plot-example:[^>]*-->\n```python\n(.*?)\n```", text, re.S)
    assert match, "no plot example in docs/PYTHON.md"
    return match.group(1)


def test_plot_example_runs_and_saves_a_figure(root, tmp_path):
    script = tmp_path / "plot_example.py"
    # The figure's data, for the checks below: the example's own variables, after it ran.
    script.write_text(example_code() + "\nprint(int(rate.sum() / 10), float(series.median()))\n")
    env = dict(os.environ, PLOT_ROOT=root, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    records, median_latency_us = result.stdout.split()
    assert int(records) == sum(50 * (burst + 1) for burst in range(20))
    assert 0 <= float(median_latency_us) < 1e6  # stamped before the put, arrival stamped in it
    png = pathlib.Path(root) / "ticks.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
