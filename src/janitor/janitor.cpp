#include "shmstream/janitor.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

#include "common/file_names.hpp"
#include "log/frame_unblock.hpp"
#include "log/frame_walk.hpp"
#include "log/retention.hpp"
#include "log/segment_roll.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "stream/writer_lock.hpp"

namespace shmstream {
namespace {

constexpr uint64_t kMaxFramesPerPass = uint64_t{1} << 22;  // bounds one pass over a huge backlog

using detail::ShardLog;
using detail::StreamState;
namespace files = detail::file_names;

bool has_status(const layout::ShardEntry& entry, layout::ShardStatus status) {
  // acquire: a state seen is backed by the fields written before it (ending sequence number, closed time).
  return entry.status.load(std::memory_order_acquire) == static_cast<uint32_t>(status);
}

int64_t modification_ns(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return INT64_MAX;
  return int64_t{info.st_mtim.tv_sec} * 1'000'000'000 + info.st_mtim.tv_nsec;
}

std::vector<std::string> directory_entries(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* directory = ::opendir(path.c_str())) {
    while (const dirent* entry = ::readdir(directory)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(directory);
  }
  return names;
}

std::string where(const Stream& stream, uint32_t shard_index) {
  return "stream " + stream.name() + " " + shard_id_text(shard_index);
}

}  // namespace

Janitor::Janitor(JanitorOptions options) : options_(std::move(options)) {
  if (options_.root.empty()) options_.root = default_root();
}

Janitor::~Janitor() = default;

void Janitor::log(const std::string& line) {
  if (options_.log) options_.log(line);
}

void Janitor::report(const JanitorProgress& progress) {
  if (options_.progress) options_.progress(progress);
}

int Janitor::do_work(int64_t now_ns) noexcept try {
  int actions = remove_orphans(now_ns);
  std::set<std::string> present;
  const std::vector<std::string> names = Stream::list(options_.root);
  JanitorProgress progress;
  progress.stream_count = static_cast<uint32_t>(names.size());
  for (const std::string& name : names) {
    present.insert(name);
    ++progress.stream_number;
    progress.stream_name = name;
    progress.shards_done = progress.shard_count = 0;
    auto found = streams_.find(name);
    if (found == streams_.end()) {
      try {
        found = streams_.emplace(name, StreamWatch{Stream::open(name, options_.root), {}, {}}).first;
      } catch (const Error& error) {
        ++counters_.problems;
        log("cannot open stream " + name + ": " + error.exception_name() + ": " + error.what());
        continue;
      }
    }
    const int done = work_on_stream(found->second, now_ns, progress);
    if (done < 0) {
      streams_.erase(found);  // deleted (or re-created: a fresh handle next pass)
    } else {
      actions += done;
    }
  }
  std::erase_if(streams_, [&](const auto& item) { return present.count(item.first) == 0; });
  return actions;
} catch (const std::exception& error) {
  ++counters_.problems;
  log(std::string("janitor pass failed: ") + error.what());
  return 0;
}

int Janitor::work_on_stream(StreamWatch& watch, int64_t now_ns, JanitorProgress& progress) {
  Stream& stream = *watch.stream;
  StreamState& state = detail::StreamAccess::state(stream);
  // acquire: pairs with the deleter's release store.
  if (state.header().status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::StreamStatus::kDeleting) ||
      ::access(files::in(state.directory(), files::kStreamMeta).c_str(), F_OK) != 0) {
    return -1;
  }
  // relaxed: a setting, read once per pass.
  const int64_t timeout_ns = options_.unblock_timeout_override_ns > 0
                                 ? options_.unblock_timeout_override_ns
                                 : state.header().unblock_timeout_ns.load(std::memory_order_relaxed);
  // A live exclusive producer claims and commits with plain stores: padding its frames could race them, so
  // frames are unblocked only while no exclusive producer lives; holding the lock keeps one from starting.
  detail::WriterLock no_exclusive_producer;
  int error = 0;
  const auto writers = detail::WriterLock::try_shared(state.directory(), no_exclusive_producer, error);
  const bool may_unblock = writers == detail::WriterLock::TryResult::kHeld;
  // A stream whose writers lock this janitor cannot take is never unblocked: say so, once per cause.
  std::string problem;
  if (writers == detail::WriterLock::TryResult::kUnavailable) {
    problem = "cannot unblock frames of stream " + stream.name() + ": cannot take " +
              detail::WriterLock::path_in(state.directory()) + ": " + std::strerror(error);
  }
  if (problem != watch.problem) {
    if (!problem.empty()) {
      ++counters_.problems;
      log(problem);
    }
    watch.problem = problem;
  }
  int actions = 0;
  const uint32_t count = state.shard_count();
  progress.shard_count = count;
  report(progress);
  for (uint32_t i = 0; i < count; ++i) {
    progress.shards_done = i + 1;
    layout::ShardEntry& entry = state.shard(i);
    if (has_status(entry, layout::ShardStatus::kExpired)) {
      report(progress);
      continue;
    }
    if (may_unblock) actions += unblock_shard(stream, i, watch.shards[i], now_ns, timeout_ns);
    actions += trim_expired_segments(stream, i, now_ns);
    const ShardLog& shard = state.log(i);
    const uint64_t trimmed = detail::enforce_byte_cap(shard, shard.active_segment());
    if (trimmed > 0) {
      counters_.segments_trimmed += trimmed;
      log("trimmed " + std::to_string(trimmed) + " segment(s) of " + where(stream, i) + " over the byte cap");
      ++actions;
    }
    actions += prepare_next_segment(stream, i);
    actions += expire_closed_shard(stream, i, now_ns);
    actions += remove_stale_files(stream, i, now_ns);
    report(progress);
  }
  // Segments this process mapped (created ahead, scanned) and kept for reuse may since have been trimmed
  // by producers: unmap those, or their memory would stay allocated for as long as the janitor runs.
  state.segments().kept_mappings().drop_unlinked();
  return actions;
}

int Janitor::unblock_shard(Stream& stream, uint32_t shard_index, ShardWatch& watch, int64_t now_ns, int64_t timeout_ns) {
  const ShardLog& shard = detail::StreamAccess::state(stream).log(shard_index);
  uint64_t first_unsettled = UINT64_MAX;
  int actions = 0;
  const detail::WalkResult walk = detail::walk_unsettled_frames(
      shard, std::max(watch.scan_position, shard.trim_horizon()), kMaxFramesPerPass,
      [&](const detail::UnsettledFrame& frame) {
        // Reserved (below the tail) and not committed: some producer owes us this frame.
        first_unsettled = std::min(first_unsettled, frame.position);
        auto [seen, inserted] = watch.stalled.try_emplace(frame.position, StalledFrame{frame.state, now_ns});
        if (!inserted && seen->second.state != frame.state) seen->second = StalledFrame{frame.state, now_ns};
        const bool claimed = layout::state_length(frame.state) < 0;
        if (now_ns - seen->second.first_seen_ns < timeout_ns) {
          // A claimed frame has a known length: look past it for more stalled frames.
          return claimed ? detail::UnsettledAction::kSkip : detail::UnsettledAction::kStop;
        }
        watch.stalled.erase(frame.position);
        if (detail::pad_unsettled_frame(shard, frame)) {
          // relaxed: monitoring counter.
          shard.entry().unblocked_frames.fetch_add(1, std::memory_order_relaxed);
          shard.wake_readers();
          ++counters_.frames_unblocked;
          ++actions;
          log("unblocked " + std::string(claimed ? "claimed" : "unwritten") + " frame at " +
                    std::to_string(frame.position) + " of " + where(stream, shard_index) +
                    " (producer stalled or died)");
          if (first_unsettled == frame.position) first_unsettled = UINT64_MAX;
        }
        return detail::UnsettledAction::kLookAgain;  // padding now (or committed after all)
      });
  switch (walk.end) {
    case detail::WalkEnd::kPastActive: {
      // Every frame of the active segment is settled and it is full, but nobody rolled: a producer died
      // between padding the end and publishing the next segment (or is about to roll it: then this does
      // nothing). The segment the walk found full, not the active one read again (WalkResult::full_segment).
      bool published = false;
      if (detail::roll_segment(shard, walk.full_segment, &published).is_ok() && published) {
        ++counters_.rolls_helped;
        log("rolled " + where(stream, shard_index) + " to segment " + std::to_string(walk.full_segment + 1) +
                  " for a producer that died mid-roll");
        ++actions;
      }
      break;
    }
    case detail::WalkEnd::kCorrupted: {
      // Damage stops every reader here for good. Said once; padded over (its records are lost) once it has
      // stayed the same for the unblock timeout, so a frame being repaired by hand is left alone meanwhile.
      DamagedFrame& damaged = watch.damaged;
      if (damaged.position != walk.position || damaged.state != walk.state) {
        damaged = DamagedFrame{walk.position, walk.state, now_ns};
        ++counters_.problems;
        log(where(stream, shard_index) + " position " + std::to_string(walk.position) + ": " + walk.problem +
            "; padded over after the unblock timeout");
        first_unsettled = std::min(first_unsettled, walk.position);
        break;
      }
      if (now_ns - damaged.first_seen_ns < timeout_ns) {
        first_unsettled = std::min(first_unsettled, walk.position);
        break;
      }
      if (const uint64_t lost = detail::pad_damaged_range(shard, walk.position, walk.state); lost != 0) {
        ++counters_.damaged_ranges_padded;
        ++actions;
        log("padded damaged bytes [" + std::to_string(walk.position) + ", " + std::to_string(walk.position + lost) +
            ") of " + where(stream, shard_index) + "; records there are lost");
        damaged = DamagedFrame{};
      }
      first_unsettled = std::min(first_unsettled, walk.position);  // look again next pass
      break;
    }
    case detail::WalkEnd::kUnmappable:
      if (walk.status.code() != StatusCode::kResourceNotFound) {  // not found: trimmed meanwhile
        ++counters_.problems;
        log(where(stream, shard_index) + " segment " + std::to_string(shard.segment_number(walk.position)) +
                  ": " + walk.status.detail());
      }
      break;
    default:
      break;
  }
  watch.scan_position = std::min(first_unsettled, walk.position);
  std::erase_if(watch.stalled, [&](const auto& item) { return item.first < watch.scan_position; });
  return actions;
}

int Janitor::trim_expired_segments(Stream& stream, uint32_t shard_index, int64_t now_ns) {
  StreamState& state = detail::StreamAccess::state(stream);
  const ShardLog& shard = state.log(shard_index);
  // relaxed: a setting.
  const int64_t cutoff = now_ns - state.header().retention_ns.load(std::memory_order_relaxed);
  // As everywhere, the horizon and the active segment bound what exists.
  const uint64_t first = shard.segment_number(shard.trim_horizon());
  const uint64_t active = shard.active_segment();
  const std::string directory = shard.directory();
  const auto identity = shard.identity();
  uint64_t keep_from = first;
  while (keep_from < active) {  // the active segment is never expired: producers write it
    layout::SegmentHeader header;
    if (!detail::read_segment_file_header(directory, keep_from, identity, header)) break;
    // relaxed: hints written once by producers.
    int64_t newest = header.last_arrival_ns.load(std::memory_order_relaxed);
    if (newest == 0) {
      // The producer that sealed it died before recording the time: the next segment's first is later.
      layout::SegmentHeader next;
      if (!detail::read_segment_file_header(directory, keep_from + 1, identity, next)) break;
      newest = next.first_arrival_ns.load(std::memory_order_relaxed);
      if (newest == 0) break;
    }
    if (newest >= cutoff) break;
    ++keep_from;
  }
  if (keep_from == first) return 0;
  const uint64_t removed = detail::trim_before_segment(shard, keep_from);
  if (removed == 0) return 0;
  counters_.segments_trimmed += removed;
  log("trimmed " + std::to_string(removed) + " expired segment(s) of " + where(stream, shard_index));
  return 1;
}

int Janitor::prepare_next_segment(Stream& stream, uint32_t shard_index) {
  const ShardLog& shard = detail::StreamAccess::state(stream).log(shard_index);
  if (!has_status(shard.entry(), layout::ShardStatus::kOpen)) return 0;
  // Producers have the next segment made when the active one is an eighth full; doing it here first keeps the
  // allocation (the kernel zeroes every page of the file) out of their puts.
  const uint64_t next = shard.active_segment() + 1;
  const std::string path = files::in(shard.directory(), detail::segment_file_name(next * shard.segment_size()));
  if (::access(path.c_str(), F_OK) == 0) return 0;
  if (Status status = shard.create_segment(next); !status) {
    ++counters_.problems;
    log("cannot prepare the next segment of " + where(stream, shard_index) + ": " + status.detail());
    return 0;
  }
  ++counters_.segments_prepared;
  return 1;
}

int Janitor::expire_closed_shard(Stream& stream, uint32_t shard_index, int64_t now_ns) {
  StreamState& state = detail::StreamAccess::state(stream);
  layout::ShardEntry& entry = state.shard(shard_index);
  if (!has_status(entry, layout::ShardStatus::kClosed)) return 0;
  // relaxed: closed_ns is written before the CLOSED state (which we read with acquire).
  const int64_t closed_ns = entry.closed_ns.load(std::memory_order_relaxed);
  if (closed_ns == 0 || closed_ns + state.header().retention_ns.load(std::memory_order_relaxed) >= now_ns) return 0;
  const ShardLog& shard = state.log(shard_index);
  detail::trim_before_segment(shard, shard.active_segment());  // the active segment: the last that exists
  uint32_t expected = static_cast<uint32_t>(layout::ShardStatus::kClosed);
  // release: readers that see EXPIRED also see the trim horizon moved above.
  if (!entry.status.compare_exchange_strong(expected, static_cast<uint32_t>(layout::ShardStatus::kExpired),
                                           std::memory_order_release, std::memory_order_relaxed)) {
    return 0;
  }
  state.segments().cache().forget_shard(shard_index);
  std::error_code ignored;
  std::filesystem::remove_all(shard.directory(), ignored);
  ++counters_.shards_expired;
  log("expired closed " + where(stream, shard_index) + " (past retention) and removed its files");
  return 1;
}

int Janitor::remove_stale_files(Stream& stream, uint32_t shard_index, int64_t now_ns) {
  const ShardLog& shard = detail::StreamAccess::state(stream).log(shard_index);
  const std::string directory = shard.directory();
  // Files below the horizon are garbage (a trimmer died between its CAS and the unlink).
  const uint64_t first_kept = shard.segment_number(shard.trim_horizon()) * shard.segment_size();
  int removed = 0;
  for (const std::string& name : directory_entries(directory)) {
    const std::string path = directory + "/" + name;
    uint64_t base = 0;
    const bool stale_segment = detail::parse_segment_file_name(name, base) && base < first_kept;
    const bool stale_temporary =
        files::has_prefix(name, files::kTemporaryPrefix) && modification_ns(path) + options_.orphan_age_ns < now_ns;
    if ((stale_segment || stale_temporary) && ::unlink(path.c_str()) == 0) {
      ++removed;
      log("removed leftover " + path);
    }
  }
  counters_.orphans_removed += static_cast<uint64_t>(removed);
  return removed;
}

int Janitor::remove_orphans(int64_t now_ns) {
  int removed = 0;
  const std::string staging = files::staging_directory(options_.root);
  for (const std::string& name : directory_entries(staging)) {
    if (!files::has_prefix(name, files::kCreatingPrefix) && !files::has_prefix(name, files::kDeletedPrefix)) continue;
    const std::string path = files::in(staging, name);
    if (modification_ns(path) + options_.orphan_age_ns >= now_ns) continue;  // maybe still in progress
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
    ++removed;
    log("removed orphaned " + path + " (crashed create or delete)");
  }
  counters_.orphans_removed += static_cast<uint64_t>(removed);
  return removed;
}

}  // namespace shmstream
