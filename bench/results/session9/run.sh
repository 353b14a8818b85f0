#!/bin/bash
# base = 4c467be (harness byte cap set to 512 MiB as in new), new = working tree HEAD
for r in 1 2 3; do
  for b in base new; do
    if [ $b = base ]; then F=/tmp/base/build-rel/bench/feed; else F=/work/main/build-prof/bench/feed; fi
    $F throughput --size 64 --seconds 5 --runs 2 --transports shmstream,shmstream-x,spsc --json /tmp/cmp2/$b-$r.json 2>&1 | grep -E "^(shmstream|shmstream-x|spsc) " | sed "s/^/$b $r /"
  done
done
