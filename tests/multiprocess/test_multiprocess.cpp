// Multi-process: forked producer processes write one stream while forked consumer processes read every
// shard; each consumer reports a digest of what it read through a pipe. Both consumers must agree with the
// producers' digest exactly (same records, same count, per-shard order).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <random>
#include <thread>

#include "../unit/test_support.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

using namespace shmstream;

namespace {

constexpr uint32_t kShards = 3;
constexpr uint32_t kProducerProcesses = 3;
constexpr uint64_t kRecordsPerProducer = 30000;

struct Report {
  uint64_t records = 0;
  uint64_t digest = 0;  // sum of per-record hashes: order-free, so producers and consumers can compare
  uint64_t order_violations = 0;
  uint64_t errors = 0;
};

uint64_t record_hash(std::string_view key, std::string_view data) {
  return XXH3_64bits_withSeed(data.data(), data.size(), XXH3_64bits(key.data(), key.size()));
}

Report run_producer(const std::string& root, uint32_t id) {
  auto stream = Stream::open("mp", root);
  Producer producer(stream);
  std::mt19937_64 random(id);
  Report report;
  for (uint64_t i = 0; i < kRecordsPerProducer; ++i) {
    const std::string key = "sym" + std::to_string(random() % 50);
    const std::string data = "p" + std::to_string(id) + "-" + std::to_string(i) + std::string(random() % 64, '.');
    PutResult result;
    if (!producer.put_record(key, data, result).is_ok()) {
      ++report.errors;
      continue;
    }
    ++report.records;
    report.digest += record_hash(key, data);
  }
  return report;
}

Report run_consumer(const std::string& root, uint64_t expected) {
  auto stream = Stream::open("mp", root);
  std::vector<ShardReader> readers;
  for (uint32_t s = 0; s < kShards; ++s) readers.emplace_back(stream, s, IteratorStart{IteratorType::kTrimHorizon});
  std::vector<uint64_t> last(kShards, 0);
  Report report;
  RecordBatch batch;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (report.records < expected && std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (uint32_t s = 0; s < kShards; ++s) {
      if (!readers[s].get_records(batch, 500).is_ok()) {
        ++report.errors;
        continue;
      }
      for (const auto& record : batch.records) {
        if (record.sequence_number <= last[s]) ++report.order_violations;
        last[s] = record.sequence_number;
        report.digest += record_hash(record.partition_key, record.data);
        ++report.records;
        any = true;
      }
    }
    if (!any) (void)readers[report.records % kShards].wait(WaitStrategy::kBackoff, std::chrono::milliseconds(1));
  }
  return report;
}

struct Child {
  pid_t pid;
  int read_end;
};

template <typename Work>
Child fork_child(Work work) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    Report report{};
    try {
      report = work();
    } catch (...) {
      report.errors = 1;
    }
    (void)!::write(fds[1], &report, sizeof report);
    ::_exit(0);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

Report collect(const Child& child) {
  Report report{};
  EXPECT_EQ(::read(child.read_end, &report, sizeof report), static_cast<ssize_t>(sizeof report));
  ::close(child.read_end);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return report;
}

}  // namespace

TEST(MultiProcess, ForkedProducersAndConsumersAgree) {
  test::TempRoot root;
  StreamOptions options;
  options.shard_count = kShards;
  options.segment_size = 16384;
  Stream::create("mp", options, root.path());
  const uint64_t expected = kProducerProcesses * kRecordsPerProducer;
  const std::string path = root.path();

  std::vector<Child> consumers, producers;
  for (int c = 0; c < 2; ++c) consumers.push_back(fork_child([&] { return run_consumer(path, expected); }));
  for (uint32_t p = 0; p < kProducerProcesses; ++p) producers.push_back(fork_child([&, p] { return run_producer(path, p); }));

  Report produced{};
  for (const auto& child : producers) {
    const Report report = collect(child);
    EXPECT_EQ(report.errors, 0u);
    produced.records += report.records;
    produced.digest += report.digest;
  }
  EXPECT_EQ(produced.records, expected);
  for (const auto& child : consumers) {
    const Report report = collect(child);
    EXPECT_EQ(report.errors, 0u);
    EXPECT_EQ(report.order_violations, 0u);
    EXPECT_EQ(report.records, produced.records);
    EXPECT_EQ(report.digest, produced.digest);
  }
}
