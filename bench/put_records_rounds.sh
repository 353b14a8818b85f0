#!/bin/bash
# Interleaved rounds of feed throughput, one put_record per message against put_records of GROUP messages
# (docs/PERFORMANCE.md "PutRecords"): each round runs both, alternating which goes first, with shmstream,
# shmstream-x and the spsc floor side by side in each run.
#
#   bench/put_records_rounds.sh FEED OUT [ROUNDS] [GROUP]     # e.g. build-bench/bench/feed results 5 16
set -eu
feed=$1
out=$2
rounds=${3:-5}
group=${4:-16}
mkdir -p "$out"
vmstat 1 5 >"$out/vmstat-before.txt"
lscpu >"$out/lscpu.txt"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="1 $group"; else order="$group 1"; fi
  for g in $order; do
    echo "### $(date +%H:%M:%S) round $r group $g load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/run.log"
    "$feed" throughput --size 64 --seconds 5 --runs 1 --group "$g" --transports shmstream,shmstream-x,spsc \
      --json "$out/group$g-throughput64-r$r.json" >>"$out/group$g.txt" 2>&1
  done
done
vmstat 1 5 >"$out/vmstat-after.txt"
python3 "$(dirname "$0")/aggregate_runs.py" "$out" | tee "$out/aggregate.txt"
