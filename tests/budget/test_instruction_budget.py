"""Holds the hot path to the instruction counts docs/PERFORMANCE.md states: a row fails when callgrind counts
more than 10 % above its "measured" figure in "## Instruction budgets (callgrind)". Instruction counts are
deterministic, so a rise of that size is a change in the code, not noise. Lowering the stated figure after an
optimisation tightens the test; raising it is a decision to record in the same commit.

Runs bench/callgrind_budget.py on the driver named by $HOT_PATH_BIN (meson test sets it: `meson test -C build
--suite budget`); skips without valgrind. $PERFORMANCE_MD reads the table from another file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "bench" / "callgrind_budget.py"
SECTION = "## Instruction budgets (callgrind)"
TOLERANCE = 1.10
RECORDS = 100000


def performance_md() -> Path:
    return Path(os.environ.get("PERFORMANCE_MD", REPO_ROOT / "docs" / "PERFORMANCE.md"))


def stated_figures(path: Path) -> dict[str, int]:
    """Row name -> "measured" column of the section's table (the first column names the row)."""
    text = path.read_text(encoding="utf-8")
    start = text.find("\n" + SECTION + "\n")
    if start < 0:
        raise AssertionError(f"{path}: no section {SECTION!r}")
    body = text[start + len(SECTION) + 2:]
    end = re.search(r"^## ", body, flags=re.MULTILINE)
    body = body[: end.start()] if end else body

    column = None
    figures: dict[str, int] = {}
    for line in body.splitlines():
        if not line.startswith("|"):
            if column is not None and figures:
                break  # the first table of the section is the one
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if column is None:
            names = [cell.lower() for cell in cells]
            if "measured" not in names:
                raise AssertionError(f"{path}: the table's header has no 'measured' column: {line}")
            column = names.index("measured")
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the separator row
        value = cells[column].replace("*", "").replace(",", "").strip()
        if not re.fullmatch(r"\d+(\.\d+)?", value):
            raise AssertionError(f"{path}: row {cells[0]!r}: 'measured' is not a number: {cells[column]!r}")
        figures[cells[0]] = round(float(value))
    if not figures:
        raise AssertionError(f"{path}: no rows in the table of {SECTION!r}")
    return figures


STATED = stated_figures(performance_md())


@pytest.fixture(scope="module")
def measured() -> dict[str, float]:
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed (apt-get install valgrind): no instruction counts")
    binary = os.environ.get("HOT_PATH_BIN")
    if not binary:
        pytest.skip("HOT_PATH_BIN is not set: run through `meson test --suite budget`, or set it to bench/hot_path")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"HOT_PATH_BIN={binary} is not an executable")
    result = subprocess.run([sys.executable, str(SCRIPT), binary, "--records", str(RECORDS), "--json"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"callgrind_budget.py failed:\n{result.stdout}\n{result.stderr}"
    report = json.loads(result.stdout)
    return {m["label"]: m["per_record"] for m in report["measurements"]}


def test_every_row_is_measured(measured: dict[str, float]) -> None:
    # A renamed row would otherwise drop out of the check unnoticed.
    assert sorted(STATED) == sorted(measured), "the table's rows and the measured modes differ"


@pytest.mark.parametrize("row", sorted(STATED))
def test_within_ten_percent_of_stated(row: str, measured: dict[str, float]) -> None:
    if row not in measured:
        pytest.fail(f"{row!r}: stated in {performance_md()} but not measured by callgrind_budget.py")
    stated = STATED[row]
    limit = TOLERANCE * stated
    assert measured[row] <= limit, (
        f"{row}: {measured[row]:.1f} instructions per record, more than 10 % above the {stated} that "
        f"{performance_md().name} states (limit {limit:.1f}); profile with "
        f"`python3 bench/callgrind_budget.py <hot_path> --annotate MODE`")
