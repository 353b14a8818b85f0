#!/bin/sh
# Session 8, part 3: 10 interleaved 5-second throughput runs of shared vs exclusive producer vs the floor.
# usage: run.sh <feed binary> <out dir>
set -u
feed=$1
out=${2:-.}
vmstat 1 3 > "$out/vmstat-before.txt"
"$feed" throughput --size 64 --seconds 5 --runs 10 --transports shmstream,shmstream-x,spsc --json "$out/throughput64.json" > "$out/throughput64.txt" 2>&1
vmstat 1 3 > "$out/vmstat-after.txt"
