// The shard log: append (1 and 2 producer threads into one shard; an exclusive producer), zero-copy reads,
// and the cost of rolling segments when they are small.
#include <benchmark/benchmark.h>

#include <mutex>

#include "micro_support.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"

namespace {

constexpr uint64_t kSegment = uint64_t{64} << 20;
constexpr uint64_t kCap = uint64_t{256} << 20;  // producers trim on roll: a long run stays within /dev/shm

// One stream shared by the threads of a multi-threaded run. The benchmark loop's start and end are barriers,
// so every thread has joined before the first append and none leaves before the last.
class SharedStream {
 public:
  std::shared_ptr<shmstream::Stream> join(uint64_t segment_size, uint64_t cap) {
    std::lock_guard lock(mutex_);
    if (users_++ == 0) stream_ = micro::fresh_stream(1, segment_size, cap);
    return stream_;
  }
  void leave() {
    std::lock_guard lock(mutex_);
    if (--users_ == 0) stream_.reset();
  }

 private:
  std::mutex mutex_;
  int users_ = 0;
  std::shared_ptr<shmstream::Stream> stream_;
};

void append_loop(benchmark::State& state, uint64_t segment_size, uint64_t cap, size_t bytes, bool exclusive = false) {
  static SharedStream shared;
  {
    shmstream::Producer producer(shared.join(segment_size, cap), shmstream::ProducerOptions{exclusive});
    const std::string data = micro::payload(bytes);
    shmstream::PutResult result;
    for (auto _ : state) {
      if (!producer.put_record("AAPL    ", data, result)) state.SkipWithError("put_record failed");
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  }
  shared.leave();
}

void append(benchmark::State& state) { append_loop(state, kSegment, kCap, static_cast<size_t>(state.range(0))); }
BENCHMARK(append)->Arg(32)->Arg(64)->Arg(256)->Threads(1)->Threads(2)->UseRealTime();

// The same with an exclusive producer (plain-store claim and commit; one thread only).
void append_exclusive(benchmark::State& state) {
  append_loop(state, kSegment, kCap, static_cast<size_t>(state.range(0)), true);
}
BENCHMARK(append_exclusive)->Arg(64)->Threads(1)->UseRealTime();

// Small segments: the roll (pad, seal, create + map the next file, CAS the active segment) is amortised over
// fewer records. range(0) = segment size.
void segment_roll(benchmark::State& state) {
  append_loop(state, static_cast<uint64_t>(state.range(0)), static_cast<uint64_t>(state.range(0)) * 4, 64);
  state.counters["records_per_segment"] = static_cast<double>(state.range(0)) / 128;
}
BENCHMARK(segment_roll)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20)->UseRealTime();

// Zero-copy reads of a pre-filled shard, batches of range(1) records; range(0) = verify checksums.
void read(benchmark::State& state) {
  constexpr uint64_t kRecords = 200'000;  // ~25 MiB: one segment, beyond L2, like a consumer behind by a bit
  auto stream = micro::fresh_stream(1, kSegment, 0);
  {
    shmstream::Producer producer(stream);
    const std::string data = micro::payload(64);
    shmstream::PutResult result;
    for (uint64_t i = 0; i < kRecords; ++i) (void)producer.put_record("AAPL    ", data, result);
  }
  shmstream::ShardReader reader(stream, 0, {shmstream::IteratorType::kTrimHorizon},
                                shmstream::ReaderOptions{state.range(0) != 0, false});
  const uint64_t start = reader.position();
  shmstream::RecordBatch batch;
  uint64_t records = 0;
  for (auto _ : state) {
    if (!reader.get_records(batch, static_cast<uint32_t>(state.range(1)))) state.SkipWithError("get_records failed");
    if (batch.records.empty()) (void)reader.seek(start);
    for (const auto& record : batch.records) benchmark::DoNotOptimize(record.data.data());
    records += batch.records.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetLabel(state.range(0) != 0 ? "verify checksums" : "no checksum");
}
BENCHMARK(read)->Args({1, 1})->Args({1, 100})->Args({1, 1000})->Args({0, 1000});

}  // namespace
