#!/usr/bin/env python3
"""Instructions per record of the hot path, counted by callgrind: deterministic where wall-clock figures on a
shared VM move by 10-15 %, so a regression of a few instructions shows. Runs bench/callgrind/hot_path for each
mode (checksums off and on) under `valgrind --tool=callgrind --collect-atstart=no` (the driver collects only
its measured loop) and divides the collected instructions by the record count. docs/PERFORMANCE.md
"Instruction budgets (callgrind)" states the budgets and the last measured figures;
tests/budget/test_instruction_budget.py holds the tree to them.

    python3 bench/callgrind_budget.py build/bench/hot_path [--records N] [--json]
    python3 bench/callgrind_budget.py build/bench/hot_path --annotate exclusive-put   # where they go

Excluded by default: RealtimeClock::reanchor, the clock's re-anchoring on clock_gettime, and the put's
out-of-line step that calls it, ShardAppender::commit_reanchored (a function is excluded with its callees,
once, where it is called from a function that is not excluded). The re-anchoring runs once per millisecond of
wall time, natively once per ~10 000 puts (< 0.1 instruction per record), but under callgrind's slowdown a
clock_gettime takes so long that it looks interrupted and the next put tries again: from 1 put in 200 to 1 in
2, with the machine's load. Counted, that moved the shared put with checksums from 226 to 254 between runs.
Excluded, a re-anchored put counts its front half only, so on a loaded machine the figures can read a few
instructions low, never high. `--exclude none` counts everything.

The driver runs with SHMSTREAM_TICKING_CLOCK=always: a producer putting back to back natively puts 10 M
records a second or more, where the ticking clock ticks and a put loads its stamp; under callgrind's slowdown
the rate stays under the 4 M a second that starts the ticks, so `auto` would count the exact clock's path,
which a native loop of puts does not take. `--ticking-clock never` counts that path (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

MODES = ("exclusive-put", "shared-put", "exclusive-put-records", "shared-put-records", "get-records", "empty-poll")
# Row names of the table in docs/PERFORMANCE.md; the test matches measured rows to stated ones by them.
LABELS = {
    "exclusive-put": "exclusive put",
    "shared-put": "shared put",
    "exclusive-put-records": "exclusive put_records per record (groups of 16)",
    "shared-put-records": "shared put_records per record (groups of 16)",
    "get-records": "get_records per record (batches of 100)",
    "empty-poll": "get_records of a caught-up reader, per call",
}
DEFAULT_EXCLUDE = r"RealtimeClock::reanchor\(|ShardAppender::commit_reanchored<"
REPO_ROOT = Path(__file__).resolve().parent.parent


def label(mode: str, checksums: str) -> str:
    return LABELS[mode] if checksums == "off" else f"{LABELS[mode]}, checksums on"


@dataclass
class Measurement:
    mode: str
    checksums: str
    label: str
    records: int
    collected: int  # Ir of the measured loop
    excluded: int  # Ir of the excluded functions (inclusive) inside it
    driver: int  # Ir of the driver's own loop (main's self cost): argument passing and the status check
    per_record: float  # (collected - excluded) / records, the driver's loop included


@dataclass
class Profile:
    total: int
    inclusive: dict[str, int]  # function name -> Ir including callees, for the names matching `exclude`
    driver_self: int  # Ir of main itself (the driver's loop, with what the compiler inlined into it)


def parse_callgrind(path: Path, exclude: re.Pattern | None) -> Profile:
    """Total Ir (the `totals:` or `summary:` line), the inclusive Ir of every function matching `exclude` and
    main's self cost.

    Inclusive cost is the sum of the costs of all calls to the function from other functions: callgrind
    writes each call's inclusive cost on the line after `calls=`; every other cost line is the self cost of
    the current `fn=`. Names are compressed ("(id) name" the first time, "(id)" after), so ids are resolved
    as they appear."""
    total = None
    npositions = 1
    names: dict[str, str] = {}
    current_fn = ""
    called_fn = ""
    expect_call_cost = False
    inclusive: dict[str, int] = {}
    driver_self = 0

    def resolve(value: str) -> str:
        match = re.match(r"\((\d+)\)(?:\s+(.*))?$", value)
        if not match:
            return value
        if match.group(2) is not None:
            names[match.group(1)] = match.group(2)
        return names.get(match.group(1), value)

    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            line = line.rstrip("\n")
            if expect_call_cost:
                expect_call_cost = False
                fields = line.split()
                if (called_fn != current_fn and exclude is not None and exclude.search(called_fn) and
                        not exclude.search(current_fn)):  # a call from an excluded function is in its cost
                    ir = int(fields[npositions]) if len(fields) > npositions else 0
                    inclusive[called_fn] = inclusive.get(called_fn, 0) + ir
                continue
            if line.startswith("fn="):
                current_fn = resolve(line[3:])
            elif line.startswith("cfn="):
                called_fn = resolve(line[4:])
            elif line.startswith("calls="):
                expect_call_cost = True
            elif line.startswith("positions:"):
                npositions = len(line.split()) - 1
            elif line.startswith("events:"):
                if line.split()[1] != "Ir":
                    raise SystemExit(f"{path}: first event is not Ir: {line}")
            elif line.startswith("totals:"):
                total = int(line.split()[1])
            elif line.startswith("summary:") and total is None:
                total = int(line.split()[1])
            elif current_fn == "main" and line[:1] in "0123456789+-*" and line:
                fields = line.split()
                if len(fields) > npositions:
                    driver_self += int(fields[npositions])
    if total is None:
        raise SystemExit(f"{path}: no totals: or summary: line")
    return Profile(total, inclusive, driver_self)


def run_one(binary: Path, mode: str, checksums: str, records: int, out_dir: Path, root: str | None,
            ticking_clock: str) -> Path:
    out_file = out_dir / f"{mode}-checksums-{checksums}.callgrind"
    command = ["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out_file}",
               str(binary), mode, "--records", str(records), "--checksums", checksums]
    if root is not None:
        # One directory per run: the driver's stream has a fixed name and the runs go in parallel.
        command += ["--root", str(Path(root) / f"{mode}-{checksums}")]
    environment = dict(os.environ, SHMSTREAM_TICKING_CLOCK=ticking_clock)
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"{' '.join(command)} exited with {result.returncode}")
    return out_file


def measure(binary: Path, runs: list[tuple[str, str]], records: int, out_dir: Path, root: str | None,
            exclude: re.Pattern | None, jobs: int, ticking_clock: str) -> list[Measurement]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, binary, mode, checksums, records, out_dir, root, ticking_clock) for mode, checksums in runs]
        files = [future.result() for future in futures]
    measurements = []
    for (mode, checksums), out_file in zip(runs, files):
        profile = parse_callgrind(out_file, exclude)
        if profile.total < records:
            # A driver that never toggled collection on would otherwise pass every budget.
            raise SystemExit(f"{out_file}: {profile.total} instructions collected for {records} records: "
                             "does the driver bracket its loop with CALLGRIND_TOGGLE_COLLECT?")
        excluded = sum(profile.inclusive.values())
        measurements.append(Measurement(mode, checksums, label(mode, checksums), records, profile.total, excluded,
                                        profile.driver_self, (profile.total - excluded) / records))
    return measurements


def print_table(measurements: list[Measurement]) -> None:
    # "driver loop" is part of "instructions/record": what any caller pays to pass the arguments and test the
    # status. "excluded" is not.
    print(f"{'mode':<22} {'checksums':<10} {'instructions/record':>20} {'of it driver loop':>18} {'excluded':>9}")
    for m in measurements:
        print(f"{m.mode:<22} {m.checksums:<10} {m.per_record:>20.1f} {m.driver / m.records:>18.1f} "
              f"{m.excluded / m.records:>9.1f}")


def annotate(out_file: Path) -> None:
    # Self cost per function, inclusive cost per function, then the source lines that make 95 % of the count.
    sys.stdout.flush()
    subprocess.run(["callgrind_annotate", "--inclusive=no", "--auto=no", "--threshold=99", str(out_file)], check=True)
    subprocess.run(["callgrind_annotate", "--inclusive=yes", "--auto=no", "--threshold=99", str(out_file)], check=True)
    subprocess.run(["callgrind_annotate", "--inclusive=no", "--auto=yes", "--context=2", "--threshold=95",
                    f"--include={REPO_ROOT}", str(out_file)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", default=str(REPO_ROOT / "build/bench/hot_path"),
                        help="the hot_path driver (default: build/bench/hot_path)")
    parser.add_argument("--records", type=int, default=100000, help="records per run (default 100000)")
    parser.add_argument("--checksums", choices=("off", "on", "both"), default="both",
                        help="which stream settings to measure (default both)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated subset of {','.join(MODES)}")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--annotate", metavar="MODE", choices=MODES,
                        help="run only MODE (checksums off, or as --checksums says) and print callgrind_annotate's "
                             "report of it")
    parser.add_argument("--exclude", default=DEFAULT_EXCLUDE,
                        help="regex of functions whose inclusive cost is not counted, or 'none' "
                             f"(default {DEFAULT_EXCLUDE!r}: wall-clock driven, see above)")
    parser.add_argument("--out-dir", help="keep the callgrind files here (default: a temporary directory)")
    parser.add_argument("--root", help="parent of the drivers' stream roots (default: fresh ones under /dev/shm)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="valgrind runs at once")
    parser.add_argument("--ticking-clock", choices=("always", "auto", "never"), default="always",
                        help="SHMSTREAM_TICKING_CLOCK of the driver (default always: see above)")
    args = parser.parse_args()

    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    binary = Path(args.binary)
    if not os.access(binary, os.X_OK):
        print(f"{binary}: no such executable (ninja -C build bench/hot_path)", file=sys.stderr)
        return 2
    if args.records <= 0:
        parser.error("--records must be positive")
    modes = [args.annotate] if args.annotate else [m for m in args.modes.split(",") if m]
    for mode in modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode}")
    settings = ["off", "on"] if args.checksums == "both" else [args.checksums]
    if args.annotate and args.checksums == "both":
        settings = ["off"]
    runs = [(mode, checksums) for checksums in settings for mode in modes]
    exclude = None if args.exclude == "none" else re.compile(args.exclude)

    with tempfile.TemporaryDirectory(prefix="callgrind-budget-") as scratch:
        out_dir = Path(args.out_dir) if args.out_dir else Path(scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        measurements = measure(binary, runs, args.records, out_dir, args.root, exclude, max(1, args.jobs),
                               args.ticking_clock)
        if args.annotate:
            for m in measurements:
                print(f"== {m.mode}, checksums {m.checksums}: {m.per_record:.1f} instructions per record "
                      f"({m.excluded / m.records:.1f} excluded)")
                annotate(out_dir / f"{m.mode}-checksums-{m.checksums}.callgrind")
        elif args.json:
            json.dump({"binary": str(binary), "exclude": args.exclude, "records": args.records,
                       "measurements": [asdict(m) for m in measurements]}, sys.stdout, indent=2)
            print()
        else:
            print_table(measurements)
    return 0


if __name__ == "__main__":
    sys.exit(main())
