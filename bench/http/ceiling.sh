#!/usr/bin/env bash
# The endpoint's own ceiling with wrk (Debian package wrk): PutRecords (500 x 64 B), PutRecord (64 B) and
# GetRecords (pages of 10 000 x 64 B, from an iterator at the start of shard 0, which the puts filled) requests
# from 4 connections for 10 s each, against `shmstream serve` on a fresh root of one 4-shard stream.
# Usage: ceiling.sh SHMSTREAM_BINARY [SECONDS]
set -euo pipefail
binary=$1 seconds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d /dev/shm/bench-ceiling-XXXXXX)
"$binary" --root "$root" create-stream --stream-name bench --shard-count 4 --retention-bytes 256MiB
"$binary" --root "$root" serve --port 0 > "$root.out" &
server=$!
trap 'kill $server; wait $server || true; rm -rf "$root" "$root.out"' EXIT
for _ in $(seq 50); do grep -q listening "$root.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$root.out")
for script in wrk_put_records.lua wrk_put_record.lua; do
  echo "== $script"
  wrk -t 2 -c 4 -d "${seconds}s" -s "$here/$script" "$url/"
done
SHMSTREAM_ITERATOR=$("$binary" --root "$root" get-shard-iterator --stream-name bench --shard-id shardId-000000000000 \
  --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
export SHMSTREAM_ITERATOR
echo "== wrk_get_records.lua"
wrk -t 2 -c 4 -d "${seconds}s" -s "$here/wrk_get_records.lua" "$url/"
