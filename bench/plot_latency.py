#!/usr/bin/python3
"""Latency percentile plot from feed JSON files: one panel per (mode, rate), one line per transport (the run
with the median p50 of its repeats), x = percentile on a 'nines' scale, y = latency on a log scale.

    /usr/bin/python3 bench/plot_latency.py latency.json [pingpong.json ...] -o docs/latency.png
"""
import argparse
import json
import math

import matplotlib

matplotlib.use("Agg")  # no display on the benchmark machines
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"shmstream": "tab:red", "spsc": "black", "boost_mq": "tab:green", "zmq": "tab:purple",
           "unix": "tab:blue", "pipe": "tab:orange"}


def median_run(runs):
    ordered = sorted(runs, key=lambda r: r["latency_ns"]["p50"])
    return ordered[len(ordered) // 2]


def panels(reports):
    grouped = {}
    for report in reports:
        for run in report["runs"]:
            if run["error"] or run["mode"] == "throughput" or not run["latency_ns"]["count"]:
                continue
            key = (run["mode"], run["rate"])
            grouped.setdefault(key, {}).setdefault(run["transport"], []).append(run)
    return grouped


def nines(q):
    return -math.log10(max(1.0 - q, 1e-7))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("json", nargs="+")
    parser.add_argument("-o", "--output", default="latency.png")
    args = parser.parse_args()
    reports = []
    for path in args.json:
        with open(path) as handle:
            reports.append(json.load(handle))
    grouped = panels(reports)
    if not grouped:
        raise SystemExit("no latency or ping-pong runs in the input")
    keys = sorted(grouped)
    figure, axes = plt.subplots(1, len(keys), figsize=(6 * len(keys), 4.5), squeeze=False)
    ticks = [0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999]
    for axis, key in zip(axes[0], keys):
        mode, rate = key
        for transport, runs in sorted(grouped[key].items()):
            run = median_run(runs)
            points = [(nines(q), max(v, 1)) for q, v in run["latency_ns"]["cdf"]]
            axis.plot([p[0] for p in points], [p[1] for p in points], label=f"{transport} (n={len(runs)})",
                      color=COLOURS.get(transport))
        axis.set_yscale("log")
        axis.set_xticks([nines(q) for q in ticks])
        axis.set_xticklabels(["p0", "p90", "p99", "p99.9", "p99.99", "p99.999"])
        axis.set_ylabel("round trip (ns)" if mode == "pingpong" else "one-way latency (ns)")
        axis.set_title(f"{mode} at {rate:,.0f} msg/s" if mode == "latency" else mode)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
