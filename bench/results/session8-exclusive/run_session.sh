#!/bin/sh
# Session 8, part 2: shared (shmstream) vs exclusive (shmstream-x) producer vs the floor, same build, same runs.
# usage: run_session.sh <feed binary> <out dir>   (built --buildtype=release; see docs/PERFORMANCE.md)
set -u
feed=$1
out=${2:-.}
t=shmstream,shmstream-x,spsc
vmstat 1 5 > "$out/vmstat-before.txt"
for r in 1 2 3; do
  "$feed" throughput --size 64 --seconds 2 --runs 1 --transports $t --json "$out/throughput64-r$r.json" >> "$out/throughput64.txt" 2>&1
  "$feed" latency --rates 100000,1000000 --seconds 3 --runs 1 --transports $t --json "$out/latency-r$r.json" >> "$out/latency.txt" 2>&1
  "$feed" pingpong --seconds 1 --runs 1 --transports $t --json "$out/pingpong-r$r.json" >> "$out/pingpong.txt" 2>&1
done
vmstat 1 5 > "$out/vmstat-after.txt"
