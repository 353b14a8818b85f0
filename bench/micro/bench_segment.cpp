// What a fresh segment costs the process that reaches it: create (posix_fallocate: tmpfs allocates and zeroes
// every page), map with MAP_POPULATE (page-table entries for every page), first write to each page, and
// finally munmap + unlink (the pages go back to the kernel). A log on tmpfs pays this for every byte it
// writes, where a ring reuses the same warm pages forever.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "log/segment_file.hpp"
#include "micro_support.hpp"

namespace {

void segment_lifecycle(benchmark::State& state) {
  const auto size = static_cast<uint64_t>(state.range(0));
  const std::string directory = micro::scratch_root() + "/lifecycle";
  std::filesystem::create_directories(directory);
  const shmstream::detail::SegmentIdentity identity{size, 0, 42, 0600};
  uint64_t number = 0;
  for (auto _ : state) {
    if (!shmstream::detail::create_segment(directory, number, identity)) state.SkipWithError("create failed");
    std::shared_ptr<shmstream::detail::MappedSegment> segment;
    if (!shmstream::detail::open_segment(directory, number, identity, segment)) state.SkipWithError("open failed");
    if (state.range(1) != 0) {
      for (uint64_t offset = 4096; offset < size; offset += 4096) segment->bytes(offset)[0] = 1;  // first writes
    }
    segment.reset();
    std::filesystem::remove(directory + "/" + shmstream::detail::segment_file_name(number * size));
    ++number;
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["ns_per_128B_frame"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(size) / 128,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(state.range(1) != 0 ? "create+map+touch+unmap+unlink" : "create+map+unmap+unlink");
}
BENCHMARK(segment_lifecycle)->Args({1 << 20, 0})->Args({64 << 20, 0})->Args({64 << 20, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
