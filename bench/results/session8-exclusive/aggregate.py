#!/usr/bin/env python3
"""Session 8 part 2: shmstream (shared producer) vs shmstream-x (exclusive) vs spsc, 3 runs, min/median/max."""
import glob, json, statistics as st
def runs(mode):
    return [r for f in sorted(glob.glob(f"{mode}-r*.json")) for r in json.load(open(f))["runs"]]
def mmm(xs, fmt="{:.0f}"):
    xs = sorted(xs)
    return "/".join(fmt.format(x) for x in (xs[0], st.median(xs), xs[-1]))
names = ("shmstream", "shmstream-x", "spsc")
print("== throughput 64 B, M msg/s; cpu ns/msg producer+consumer (medians)")
rs = runs("throughput64")
for t in names:
    x = [r for r in rs if r["transport"] == t]
    pc = st.median(r["producer_cpu_seconds"] / r["messages"] * 1e9 for r in x)
    cc = st.median(r["consumer_cpu_seconds"] / r["messages"] * 1e9 for r in x)
    print(f"{t:12s} {mmm([r['messages_per_second'] / 1e6 for r in x], '{:.2f}')}  cpu {pc:.0f}+{cc:.0f}  "
          f"{sorted({r['placement_class'] for r in x})}")
for mode in ("latency", "pingpong"):
    rs = runs(mode)
    for rate in sorted({r["rate"] for r in rs}):
        print(f"== {mode} rate={rate}: p50 / p90 / p99 / p99.9 / max, ns (min/median/max over runs)")
        for t in names:
            x = [r for r in rs if r["transport"] == t and r["rate"] == rate]
            cols = [mmm([r["latency_ns"][k] for r in x]) for k in ("p50", "p90", "p99", "p99.9", "max")]
            print(f"{t:12s} " + " | ".join(cols))
