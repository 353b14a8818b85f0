"""Benchmark of the Python analysis path: N records of 64-byte payloads into a DataFrame / numpy array.

    PYTHONPATH=build/bindings/python:bindings/python /usr/bin/python3 \
        bindings/python/benchmarks/bench_analysis.py --records 1000000 --shards 1

Prints one line per phase (best of --repeat runs for the reads). The stream lives in a temporary root
under /dev/shm that is removed at the end.
"""

import argparse
import shutil
import tempfile
import time

import numpy as np

import shmstream

# A market-data tick of exactly 64 bytes.
TICK = np.dtype([("timestamp_ns", "<i8"), ("price", "<f8"), ("size", "<i8"), ("bid", "<f8"), ("ask", "<f8"),
                 ("venue", "<u4"), ("flags", "<u4"), ("symbol", "S16")])
assert TICK.itemsize == 64


def best_of(repeat, action):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def report(phase, seconds, records):
    print(f"{phase:<34} {seconds * 1e3:9.1f} ms  {records / seconds / 1e6:7.2f} M records/s  "
          f"{seconds / records * 1e9:7.0f} ns/record")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--symbols", type=int, default=100, help="distinct partition keys")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="shmstream-bench-", dir="/dev/shm")
    try:
        stream = shmstream.Stream.create("bench", shard_count=args.shards, segment_size=64 << 20, root=root)
        ticks = np.zeros(args.records, TICK)
        ticks["price"] = np.arange(args.records)
        symbols = [f"SYM{i:04d}" for i in range(args.symbols)]
        ticks["symbol"] = [symbols[i % args.symbols].encode() for i in range(args.records)]
        payloads = [tick.tobytes() for tick in ticks]
        keys = [symbols[i % args.symbols] for i in range(args.records)]
        print(f"{args.records} records x {TICK.itemsize} B, {args.shards} shard(s), {args.symbols} keys")

        started = time.perf_counter()
        for start in range(0, args.records, 500):
            stream.put_many(list(zip(keys[start:start + 500], payloads[start:start + 500])))
        report("put_many (500 per request)", time.perf_counter() - started, args.records)

        seconds, frame = best_of(args.repeat, stream.to_pandas)
        assert len(frame) == args.records
        report("to_pandas (5 columns)", seconds, args.records)

        seconds, array = best_of(args.repeat, lambda: stream.to_numpy(TICK))
        assert len(array) == args.records and array["price"].sum() == ticks["price"].sum()
        report("to_numpy (64-byte struct)", seconds, args.records)

        seconds, array = best_of(args.repeat, lambda: stream.to_numpy(TICK, metadata=True))
        report("to_numpy (struct + metadata)", seconds, args.records)

        seconds, count = best_of(args.repeat, lambda: sum(1 for _ in stream.records()))
        assert count == args.records
        report("records() iteration (bytes)", seconds, args.records)

        seconds, count = best_of(args.repeat, lambda: sum(1 for _ in stream.records(zero_copy=True)))
        report("records() iteration (memoryview)", seconds, args.records)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
