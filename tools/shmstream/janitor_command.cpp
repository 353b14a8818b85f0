// janitor: runs shmstream::Janitor over the root (trimming, unblocking, expiring closed shards, removing
// orphans), one pass per --interval until SIGINT/SIGTERM, or one pass with --once. Each action is logged as
// one line on stderr; the totals are printed as JSON on stdout at exit. A pass that takes more than a second
// shows a progress line on a terminal (progress_line.hpp), erased around log lines and at the pass's end.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "interrupt_flag.hpp"
#include "json_output.hpp"
#include "progress_line.hpp"
#include "shmstream/janitor.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Sleeps until `deadline` in short slices, so SIGINT/SIGTERM is seen at once (sleep_for resumes after EINTR).
void sleep_until_or_interrupted(Clock::time_point deadline) {
  constexpr auto kSlice = std::chrono::milliseconds(20);
  while (!interrupted()) {
    const auto now = Clock::now();
    if (now >= deadline) return;
    std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, kSlice));
  }
}

Json counters_json(const JanitorCounters& counters, uint64_t passes) {
  return Json{{"Passes", passes},
              {"SegmentsTrimmed", counters.segments_trimmed},
              {"FramesUnblocked", counters.frames_unblocked},
              {"RollsHelped", counters.rolls_helped},
              {"SegmentsPrepared", counters.segments_prepared},
              {"ShardsExpired", counters.shards_expired},
              {"OrphansRemoved", counters.orphans_removed},
              {"Problems", counters.problems}};
}

// "stream 3 of 12 (ticks), shard 5 of 16"
std::string pass_status(const JanitorProgress& progress) {
  return fmt::format("stream {} of {} ({}), shard {} of {}", progress.stream_number, progress.stream_count,
                     progress.stream_name, progress.shards_done, progress.shard_count);
}

}  // namespace

void add_janitor_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command =
      table.add(app, "janitor", "Janitor", "Keep every stream under the root healthy: retention, unblocking, cleanup");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    bool once = false;
    std::string interval = "1s";
  };
  auto flags = std::make_shared<Flags>();
  sub.add_flag("--once", flags->once, "One pass, then exit (e.g. from cron)");
  sub.add_option("--interval", flags->interval, "Time between passes, such as 250ms or 1s (default 1s)");

  command.run = [flags, &global] {
    const auto interval = parse_duration("--interval", flags->interval);
    if (interval <= std::chrono::nanoseconds::zero()) throw_invalid_argument("--interval must be greater than 0");
    JanitorOptions options;
    options.root = global.resolved_root();
    std::optional<ProgressLine> pass_progress;  // engaged while a pass runs
    options.log = [&pass_progress](const std::string& line) {
      if (pass_progress) pass_progress->clear();
      std::cerr << aws_timestamp(now_ns()) << " " << line << std::endl;
    };
    options.progress = [&pass_progress](const JanitorProgress& progress) {
      if (pass_progress) pass_progress->update_with([&] { return pass_status(progress); });
    };
    catch_interrupts();
    Janitor janitor(options);
    uint64_t passes = 0;
    for (;;) {
      const auto next_pass = Clock::now() + interval;
      pass_progress.emplace("janitor pass");
      janitor.do_work(now_ns());
      pass_progress.reset();
      ++passes;
      if (flags->once || interrupted()) break;
      sleep_until_or_interrupted(next_pass);
      if (interrupted()) break;
    }
    print_json(counters_json(janitor.counters(), passes));
    // A stop by SIGINT/SIGTERM is the normal end of a service, not a failure.
    return kExitSuccess;
  };
}

}  // namespace shmstream::cli
