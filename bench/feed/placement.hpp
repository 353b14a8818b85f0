// Where the host put our two vCPUs right now. The cache-line round trip between cpu0 and cpu1 moves ~10x
// when the host moves them (same core ~27 ns, shared L3 ~70 ns, across clusters ~300 ns; see
// BENCHMARKING.md), so every result carries the measurement taken just before and just after it.
#pragma once

#include <string>

namespace feed {

bool pin_to_cpu(int cpu) noexcept;  // false if the CPU does not exist or affinity is not allowed
int online_cpus() noexcept;

// Median round trip of one cache line bounced between threads pinned to cpu_a and cpu_b, in ns.
double cache_line_round_trip_ns(int cpu_a, int cpu_b);

// "same-core" | "shared-L3" | "cross-cluster"
const char* placement_class(double round_trip_ns) noexcept;

}  // namespace feed
