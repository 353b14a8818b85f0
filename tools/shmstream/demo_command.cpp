// demo: a live market-data feed on this host. Creates a 4-shard stream, forks one producer and two
// consumers, prints rates and lag once per second, then checks that every consumer got every message in
// order, and deletes the stream. Ctrl-C stops the children and deletes the stream too.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "cli_errors.hpp"
#include "command_helpers.hpp"
#include "command_table.hpp"
#include "demo_feed.hpp"
#include "interrupt_flag.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

using Clock = std::chrono::steady_clock;
using demo::SharedCounters;

constexpr uint64_t kDemoSegmentSize = uint64_t{4} << 20;
// Per shard: bounds the demo's footprint in /dev/shm to 4 x 64 MiB however long it runs.
constexpr uint64_t kDemoRetentionBytes = uint64_t{64} << 20;

std::string with_thousands(uint64_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return digits;
}

class SharedCountersMapping {
 public:
  SharedCountersMapping() {
    void* memory = ::mmap(nullptr, sizeof(SharedCounters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw Error(StatusCode::kInternalFailure, "cannot map the demo's shared counters");
    counters_ = new (memory) SharedCounters();
  }
  ~SharedCountersMapping() { ::munmap(counters_, sizeof(SharedCounters)); }
  SharedCountersMapping(const SharedCountersMapping&) = delete;
  SharedCountersMapping& operator=(const SharedCountersMapping&) = delete;
  SharedCounters& operator*() const { return *counters_; }

 private:
  SharedCounters* counters_;
};

class DemoRun {
 public:
  DemoRun(demo::FeedSettings settings) : settings_(std::move(settings)) {}

  int run() {
    catch_interrupts();
    create_stream();
    std::cout << "demo: stream " << settings_.stream_name << " (" << demo::kDemoShardCount << " shards) under "
              << settings_.root << ", " << with_thousands(settings_.rate_per_second) << " msgs/s for "
              << settings_.duration.count() << " s, " << demo::kConsumerCount << " consumers" << std::endl;
    start_children();
    monitor();
    if (interrupted()) {
      stop_children();
      delete_stream();
      std::cout << "demo: interrupted; children stopped, stream " << settings_.stream_name << " deleted" << std::endl;
      return kExitInterrupted;
    }
    const bool ok = print_summary();
    delete_stream();
    std::cout << "  stream " << settings_.stream_name << " deleted" << std::endl;
    return ok ? kExitSuccess : 1;
  }

  ~DemoRun() {
    // Any exit path (an exception included) must leave no child behind.
    stop_children();
  }

 private:
  void create_stream() {
    try {
      Stream::remove(settings_.stream_name, settings_.root);  // a previous demo killed with SIGKILL
    } catch (const Error& error) {
      if (error.code() != StatusCode::kResourceNotFound) throw;
    }
    StreamOptions options;
    options.shard_count = demo::kDemoShardCount;
    options.segment_size = kDemoSegmentSize;
    options.retention = std::chrono::minutes(5);
    options.retention_bytes = kDemoRetentionBytes;
    Stream::create(settings_.stream_name, options, settings_.root);
    stream_created_ = true;
  }

  void delete_stream() {
    if (!stream_created_) return;
    stream_created_ = false;
    try {
      Stream::remove(settings_.stream_name, settings_.root);
    } catch (const Error& error) {
      std::cerr << "demo: could not delete stream " << settings_.stream_name << ": " << error.what() << std::endl;
    }
  }

  template <typename Body>
  pid_t fork_child(Body body) {
    std::cout.flush();  // or the child's copy of the buffer would be printed twice
    const pid_t pid = ::fork();
    if (pid < 0) throw Error(StatusCode::kInternalFailure, "fork failed");
    if (pid > 0) return pid;
    // Child: the parent coordinates shutdown through the shared stop flag; die with it if it dies.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int code = 1;
    try {
      code = body();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "demo child %d: %s\n", static_cast<int>(::getpid()), error.what());
    }
    std::_Exit(code);  // no destructors or atexit handlers of the parent's copy
  }

  void start_children() {
    SharedCounters& counters = *counters_;
    for (int i = 0; i < demo::kConsumerCount; ++i) {
      consumers_[i] = fork_child([&, i] { return demo::run_consumer(settings_, counters, i); });
    }
    producer_ = fork_child([&] { return demo::run_producer(settings_, counters); });
  }

  // Reaps children that exited; true while any is still running.
  bool children_running() {
    bool running = false;
    for (pid_t* pid : {&producer_, &consumers_[0], &consumers_[1]}) {
      if (*pid <= 0) continue;
      int status = 0;
      if (::waitpid(*pid, &status, WNOHANG) == *pid) {
        *pid = 0;
      } else {
        running = true;
      }
    }
    return running;
  }

  void stop_children() {
    SharedCounters& counters = *counters_;
    counters.stop.store(true, std::memory_order_relaxed);
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while (children_running() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (pid_t* pid : {&producer_, &consumers_[0], &consumers_[1]}) {
      if (*pid <= 0) continue;
      ::kill(*pid, SIGKILL);
      ::waitpid(*pid, nullptr, 0);
      *pid = 0;
    }
  }

  void monitor() {
    SharedCounters& counters = *counters_;
    const auto started = Clock::now();
    // Consumers give up 10 s after their last record; this only guards against a wedged child.
    const auto deadline = started + settings_.duration + std::chrono::seconds(30);
    uint64_t last_produced = 0;
    uint64_t last_received[demo::kConsumerCount] = {};
    auto next_report = started + std::chrono::seconds(1);
    int second = 0;
    while (!interrupted() && children_running()) {
      if (Clock::now() >= deadline) {
        std::cout << "demo: children did not finish in time; stopping them" << std::endl;
        stop_children();
        break;
      }
      if (Clock::now() < next_report) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      next_report += std::chrono::seconds(1);
      const uint64_t produced = counters.produced.load(std::memory_order_relaxed);
      char line[256];
      std::snprintf(line, sizeof line, "[%3ds] produced %12s msgs/s", ++second,
                    with_thousands(produced - last_produced).c_str());
      std::cout << line;
      last_produced = produced;
      for (int i = 0; i < demo::kConsumerCount; ++i) {
        const uint64_t received = counters.consumers[i].received.load(std::memory_order_relaxed);
        std::snprintf(
            line, sizeof line, " | consumer %d %12s msgs/s, lag %5lld ms", i + 1,
            with_thousands(received - last_received[i]).c_str(),
            static_cast<long long>(counters.consumers[i].millis_behind_latest.load(std::memory_order_relaxed)));
        std::cout << line;
        last_received[i] = received;
      }
      std::cout << std::endl;
    }
  }

  bool print_summary() {
    SharedCounters& counters = *counters_;
    const uint64_t produced = counters.produced.load(std::memory_order_relaxed);
    const uint64_t put_errors = counters.put_errors.load(std::memory_order_relaxed);
    const double seconds = static_cast<double>(counters.producer_elapsed_ns.load(std::memory_order_relaxed)) / 1e9;
    const bool producer_ok = counters.producer_done.load(std::memory_order_acquire) && put_errors == 0;
    std::cout << "\nSummary\n";
    char line[320];
    std::snprintf(
        line, sizeof line, "  producer     %s messages in %.1f s (%s msgs/s), %s put errors: %s\n",
        with_thousands(produced).c_str(), seconds,
        with_thousands(seconds > 0 ? static_cast<uint64_t>(static_cast<double>(produced) / seconds) : 0).c_str(),
        with_thousands(put_errors).c_str(), producer_ok ? "OK" : "FAIL");
    std::cout << line;
    bool all_ok = producer_ok;
    for (int i = 0; i < demo::kConsumerCount; ++i) {
      const demo::ConsumerCounters& consumer = counters.consumers[i];
      const uint64_t received = consumer.received.load(std::memory_order_relaxed);
      const uint64_t out_of_order = consumer.out_of_order.load(std::memory_order_relaxed);
      const uint64_t gaps = consumer.gaps.load(std::memory_order_relaxed);
      const uint64_t errors = consumer.read_errors.load(std::memory_order_relaxed);
      const bool count_ok = received == produced && consumer.finished.load(std::memory_order_acquire);
      const bool order_ok = out_of_order == 0 && gaps == 0 && errors == 0;
      std::snprintf(line, sizeof line,
                    "  consumer %d   received %s %s produced: %s; per-record order check (%s out of order, %s "
                    "missing, %s read errors): %s\n",
                    i + 1, with_thousands(received).c_str(),
                    received == produced ? "==" : "!=", count_ok ? "OK" : "FAIL", with_thousands(out_of_order).c_str(),
                    with_thousands(gaps).c_str(), with_thousands(errors).c_str(), order_ok ? "OK" : "FAIL");
      std::cout << line;
      all_ok = all_ok && count_ok && order_ok;
    }
    std::cout << "  result       " << (all_ok ? "OK" : "FAIL") << std::endl;
    return all_ok;
  }

  demo::FeedSettings settings_;
  SharedCountersMapping counters_;
  bool stream_created_ = false;
  pid_t producer_ = 0;
  pid_t consumers_[demo::kConsumerCount] = {};
};

}  // namespace

void add_demo_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command =
      table.add(app, "demo", "Demo", "Live market-data feed: 1 producer and 2 consumer processes on a 4-shard stream");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    long long seconds = 10;
    long long rate = 200'000;
    std::string stream_name = "demo-feed";
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--seconds", flags->seconds, "How long the producer runs (default 10)");
  sub.add_option("--rate", flags->rate, "Messages per second (default 200000)");
  sub.add_option("--stream-name", flags->stream_name, "Stream to (re)create and delete (default demo-feed)");

  command.run = [flags, &global] {
    check_range("seconds", flags->seconds, 1, 86'400);
    check_range("rate", flags->rate, 1, 100'000'000);
    if (!is_valid_stream_name(flags->stream_name)) {
      throw_invalid_argument("1 validation error detected: Value '" + flags->stream_name +
                             "' at 'streamName' failed to satisfy constraint: Member must satisfy regular "
                             "expression pattern: [a-zA-Z0-9_.-]+ and have length 1..128");
    }
    demo::FeedSettings settings;
    settings.root = global.resolved_root();
    settings.stream_name = flags->stream_name;
    settings.duration = std::chrono::seconds(flags->seconds);
    settings.rate_per_second = static_cast<uint64_t>(flags->rate);
    DemoRun run(std::move(settings));
    return run.run();
  };
}

}  // namespace shmstream::cli
