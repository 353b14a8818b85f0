// Consumer applications across processes (docs/APPLICATIONS.md): forked workers share a stream through the
// lease table; balance, SIGKILL failover, graceful shutdown and resharding while consuming. Each worker logs
// what its processors see into its own file (one write per batch), which the test reads afterwards.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "shmstream/application.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/stream.hpp"
#include "shmstream/worker.hpp"
#include "../unit/test_support.hpp"
#include "common/system_clocks.hpp"

using namespace shmstream;
using shmstream::detail::monotonic_ns;

namespace {

enum class Event : uint32_t { kInitialize = 1, kDeliver = 2, kCheckpoint = 3, kShardEnded = 4 };

struct LogEntry {
  Event event;
  uint32_t shard;
  uint64_t sequence_number;
  int64_t time_ns;   // CLOCK_MONOTONIC
  uint64_t key;      // record: the key number
  uint64_t counter;  // record: its number within its key
};

// Records are "<key> <counter>" with partition key "k<key>".
class LoggingProcessor : public RecordProcessor {
 public:
  explicit LoggingProcessor(int fd) : fd_(fd) {}
  void initialize(std::string_view shard_id, const Checkpoint&) override {
    shard_ = *parse_shard_id(shard_id);
    write({Event::kInitialize, shard_, 0, monotonic_ns(), 0, 0});
  }
  void process_records(std::span<const RecordView> records, Checkpointer& checkpointer, int64_t) override {
    entries_.clear();
    const int64_t now = monotonic_ns();
    for (const RecordView& record : records) {
      LogEntry entry{Event::kDeliver, shard_, record.sequence_number, now, 0, 0};
      std::sscanf(std::string(record.data).c_str(), "%lu %lu", &entry.key, &entry.counter);
      entries_.push_back(entry);
    }
    ::write(fd_, entries_.data(), entries_.size() * sizeof(LogEntry));
    checkpointer.checkpoint();
    write({Event::kCheckpoint, shard_, records.back().sequence_number, monotonic_ns(), 0, 0});
  }
  void lease_lost() override {}
  void shard_ended(Checkpointer& checkpointer) override {
    checkpointer.checkpoint();
    write({Event::kShardEnded, shard_, 0, monotonic_ns(), 0, 0});
  }
  void shutdown_requested(Checkpointer& checkpointer) override { checkpointer.checkpoint(); }

 private:
  void write(const LogEntry& entry) { (void)!::write(fd_, &entry, sizeof entry); }
  int fd_;
  uint32_t shard_ = 0;
  std::vector<LogEntry> entries_;
};

// A forked worker: runs until SIGTERM (graceful shutdown) or SIGKILL.
std::vector<pid_t> started_workers;  // killed at the end of each test, whatever happened

pid_t start_worker(const std::string& root, const std::string& log_path, const std::string& application = "app",
                   std::chrono::milliseconds failover_time = std::chrono::seconds(2)) {
  const pid_t pid = ::fork();
  if (pid != 0) {
    started_workers.push_back(pid);
    return pid;
  }
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
  try {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    WorkerOptions options;
    options.lease_pass_interval = std::chrono::milliseconds(5);
    options.failover_time = failover_time;
    Worker worker(Stream::open("s", root), application, [fd] { return std::make_unique<LoggingProcessor>(fd); },
                  options);
    std::thread([&worker, term] {
      int signal = 0;
      ::sigwait(&term, &signal);
      worker.shutdown();
    }).detach();
    worker.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "worker failed: %s\n", error.what());
    ::_exit(3);
  }
  ::_exit(0);
}

std::vector<LogEntry> read_log(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  std::vector<LogEntry> entries(bytes.size() / sizeof(LogEntry));
  std::memcpy(entries.data(), bytes.data(), entries.size() * sizeof(LogEntry));
  return entries;
}

std::map<std::string, int> leases_per_owner(const std::shared_ptr<Stream>& stream, const std::string& application) {
  std::map<std::string, int> counts;
  for (const LeaseInfo& lease : describe_application(stream, application).leases) {
    if (lease.checkpoint.kind != Checkpoint::Kind::kShardEnd) ++counts[lease.lease_owner];
  }
  return counts;
}

// "owner=count ..." of the leases not at SHARD_END, for a failure message.
std::string lease_distribution(const std::shared_ptr<Stream>& stream) {
  std::string text;
  try {
    for (const auto& [owner, count] : leases_per_owner(stream, "app")) {
      text += (owner.empty() ? std::string("(none)") : owner) + "=" + std::to_string(count) + " ";
    }
  } catch (const Error& error) {
    text = error.what();
  }
  return text;
}

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool settled(const std::shared_ptr<Stream>& stream, std::vector<int> expected) {
  std::map<std::string, int> counts;
  try {
    counts = leases_per_owner(stream, "app");
  } catch (const Error&) {
    return false;  // no worker has made the table yet
  }
  if (counts.count("")) return false;
  std::vector<int> got;
  for (const auto& [owner, count] : counts) got.push_back(count);
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  return got == expected;
}

// Writes records "<key> <counter>" for `keys` keys round-robin until stopped.
class BackgroundProducer {
 public:
  BackgroundProducer(std::shared_ptr<Stream> stream, uint64_t keys) : stream_(std::move(stream)), keys_(keys) {
    thread_ = std::thread([this] {
      Producer producer(stream_);
      while (!stop_.load(std::memory_order_relaxed)) {
        const uint64_t key = written_ % keys_;
        const uint64_t counter = written_ / keys_;
        PutResult result;
        const std::string data = std::to_string(key) + " " + std::to_string(counter);
        if (producer.put_record("k" + std::to_string(key), data, result)) ++written_;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  uint64_t stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return written_;
  }
  ~BackgroundProducer() { stop(); }

 private:
  std::shared_ptr<Stream> stream_;
  uint64_t keys_;
  std::atomic<bool> stop_{false};
  uint64_t written_ = 0;
  std::thread thread_;
};

// Where each thread of a process waits (/proc/<pid>/task/<tid>/wchan), for the failure of a stop that hangs.
std::string thread_waits(pid_t pid) {
  std::string text;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream wchan(task.path() / "wchan");
    std::string where;
    std::getline(wchan, where);
    text += task.path().filename().string() + ":" + where + " ";
  }
  return text;
}

// SIGTERM and the worker's exit status; a worker still running 20 s later fails the test (instead of hanging
// it), naming where its threads wait, and is killed by TearDown.
void stop_gracefully(pid_t pid) {
  ::kill(pid, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "worker " << pid << " still runs 20 s after SIGTERM; threads wait in " << thread_waits(pid);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

class ApplicationProcesses : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const pid_t pid : started_workers) {
      if (::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
    }
    started_workers.clear();
  }
  void create(uint32_t shards) {
    StreamOptions options;
    options.shard_count = shards;
    options.segment_size = 1 << 20;
    stream = Stream::create("s", options, root.path());
  }
  std::string log(int worker) const { return root.path() + "/log-" + std::to_string(worker); }

  test::TempRoot root;
  std::shared_ptr<Stream> stream;
};

}  // namespace

TEST_F(ApplicationProcesses, ThreeWorkersOnEightShardsSettleAtThreeThreeTwo) {
  create(8);
  std::vector<pid_t> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(start_worker(root.path(), log(i)));
  EXPECT_TRUE(wait_for([&] { return settled(stream, {3, 3, 2}); }, std::chrono::seconds(10)))
      << "leases per worker do not settle at 3/3/2";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(settled(stream, {3, 3, 2})) << "balanced leases moved again";
  for (const pid_t pid : workers) stop_gracefully(pid);
  for (const LeaseInfo& lease : describe_application(stream, "app").leases) EXPECT_TRUE(lease.lease_owner.empty());
}

TEST_F(ApplicationProcesses, KilledWorkersShardsMoveWithin100msAndEveryRecordIsProcessed) {
  create(8);
  std::vector<pid_t> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(start_worker(root.path(), log(i)));
  ASSERT_TRUE(wait_for([&] { return settled(stream, {3, 3, 2}); }, std::chrono::seconds(10)));
  // The worker a lease was last stolen from learns it at its next pass; a batch it processes before that is
  // processed again by the thief. Only the kill's duplicates are under test: let the balancing settle first.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::mt19937 random(::testing::UnitTest::GetInstance()->random_seed());
  const int victim = static_cast<int>(random() % 3);
  BackgroundProducer producer(stream, 64);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::set<uint32_t> victim_shards;
  const auto before = describe_application(stream, "app");
  const std::string victim_id = [&] {
    for (const LeaseInfo& lease : before.leases) {
      if (lease.owner_pid == static_cast<uint32_t>(workers[victim])) return lease.lease_owner;
    }
    return std::string();
  }();
  for (const LeaseInfo& lease : before.leases) {
    if (lease.lease_owner == victim_id) victim_shards.insert(lease.shard_index);
  }
  ASSERT_FALSE(victim_shards.empty());
  const int64_t killed_at = monotonic_ns();
  ::kill(workers[victim], SIGKILL);
  ::waitpid(workers[victim], nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t written = producer.stop();
  // Everything is processed, then the survivors stop gracefully.
  auto delivered = [&] {
    std::set<std::pair<uint64_t, uint64_t>> seen;
    for (int i = 0; i < 3; ++i) {
      for (const LogEntry& entry : read_log(log(i))) {
        if (entry.event == Event::kDeliver) seen.insert({entry.key, entry.counter});
      }
    }
    return seen.size();
  };
  EXPECT_TRUE(wait_for([&] { return delivered() == written; }, std::chrono::seconds(10)))
      << delivered() << " of " << written;
  for (int i = 0; i < 3; ++i) {
    if (i != victim) stop_gracefully(workers[i]);
  }
  // Failover: each of the victim's shards delivered by a survivor within 100 ms of the kill.
  for (const uint32_t shard : victim_shards) {
    int64_t first = INT64_MAX;
    for (int i = 0; i < 3; ++i) {
      if (i == victim) continue;
      for (const LogEntry& entry : read_log(log(i))) {
        if (entry.event == Event::kInitialize && entry.shard == shard && entry.time_ns > killed_at) {
          first = std::min(first, entry.time_ns);
        }
      }
    }
    EXPECT_LT(first - killed_at, 100'000'000) << shard_id_text(shard);
  }
  // Duplicates: only records the victim processed after its last checkpoint of that shard.
  std::map<uint32_t, uint64_t> victim_checkpoint;
  std::map<std::pair<uint64_t, uint64_t>, int> times;
  std::set<std::pair<uint32_t, uint64_t>> by_victim;
  for (int i = 0; i < 3; ++i) {
    for (const LogEntry& entry : read_log(log(i))) {
      if (entry.event == Event::kDeliver) {
        ++times[{entry.key, entry.counter}];
        if (i == victim) by_victim.insert({entry.shard, entry.sequence_number});
      }
      if (entry.event == Event::kCheckpoint && i == victim) victim_checkpoint[entry.shard] = entry.sequence_number;
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (i == victim) continue;
    for (const LogEntry& entry : read_log(log(i))) {
      if (entry.event != Event::kDeliver || times[{entry.key, entry.counter}] == 1) continue;
      EXPECT_TRUE(by_victim.count({entry.shard, entry.sequence_number}))
          << "a duplicate the victim never processed: " << entry.key << " " << entry.counter;
      EXPECT_GT(entry.sequence_number, victim_checkpoint[entry.shard]) << "duplicate below the victim's checkpoint";
    }
  }
}

namespace {

std::map<std::pair<uint64_t, uint64_t>, int> delivery_counts(const std::vector<std::string>& logs) {
  std::map<std::pair<uint64_t, uint64_t>, int> times;
  for (const std::string& path : logs) {
    for (const LogEntry& entry : read_log(path)) {
      if (entry.event == Event::kDeliver) ++times[{entry.key, entry.counter}];
    }
  }
  return times;
}

}  // namespace

TEST_F(ApplicationProcesses, GracefulShutdownHandsOverWithoutDuplicates) {
  create(4);
  std::vector<pid_t> workers;
  const std::vector<std::string> logs = {log(0), log(1), log(2)};
  for (int i = 0; i < 3; ++i) workers.push_back(start_worker(root.path(), logs[i]));
  ASSERT_TRUE(wait_for([&] { return settled(stream, {2, 1, 1}); }, std::chrono::seconds(10)))
      << lease_distribution(stream);
  // A worker learns at its next lease pass that a lease was stolen from it; until then it may process a batch
  // the thief processes again (at least once). Let the balancing settle before the records come.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  BackgroundProducer producer(stream, 32);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  stop_gracefully(workers[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const uint64_t written = producer.stop();
  EXPECT_TRUE(wait_for([&] { return delivery_counts(logs).size() == written; }, std::chrono::seconds(10)));
  stop_gracefully(workers[1]);
  stop_gracefully(workers[2]);
  for (const auto& [record, times] : delivery_counts(logs)) {
    EXPECT_EQ(times, 1) << "key " << record.first << " counter " << record.second;
  }
}

TEST_F(ApplicationProcesses, SplitAndMergeWhileConsumingKeepPerKeyOrder) {
  create(2);
  std::vector<pid_t> workers;
  const std::vector<std::string> logs = {log(0), log(1)};
  for (int i = 0; i < 2; ++i) workers.push_back(start_worker(root.path(), logs[i]));
  ASSERT_TRUE(wait_for([&] { return settled(stream, {1, 1}); }, std::chrono::seconds(10)));
  BackgroundProducer producer(stream, 16);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stream->split_shard(0, HashKey{1} << 126);  // children 2 [0, 2^126) and 3 [2^126, 2^127)
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stream->merge_shards(3, 1);  // child 4, parents 3 and 1
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const uint64_t written = producer.stop();
  EXPECT_TRUE(wait_for([&] { return delivery_counts(logs).size() == written; }, std::chrono::seconds(10)));
  for (const pid_t pid : workers) stop_gracefully(pid);

  std::map<uint32_t, int64_t> ended_at;
  std::map<uint32_t, int64_t> initialized_at;
  std::map<std::pair<uint64_t, uint64_t>, int64_t> first_delivery;
  for (const std::string& path : logs) {
    for (const LogEntry& entry : read_log(path)) {
      if (entry.event == Event::kShardEnded) ended_at[entry.shard] = entry.time_ns;
      if (entry.event == Event::kInitialize && !initialized_at.count(entry.shard)) {
        initialized_at[entry.shard] = entry.time_ns;
      }
      if (entry.event == Event::kDeliver) {
        auto [it, fresh] = first_delivery.emplace(std::make_pair(entry.key, entry.counter), entry.time_ns);
        if (!fresh) it->second = std::min(it->second, entry.time_ns);
      }
    }
  }
  // Children start after every parent's SHARD_END.
  const std::map<uint32_t, std::vector<uint32_t>> parents = {{2, {0}}, {3, {0}}, {4, {3, 1}}};
  for (const auto& [child, its_parents] : parents) {
    ASSERT_TRUE(initialized_at.count(child)) << shard_id_text(child);
    for (const uint32_t parent : its_parents) {
      ASSERT_TRUE(ended_at.count(parent)) << shard_id_text(parent);
      EXPECT_LE(ended_at[parent], initialized_at[child]) << shard_id_text(child) << " before " << shard_id_text(parent);
    }
  }
  // Per key, the counters are first processed in order.
  std::map<uint64_t, std::pair<uint64_t, int64_t>> last;  // key -> (counter, time)
  for (const auto& [record, time] : first_delivery) {
    const auto [key, counter] = record;
    if (last.count(key)) {
      EXPECT_LE(last[key].second, time) << "key " << key << " counter " << counter;
    }
    last[key] = {counter, time};
  }
  for (const auto& lease : describe_application(stream, "app").leases) {
    if (lease.shard_index != 2 && lease.shard_index != 4) {  // the closed ones
      EXPECT_EQ(lease.checkpoint.kind, Checkpoint::Kind::kShardEnd) << lease.lease_key;
    }
  }
}

TEST_F(ApplicationProcesses, TwoApplicationsOnOneStreamAreIndependent) {
  create(2);
  BackgroundProducer producer(stream, 8);
  const pid_t a = start_worker(root.path(), log(0), "a");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const pid_t b = start_worker(root.path(), log(1), "b");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const uint64_t written = producer.stop();
  EXPECT_TRUE(wait_for([&] { return delivery_counts({log(0)}).size() == written; }, std::chrono::seconds(10)));
  EXPECT_TRUE(wait_for([&] { return delivery_counts({log(1)}).size() == written; }, std::chrono::seconds(10)));
  stop_gracefully(a);
  stop_gracefully(b);
  EXPECT_EQ(list_applications(*stream), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ApplicationProcesses, ARestartOfTheWholeApplicationResumesFromItsCheckpoints) {
  create(4);
  const std::vector<std::string> first_logs = {log(0), log(1)};
  std::vector<pid_t> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(start_worker(root.path(), first_logs[i]));
  BackgroundProducer producer(stream, 16);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Every worker dies at once: nobody checkpoints on the way out.
  for (const pid_t pid : workers) ::kill(pid, SIGKILL);
  for (const pid_t pid : workers) ::waitpid(pid, nullptr, 0);
  std::map<uint32_t, uint64_t> last_checkpoint;
  for (const std::string& path : first_logs) {
    for (const LogEntry& entry : read_log(path)) {
      if (entry.event == Event::kCheckpoint) {
        last_checkpoint[entry.shard] = std::max(last_checkpoint[entry.shard], entry.sequence_number);
      }
    }
  }
  ASSERT_FALSE(last_checkpoint.empty());
  const std::vector<std::string> second_logs = {log(2), log(3)};
  for (int i = 0; i < 2; ++i) start_worker(root.path(), second_logs[i]);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const uint64_t written = producer.stop();
  std::vector<std::string> all_logs = first_logs;
  all_logs.insert(all_logs.end(), second_logs.begin(), second_logs.end());
  EXPECT_TRUE(wait_for([&] { return delivery_counts(all_logs).size() == written; }, std::chrono::seconds(10)));
  // The new workers start after the old ones' last checkpoints: nothing at or below them comes again.
  for (const std::string& path : second_logs) {
    for (const LogEntry& entry : read_log(path)) {
      if (entry.event != Event::kDeliver) continue;
      EXPECT_GT(entry.sequence_number, last_checkpoint[entry.shard]) << shard_id_text(entry.shard);
    }
  }
}

TEST_F(ApplicationProcesses, AStoppedWorkersLeasesExpireAndItStepsBackWhenResumed) {
  create(2);
  const std::vector<std::string> logs = {log(0), log(1)};
  const auto failover = std::chrono::milliseconds(300);
  const pid_t first = start_worker(root.path(), logs[0], "app", failover);
  ASSERT_TRUE(wait_for([&] { return settled(stream, {2}); }, std::chrono::seconds(10)));
  const pid_t second = start_worker(root.path(), logs[1], "app", failover);
  ASSERT_TRUE(wait_for([&] { return settled(stream, {1, 1}); }, std::chrono::seconds(10)));
  ::kill(first, SIGSTOP);  // alive (its pid and start time match) but renewing nothing
  const auto stopped_at = std::chrono::steady_clock::now();
  BackgroundProducer producer(stream, 8);
  EXPECT_TRUE(wait_for([&] { return settled(stream, {2}); }, std::chrono::seconds(5)));
  const auto took = std::chrono::steady_clock::now() - stopped_at;
  EXPECT_GE(took, failover - std::chrono::milliseconds(50));  // not before the lease expired
  ::kill(first, SIGCONT);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const uint64_t written = producer.stop();
  EXPECT_TRUE(wait_for([&] { return delivery_counts(logs).size() == written; }, std::chrono::seconds(10)));
  // The resumed worker found its leases gone (lease_lost) and rejoins like a new one: one steal, back to 1/1.
  EXPECT_TRUE(wait_for([&] { return settled(stream, {1, 1}); }, std::chrono::seconds(10)));
  stop_gracefully(first);
  stop_gracefully(second);
}
