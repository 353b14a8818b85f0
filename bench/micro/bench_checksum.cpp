// Frame checksum (one XXH3 over arrival time, key and data, seeded with position and state word): paid once
// by the producer and once per verifying read on streams with checksums.
#include <benchmark/benchmark.h>

#include "log/frame_check.hpp"
#include "micro_support.hpp"

namespace {

void frame_checksum(benchmark::State& state) {
  // A frame as the log holds it: 16-byte header (state word, arrival time), then key and data.
  const std::string frame = micro::payload(16 + static_cast<size_t>(state.range(0)));
  const auto* bytes = reinterpret_cast<const uint8_t*>(frame.data());
  uint64_t position = 64;
  for (auto _ : state) {
    benchmark::DoNotOptimize(shmstream::detail::frame_checksum(bytes, position, 0x0008010100000060ull,
                                                               static_cast<size_t>(state.range(0))));
    position += 96;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(frame_checksum)->Arg(40)->Arg(72)->Arg(264)->Arg(4096);

}  // namespace
