// Google Benchmark entry point for the micro benches (Debian ships no benchmark_main pkg-config file).
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
