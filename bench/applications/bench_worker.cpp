// Applications benchmark (docs/PERFORMANCE.md "Applications"): records/s delivered through a Worker against a
// raw ShardReader on the same records (64-byte data, one shard, alternating runs, medians, ratio in one run),
// and the failover time after SIGKILL of a worker: from the kill to the survivor's initialize of the dead
// worker's shard, over N kills (p50, p99, max).
//
//   bench_worker [--records N] [--runs R] [--kills K] [--root DIR]
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "shmstream/application.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "shmstream/worker.hpp"

using namespace shmstream;

namespace {

int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// CPU time of the whole process (every thread: the Worker's lease thread counts against it): records per
// CPU-second do not depend on what else the machine runs, wall-clock rates do.
int64_t process_cpu_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

struct Rate {
  double wall = 0;  // records per second
  double cpu = 0;   // records per CPU-second
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// What both consumers do with each record: touch its data, so neither skips the read.
inline uint64_t consume(std::span<const RecordView> records) {
  uint64_t sum = 0;
  for (const RecordView& record : records) sum += static_cast<uint8_t>(record.data[0]) + record.data.size();
  return sum;
}

Rate raw_reader_rate(const std::shared_ptr<Stream>& stream, uint64_t records) {
  ShardReader reader(stream, 0, IteratorStart{IteratorType::kTrimHorizon});
  RecordBatch batch;
  batch.records.reserve(10000);
  uint64_t seen = 0;
  volatile uint64_t sink = 0;
  int64_t start = 0;
  int64_t cpu_start = 0;
  while (seen < records) {
    if (!reader.get_records(batch, 10000)) std::abort();
    if (start == 0) {  // as the Worker's clocks: from the first batch delivered
      start = monotonic_ns();
      cpu_start = process_cpu_ns();
    }
    sink = sink + consume(std::span<const RecordView>(batch.records.data(), batch.records.size()));
    seen += batch.records.size();
  }
  const int64_t end = monotonic_ns();
  const int64_t cpu_end = process_cpu_ns();
  return {static_cast<double>(records) * 1e9 / static_cast<double>(end - start),
          static_cast<double>(records) * 1e9 / static_cast<double>(cpu_end - cpu_start)};
}

class CountingProcessor : public RecordProcessor {
 public:
  CountingProcessor(std::atomic<uint64_t>& seen, std::atomic<int64_t>& first_ns, std::atomic<int64_t>& last_ns,
                    int64_t& first_cpu_ns, int64_t& last_cpu_ns, uint64_t records, bool checkpoint_every_batch)
      : seen_(seen), first_ns_(first_ns), last_ns_(last_ns), first_cpu_ns_(first_cpu_ns), last_cpu_ns_(last_cpu_ns),
        records_(records), checkpoint_every_batch_(checkpoint_every_batch) {}
  void initialize(std::string_view, const Checkpoint&) override {}
  void process_records(std::span<const RecordView> records, Checkpointer& checkpointer, int64_t) override {
    if (first_ns_.load(std::memory_order_relaxed) == 0) {
      first_cpu_ns_ = process_cpu_ns();
      first_ns_.store(monotonic_ns(), std::memory_order_relaxed);
    }
    sink_ = sink_ + consume(records);
    if (checkpoint_every_batch_) checkpointer.checkpoint();
    // relaxed: one shard, one thread; the main thread only reads the times after last_ns is set (release).
    if (seen_.fetch_add(records.size(), std::memory_order_relaxed) + records.size() >= records_) {
      last_cpu_ns_ = process_cpu_ns();
      last_ns_.store(monotonic_ns(), std::memory_order_release);
    }
  }
  void lease_lost() override {}
  void shard_ended(Checkpointer& checkpointer) override { checkpointer.checkpoint(); }
  void shutdown_requested(Checkpointer&) override {}

 private:
  std::atomic<uint64_t>& seen_;
  std::atomic<int64_t>& first_ns_;
  std::atomic<int64_t>& last_ns_;
  int64_t& first_cpu_ns_;
  int64_t& last_cpu_ns_;
  uint64_t records_;
  bool checkpoint_every_batch_;
  volatile uint64_t sink_ = 0;
};

Rate worker_rate(const std::shared_ptr<Stream>& stream, uint64_t records, int run, bool checkpoint_every_batch) {
  std::atomic<uint64_t> seen{0};
  std::atomic<int64_t> first_ns{0};
  std::atomic<int64_t> last_ns{0};
  int64_t first_cpu_ns = 0;
  int64_t last_cpu_ns = 0;
  WorkerOptions options;
  options.wait_strategy = WaitStrategy::kBlock;
  Worker worker(stream, "bench-" + std::to_string(run) + (checkpoint_every_batch ? "-cp" : ""),
                [&] { return std::make_unique<CountingProcessor>(seen, first_ns, last_ns, first_cpu_ns, last_cpu_ns, records,
                                                                checkpoint_every_batch); },
                options);
  std::thread runner([&] { worker.run(); });
  // Sleeps, so the waiting takes no CPU from the worker (the raw reader has none beside it either).
  while (last_ns.load(std::memory_order_acquire) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int64_t end = last_ns.load(std::memory_order_acquire);
  worker.shutdown();
  runner.join();
  return {static_cast<double>(records) * 1e9 / static_cast<double>(end - first_ns.load()),
          static_cast<double>(records) * 1e9 / static_cast<double>(last_cpu_ns - first_cpu_ns)};
}

// One failover: worker A (a child process) and worker B (here) share two shards; A is killed; returns the
// ms until B initializes A's shard.
double one_failover(const std::string& root, int iteration) {
  const std::string application = "failover-" + std::to_string(iteration);
  auto stream = Stream::open("bench", root);
  const pid_t child = ::fork();
  if (child == 0) {
    class Idle : public RecordProcessor {
      void initialize(std::string_view, const Checkpoint&) override {}
      void process_records(std::span<const RecordView>, Checkpointer&, int64_t) override {}
      void lease_lost() override {}
      void shard_ended(Checkpointer& checkpointer) override { checkpointer.checkpoint(); }
      void shutdown_requested(Checkpointer&) override {}
    };
    Worker worker(Stream::open("bench", root), application, [] { return std::make_unique<Idle>(); });
    worker.run();
    ::_exit(0);
  }
  // A holds both shards first.
  for (;;) {
    try {
      const auto leases = describe_application(stream, application).leases;
      if (leases.size() == 2 && std::all_of(leases.begin(), leases.end(), [](auto& l) { return l.owner_pid != 0; })) break;
    } catch (const Error&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<int64_t> initialized[2] = {0, 0};
  class Timing : public RecordProcessor {
   public:
    explicit Timing(std::atomic<int64_t>* initialized) : initialized_(initialized) {}
    void initialize(std::string_view shard_id, const Checkpoint&) override {
      initialized_[*parse_shard_id(shard_id)].store(monotonic_ns());
    }
    void process_records(std::span<const RecordView>, Checkpointer&, int64_t) override {}
    void lease_lost() override {}
    void shard_ended(Checkpointer& checkpointer) override { checkpointer.checkpoint(); }
    void shutdown_requested(Checkpointer&) override {}

   private:
    std::atomic<int64_t>* initialized_;
  };
  Worker worker(stream, application, [&] { return std::make_unique<Timing>(initialized); });
  std::thread runner([&] { worker.run(); });
  // B steals one lease (balance); wait for that, then kill A.
  while (initialized[0].load() == 0 && initialized[1].load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int mine = initialized[0].load() != 0 ? 0 : 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t killed = monotonic_ns();
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  while (initialized[1 - mine].load() == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  const double ms = static_cast<double>(initialized[1 - mine].load() - killed) / 1e6;
  worker.shutdown();
  runner.join();
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t records = 2'000'000;
  int runs = 5;
  int kills = 20;
  std::string root = "/dev/shm/shmstream-bench-worker-" + std::to_string(::getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--records") records = std::stoull(argv[i + 1]);
    else if (flag == "--runs") runs = std::stoi(argv[i + 1]);
    else if (flag == "--kills") kills = std::stoi(argv[i + 1]);
    else if (flag == "--root") root = argv[i + 1];
  }
  {
    StreamOptions options;
    options.shard_count = 1;
    options.segment_size = uint64_t{256} << 20;
    auto stream = Stream::create("throughput", options, root);
    Producer producer(stream);
    const std::string data(64, 'x');
    for (uint64_t i = 0; i < records; ++i) {
      PutResult result;
      if (!producer.put_record("k", data, result)) return 1;
    }
    std::vector<Rate> raw, through_worker, with_checkpoints;
    for (int run = 0; run < runs; ++run) {
      raw.push_back(raw_reader_rate(stream, records));
      through_worker.push_back(worker_rate(stream, records, run, false));
      with_checkpoints.push_back(worker_rate(stream, records, run, true));
    }
    const auto median_of = [](const std::vector<Rate>& rates, double Rate::*field) {
      std::vector<double> values;
      for (const Rate& rate : rates) values.push_back(rate.*field);
      return median(values);
    };
    std::printf("records of 64 B, one shard, %llu records, median of %d alternating runs\n",
                static_cast<unsigned long long>(records), runs);
    std::printf("  %-26s %16s %8s %18s %8s\n", "", "records/s", "ratio", "records/CPU-s", "ratio");
    const auto line = [&](const char* name, const std::vector<Rate>& rates) {
      const double wall = median_of(rates, &Rate::wall);
      const double cpu = median_of(rates, &Rate::cpu);
      std::printf("  %-26s %16.0f %7.2fx %18.0f %7.2fx\n", name, wall, wall / median_of(raw, &Rate::wall), cpu,
                  cpu / median_of(raw, &Rate::cpu));
    };
    line("raw ShardReader", raw);
    line("Worker", through_worker);
    line("Worker, checkpoint/batch", with_checkpoints);
  }
  {
    StreamOptions options;
    options.shard_count = 2;
    options.segment_size = 1 << 16;
    Stream::create("bench", options, root);
    std::vector<double> times;
    for (int i = 0; i < kills; ++i) times.push_back(one_failover(root, i));
    std::sort(times.begin(), times.end());
    const auto at = [&](double q) { return times[std::min(times.size() - 1, static_cast<size_t>(q * times.size()))]; };
    std::printf("failover after SIGKILL (kill -> survivor's initialize), %d kills, lease pass 10 ms:\n", kills);
    std::printf("  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", at(0.5), at(0.99), times.back());
  }
  std::filesystem::remove_all(root);
  return 0;
}
