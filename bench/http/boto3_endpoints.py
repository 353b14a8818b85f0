#!/usr/bin/env python3
"""boto3 against `shmstream serve` and against kinesalite, same client code and records in one run
(docs/PERFORMANCE.md "HTTP endpoint").

Usage: boto3_endpoints.py SHMSTREAM_BINARY KINESALITE_BINARY [--requests N]
kinesalite is installed for the benchmark only: `npm install kinesalite` in a temporary directory, then
KINESALITE_BINARY=<dir>/node_modules/.bin/kinesalite. Each endpoint gets a fresh stream of one shard; the
client puts N PutRecords requests of 500 x 64 B records, then reads them all back with GetRecords (10000 per
call), and reports records/s for each phase.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import boto3
import botocore.config


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def client(url):
    return boto3.client("kinesis", endpoint_url=url, region_name="local", aws_access_key_id="x",
                        aws_secret_access_key="y",
                        config=botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"}))


def run(url, requests):
    kinesis = client(url)
    kinesis.create_stream(StreamName="bench", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="bench", WaiterConfig={"Delay": 0.5, "MaxAttempts": 120})
    batch = [{"Data": os.urandom(64), "PartitionKey": f"key-{i}"} for i in range(500)]
    started = time.perf_counter()
    failed = 0
    for _ in range(requests):
        failed += kinesis.put_records(StreamName="bench", Records=batch)["FailedRecordCount"]
    put_seconds = time.perf_counter() - started
    put = requests * 500
    iterator = kinesis.get_shard_iterator(StreamName="bench", ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    read = 0
    started = time.perf_counter()
    while read < put - failed:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
        read += len(page["Records"])
        iterator = page["NextShardIterator"]
    get_seconds = time.perf_counter() - started
    return {"put_records_per_s": put / put_seconds, "get_records_per_s": read / get_seconds,
            "failed": failed, "records": put}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("shmstream")
    parser.add_argument("kinesalite")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    results = {}

    root = tempfile.mkdtemp(prefix="bench-http-", dir="/dev/shm")
    server = subprocess.Popen([args.shmstream, "--root", root, "serve", "--port", "0"], stdout=subprocess.PIPE,
                              text=True)
    try:
        port = int(re.search(r":(\d+) ", server.stdout.readline()).group(1))
        results["shmstream serve"] = run(f"http://127.0.0.1:{port}", args.requests)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)

    port = free_port()
    # In memory, no create/delete latency: kinesalite's fastest configuration.
    kinesalite = subprocess.Popen([args.kinesalite, "--port", str(port), "--createStreamMs", "0",
                                   "--deleteStreamMs", "0", "--updateStreamMs", "0", "--shardLimit", "100"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        results["kinesalite"] = run(f"http://127.0.0.1:{port}", args.requests)
    finally:
        kinesalite.terminate()
        kinesalite.wait()

    print(f"{'endpoint':<18} {'PutRecords rec/s':>18} {'GetRecords rec/s':>18}  records  failed")
    for name, result in results.items():
        print(f"{name:<18} {result['put_records_per_s']:>18,.0f} {result['get_records_per_s']:>18,.0f}  "
              f"{result['records']:>7}  {result['failed']}")
    shm, kin = results["shmstream serve"], results["kinesalite"]
    print(f"ratio (shmstream / kinesalite): PutRecords {shm['put_records_per_s'] / kin['put_records_per_s']:.1f}x, "
          f"GetRecords {shm['get_records_per_s'] / kin['get_records_per_s']:.1f}x")


if __name__ == "__main__":
    main()
