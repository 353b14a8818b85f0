#!/usr/bin/env python3
"""The endpoint's own time per request, seen from one keep-alive connection without an SDK
(docs/PERFORMANCE.md "HTTP endpoint"): 200 PutRecords of 500 x 64 B, then GetRecords pages of 10 000 records
from the start of the shard, against `shmstream serve` on a fresh root; median and best round trip of each.

Usage: raw_round_trip.py SHMSTREAM_BINARY
"""
import base64
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    binary = sys.argv[1]
    root = tempfile.mkdtemp(prefix="bench-raw-", dir="/dev/shm")
    subprocess.run([binary, "--root", root, "create-stream", "--stream-name", "bench", "--shard-count", "1"],
                   check=True)
    server = subprocess.Popen([binary, "--root", root, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r":(\d+) ", server.stdout.readline()).group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port)

        def post(operation, body):
            started = time.perf_counter()
            connection.request("POST", "/", body=body, headers={"Content-Type": "application/x-amz-json-1.1",
                                                                 "X-Amz-Target": f"Kinesis_20131202.{operation}"})
            response = connection.getresponse()
            data = response.read()
            assert response.status == 200, data
            return time.perf_counter() - started, data

        records = [{"Data": base64.b64encode(os.urandom(64)).decode(), "PartitionKey": f"key-{i}"} for i in range(500)]
        body = json.dumps({"StreamName": "bench", "Records": records}).encode()
        puts = [post("PutRecords", body)[0] for _ in range(200)]
        iterator = json.loads(subprocess.run(
            [binary, "--root", root, "get-shard-iterator", "--stream-name", "bench", "--shard-id",
             "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON"],
            capture_output=True, text=True, check=True).stdout)["ShardIterator"]
        gets = []
        for _ in range(10):
            seconds, data = post("GetRecords", json.dumps({"ShardIterator": iterator, "Limit": 10000}))
            page = json.loads(data)
            assert len(page["Records"]) == 10000
            gets.append(seconds)
            iterator = page["NextShardIterator"]
        for name, times, size in (("PutRecords, 500 x 64 B", puts, len(body)), ("GetRecords, 10 000 x 64 B", gets,
                                                                                len(data))):
            print(f"{name}: median {statistics.median(times) * 1e3:.3f} ms, best {min(times) * 1e3:.3f} ms "
                  f"({size:,} B of JSON)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
