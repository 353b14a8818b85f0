#!/bin/sh
# Session 10: base (be18e90, this session's starting HEAD) against new (30c6c6e: TSC arrival clock, kept
# mappings, roll waits for the preparer, key compare), interleaved, alternating the order each round.
# usage: run.sh <out dir>; worktrees /tmp/base and /tmp/new, each built with
#   PATH=/usr/bin:$PATH meson setup build-rel --buildtype=release -Dpython=false -Dtests=false && ninja -C build-rel
# tables: python3 bench/aggregate_runs.py <out dir> > <out dir>/aggregate.txt
set -u
out=${1:-.}
ts() { date +%H:%M:%S; }
run() {  # run <label> <feed> <args...>
  label=$1; feed=$2; shift 2
  echo "### $(ts) $label: feed $*" | tee -a "$out/session.log"
  "$feed" "$@" >> "$out/$label.txt" 2>&1
  echo "### $(ts) done $label (rc=$?) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/session.log"
}
vmstat 1 5 > "$out/vmstat-before.txt"
for r in 1 2 3 4 5; do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for which in $order; do
    feed=/tmp/$which/build-rel/bench/feed
    run "$which-throughput64" "$feed" throughput --size 64 --seconds 5 --runs 1 \
      --transports shmstream,shmstream-x,spsc --json "$out/$which-throughput64-r$r.json"
    if [ $r -le 3 ]; then
      run "$which-latency" "$feed" latency --rates 100000,1000000 --seconds 3 --runs 1 \
        --transports shmstream,shmstream-x,spsc --json "$out/$which-latency-r$r.json"
      run "$which-pingpong" "$feed" pingpong --seconds 2 --runs 1 \
        --transports shmstream,shmstream-x,spsc --json "$out/$which-pingpong-r$r.json"
    fi
  done
  if [ $r -le 3 ]; then
    run peers-throughput64 /tmp/new/build-rel/bench/feed throughput --size 64 --seconds 5 --runs 1 \
      --transports shmstream-x,spsc,boost_mq,zmq,unix,pipe --json "$out/peers-throughput64-r$r.json"
  fi
  if [ $r -eq 2 ]; then
    run peers-latency /tmp/new/build-rel/bench/feed latency --rates 100000,1000000 --seconds 3 --runs 1 \
      --transports shmstream-x,spsc,boost_mq,zmq,unix,pipe --json "$out/peers-latency-r$r.json"
  fi
done
vmstat 1 5 > "$out/vmstat-after.txt"
