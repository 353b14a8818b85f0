#!/bin/sh
cd /work/main
for rep in 1 2 3; do
for prep in 0 24; do
  for args in "--idle-backoff-ns 0" "--idle-backoff-ns 1000" "--idle-backoff-ns 5000" "--idle-backoff-ns 50000" "--consumer-cpu 0"; do
    echo "$(vmstat 1 2 | tail -1 | awk '{print "idle="$15}') prep=$prep $args $(./build-bench/bench/feed throughput --size 64 --seconds 2 --runs 1 --transports shmstream --prepare-segments $prep $args 2>&1 | grep '^# thr' | cut -c40-140)"
  done
done
done
