// stat: live per-shard metrics of one stream, from the counters every shard keeps in stream.meta. Rates are
// the change of incoming_records / incoming_bytes over each interval; one table (or one JSON line) per interval.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "interrupt_flag.hpp"
#include "json_output.hpp"
#include "shard_listing.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct StatOptions {
  std::string stream_name;
  std::string interval = "1s";
  long long count = 0;  // 0: until interrupted
  std::string format = "table";
};

struct ShardRow {
  std::string shard_id;
  std::string state;
  double records_per_second = 0;
  double bytes_per_second = 0;
  uint64_t records = 0, bytes = 0, put_errors = 0, aborted_puts = 0, unblocked_frames = 0, trimmed_segments = 0;
  uint64_t trim_horizon = 0, latest_position = 0;
  uint64_t writes_throttled = 0, reads_throttled = 0;  // refused by throttling (describe-throttling)
};

const char* state_name(layout::ShardStatus status) {
  switch (status) {
    case layout::ShardStatus::kOpen:
      return "OPEN";
    case layout::ShardStatus::kClosed:
      return "CLOSED";
    case layout::ShardStatus::kExpired:
      return "EXPIRED";
    case layout::ShardStatus::kUnused:
      break;
  }
  return "UNUSED";
}

double rounded(double value) { return std::round(value * 10) / 10; }

// Counters only grow; a shard that appeared during the interval started from zero.
uint64_t delta(uint64_t now, uint64_t before) { return now >= before ? now - before : 0; }

std::vector<ShardRow> shard_rows(const StreamInfo& now, const StreamInfo& before, double seconds) {
  std::map<uint32_t, const ShardInfo*> earlier;
  for (const ShardInfo& shard : before.shards) earlier[shard.index] = &shard;
  std::vector<ShardRow> rows;
  for (const ShardInfo& shard : now.shards) {
    if (!is_listed_shard(shard)) continue;
    const auto found = earlier.find(shard.index);
    const uint64_t records_before = found != earlier.end() ? found->second->incoming_records : 0;
    const uint64_t bytes_before = found != earlier.end() ? found->second->incoming_bytes : 0;
    ShardRow row;
    row.shard_id = shard.shard_id;
    row.state = state_name(shard.status);
    row.records_per_second = rounded(static_cast<double>(delta(shard.incoming_records, records_before)) / seconds);
    row.bytes_per_second = rounded(static_cast<double>(delta(shard.incoming_bytes, bytes_before)) / seconds);
    row.records = shard.incoming_records;
    row.bytes = shard.incoming_bytes;
    row.put_errors = shard.put_errors;
    row.aborted_puts = shard.aborted_puts;
    row.unblocked_frames = shard.unblocked_frames;
    row.trimmed_segments = shard.trimmed_segments;
    row.trim_horizon = shard.trim_horizon;
    row.latest_position = shard.latest_position;
    row.writes_throttled = shard.writes_throttled;
    row.reads_throttled = shard.reads_throttled;
    rows.push_back(row);
  }
  return rows;
}

ShardRow totals(const std::vector<ShardRow>& rows) {
  ShardRow total;
  total.shard_id = "total";
  for (const ShardRow& row : rows) {
    total.records_per_second += row.records_per_second;
    total.bytes_per_second += row.bytes_per_second;
    total.records += row.records;
    total.bytes += row.bytes;
    total.put_errors += row.put_errors;
    total.aborted_puts += row.aborted_puts;
    total.unblocked_frames += row.unblocked_frames;
    total.trimmed_segments += row.trimmed_segments;
    total.writes_throttled += row.writes_throttled;
    total.reads_throttled += row.reads_throttled;
  }
  total.records_per_second = rounded(total.records_per_second);
  total.bytes_per_second = rounded(total.bytes_per_second);
  return total;
}

Json counters_json(const ShardRow& row) {
  return Json{{"RecordsPerSecond", row.records_per_second},
              {"BytesPerSecond", row.bytes_per_second},
              {"IncomingRecords", row.records},
              {"IncomingBytes", row.bytes},
              {"PutErrors", row.put_errors},
              {"AbortedPuts", row.aborted_puts},
              {"UnblockedFrames", row.unblocked_frames},
              {"TrimmedSegments", row.trimmed_segments},
              {"WriteProvisionedThroughputExceeded", row.writes_throttled},
              {"ReadProvisionedThroughputExceeded", row.reads_throttled}};
}

void print_json_line(const StreamInfo& info, const std::vector<ShardRow>& rows, double seconds) {
  Json shards = Json::array();
  for (const ShardRow& row : rows) {
    Json shard{{"ShardId", row.shard_id}, {"State", row.state}};
    shard.update(counters_json(row));
    shard["TrimHorizon"] = row.trim_horizon;
    shard["LatestPosition"] = row.latest_position;
    shards.push_back(shard);
  }
  std::cout << compact_json(Json{{"Timestamp", aws_timestamp(now_ns())},
                                 {"StreamName", info.name},
                                 {"IntervalSeconds", rounded(seconds * 1000) / 1000},
                                 {"OpenShardCount", info.open_shard_count},
                                 {"Shards", shards},
                                 {"Totals", counters_json(totals(rows))}})
            << std::endl;
}

void print_table(const StreamInfo& info, const std::vector<ShardRow>& rows, double seconds) {
  std::printf("%s  %s  %u open shard(s), rates over %.2f s\n", aws_timestamp(now_ns()).c_str(), info.name.c_str(),
              info.open_shard_count, seconds);
  const char* header_format = "%-20s %-6s %12s %14s %14s %16s %8s %8s %9s %8s %14s %14s %15s\n";
  const char* row_format = "%-20s %-6s %12.1f %14.1f %14llu %16llu %8llu %8llu %9llu %8llu %14s %14s %15s\n";
  std::printf(header_format, "SHARD", "STATE", "RECORDS/S", "BYTES/S", "RECORDS", "BYTES", "PUT_ERR", "ABORTED",
              "UNBLOCKED", "TRIMMED", "TRIM_HORIZON", "LATEST", "THROTTLED(W/R)");
  const auto print_row = [&](const ShardRow& row, bool with_positions) {
    using ull = unsigned long long;
    std::printf(row_format, row.shard_id.c_str(), row.state.c_str(), row.records_per_second, row.bytes_per_second,
                static_cast<ull>(row.records), static_cast<ull>(row.bytes), static_cast<ull>(row.put_errors),
                static_cast<ull>(row.aborted_puts), static_cast<ull>(row.unblocked_frames),
                static_cast<ull>(row.trimmed_segments), with_positions ? std::to_string(row.trim_horizon).c_str() : "",
                with_positions ? std::to_string(row.latest_position).c_str() : "",
                (std::to_string(row.writes_throttled) + "/" + std::to_string(row.reads_throttled)).c_str());
  };
  for (const ShardRow& row : rows) print_row(row, true);
  print_row(totals(rows), false);
  std::printf("\n");
  std::fflush(stdout);
}

// Sleeps until `deadline` in short slices, so SIGINT/SIGTERM is seen at once (sleep_for resumes after EINTR).
void sleep_until_or_interrupted(Clock::time_point deadline) {
  constexpr auto kSlice = std::chrono::milliseconds(20);
  while (!interrupted()) {
    const auto now = Clock::now();
    if (now >= deadline) return;
    std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, kSlice));
  }
}

}  // namespace

void add_stat_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "stat", "Stat", "Print live per-shard metrics of a stream once per interval");
  CLI::App& sub = *command.subcommand;
  auto options = std::make_shared<StatOptions>();
  sub.add_option("--stream-name", options->stream_name, "Stream name")->required();
  sub.add_option("--interval", options->interval, "Time between reports, such as 500ms or 1s (default 1s)");
  sub.add_option("--count", options->count, "Stop after N reports (default: until interrupted)");
  sub.add_option("--format", options->format, "table (default) or json (one object per line)")
      ->check(CLI::IsMember({"table", "json"}));

  command.run = [options, &global] {
    const auto interval = parse_duration("--interval", options->interval);
    if (interval <= std::chrono::nanoseconds::zero()) throw_invalid_argument("--interval must be greater than 0");
    if (options->count < 0) throw_invalid_argument("--count must not be negative");
    catch_interrupts();
    const std::shared_ptr<Stream> stream = Stream::open(options->stream_name, global.resolved_root());
    StreamInfo before = stream->describe();
    auto sampled = Clock::now();
    for (long long printed = 0; options->count == 0 || printed < options->count; ++printed) {
      sleep_until_or_interrupted(sampled + interval);
      if (interrupted()) return kExitInterrupted;
      StreamInfo now = stream->describe();
      const auto sampled_now = Clock::now();
      const double seconds = std::chrono::duration<double>(sampled_now - sampled).count();
      const std::vector<ShardRow> rows = shard_rows(now, before, seconds);
      if (options->format == "json") {
        print_json_line(now, rows, seconds);
      } else {
        print_table(now, rows, seconds);
      }
      if (now.status == "DELETING") break;  // nothing more will change
      before = std::move(now);
      sampled = sampled_now;
    }
    return kExitSuccess;
  };
}

}  // namespace shmstream::cli
