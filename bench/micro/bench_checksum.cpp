// Frame checksum (XXH3 over header fields + key + data): paid once by the producer, once per verifying read.
#include <benchmark/benchmark.h>

#include "log/frame_check.hpp"
#include "micro_support.hpp"

namespace {

void frame_checksum(benchmark::State& state) {
  const std::string data = micro::payload(static_cast<size_t>(state.range(0)));
  uint64_t sequence = 64;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        shmstream::detail::frame_checksum(0x0001000100000060ull, sequence, 1'700'000'000'000'000'000, data.data(), data.size()));
    sequence += 128;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(frame_checksum)->Arg(40)->Arg(72)->Arg(264)->Arg(4096);

}  // namespace
