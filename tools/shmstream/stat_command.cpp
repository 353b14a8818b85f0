// stat: live per-shard metrics of one stream or of every stream under the root, like aeron-stat: a table per
// stream refreshed in place on a terminal, one JSON line per stream and interval otherwise.
//
// Rates come from the logs themselves, not from the incoming counters (producers flush those every 1,024
// records, so a slow producer would show nothing for minutes): stat follows each shard from LATEST and counts
// the records and key+data bytes that arrived in the interval; the log bytes are the change of the shard's
// latest position. Past kMostRecordsCountedPerInterval a shard's rates fall back to the counters, which are
// exact to 1,024 records at such rates. Each consumer application's lag per shard (records and ms behind its
// checkpoint) follows its stream's table.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "interrupt_flag.hpp"
#include "json_output.hpp"
#include "shard_listing.hpp"
#include "shmstream/application.hpp"
#include "shmstream/reader.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kMostRecordsCountedPerInterval = uint64_t{1} << 20;
constexpr uint32_t kCountBatchLimit = 10000;

struct StatOptions {
  std::string stream_name;  // empty: every stream under the root
  std::string interval = "1s";
  long long count = 0;  // 0: until interrupted
  std::string output;   // table | json; empty: table on a terminal, json otherwise
};

struct ShardRow {
  std::string shard_id;
  std::string state;
  double records_per_second = 0;
  double bytes_per_second = 0;      // key + data
  double log_bytes_per_second = 0;  // the log's growth: frames, trailers and padding included
  uint64_t records = 0, bytes = 0, put_errors = 0, aborted_puts = 0, unblocked_frames = 0, trimmed_segments = 0;
  uint64_t trim_horizon = 0, latest_position = 0;
  uint64_t segments_in_use = 0, bytes_in_use = 0;
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

// Counters and positions only grow; a shard that appeared during the interval started from zero.
uint64_t delta(uint64_t now, uint64_t before) { return now >= before ? now - before : 0; }

struct Arrivals {
  uint64_t records = 0;
  uint64_t bytes = 0;
  bool complete = true;  // false: the count stopped at the cap or the shard could not be read (no key, damage)
};

// Follows one stream's shards from LATEST and counts what arrives in each shard between two calls.
class ArrivalCounter {
 public:
  explicit ArrivalCounter(std::shared_ptr<Stream> stream) : stream_(std::move(stream)) {}

  // Starts following the shards of `info` not followed yet: open at the first call from LATEST, later ones
  // (resharding) from their start, so their first records are counted.
  void follow(const StreamInfo& info, bool first) {
    for (const ShardInfo& shard : info.shards) {
      if (!is_listed_shard(shard) || readers_.count(shard.index) > 0) continue;
      ReaderOptions options;
      options.verify_checksums = false;  // counting, not delivering
      options.skip_to_trim_horizon_when_expired = true;
      try {
        readers_.emplace(shard.index,
                         ShardReader(stream_, shard.index,
                                     IteratorStart{first ? IteratorType::kLatest : IteratorType::kTrimHorizon}, options));
      } catch (const Error&) {
        // Not readable by this user (or gone): count() falls back to the counters for it.
      }
    }
  }

  Arrivals count(uint32_t shard_index) {
    Arrivals arrivals;
    const auto found = readers_.find(shard_index);
    if (found == readers_.end()) {
      arrivals.complete = false;
      return arrivals;
    }
    while (true) {
      if (arrivals.records >= kMostRecordsCountedPerInterval || !found->second.get_records(batch_, kCountBatchLimit)) {
        arrivals.complete = false;
        return arrivals;
      }
      for (const RecordView& record : batch_.records) arrivals.bytes += record.partition_key.size() + record.data.size();
      arrivals.records += batch_.records.size();
      if (batch_.records.size() < kCountBatchLimit || batch_.shard_ended) return arrivals;
    }
  }

 private:
  std::shared_ptr<Stream> stream_;
  std::map<uint32_t, ShardReader> readers_;
  RecordBatch batch_;
};

struct StreamWatch {
  std::shared_ptr<Stream> stream;
  ArrivalCounter arrivals;
  StreamInfo before;
  Clock::time_point sampled;
};

std::vector<ShardRow> shard_rows(const StreamInfo& now, const StreamInfo& before, double seconds,
                                 ArrivalCounter& arrivals) {
  std::map<uint32_t, const ShardInfo*> earlier;
  for (const ShardInfo& shard : before.shards) earlier[shard.index] = &shard;
  std::vector<ShardRow> rows;
  for (const ShardInfo& shard : now.shards) {
    if (!is_listed_shard(shard)) continue;
    const auto found = earlier.find(shard.index);
    const ShardInfo* then = found != earlier.end() ? found->second : nullptr;
    ShardRow row;
    row.shard_id = shard.shard_id;
    row.state = state_name(shard.status);
    const Arrivals arrived = arrivals.count(shard.index);
    const uint64_t records = arrived.complete ? arrived.records
                                              : delta(shard.incoming_records, then ? then->incoming_records : 0);
    const uint64_t bytes = arrived.complete ? arrived.bytes : delta(shard.incoming_bytes, then ? then->incoming_bytes : 0);
    row.records_per_second = rounded(static_cast<double>(records) / seconds);
    row.bytes_per_second = rounded(static_cast<double>(bytes) / seconds);
    if (then != nullptr) {
      row.log_bytes_per_second =
          rounded(static_cast<double>(delta(shard.latest_position, then->latest_position)) / seconds);
    }
    row.records = shard.incoming_records;
    row.bytes = shard.incoming_bytes;
    row.put_errors = shard.put_errors;
    row.aborted_puts = shard.aborted_puts;
    row.unblocked_frames = shard.unblocked_frames;
    row.trimmed_segments = shard.trimmed_segments;
    row.trim_horizon = shard.trim_horizon;
    row.latest_position = shard.latest_position;
    row.bytes_in_use = delta(shard.latest_position, shard.trim_horizon);
    row.segments_in_use = shard.latest_position / now.segment_size - shard.trim_horizon / now.segment_size + 1;
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
    total.log_bytes_per_second += row.log_bytes_per_second;
    total.records += row.records;
    total.bytes += row.bytes;
    total.put_errors += row.put_errors;
    total.aborted_puts += row.aborted_puts;
    total.unblocked_frames += row.unblocked_frames;
    total.trimmed_segments += row.trimmed_segments;
    total.segments_in_use += row.segments_in_use;
    total.bytes_in_use += row.bytes_in_use;
    total.writes_throttled += row.writes_throttled;
    total.reads_throttled += row.reads_throttled;
  }
  total.records_per_second = rounded(total.records_per_second);
  total.bytes_per_second = rounded(total.bytes_per_second);
  total.log_bytes_per_second = rounded(total.log_bytes_per_second);
  return total;
}

Json counters_json(const ShardRow& row) {
  return Json{{"RecordsPerSecond", row.records_per_second},
              {"BytesPerSecond", row.bytes_per_second},
              {"LogBytesPerSecond", row.log_bytes_per_second},
              {"IncomingRecords", row.records},
              {"IncomingBytes", row.bytes},
              {"PutErrors", row.put_errors},
              {"AbortedPuts", row.aborted_puts},
              {"UnblockedFrames", row.unblocked_frames},
              {"TrimmedSegments", row.trimmed_segments},
              {"SegmentsInUse", row.segments_in_use},
              {"BytesInUse", row.bytes_in_use},
              {"WriteProvisionedThroughputExceeded", row.writes_throttled},
              {"ReadProvisionedThroughputExceeded", row.reads_throttled}};
}

// Every application's leases; an application whose table cannot be read now (deleted meanwhile, damaged)
// is shown with its error instead of stopping stat.
struct ApplicationLag {
  std::string name;
  std::vector<LeaseInfo> leases;
  std::string error;
};

std::vector<ApplicationLag> application_lags(const std::shared_ptr<Stream>& stream) {
  std::vector<ApplicationLag> lags;
  for (const std::string& name : list_applications(*stream)) {
    ApplicationLag lag{name, {}, {}};
    try {
      lag.leases = describe_application(stream, name).leases;
    } catch (const Error& error) {
      lag.error = std::string(error.exception_name()) + ": " + error.what();
    }
    lags.push_back(std::move(lag));
  }
  return lags;
}

Json applications_json(const std::vector<ApplicationLag>& lags) {
  Json applications = Json::array();
  for (const ApplicationLag& lag : lags) {
    Json shards = Json::array();
    for (const LeaseInfo& lease : lag.leases) {
      shards.push_back(Json{{"ShardId", lease.lease_key},
                            {"Owner", lease.lease_owner},
                            {"Checkpoint", lease.checkpoint.text()},
                            {"RecordsBehindLatest", lease.records_behind_latest},
                            {"MillisBehindLatest", lease.millis_behind_latest}});
    }
    Json application{{"ApplicationName", lag.name}, {"Shards", shards}};
    if (!lag.error.empty()) application["Error"] = lag.error;
    applications.push_back(application);
  }
  return applications;
}

void print_application_table(const std::vector<ApplicationLag>& lags) {
  std::string out;
  for (const ApplicationLag& lag : lags) {
    out += fmt::format("application {}{}{}\n", lag.name, lag.error.empty() ? "" : ": ", lag.error);
    if (lag.leases.empty()) continue;
    constexpr auto kLine = "{:<20} {:<31} {:<20} {:>14} {:>14}\n";
    out += fmt::format(kLine, "SHARD", "OWNER", "CHECKPOINT", "RECORDS_BEHIND", "MS_BEHIND");
    for (const LeaseInfo& lease : lag.leases) {
      out += fmt::format(kLine, lease.lease_key, lease.lease_owner.empty() ? "-" : lease.lease_owner,
                         lease.checkpoint.text(), lease.records_behind_latest, lease.millis_behind_latest);
    }
  }
  if (!lags.empty()) out += "\n";
  std::cout << out;
}

void print_json_line(const StreamInfo& info, const std::vector<ShardRow>& rows, double seconds,
                     const std::vector<ApplicationLag>& lags) {
  Json shards = Json::array();
  for (const ShardRow& row : rows) {
    Json shard{{"ShardId", row.shard_id}, {"State", row.state}};
    shard.update(counters_json(row));
    shard["TrimHorizon"] = row.trim_horizon;
    shard["LatestPosition"] = row.latest_position;
    shards.push_back(shard);
  }
  Json report{{"Timestamp", aws_timestamp(now_ns())},
              {"StreamName", info.name},
              {"IntervalSeconds", rounded(seconds * 1000) / 1000},
              {"OpenShardCount", info.open_shard_count},
              {"BytesPerShardCap", info.retention_bytes},
              {"Shards", shards},
              {"Totals", counters_json(totals(rows))}};
  if (!lags.empty()) report["Applications"] = applications_json(lags);  // only streams with consumers
  std::cout << compact_json(report) << '\n';
}

// 1536 -> "1.5K": the table's columns stay narrow at any size.
std::string human(double value) {
  constexpr const char* kUnits[] = {"", "K", "M", "G", "T", "P"};
  size_t unit = 0;
  while (std::fabs(value) >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f}", value) : fmt::format("{:.1f}{}", value, kUnits[unit]);
}

void print_table(const StreamInfo& info, const std::vector<ShardRow>& rows, double seconds) {
  std::string out = fmt::format("{}  {}  {} open shard(s), rates over {:.2f} s, byte cap {}/shard\n",
                                aws_timestamp(now_ns()), info.name, info.open_shard_count, seconds,
                                human(static_cast<double>(info.retention_bytes)));
  constexpr auto kLine =
      "{:<20} {:<6} {:>10} {:>9} {:>9} {:>10} {:>9} {:>5} {:>8} {:>7} {:>7} {:>9} {:>7} {:>14}\n";
  out += fmt::format(kLine, "SHARD", "STATE", "RECORDS/S", "BYTES/S", "LOG B/S", "RECORDS", "BYTES", "SEGS",
                     "IN USE", "PUT_ERR", "ABORTED", "UNBLOCKED", "TRIMMED", "THROTTLED(W/R)");
  const auto add_row = [&](const ShardRow& row) {
    out += fmt::format(kLine, row.shard_id, row.state, human(row.records_per_second), human(row.bytes_per_second),
                       human(row.log_bytes_per_second), human(static_cast<double>(row.records)),
                       human(static_cast<double>(row.bytes)), row.segments_in_use,
                       human(static_cast<double>(row.bytes_in_use)), row.put_errors, row.aborted_puts,
                       row.unblocked_frames, row.trimmed_segments,
                       fmt::format("{}/{}", row.writes_throttled, row.reads_throttled));
  };
  for (const ShardRow& row : rows) add_row(row);
  add_row(totals(rows));
  std::cout << out << '\n';
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

class Stat {
 public:
  Stat(const StatOptions& options, std::string root, bool as_json, bool refresh_in_place)
      : options_(options), root_(std::move(root)), as_json_(as_json), refresh_in_place_(refresh_in_place) {}

  int run(std::chrono::nanoseconds interval) {
    watch_streams();
    for (long long printed = 0; options_.count == 0 || printed < options_.count; ++printed) {
      sleep_until_or_interrupted(Clock::now() + interval);
      if (interrupted()) return kExitInterrupted;
      if (refresh_in_place_) std::cout << "\x1b[H\x1b[2J";  // home, clear: the tables redraw in place like top
      if (!report_all()) break;
      std::cout.flush();
      watch_streams();
    }
    return kExitSuccess;
  }

 private:
  // Opens the named stream, or every stream under the root (new ones too, each pass).
  void watch_streams() {
    const std::vector<std::string> names =
        options_.stream_name.empty() ? Stream::list(root_) : std::vector<std::string>{options_.stream_name};
    for (const std::string& name : names) {
      if (watches_.count(name) > 0) continue;
      std::shared_ptr<Stream> stream;
      try {
        stream = Stream::open(name, root_);
      } catch (const Error&) {
        if (!options_.stream_name.empty()) throw;
        continue;  // deleted or still being created between list and open: the next pass sees it
      }
      StreamInfo info = stream->describe();
      auto watch = std::make_unique<StreamWatch>(StreamWatch{stream, ArrivalCounter(stream), info, Clock::now()});
      watch->arrivals.follow(info, true);
      watches_.emplace(name, std::move(watch));
    }
  }

  // false once the one stream watched is being deleted: nothing more will change.
  bool report_all() {
    if (watches_.empty() && options_.stream_name.empty()) std::cout << "no streams under " << root_ << "\n";
    for (auto it = watches_.begin(); it != watches_.end();) {
      StreamWatch& watch = *it->second;
      StreamInfo now = watch.stream->describe();
      const auto sampled_now = Clock::now();
      const double seconds = std::chrono::duration<double>(sampled_now - watch.sampled).count();
      const std::vector<ShardRow> rows = shard_rows(now, watch.before, seconds, watch.arrivals);
      const std::vector<ApplicationLag> lags =
          now.status == "DELETING" ? std::vector<ApplicationLag>{} : application_lags(watch.stream);
      if (as_json_) {
        print_json_line(now, rows, seconds, lags);
      } else {
        print_table(now, rows, seconds);
        print_application_table(lags);
      }
      if (now.status == "DELETING") {
        if (!options_.stream_name.empty()) return false;
        it = watches_.erase(it);
        continue;
      }
      watch.arrivals.follow(now, false);
      watch.before = std::move(now);
      watch.sampled = sampled_now;
      ++it;
    }
    return true;
  }

  const StatOptions& options_;
  std::string root_;
  bool as_json_;
  bool refresh_in_place_;
  std::map<std::string, std::unique_ptr<StreamWatch>> watches_;
};

}  // namespace

void add_stat_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "stat", "Stat", "Print live per-shard metrics of a stream (or every stream)");
  CLI::App& sub = *command.subcommand;
  auto options = std::make_shared<StatOptions>();
  sub.add_option("--stream-name", options->stream_name, "Stream name (default: every stream under the root)");
  sub.add_option("--interval", options->interval, "Time between reports, such as 500ms or 1s (default 1s)");
  sub.add_option("--count", options->count, "Stop after N reports (default: until interrupted)");
  sub.add_option("--output,--format", options->output,
                 "table (refreshed in place on a terminal) or json (one object per stream and interval); "
                 "default: table on a terminal, json otherwise")
      ->check(CLI::IsMember({"table", "json"}));

  command.run = [options, &global] {
    const auto interval = parse_duration("--interval", options->interval);
    if (interval <= std::chrono::nanoseconds::zero()) throw_invalid_argument("--interval must be greater than 0");
    if (options->count < 0) throw_invalid_argument("--count must not be negative");
    catch_interrupts();
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    const bool as_json = options->output.empty() ? !terminal : options->output == "json";
    Stat stat(*options, global.resolved_root(), as_json, terminal && !as_json);
    return stat.run(interval);
  };
}

}  // namespace shmstream::cli
