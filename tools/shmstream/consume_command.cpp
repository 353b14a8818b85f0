// consume: a Worker of an application whose record processors are a command speaking the KCL MultiLangDaemon
// protocol (multilang_processor.hpp); runs until SIGINT/SIGTERM, then shuts down gracefully (every
// processor gets shutdownRequested and may checkpoint, then the leases are released).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli_errors.hpp"
#include "command_helpers.hpp"
#include "command_table.hpp"
#include "interrupt_flag.hpp"
#include "multilang_processor.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {

void add_consume_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "consume", "Consume",
                               "Run CMD as the record processor of each shard held (KCL MultiLangDaemon protocol)");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, application_name, initial_position = "TRIM_HORIZON", initial_timestamp, worker_id;
    long long max_records = 10000;
    long long failover_millis = 2000;
    std::vector<std::string> processor_command;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  sub.add_option("--application-name", flags->application_name, "Application name (its lease table)")->required();
  sub.add_option("--initial-position", flags->initial_position,
                 "Where shards without a checkpoint start: TRIM_HORIZON (default), LATEST or AT_TIMESTAMP");
  sub.add_option("--initial-timestamp", flags->initial_timestamp, "For AT_TIMESTAMP: ISO 8601 or seconds since the epoch");
  sub.add_option("--worker-id", flags->worker_id, "Worker id in the lease table (at most 31 bytes)");
  integer_as_given(sub.add_option("--max-records", flags->max_records, "Records per processRecords (1..10000)"));
  integer_as_given(sub.add_option("--failover-time-millis", flags->failover_millis,
                                  "A lease not renewed this long is taken over (a dead worker's at once)"));
  sub.add_option("command", flags->processor_command, "The record processor command, after --")->required();

  command.run = [flags, &global] {
    WorkerOptions options;
    const auto position = parse_initial_position(flags->initial_position);
    if (!position) {
      throw_invalid_argument("--initial-position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, not '" +
                             flags->initial_position + "'");
    }
    options.initial_position = *position;
    if (*position == Checkpoint::Kind::kAtTimestamp) {
      if (flags->initial_timestamp.empty()) throw_invalid_argument("AT_TIMESTAMP needs --initial-timestamp");
      options.initial_timestamp_ns = parse_timestamp("--initial-timestamp", flags->initial_timestamp);
    }
    check_range("maxRecords", flags->max_records, 1, 10000);
    check_range("failoverTimeMillis", flags->failover_millis, 1, 86'400'000);
    options.max_records = static_cast<uint32_t>(flags->max_records);
    options.failover_time = std::chrono::milliseconds(flags->failover_millis);
    options.worker_id = flags->worker_id;
    ::signal(SIGPIPE, SIG_IGN);  // a processor that exits is an error of its shard, not of this process
    catch_interrupts();
    const std::vector<std::string> processor_command = flags->processor_command;
    Worker worker(Stream::open(flags->stream_name, global.resolved_root()), flags->application_name,
                  [processor_command] { return std::make_unique<MultiLangProcessor>(processor_command); }, options);
    std::exception_ptr failure;
    std::atomic<bool> stopped{false};  // release: `failure` is written before it
    std::thread runner([&] {
      try {
        worker.run();
      } catch (...) {
        failure = std::current_exception();
      }
      stopped.store(true, std::memory_order_release);
    });
    while (!interrupted() && !stopped.load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    worker.shutdown();
    runner.join();
    if (failure) std::rethrow_exception(failure);
    return kExitSuccess;
  };
}

}  // namespace shmstream::cli
