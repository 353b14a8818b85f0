#!/usr/bin/env bash
# Builds the HTTP request decoder's libFuzzer target with Debian's clang (ASan + UBSan) and runs it for a
# bounded time, from a seed corpus of valid JSON and CBOR requests.
# Usage: run_fuzz_http.sh SOURCE_ROOT WORK_DIR SECONDS. Exits 77 (meson's "skipped") when clang is missing.
set -euo pipefail
source_root=$1 work=$2 seconds=${3:-20}
command -v clang++ >/dev/null || { echo "clang++ not installed: skipping the fuzz run"; exit 77; }
mkdir -p "$work/corpus" "$work/generated"
tools="$source_root/tools/shmstream"
python3 "$tools/embed_service_model.py" "$work/generated/kinesis_service_model.inc" \
  /usr/lib/python3/dist-packages/awscli/botocore/data/kinesis/2013-12-02/service-2.json \
  /usr/lib/python3/dist-packages/botocore/data/kinesis/2013-12-02/service-2.json
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$source_root/include" -I"$source_root/src" -I"$tools" -I"$work/generated" \
  "$source_root/tests/fuzz/fuzz_http_request.cpp" \
  "$tools/wire_protocol.cpp" "$tools/put_records_request.cpp" "$tools/service_model.cpp" "$tools/sigv4.cpp" "$tools/text_codecs.cpp" \
  "$tools/value_parsers.cpp" "$tools/cli_errors.cpp" "$source_root/src/common/status.cpp" \
  "$source_root/src/common/base64.cpp" \
  -lcrypto -o "$work/fuzz_http_request"
# Seeds: the first byte is (operation index << 1) | cbor; operations sort as in the model.
printf '\x00{"StreamName":"s","Tags":{"a":"b"}}' > "$work/corpus/json-tags"
python3 - "$work/corpus" <<'PY'
import json, sys
ops = sorted(json.load(open("/usr/lib/python3/dist-packages/botocore/data/kinesis/2013-12-02/service-2.json"))["operations"])
corpus = sys.argv[1]
def seed(name, op, body, cbor=False):
    index = ops.index(op) if op in ops else 0
    open(f"{corpus}/{name}", "wb").write(bytes([(index << 1) | int(cbor)]) + body)
seed("put-records-hash-key", "PutRecords", json.dumps({"StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s", "Records": [{"Data": "", "PartitionKey": "\u00e9\n\"", "ExplicitHashKey": "340282366920938463463374607431768211455"}, {"PartitionKey": "k", "Data": "AAEC"}]}).encode())
seed("put-records", "PutRecords", json.dumps({"StreamName": "s", "Records": [{"Data": "eA==", "PartitionKey": "k"}]}).encode())
seed("get-shard-iterator", "GetShardIterator", json.dumps({"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1.7e9}).encode())
# CBOR PutRecords: {"StreamName": "s", "Records": [{"Data": b"abc", "PartitionKey": "k"}]}.
seed("cbor-put-records", "PutRecords", bytes.fromhex("a2") + b"\x6aStreamName\x61s" + b"\x67Records\x81\xa2" + b"\x64Data\x43abc" + b"\x6cPartitionKey\x61k", True)
# CBOR PutRecord with a byte string and a tag-1 timestamp (GetShardIterator).
seed("cbor-put-record", "PutRecord", bytes.fromhex("a3") + b"\x6aStreamName\x61s" + b"\x64Data\x43abc" + b"\x6cPartitionKey\x61k", True)
seed("cbor-iterator", "GetShardIterator", bytes.fromhex("a3") + b"\x67ShardId\x61x" + b"\x71ShardIteratorType\x6cAT_TIMESTAMP" + b"\x69Timestamp\xc1\x1b\x00\x00\x01\x8b\xcf\xe5\x68\x00", True)
PY
exec "$work/fuzz_http_request" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$work/corpus"
