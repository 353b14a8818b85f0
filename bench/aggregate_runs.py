#!/usr/bin/env python3
"""Tables of min/median/max over repeated feed runs, and ratios taken within each run.

usage: aggregate_runs.py DIR [FLOOR]
Reads DIR/<label>-<mode>-r<N>.json as written by `feed ... --json` (label: e.g. base, new, peers; mode: e.g.
throughput64, latency, pingpong). Ratios to FLOOR (default spsc) are per run, so that only transports measured
side by side in one run, at one placement of the two vCPUs, are ever compared (shared/BENCHMARKING.md).
"""
import glob
import json
import os
import re
import statistics
import sys
from collections import defaultdict


def spread(values, fmt):
    values = sorted(values)
    return "/".join(fmt.format(v) for v in (values[0], statistics.median(values), values[-1]))


def placement(runs):
    classes = "+".join(sorted({r["placement_class"] for r in runs}))
    nanos = [p for r in runs for p in (r["placement_before_ns"], r["placement_after_ns"])]
    return f"{classes} {min(nanos):.0f}-{max(nanos):.0f} ns"


def load(directory):
    """{(label, mode): [(file, run), ...]}"""
    found = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(directory, "*-r*.json"))):
        match = re.match(r"(.+?)-(.+)-r\d+\.json$", os.path.basename(path))
        if not match:
            continue
        for run in json.load(open(path))["runs"]:
            if not run.get("error"):
                found[(match.group(1), match.group(2))].append((path, run))
    return found


def throughput_table(label, mode, entries, floor):
    print(f"== {label} {mode}: M msg/s min/median/max, CPU ns/msg producer+consumer (medians), placement")
    by_transport = defaultdict(list)
    by_file = defaultdict(dict)
    for path, run in entries:
        by_transport[run["transport"]].append(run)
        by_file[path][run["transport"]] = run["messages_per_second"]
    for transport, runs in by_transport.items():
        rates = [r["messages_per_second"] / 1e6 for r in runs]
        producer = statistics.median(r["producer_cpu_seconds"] / r["messages"] * 1e9 for r in runs)
        consumer = statistics.median(r["consumer_cpu_seconds"] / r["messages"] * 1e9 for r in runs)
        line = f"  {transport:12s} n={len(runs)} {spread(rates, '{:.2f}'):>20s}  cpu {producer:.0f}+{consumer:.0f}"
        ratios = [rates_of[transport] / rates_of[floor] for rates_of in by_file.values()
                  if transport in rates_of and floor in rates_of and transport != floor]
        if ratios:
            line += f"  /{floor} per run {spread(ratios, '{:.3f}')} (floor {1 / statistics.median(ratios):.1f}x faster)"
        print(line + f"  {placement(runs)}")


def latency_table(label, mode, entries, floor):
    rates = sorted({run["rate"] for _, run in entries})
    for rate in rates:
        print(f"== {label} {mode} rate={rate:.0f}: ns min/median/max over runs")
        by_transport = defaultdict(list)
        by_file = defaultdict(dict)
        for path, run in entries:
            if run["rate"] == rate:
                by_transport[run["transport"]].append(run)
                by_file[path][run["transport"]] = run["latency_ns"]["p50"]
        for transport, runs in by_transport.items():
            columns = [f"{q} {spread([r['latency_ns'][q] for r in runs], '{:.0f}')}"
                       for q in ("p50", "p90", "p99", "p99.9", "max")]
            ratios = [p50[transport] / p50[floor] for p50 in by_file.values()
                      if transport in p50 and floor in p50 and transport != floor]
            ratio = f" | p50/{floor} per run {spread(ratios, '{:.2f}')}" if ratios else ""
            print(f"  {transport:12s} n={len(runs)} " + " | ".join(columns) + ratio + f" | {placement(runs)}")


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "."
    floor = sys.argv[2] if len(sys.argv) > 2 else "spsc"
    for (label, mode), entries in sorted(load(directory).items(), key=lambda item: (item[0][1], item[0][0])):
        if entries[0][1]["mode"] == "throughput":
            throughput_table(label, mode, entries, floor)
        else:
            latency_table(label, mode, entries, floor)


if __name__ == "__main__":
    main()
