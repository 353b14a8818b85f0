#!/usr/bin/env python3
"""Aggregates session 8 JSON (before/after, 3 interleaved runs) into min/median/max tables."""
import glob, json, statistics as st, sys
def runs(which, mode):
    out = []
    for f in sorted(glob.glob(f"{which}-{mode}-r*.json")):
        for r in json.load(open(f))["runs"]:
            r["file"] = f
            out.append(r)
    return out
def mmm(xs, fmt="{:.0f}"):
    xs = sorted(xs)
    return "/".join(fmt.format(x) for x in (xs[0], st.median(xs), xs[-1]))
def place(rs):
    ps = [p for r in rs for p in (r["placement_before_ns"], r["placement_after_ns"])]
    cls = sorted({r["placement_class"] for r in rs})
    return f"{'+'.join(cls)} {min(ps):.0f}-{max(ps):.0f} ns"
print("== throughput 64 B (Mmsg/s min/median/max, cpu ns/msg p+c medians, placement)")
med = {}
for which in ("before", "after"):
    rs = runs(which, "throughput64")
    for t in ("shmstream", "spsc"):
        x = [r for r in rs if r["transport"] == t]
        rates = [r["messages_per_second"] / 1e6 for r in x]
        med[(which, t)] = st.median(rates)
        pc = st.median(r["producer_cpu_seconds"] / r["messages"] * 1e9 for r in x)
        cc = st.median(r["consumer_cpu_seconds"] / r["messages"] * 1e9 for r in x)
        print(f"{which:7s} {t:10s} n={len(x)} {mmm(rates, '{:.2f}')}  cpu {pc:.0f}+{cc:.0f}  {place(x)}")
    # per-run ratio within one run
    by_run = {}
    for r in rs: by_run.setdefault(r["file"], {})[r["transport"]] = r["messages_per_second"]
    ratios = [v["shmstream"] / v["spsc"] for v in by_run.values()]
    print(f"{which:7s} shmstream/spsc per run: {mmm(ratios, '{:.3f}')}")
for f in ["peers-throughput64.json"]:
    for r in json.load(open(f))["runs"]:
        m = r["messages_per_second"] / 1e6
        print(f"peer {r['transport']:6s} {m:.2f} Mmsg/s cpu {r['producer_cpu_seconds']/r['messages']*1e9:.0f}+{r['consumer_cpu_seconds']/r['messages']*1e9:.0f} "
              f"{r['placement_class']} {r['placement_before_ns']:.0f}/{r['placement_after_ns']:.0f}; before/x {med[('before','shmstream')]/m:.2f}  after/x {med[('after','shmstream')]/m:.2f}")
for mode, rates in (("latency", (100000, 1000000)), ("pingpong", (0,))):
    for rate in rates:
        print(f"== {mode} rate={rate} (ns min/median/max over runs)")
        for which in ("before", "after"):
            rs = runs(which, mode)
            for t in ("shmstream", "spsc"):
                x = [r for r in rs if r["transport"] == t and r["rate"] == rate]
                cols = []
                for q in ("p50", "p90", "p99", "p99.9", "max"):
                    cols.append(f"{q} {mmm([r['latency_ns'][q] for r in x])}")
                print(f"{which:7s} {t:10s} n={len(x)} " + " | ".join(cols) + f" | {place(x)}")
