#!/usr/bin/python3
"""Smoke test of the feed harness: about one second of each mode on a few transports, then checks that the
table and the JSON look sane. Not a benchmark: it asserts shape and plausibility, never speed."""
import json
import os
import subprocess
import sys
import tempfile


def run(feed, *args):
    with tempfile.TemporaryDirectory() as scratch:
        out_json = os.path.join(scratch, "out.json")
        proc = subprocess.run([feed, *args, "--runs", "1", "--json", out_json], capture_output=True, text=True,
                              timeout=120)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            sys.exit(f"feed {' '.join(args)} exited with {proc.returncode}")
        with open(out_json) as handle:
            return proc.stdout, json.load(handle)


def check_runs(report, transports, mode):
    runs = report["runs"]
    seen = {r["transport"] for r in runs}
    if seen != set(transports):
        sys.exit(f"{mode}: expected transports {transports}, JSON has {sorted(seen)}")
    for r in runs:
        if r["error"]:
            sys.exit(f"{mode} {r['transport']}: {r['error']}")
        if r["messages"] <= 0 or r["messages_per_second"] <= 0:
            sys.exit(f"{mode} {r['transport']}: no messages delivered")
        if not 10 <= r["placement_before_ns"] <= 100_000:
            sys.exit(f"{mode} {r['transport']}: implausible cache-line round trip {r['placement_before_ns']}")
        if mode != "throughput":
            latency = r["latency_ns"]
            if latency["count"] <= 0 or not latency["p50"] <= latency["p99"] <= latency["max"]:
                sys.exit(f"{mode} {r['transport']}: latency percentiles out of order: {latency}")


def main():
    feed = sys.argv[1]
    transports = ["shmstream", "spsc", "pipe"]
    text, report = run(feed, "throughput", "--seconds", "0.5", "--transports", ",".join(transports))
    if "== throughput" not in text or "Mmsg/s" not in text:
        sys.exit("throughput table missing")
    check_runs(report, transports, "throughput")
    # PutRecords of 16 messages (the harness counts every message and checks each one's bytes).
    grouped = ["shmstream", "shmstream-x", "spsc"]
    text, report = run(feed, "throughput", "--seconds", "0.5", "--group", "16", "--transports", ",".join(grouped))
    check_runs(report, grouped, "throughput")
    refused = subprocess.run([feed, "latency", "--group", "16"], capture_output=True, text=True, timeout=60)
    if refused.returncode != 2 or "throughput mode only" not in refused.stderr:
        sys.exit(f"latency --group 16: expected a refusal, got {refused.returncode}: {refused.stderr}")
    # A low rate keeps the paced producer cheap on a busy test machine.
    text, report = run(feed, "latency", "--seconds", "0.5", "--warmup", "0.1", "--rates", "20000",
                       "--transports", ",".join(transports))
    if "p99.99" not in text:
        sys.exit("latency table missing")
    check_runs(report, transports, "latency")
    print("feed smoke test: ok")


if __name__ == "__main__":
    main()
