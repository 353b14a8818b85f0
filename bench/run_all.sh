#!/bin/sh
# The measurements behind docs/PERFORMANCE.md: every mode, every transport, 3 interleaved repeats each.
# usage: bench/run_all.sh <build dir> <output dir>      (takes ~6 minutes; run on a machine as quiet as possible)
set -eu
build=${1:-build-bench}
out=${2:-bench-results}
mkdir -p "$out"
feed="$build/bench/feed"
uptime > "$out/load.txt"
"$feed" throughput --size 64 --seconds 2 --runs 3 --json "$out/throughput64.json" | tee "$out/throughput64.txt"
"$feed" throughput --seconds 2 --runs 3 --json "$out/throughput_mix.json" | tee "$out/throughput_mix.txt"
"$feed" latency --rates 100000,1000000 --seconds 2 --runs 3 --json "$out/latency.json" | tee "$out/latency.txt"
"$feed" pingpong --seconds 1 --runs 3 --json "$out/pingpong.json" | tee "$out/pingpong.txt"
uptime >> "$out/load.txt"
/usr/bin/python3 "$(dirname "$0")/plot_latency.py" "$out/latency.json" "$out/pingpong.json" -o "$out/latency.png"
