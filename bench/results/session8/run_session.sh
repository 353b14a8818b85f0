#!/bin/sh
# Session 8: before (e955e86) / after (ac0a756, paced segment preparation; code identical to 52aa868), interleaved in one session.
# usage: run_session.sh <out dir>   (worktrees /tmp/wt-before and /tmp/wt-after, each built in build/ with
#   PATH=/usr/bin:$PATH meson setup build --buildtype=release -Dpython=false -Dtools=false -Dtests=false)
# tables: cd bench/results/session8 && python3 ../session7-before-after/aggregate.py > aggregate.txt (reads before-/after-*.json here)
set -u
out=${1:-.}
B=/tmp/wt-before/build/bench
A=/tmp/wt-after/build/bench
ts() { date +%H:%M:%S; }
run() {  # run <label> <feed dir> <args...>
  label=$1; dir=$2; shift 2
  echo "### $(ts) $label: feed $*" | tee -a "$out/session.log"
  "$dir/feed" "$@" >> "$out/$label.txt" 2>&1
  echo "### $(ts) done $label (rc=$?) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/session.log"
}
vmstat 1 5 > "$out/vmstat-before.txt"
for r in 1 2 3; do
  if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for which in $order; do
    if [ "$which" = before ]; then d=$B; else d=$A; fi
    run "$which-throughput64" "$d" throughput --size 64 --seconds 2 --runs 1 --transports shmstream,spsc --json "$out/$which-throughput64-r$r.json"
    run "$which-latency" "$d" latency --rates 100000,1000000 --seconds 3 --runs 1 --transports shmstream,spsc --json "$out/$which-latency-r$r.json"
    run "$which-pingpong" "$d" pingpong --seconds 1 --runs 1 --transports shmstream,spsc --json "$out/$which-pingpong-r$r.json"
  done
  if [ $r -eq 2 ]; then
    run peers-throughput64 "$A" throughput --size 64 --seconds 2 --runs 1 --transports zmq,unix --json "$out/peers-throughput64.json"
  fi
done
vmstat 1 5 > "$out/vmstat-after.txt"
