// tail: follow every shard of a stream and print records as they arrive, picking up shards that appear
// later (resharding). Shards that appear after the start are read from their beginning, once their parents
// are read to the end, so nothing written to a child shard is missed whatever --shard-iterator-type says and
// records of one partition key stay in order. With --application-name, each shard starts where that
// application checkpointed it (after the checkpointed record; shards at SHARD_END are skipped), without
// checkpointing.
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "command_helpers.hpp"
#include "command_table.hpp"
#include "interrupt_flag.hpp"
#include "iterator_flags.hpp"
#include "json_output.hpp"
#include "shard_listing.hpp"
#include "shmstream/application.hpp"
#include "shmstream/reader.hpp"
#include "text_codecs.hpp"

namespace shmstream::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kShardRescanInterval = std::chrono::seconds(1);
constexpr auto kLongestIdleSleep = std::chrono::milliseconds(2);
constexpr uint32_t kBatchLimit = 1000;

struct TailOptions {
  std::string stream_name;
  std::string iterator_type = "LATEST";  // --shard-iterator-type (alias --from)
  std::string starting_sequence_number;  // AT_/AFTER_SEQUENCE_NUMBER, with --shard-id
  std::string timestamp;                 // AT_TIMESTAMP
  std::string format = "json";
  bool data_as_text = false;  // --data-encoding text: JSON Data is the text itself when it is UTF-8
  long long max_records = 0;   // 0: no limit
  double timeout_seconds = 0;  // 0: until interrupted
  bool exit_at_end = false;    // stop once every followed shard is read to its current end (kcat -e)
  std::string shard_id;        // --shard-id: follow this shard only (not its children after a reshard)
  std::optional<uint32_t> shard_index;  // parsed from shard_id
  std::string partition_key;   // print only records with this key
  std::string application_name;  // start each shard at this application's checkpoint
};

std::string format_record(const std::string& shard_id, const RecordView& record, const TailOptions& options) {
  const bool printable = is_printable_utf8(record.data);
  if (options.format == "text") {
    const bool printable_key = is_printable_utf8(record.partition_key);
    return shard_id + "\t" + format_sequence_number(record.sequence_number) + "\t" +
           (printable_key ? std::string(record.partition_key) : "base64:" + base64_encode(record.partition_key)) +
           "\t" + (printable ? std::string(record.data) : "base64:" + base64_encode(record.data));
  }
  Json line{{"ShardId", shard_id}, {"SequenceNumber", format_sequence_number(record.sequence_number)}};
  set_partition_key(line, record.partition_key);
  line["ApproximateArrivalTimestamp"] = aws_timestamp(record.arrival_ns);
  // Base64 as AWS by default, so a consumer decodes every line the same way; the text mode marks the
  // records it could not show as text.
  if (options.data_as_text && printable) {
    line["Data"] = std::string(record.data);
  } else {
    line["Data"] = base64_encode(record.data);
    if (options.data_as_text) line["DataEncoding"] = "base64";
  }
  return compact_json(line);
}

class StreamTail {
 public:
  StreamTail(std::shared_ptr<Stream> stream, const IteratorStart& first_start, const TailOptions& options)
      : stream_(std::move(stream)), first_start_(first_start), options_(options) {
    if (!options_.application_name.empty()) {
      for (const LeaseInfo& lease : describe_application(stream_, options_.application_name).leases) {
        checkpoints_.emplace(lease.shard_index, lease.checkpoint);
      }
    }
  }

  int run() {
    const auto started = Clock::now();
    const auto deadline = options_.timeout_seconds > 0
                              ? started + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(options_.timeout_seconds))
                              : Clock::time_point::max();
    auto next_rescan = started;
    auto idle_sleep = std::chrono::microseconds(50);
    bool first_scan = true;
    while (!interrupted() && !limit_reached() && Clock::now() < deadline) {
      if (Clock::now() >= next_rescan || rescan_now_) {
        rescan_now_ = false;
        if (!adopt_new_shards(first_scan)) {
          std::cout.flush();
          throw Error(StatusCode::kResourceNotFound, "stream " + stream_->name() + " was deleted while tailing it");
        }
        first_scan = false;
        next_rescan = Clock::now() + kShardRescanInterval;
      }
      const size_t read_now = read_round();
      if (options_.exit_at_end && caught_up_) break;
      if (read_now > 0) {
        std::cout.flush();
        idle_sleep = std::chrono::microseconds(50);
      } else {
        std::this_thread::sleep_for(idle_sleep);
        idle_sleep = std::min<std::chrono::microseconds>(idle_sleep * 2, kLongestIdleSleep);
      }
    }
    std::cout.flush();
    return interrupted() ? kExitInterrupted : kExitSuccess;
  }

 private:
  bool limit_reached() const { return options_.max_records > 0 && printed_ >= options_.max_records; }

  // false once the stream is being deleted: nothing more will arrive.
  bool adopt_new_shards(bool first_scan) {
    const StreamInfo info = stream_->describe();
    if (info.status == "DELETING") return false;
    if (first_scan) {
      for (const ShardInfo& shard : info.shards) present_at_start_.insert(shard.index);
    }
    for (const ShardInfo& shard : info.shards) {
      if (!is_listed_shard(shard) || seen_.count(shard.index) > 0) continue;
      if (options_.shard_index && shard.index != *options_.shard_index) continue;
      // Per-key order across a reshard: a child waits until its parents were read to their end.
      if (still_followed(shard.parent_index) || still_followed(shard.adjacent_parent_index)) continue;
      seen_.insert(shard.index);
      IteratorStart start =
          present_at_start_.count(shard.index) > 0 ? first_start_ : IteratorStart{IteratorType::kTrimHorizon};
      if (const auto checkpoint = checkpoints_.find(shard.index); checkpoint != checkpoints_.end()) {
        if (checkpoint->second.kind == Checkpoint::Kind::kShardEnd) {
          rescan_now_ = true;  // done by the application: its children come next
          continue;
        }
        start = start_after(checkpoint->second);
      }
      ReaderOptions reader_options;
      // Trimming under a slow terminal is not an error for a human watching: jump ahead.
      reader_options.skip_to_trim_horizon_when_expired = true;
      followers_.emplace(shard.index, Follower{shard.shard_id, ShardReader(stream_, shard.index, start, reader_options)});
    }
    return true;
  }

  bool still_followed(const std::optional<uint32_t>& index) const { return index && followers_.count(*index) > 0; }

  // Reads one batch from every followed shard; returns the number of records printed. caught_up_: every
  // followed shard returned everything up to its current end this round.
  size_t read_round() {
    size_t printed_now = 0;
    caught_up_ = true;
    for (auto it = followers_.begin(); it != followers_.end() && !limit_reached();) {
      Follower& follower = it->second;
      uint32_t limit = kBatchLimit;
      if (options_.max_records > 0)
        limit = static_cast<uint32_t>(std::min<long long>(limit, options_.max_records - printed_));
      throw_unless_ok(follower.reader.get_records(batch_, limit));
      if (batch_.records.size() == limit || follower.reader.has_data()) caught_up_ = false;
      for (const RecordView& record : batch_.records) {
        if (!options_.partition_key.empty() && record.partition_key != options_.partition_key) continue;
        std::cout << format_record(follower.shard_id, record, options_) << '\n';
        ++printed_;
        ++printed_now;
      }
      // A closed shard read to its end has nothing more; its children are adopted on the next round.
      if (batch_.shard_ended) {
        it = followers_.erase(it);
        rescan_now_ = true;
        caught_up_ = false;
      } else {
        ++it;
      }
    }
    return printed_now;
  }

  struct Follower {
    std::string shard_id;
    ShardReader reader;
  };

  std::shared_ptr<Stream> stream_;
  IteratorStart first_start_;
  const TailOptions& options_;
  std::map<uint32_t, Follower> followers_;
  std::set<uint32_t> seen_;
  std::map<uint32_t, Checkpoint> checkpoints_;  // --application-name: where the application stands
  std::set<uint32_t> present_at_start_;  // --shard-iterator-type applies to these, even when adopted after their parents
  RecordBatch batch_;
  long long printed_ = 0;
  bool caught_up_ = false;
  bool rescan_now_ = false;  // a shard ended: adopt its children without waiting for the next rescan
};

}  // namespace

void add_tail_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "tail", "Tail", "Follow all shards of a stream and print records as they arrive");
  CLI::App& sub = *command.subcommand;
  auto options = std::make_shared<TailOptions>();
  sub.add_option("--stream-name", options->stream_name, "Stream name")->required();
  sub.add_option("--shard-iterator-type,--from", options->iterator_type,
                 "Where to start on the shards open now: TRIM_HORIZON, LATEST (default), AT_TIMESTAMP, or with "
                 "--shard-id AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER");
  CLI::Option* timestamp = sub.add_option(
      "--timestamp", options->timestamp, "For AT_TIMESTAMP: epoch seconds (1700000000.5) or ISO 8601");
  CLI::Option* sequence = sub.add_option("--starting-sequence-number", options->starting_sequence_number,
                                         "For AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER (needs --shard-id)");
  sub.add_option("--format", options->format, "json (one object per line, default) or text (tab-separated)")
      ->check(CLI::IsMember({"json", "text"}));
  sub.add_option_function<std::string>(
         "--data-encoding", [options](const std::string& encoding) { options->data_as_text = encoding == "text"; },
         "JSON Data: base64 (default, as AWS) or text (UTF-8 shown as is, other data base64 with DataEncoding)")
      ->check(CLI::IsMember({"base64", "text"}));
  sub.add_option("--max-records", options->max_records, "Stop after printing N records");
  sub.add_option("--timeout", options->timeout_seconds, "Stop after this many seconds (fractions allowed)");
  sub.add_flag("--exit-at-end", options->exit_at_end,
               "Stop once every followed shard is read to its current end (like kcat -e)");
  sub.add_option("--shard-id", options->shard_id, "Follow this shard only (e.g. shardId-000000000000)");
  sub.add_option("--partition-key", options->partition_key, "Print only the records of this partition key");
  sub.add_option("--application-name", options->application_name,
                 "Start each shard where this consumer application checkpointed it (read only: no checkpoint)");

  command.run = [options, &global, sequence, timestamp] {
    const IteratorStart start = iterator_start_from_flags(options->iterator_type, sequence,
                                                          options->starting_sequence_number, timestamp,
                                                          options->timestamp);
    // A sequence number is a position in one shard's log here, so it names a start in one shard only.
    if (sequence->count() > 0 && options->shard_id.empty()) {
      throw_invalid_argument("--starting-sequence-number needs --shard-id: sequence numbers are per shard");
    }
    if (options->max_records < 0) throw_invalid_argument("--max-records must not be negative");
    if (!(options->timeout_seconds >= 0)) throw_invalid_argument("--timeout must not be negative");
    auto stream = Stream::open(options->stream_name, global.resolved_root());
    if (!options->shard_id.empty()) {
      options->shard_index = shard_index_from_flag(options->shard_id, options->stream_name);
      (void)stream->describe_shard(*options->shard_index);  // ResourceNotFoundException for a shard that never was
    }
    catch_interrupts();
    StreamTail tail(std::move(stream), start, *options);
    return tail.run();
  };
}

}  // namespace shmstream::cli
