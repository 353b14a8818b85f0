#!/bin/sh
# Session 7 what-if: the reader's claimed-frame pause (kClaimedFramePauses in src/log/shard_cursor.hpp)
# at 32 (8329ffa as committed), 0 and 4, built from 8329ffa with only that constant changed; 3 interleaved rounds.
# Then the 1M msg/s tail of 8329ffa with --prepare-segments 24 (all segments mapped before the clock starts).
set -u
out=/tmp/s7/whatif; mkdir -p $out
vmstat 1 3 > $out/vmstat-before.txt
for r in 1 2 3; do
  for v in 32 0 4; do
    if [ $v = 32 ]; then f=/tmp/wt-after/build/bench/feed; else f=/tmp/s7/feed-pause$v; fi
    echo "### $(date +%T) pauses=$v round $r" >> $out/pause.txt
    $f pingpong --seconds 1 --runs 1 --transports shmstream --json $out/pause$v-pingpong-r$r.json >> $out/pause.txt 2>&1
    $f latency --rates 100000 --seconds 2 --runs 1 --transports shmstream --json $out/pause$v-latency-r$r.json >> $out/pause.txt 2>&1
    $f throughput --size 64 --seconds 2 --runs 1 --transports shmstream --json $out/pause$v-throughput64-r$r.json >> $out/pause.txt 2>&1
  done
done
for r in 1 2 3; do
  echo "### $(date +%T) prepare-segments round $r" >> $out/prepare.txt
  /tmp/wt-after/build/bench/feed latency --rates 1000000 --seconds 2 --runs 1 --transports shmstream --prepare-segments 24 --json $out/prepare24-latency-r$r.json >> $out/prepare.txt 2>&1
  /tmp/wt-after/build/bench/feed latency --rates 1000000 --seconds 2 --runs 1 --transports shmstream --json $out/prepare0-latency-r$r.json >> $out/prepare.txt 2>&1
done
vmstat 1 3 > $out/vmstat-after.txt
