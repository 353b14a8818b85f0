#!/usr/bin/env python3
"""What boto3 (botocore) spends per record of a GetRecords page, without any endpoint (docs/PERFORMANCE.md
"HTTP endpoint"): botocore's JSON response parser over a page of 10 000 records in the wire form
`shmstream serve` sends (and AWS: SequenceNumber, ApproximateArrivalTimestamp as epoch seconds, Data in
base64, PartitionKey), the same page without the timestamps, and botocore's timestamp parser alone on each
form a timestamp could take on the wire.

Usage: botocore_record_costs.py [RECORDS]
"""
import base64
import json
import os
import sys
import time
import timeit

import botocore
import botocore.session
import botocore.utils


def page(records, with_timestamps=True):
    stamp = 1764320000.123
    items = []
    for i in range(records):
        item = {"SequenceNumber": str(49650000000000000000000000000000000000000000000000000000 + i)}
        if with_timestamps:
            item["ApproximateArrivalTimestamp"] = stamp + i // 1000
        item["Data"] = base64.b64encode(os.urandom(64)).decode()
        item["PartitionKey"] = f"key-{i % 500}"
        items.append(item)
    return json.dumps({"Records": items, "NextShardIterator": "AAAA" * 40, "MillisBehindLatest": 0},
                      separators=(",", ":")).encode()


def parse_seconds(parser, shape, body):
    response = {"body": body, "headers": {}, "status_code": 200}
    started = time.perf_counter()
    parsed = parser.parse(response, shape)
    elapsed = time.perf_counter() - started
    assert "Error" not in parsed, parsed
    return elapsed


def main():
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    session = botocore.session.get_session()
    model = session.get_service_model("kinesis")
    shape = model.operation_model("GetRecords").output_shape
    parser = botocore.parsers.create_parser("json")
    print(f"botocore {botocore.__version__}, {records} records of 64 B per page, best of 3")
    full = min(parse_seconds(parser, shape, page(records)) for _ in range(3))
    bare = min(parse_seconds(parser, shape, page(records, with_timestamps=False)) for _ in range(3))
    print(f"GetRecords page, as sent:            {full / records * 1e6:6.1f} us/record  "
          f"({records / full:,.0f} records/s)")
    print(f"same page without the timestamps:    {bare / records * 1e6:6.1f} us/record  "
          f"({records / bare:,.0f} records/s)")
    for value in (1764320000.123, 1764320000, "1764320000.123", "2025-11-28T09:33:20.123Z"):
        runs = 20000
        seconds = min(timeit.repeat(lambda: botocore.utils.parse_timestamp(value), number=runs, repeat=3)) / runs
        print(f"parse_timestamp({value!r}): {seconds * 1e6:.1f} us")


if __name__ == "__main__":
    main()
