#!/bin/sh
# Before/after on a noisy machine: builds two revisions side by side and runs their feeds interleaved,
# alternating which goes first each round, so both see the same load; then the peers with the newer build.
# Only ratios within one run (to spsc, the floor) and medians over rounds mean anything here.
#
# usage: bench/compare_builds.sh BASE_REV NEW_REV OUT_DIR [ROUNDS]     (~2.5 minutes per round)
#   BASE_REV/NEW_REV: anything git rev-parse takes; worktrees go to /tmp/shmstream-{base,new}
#   tables: python3 bench/aggregate_runs.py OUT_DIR (also written to OUT_DIR/aggregate.txt)
#   FEED_ARGS (environment): added to every feed command, e.g. FEED_ARGS="--scratch /mnt/huge"
set -eu
feed_args=${FEED_ARGS:-}
base_rev=$1
new_rev=$2
out=$3
rounds=${4:-5}
repo=$(git rev-parse --show-toplevel)
mkdir -p "$out"

build() {  # build <label> <rev>; a worktree already built at that revision is reused
  tree=/tmp/shmstream-$1
  if [ "$(git -C "$tree" rev-parse HEAD 2>/dev/null)" != "$(git -C "$repo" rev-parse "$2")" ] ||
    [ ! -x "$tree/build-rel/bench/feed" ]; then
    git -C "$repo" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
    git -C "$repo" worktree add --detach "$tree" "$2" >/dev/null
    (cd "$tree" && PATH=/usr/bin:$PATH meson setup build-rel --buildtype=release -Dpython=false -Dtests=false \
      >/dev/null && ninja -C build-rel >/dev/null)
  fi
  echo "$1 = $(git -C "$repo" rev-parse --short "$2")" | tee -a "$out/run.log"
}
build base "$base_rev"
build new "$new_rev"

run() {  # run <label> <feed> <args...>
  label=$1
  feed=$2
  shift 2
  echo "### $(date +%H:%M:%S) $label: feed $* $feed_args" | tee -a "$out/run.log"
  status=0
  # shellcheck disable=SC2086 # FEED_ARGS is a list of words
  "$feed" "$@" $feed_args >>"$out/$label.txt" 2>&1 || status=$?
  echo "### $(date +%H:%M:%S) done $label (rc=$status) load: $(cut -d' ' -f1-3 /proc/loadavg)" |
    tee -a "$out/run.log"
}

vmstat 1 5 >"$out/vmstat-before.txt"
r=1
while [ "$r" -le "$rounds" ]; do
  if [ $((r % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for which in $order; do
    feed=/tmp/shmstream-$which/build-rel/bench/feed
    run "$which-throughput64" "$feed" throughput --size 64 --seconds 5 --runs 1 \
      --transports shmstream,shmstream-x,spsc --json "$out/$which-throughput64-r$r.json"
    run "$which-latency" "$feed" latency --rates 100000,1000000 --seconds 3 --runs 1 \
      --transports shmstream,shmstream-x,spsc --json "$out/$which-latency-r$r.json"
    run "$which-pingpong" "$feed" pingpong --seconds 2 --runs 1 \
      --transports shmstream,shmstream-x,spsc --json "$out/$which-pingpong-r$r.json"
  done
  run peers-throughput64 /tmp/shmstream-new/build-rel/bench/feed throughput --size 64 --seconds 5 --runs 1 \
    --transports shmstream-x,spsc,boost_mq,zmq,unix,pipe --json "$out/peers-throughput64-r$r.json"
  r=$((r + 1))
done
vmstat 1 5 >"$out/vmstat-after.txt"
python3 "$repo/bench/aggregate_runs.py" "$out" | tee "$out/aggregate.txt"
