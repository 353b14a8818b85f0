// Fault injection across processes: producers SIGKILLed at random (seeded) points (putting record by record,
// or, into one shard, short records in PutRecords requests), or SIGSTOPped while the janitor unblocks their
// frames; restart after everything died. Invariants: every record whose put returned
// success is read exactly once per shard, in order, with a valid checksum; a producer whose frame was
// unblocked reports kAborted and that record is never read; consumers never stall much longer than the
// unblock timeout. SHMSTREAM_FAULT_SEED overrides the seed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../unit/test_support.hpp"
#include "shmstream/janitor.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

using namespace shmstream;

namespace {

constexpr uint32_t kShards = 3;  // unless a test asks for one shard (the one-function puts' case)
constexpr int64_t kUnblockTimeoutNs = 300'000'000;

struct LoggedPut {
  uint32_t shard;
  uint32_t aborted;  // 1: the put returned kAborted
  uint64_t sequence;
  uint64_t hash;
};

// A shared anonymous log that survives SIGKILL of the writer: entries first, then the count (release).
struct SharedLog {
  static constexpr size_t kCapacity = 1 << 20;
  std::atomic<uint64_t> count;
  std::atomic<uint32_t> stop;  // set by the test: the producer ends after its current put
  LoggedPut entries[kCapacity];
};

SharedLog* make_shared_log() {
  void* memory = ::mmap(nullptr, sizeof(SharedLog), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::runtime_error("mmap");
  return new (memory) SharedLog{};
}

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

uint64_t record_hash(std::string_view key, std::string_view data) {
  return XXH3_64bits_withSeed(data.data(), data.size(), XXH3_64bits(key.data(), key.size()));
}

// Records the outcome of one put (success or kAborted) in the shared log; any other status ends the process.
void log_put(SharedLog* log, const Status& status, const PutResult& result, std::string_view key,
             std::string_view data) {
  if (!status.is_ok() && status.code() != StatusCode::kAborted) ::_exit(10 + static_cast<int>(status.code()));
  // relaxed slot claim: one writer per log position only matters within this process's own puts.
  const uint64_t slot = log->count.fetch_add(1, std::memory_order_relaxed);
  if (slot < SharedLog::kCapacity) {
    log->entries[slot] = {result.shard_index, status.is_ok() ? 0u : 1u, result.sequence_number, record_hash(key, data)};
  }
}

// `grouped`: short records (put_record's fast path takes them) in PutRecords requests of 1..16.
void produce(const std::string& root, SharedLog* log, uint64_t seed, uint64_t records, bool exclusive,
             bool grouped) {
  auto stream = Stream::open("faults", root);
  ProducerOptions options;
  options.exclusive = exclusive;
  Producer producer(stream, options);
  std::mt19937_64 random(seed);
  constexpr size_t kMaxGroup = 16;
  std::vector<std::string> keys(kMaxGroup), datas(kMaxGroup);
  std::vector<PutRecordsEntry> entries(kMaxGroup);
  std::vector<PutRecordsResultEntry> results(kMaxGroup);
  // relaxed: a request to end early; the log itself is published by `count`.
  for (uint64_t i = 0; i < records && log->stop.load(std::memory_order_relaxed) == 0;) {
    const size_t group = grouped ? 1 + random() % kMaxGroup : 1;
    for (size_t g = 0; g < group; ++g, ++i) {
      keys[g] = "k" + std::to_string(random() % 64);
      datas[g] = std::to_string(seed) + ":" + std::to_string(i) + std::string(random() % (grouped ? 60 : 200), '#');
      entries[g] = {keys[g], datas[g], std::nullopt};
    }
    if (!grouped) {
      PutResult result;
      log_put(log, producer.put_record(keys[0], datas[0], result), result, keys[0], datas[0]);
      continue;
    }
    Status request;
    (void)producer.put_records({entries.data(), group}, results, request);
    if (!request) ::_exit(10 + static_cast<int>(request.code()));
    for (size_t g = 0; g < group; ++g) log_put(log, results[g].status, results[g].result, keys[g], datas[g]);
  }
}

// A forked child must never unwind into the parent's frames (their destructors would run twice).
[[noreturn]] void producer_main(const std::string& root, SharedLog* log, uint64_t seed, uint64_t records,
                                bool exclusive, bool grouped = false) {
  try {
    produce(root, log, seed, records, exclusive, grouped);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "producer %d: %s\n", static_cast<int>(::getpid()), error.what());
    ::_exit(3);
  }
  ::_exit(0);
}

struct ReadRecord {
  uint64_t sequence;
  uint64_t hash;
};

// Follows every shard; records the longest time a shard had data pending but did not move.
class Follower {
 public:
  explicit Follower(std::shared_ptr<Stream> stream, uint32_t shards = kShards) : stream_(std::move(stream)) {
    for (uint32_t s = 0; s < shards; ++s) readers_.emplace_back(stream_, s, IteratorStart{IteratorType::kTrimHorizon});
    read_.resize(shards);
    stuck_since_.assign(shards, 0);
  }
  // One sweep over all shards; returns records read.
  size_t sweep() {
    size_t got = 0;
    for (uint32_t s = 0; s < readers_.size(); ++s) {
      const Status status = readers_[s].get_records(batch_, 1000);
      if (!status) {
        errors_.push_back(std::string(exception_name(status.code())) + ": " + status.detail());
        continue;
      }
      for (const auto& record : batch_.records) read_[s].push_back({record.sequence_number, record_hash(record.partition_key, record.data)});
      got += batch_.records.size();
      const int64_t now = now_ns();
      const bool pending = batch_.records.empty() && stream_->describe_shard(s).latest_position > readers_[s].position();
      if (!pending) {
        stuck_since_[s] = 0;
      } else if (stuck_since_[s] == 0) {
        stuck_since_[s] = now;
      } else {
        longest_stall_ns_ = std::max(longest_stall_ns_, now - stuck_since_[s]);
      }
    }
    return got;
  }
  std::vector<std::vector<ReadRecord>> read_;
  std::vector<std::string> errors_;
  int64_t longest_stall_ns_ = 0;

 private:
  std::shared_ptr<Stream> stream_;
  std::vector<ShardReader> readers_;
  RecordBatch batch_;
  std::vector<int64_t> stuck_since_;
};

void check_against_log(const SharedLog& log, const std::vector<std::vector<ReadRecord>>& read, uint64_t& successes,
                       uint64_t& aborts) {
  const auto shards = static_cast<uint32_t>(read.size());
  std::vector<std::map<uint64_t, uint64_t>> by_position(shards);  // sequence -> hash, per shard
  for (uint32_t s = 0; s < shards; ++s) {
    uint64_t last = 0;
    for (const auto& record : read[s]) {
      EXPECT_GT(record.sequence, last) << "shard " << s << " out of order";
      last = record.sequence;
      EXPECT_TRUE(by_position[s].emplace(record.sequence, record.hash).second) << "read twice";
    }
  }
  const uint64_t count = std::min<uint64_t>(log.count.load(std::memory_order_acquire), SharedLog::kCapacity);
  for (uint64_t i = 0; i < count; ++i) {
    const LoggedPut& put = log.entries[i];
    if (put.hash == 0 && put.sequence == 0) continue;  // slot claimed by a process killed before filling it
    ASSERT_LT(put.shard, shards);
    const auto found = by_position[put.shard].find(put.sequence);
    if (put.aborted != 0) {
      ++aborts;
      EXPECT_TRUE(found == by_position[put.shard].end() || found->second != put.hash) << "aborted record was read";
    } else {
      ++successes;
      ASSERT_TRUE(found != by_position[put.shard].end()) << "successful put never read: shard " << put.shard << " seq "
                                                         << put.sequence;
      EXPECT_EQ(found->second, put.hash) << "read different bytes than were put";
    }
  }
}

std::shared_ptr<Stream> make_stream(const std::string& root, uint32_t shards = kShards) {
  StreamOptions options;
  options.shard_count = shards;
  options.segment_size = 16384;
  auto stream = Stream::create("faults", options, root);
  stream->set_unblock_timeout(std::chrono::nanoseconds(kUnblockTimeoutNs));
  return stream;
}

}  // namespace

// `concurrent` producers write at once; one at a time is SIGKILLed and replaced, `kills` times. Exclusive
// producers run one at a time: each replacement must get the stream (the dead one's lock is gone) and
// settle the frame its predecessor left unfinished. `grouped`: one shard, short records in PutRecords
// requests, so the kills land inside put_records' one-function path.
void kill_producers_at_random(bool exclusive, int concurrent, int kKills, bool grouped = false) {
  const uint32_t shards = grouped ? 1 : kShards;
  const uint64_t seed = env_or("SHMSTREAM_FAULT_SEED", 7);
  SCOPED_TRACE("seed " + std::to_string(seed));
  test::TempRoot root;
  auto stream = make_stream(root.path(), shards);
  SharedLog* log = make_shared_log();
  std::mt19937_64 random(seed);

  // The janitor is a process of its own, as `shmstream janitor` is. Not a thread of this process: a
  // producer forked while it held the stream's writers lock (shared) would inherit that lock, and an
  // exclusive producer could then never take it (flock belongs to the open file, docs/OPERATIONS.md).
  const pid_t janitor = ::fork();
  ASSERT_GE(janitor, 0);
  if (janitor == 0) {
    JanitorOptions janitor_options;
    janitor_options.root = root.path();
    Janitor running(janitor_options);
    for (;;) {
      running.do_work(now_ns());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  Follower follower(stream, shards);
  std::vector<pid_t> live;
  int kills = 0;
  auto spawn = [&] {
    const uint64_t child_seed = random();
    const pid_t pid = ::fork();
    if (pid == 0) producer_main(root.path(), log, child_seed, 40000, exclusive, grouped);
    live.push_back(pid);
  };
  for (int i = 0; i < concurrent; ++i) spawn();
  while (kills < kKills) {
    const auto wait_until = std::chrono::steady_clock::now() + std::chrono::microseconds(500 + random() % 20000);
    while (std::chrono::steady_clock::now() < wait_until) follower.sweep();
    const size_t victim = random() % live.size();
    ::kill(live[victim], SIGKILL);
    ::waitpid(live[victim], nullptr, 0);
    live.erase(live.begin() + static_cast<long>(victim));
    ++kills;
    spawn();
  }
  for (pid_t pid : live) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  // Every producer is gone: the followers must reach the end within the unblock timeout plus a margin.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(kUnblockTimeoutNs) + std::chrono::seconds(2);
  size_t idle_sweeps = 0;
  while (std::chrono::steady_clock::now() < deadline && idle_sweeps < 200) {
    idle_sweeps = follower.sweep() == 0 ? idle_sweeps + 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(janitor, SIGKILL);
  ::waitpid(janitor, nullptr, 0);

  EXPECT_TRUE(follower.errors_.empty()) << follower.errors_.front();
  uint64_t successes = 0, aborts = 0;
  check_against_log(*log, follower.read_, successes, aborts);
  EXPECT_GT(successes, 1000u);
  EXPECT_LT(follower.longest_stall_ns_, kUnblockTimeoutNs + 1'500'000'000) << "a consumer stalled too long";
  std::printf("kills %d, successful puts %llu, aborted %llu, longest stall %.1f ms\n", kills,
              static_cast<unsigned long long>(successes), static_cast<unsigned long long>(aborts),
              static_cast<double>(follower.longest_stall_ns_) / 1e6);

  // Restart after every process died: a fresh handle recovers exactly the same records.
  stream.reset();
  Follower again(Stream::open("faults", root.path()), shards);
  while (again.sweep() != 0) {
  }
  for (uint32_t s = 0; s < shards; ++s) {
    ASSERT_EQ(again.read_[s].size(), follower.read_[s].size());
    for (size_t i = 0; i < again.read_[s].size(); ++i) EXPECT_EQ(again.read_[s][i].sequence, follower.read_[s][i].sequence);
  }
  ::munmap(log, sizeof(SharedLog));
}

TEST(Faults, ProducersKilledAtRandomLoseNothingThatSucceeded) { kill_producers_at_random(false, 3, 25); }

TEST(Faults, ExclusiveProducersKilledAtRandomLoseNothingThatSucceeded) { kill_producers_at_random(true, 1, 12); }

TEST(Faults, PutRecordsProducersKilledAtRandomLoseNothingThatSucceeded) {
  kill_producers_at_random(false, 3, 15, true);
}

TEST(Faults, ExclusivePutRecordsProducersKilledAtRandomLoseNothingThatSucceeded) {
  kill_producers_at_random(true, 1, 8, true);
}

TEST(Faults, StalledProducerIsAbortedNeverSilentlyLost) {
  test::TempRoot root;
  auto stream = make_stream(root.path());
  SharedLog* log = make_shared_log();
  // The producer writes until told to stop, so the stops below get their chances however fast it runs.
  const pid_t child = ::fork();
  if (child == 0) producer_main(root.path(), log, 99, SharedLog::kCapacity, false);

  JanitorOptions janitor_options;
  janitor_options.root = root.path();
  Janitor janitor(janitor_options);
  int64_t virtual_now = now_ns();
  std::mt19937_64 random(5);
  for (int cycle = 0; cycle < 2000 && janitor.counters().frames_unblocked < 5; ++cycle) {
    std::this_thread::sleep_for(std::chrono::microseconds(100 + random() % 500));
    if (::kill(child, SIGSTOP) != 0) break;  // finished already
    // Wait until the child is really stopped before judging its frames.
    siginfo_t info{};
    ::waitid(P_PID, static_cast<id_t>(child), &info, WSTOPPED | WEXITED | WNOWAIT);
    if (info.si_code == CLD_EXITED) break;
    janitor.do_work(virtual_now);
    virtual_now += kUnblockTimeoutNs + 1;
    janitor.do_work(virtual_now);
    virtual_now += kUnblockTimeoutNs + 1;
    ::kill(child, SIGCONT);
  }
  log->stop.store(1, std::memory_order_relaxed);  // relaxed: see produce()
  ::kill(child, SIGCONT);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "producer died";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10 + StatusCode: a put failed with something other than kAborted";

  Follower follower(stream);
  while (follower.sweep() != 0) {
  }
  EXPECT_TRUE(follower.errors_.empty());
  uint64_t successes = 0, aborts = 0;
  check_against_log(*log, follower.read_, successes, aborts);
  EXPECT_GT(janitor.counters().frames_unblocked, 0u) << "no stop landed inside a frame";
  // Each unblocked record frame surfaces as one kAborted put; the others were the padding of a segment end
  // that the stopped producer had reserved (its record then went to the next segment).
  EXPECT_LE(aborts, janitor.counters().frames_unblocked);
  std::printf("unblocked %llu frames, producer saw %llu aborts, %llu successes\n",
              static_cast<unsigned long long>(janitor.counters().frames_unblocked), static_cast<unsigned long long>(aborts),
              static_cast<unsigned long long>(successes));
  ::munmap(log, sizeof(SharedLog));
}
