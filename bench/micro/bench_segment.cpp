// What a fresh segment costs the process that reaches it, the way a stream makes it: create (tmpfs
// allocates and zeroes every page, written through a mapping that this process keeps), map it (takes the
// kept mapping back), first write to each page, and finally unlink + munmap (the pages go back to the
// kernel). A log on tmpfs pays this for every byte of its first lap, before segment files are recycled.
// On a tmpfs that allows huge pages (SHMSTREAM_MICRO_DIR) the same with 2 MiB pages.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

#include "segment/huge_pages.hpp"
#include "segment/kept_mappings.hpp"
#include "segment/segment_file.hpp"
#include "micro_support.hpp"

namespace {

void segment_lifecycle(benchmark::State& state) {
  const auto size = static_cast<uint64_t>(state.range(0));
  const std::string directory = micro::scratch_root() + "/lifecycle";
  std::filesystem::create_directories(directory);
  const shmstream::detail::SegmentIdentity identity{size, 0, 42, 0600,
                                                    shmstream::detail::huge_page_bytes_for(directory, size)};
  const auto kept = std::make_shared<shmstream::detail::KeptMappings>();
  const auto at_once = shmstream::detail::Pacing::kAtOnce;
  uint64_t number = 0;
  for (auto _ : state) {
    if (!shmstream::detail::create_segment_file(directory, number, identity, at_once, kept.get())) {
      state.SkipWithError("create failed");
    }
    std::shared_ptr<shmstream::detail::MappedSegment> segment;
    if (!shmstream::detail::map_segment_file(directory, number, identity, segment, at_once, kept)) {
      state.SkipWithError("open failed");
    }
    if (state.range(1) != 0) {
      for (uint64_t offset = 4096; offset < size; offset += 4096) segment->bytes(offset)[0] = 1;  // first writes
    }
    segment.reset();  // its mapping goes to `kept`
    std::filesystem::remove(directory + "/" + shmstream::detail::segment_file_name(number * size));
    kept->drop_unlinked();  // and is unmapped now that the file is gone
    ++number;
  }
  state.counters["huge_page_bytes"] = static_cast<double>(identity.huge_page_bytes);
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["ns_per_128B_frame"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(size) / 128,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(state.range(1) != 0 ? "create+map+touch+unmap+unlink" : "create+map+unmap+unlink");
}
BENCHMARK(segment_lifecycle)->Args({1 << 20, 0})->Args({64 << 20, 0})->Args({64 << 20, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
