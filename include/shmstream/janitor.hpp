// Janitor: the agent that keeps streams healthy (docs/DESIGN.md §5.5). Each do_work(now) is one pass over
// every stream under the root: trim segments past the retention window or byte cap, unblock frames of
// stalled or killed producers after the unblock timeout, pad over a damaged frame that stays damaged for
// the unblock timeout (logged once; docs/OPERATIONS.md "Damaged data"), help a roll a dead producer left half done,
// create each open shard's next segment ahead of its producers,
// expire closed shards past retention, and remove orphaned files. `now` is passed in so tests can drive it
// with a fake clock; `shmstream janitor` loops it with the real one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace shmstream {

class Stream;

// Where a pass is, for a progress display: called before each stream's shards and after each shard.
struct JanitorProgress {
  std::string stream_name;
  uint32_t stream_number = 0;  // 1-based, of stream_count
  uint32_t stream_count = 0;
  uint32_t shards_done = 0;    // of this stream, of shard_count
  uint32_t shard_count = 0;
};

struct JanitorOptions {
  std::string root;                                      // empty: default_root()
  std::function<void(const std::string&)> log;           // one line per action; empty: silent
  std::function<void(const JanitorProgress&)> progress;  // empty: none; must not throw
  int64_t orphan_age_ns = int64_t{60} * 1'000'000'000;   // leftovers of crashed creates/deletes/rolls
  int64_t unblock_timeout_override_ns = 0;               // > 0: instead of each stream's own setting
};

struct JanitorCounters {
  uint64_t segments_trimmed = 0;
  uint64_t frames_unblocked = 0;
  uint64_t rolls_helped = 0;
  uint64_t segments_prepared = 0;  // next segments created ahead of producers
  uint64_t shards_expired = 0;
  uint64_t orphans_removed = 0;
  uint64_t problems = 0;  // corrupted files, streams that failed to open: logged, skipped
  uint64_t damaged_ranges_padded = 0;  // damaged frames padded over after the unblock timeout
};

class Janitor {
 public:
  explicit Janitor(JanitorOptions options = {});
  ~Janitor();
  Janitor(const Janitor&) = delete;
  Janitor& operator=(const Janitor&) = delete;

  // One pass at time `now_ns` (ns since the Unix epoch). Returns the number of actions taken. Never throws.
  int do_work(int64_t now_ns) noexcept;
  const JanitorCounters& counters() const noexcept { return counters_; }

 private:
  struct StalledFrame {
    uint64_t state;
    int64_t first_seen_ns;
  };
  struct DamagedFrame {
    uint64_t position = UINT64_MAX;  // none
    uint64_t state = 0;
    int64_t first_seen_ns = 0;
  };
  struct ShardWatch {
    uint64_t scan_position = 0;                  // everything below is committed or padded
    std::map<uint64_t, StalledFrame> stalled;    // position -> what we saw there and since when
    DamagedFrame damaged;                        // the damaged frame the scan stops at, logged once
  };
  struct StreamWatch {
    std::shared_ptr<Stream> stream;
    std::map<uint32_t, ShardWatch> shards;
    std::string problem;  // why the stream cannot be fully serviced, as last logged ("" = it can)
  };

  int work_on_stream(StreamWatch& watch, int64_t now_ns, JanitorProgress& progress);
  int unblock_shard(Stream& stream, uint32_t shard_index, ShardWatch& watch, int64_t now_ns, int64_t timeout_ns);
  int trim_expired_segments(Stream& stream, uint32_t shard_index, int64_t now_ns);
  int prepare_next_segment(Stream& stream, uint32_t shard_index);
  int expire_closed_shard(Stream& stream, uint32_t shard_index, int64_t now_ns);
  int remove_orphans(int64_t now_ns);
  int remove_stale_files(Stream& stream, uint32_t shard_index, int64_t now_ns);
  void log(const std::string& line);
  void report(const JanitorProgress& progress);

  JanitorOptions options_;
  JanitorCounters counters_;
  std::map<std::string, StreamWatch> streams_;  // by stream name
};

}  // namespace shmstream
