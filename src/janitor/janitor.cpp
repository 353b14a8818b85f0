#include "shmstream/janitor.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "log/frame_check.hpp"
#include "log/frame_unblock.hpp"
#include "log/retention.hpp"
#include "log/segment_roll.hpp"
#include "shmstream/stream.hpp"
#include "stream/shard_positions.hpp"
#include "stream/stream_state.hpp"
#include "stream/writer_lock.hpp"

namespace shmstream {
namespace {

constexpr uint64_t kMaxFramesPerPass = uint64_t{1} << 22;  // bounds one pass over a huge backlog

using detail::StreamState;

bool is_shard_state(const layout::ShardEntry& entry, layout::ShardState state) {
  // acquire: a state seen is backed by the fields written before it (ending sequence number, closed time).
  return entry.state.load(std::memory_order_acquire) == static_cast<uint32_t>(state);
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

int Janitor::do_work(int64_t now_ns) noexcept try {
  int actions = remove_orphans(now_ns);
  std::set<std::string> present;
  for (const std::string& name : Stream::list(options_.root)) {
    present.insert(name);
    auto found = streams_.find(name);
    if (found == streams_.end()) {
      try {
        found = streams_.emplace(name, StreamWatch{Stream::open(name, options_.root), {}}).first;
      } catch (const Error& error) {
        ++counters_.problems;
        log("cannot open stream " + name + ": " + error.exception_name() + ": " + error.what());
        continue;
      }
    }
    const int done = work_on_stream(found->second, now_ns);
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

int Janitor::work_on_stream(StreamWatch& watch, int64_t now_ns) {
  Stream& stream = *watch.stream;
  StreamState& state = stream.state();
  // acquire: pairs with the deleter's release store.
  if (state.header().status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::StreamStatus::kDeleting) ||
      ::access((state.directory() + "/stream.meta").c_str(), F_OK) != 0) {
    return -1;
  }
  // relaxed: a setting, read once per pass.
  const int64_t timeout_ns = options_.unblock_timeout_override_ns > 0
                                 ? options_.unblock_timeout_override_ns
                                 : state.header().unblock_timeout_ns.load(std::memory_order_relaxed);
  // A live exclusive producer claims and commits with plain stores: padding its frames could race them, so
  // frames are unblocked only while no exclusive producer lives; holding the lock keeps one from starting.
  detail::WriterLock no_exclusive_producer;
  const bool may_unblock = detail::WriterLock::try_shared(state.directory(), no_exclusive_producer);
  int actions = 0;
  const uint32_t count = state.shard_count();
  for (uint32_t i = 0; i < count; ++i) {
    layout::ShardEntry& entry = state.shard(i);
    if (is_shard_state(entry, layout::ShardState::kExpired)) continue;
    if (may_unblock) actions += unblock_shard(stream, i, watch.shards[i], now_ns, timeout_ns);
    actions += trim_expired_segments(stream, i, now_ns);
    // acquire: the published active segment exists.
    const uint64_t trimmed = detail::enforce_byte_cap(state, i, layout::load_active_segment(entry));
    if (trimmed > 0) {
      counters_.segments_trimmed += trimmed;
      log("trimmed " + std::to_string(trimmed) + " segment(s) of " + where(stream, i) + " over the byte cap");
      ++actions;
    }
    actions += prepare_next_segment(stream, i);
    actions += expire_closed_shard(stream, i, now_ns);
    actions += remove_stale_files(stream, i, now_ns);
  }
  // Segments this process mapped (created ahead, scanned) and kept for reuse may since have been trimmed
  // by producers: unmap those, or their memory would stay allocated for as long as the janitor runs.
  state.kept_mappings().drop_unlinked();
  return actions;
}

int Janitor::unblock_shard(Stream& stream, uint32_t shard_index, ShardWatch& watch, int64_t now_ns, int64_t timeout_ns) {
  StreamState& state = stream.state();
  layout::ShardEntry& entry = state.shard(shard_index);
  const uint64_t segment_size = state.segment_size();
  // acquire: pairs with the trimmer's release; positions from here on are mappable.
  uint64_t position = std::max(watch.scan_position, entry.trim_horizon.load(std::memory_order_acquire));
  position = detail::normalise_position(state, position);
  // acquire: a closed shard's end; reservations past it were refused (the producers re-routed).
  const uint64_t ending = entry.ending_sequence_number.load(std::memory_order_acquire);
  const uint64_t shard_end = ending == layout::kNoSequence ? UINT64_MAX : ending + 1;
  uint64_t first_unsettled = UINT64_MAX;
  int actions = 0;
  std::shared_ptr<detail::MappedSegment> segment;
  for (uint64_t steps = 0; steps < kMaxFramesPerPass; ++steps) {
    const uint64_t number = state.segment_number(position);
    // acquire: a published active segment exists.
    const uint64_t active = layout::load_active_segment(entry);
    if (position >= shard_end) break;
    if (number > active) {
      if (shard_end != UINT64_MAX) break;  // closed: its log never grows again
      // Every frame of the active segment is settled and it is full, but nobody rolled: a producer died
      // between padding the end and publishing the next segment.
      if (detail::roll_segment(state, shard_index, active).is_ok()) {
        ++counters_.rolls_helped;
        log("rolled " + where(stream, shard_index) + " to segment " + std::to_string(active + 1) +
            " for a producer that died mid-roll");
        ++actions;
      }
      break;
    }
    if (!segment || segment->number() != number) {
      if (Status status = state.segment(shard_index, number, segment); !status) {
        if (status.code() != StatusCode::kResourceNotFound) {
          ++counters_.problems;
          log(where(stream, shard_index) + " segment " + std::to_string(number) + ": " + status.detail());
        }
        break;
      }
    }
    const uint64_t offset = state.segment_offset(position);
    detail::FrameInfo info;
    const detail::FrameKind kind = detail::inspect_frame(*segment, offset, false, info);
    if (kind == detail::FrameKind::kData || kind == detail::FrameKind::kPad) {
      position = detail::normalise_position(state, position + info.footprint);
      continue;
    }
    if (kind == detail::FrameKind::kCorrupted) {
      ++counters_.problems;
      log(where(stream, shard_index) + " position " + std::to_string(position) + ": " + info.problem);
      first_unsettled = std::min(first_unsettled, position);
      break;
    }
    // Not committed. Reserved (below the tail) means some producer owes us this frame.
    // relaxed: the tail only grows; an old value just postpones the decision to the next pass.
    const uint64_t tail = segment->header().tail.load(std::memory_order_relaxed) & ~layout::kTailClosedBit;
    const uint64_t reserved_end = std::min({tail, segment_size, shard_end - segment->base_position()});
    if (offset >= reserved_end) break;  // idle: nothing reserved here
    first_unsettled = std::min(first_unsettled, position);
    // acquire: if the producer commits now, we see it and leave the frame alone.
    const uint64_t frame_state = segment->frame(offset).state.load(std::memory_order_acquire);
    auto [seen, inserted] = watch.stalled.try_emplace(position, StalledFrame{frame_state, now_ns});
    if (!inserted && seen->second.state != frame_state) seen->second = StalledFrame{frame_state, now_ns};
    const int32_t length = layout::state_length(frame_state);
    if (now_ns - seen->second.first_seen_ns < timeout_ns) {
      if (length < 0) {  // a claimed frame has a known length: look past it for more stalled frames
        position = detail::normalise_position(state, position + layout::align_frame(static_cast<uint64_t>(-length)));
        continue;
      }
      break;
    }
    const bool unblocked = length < 0 ? detail::pad_claimed_frame(*segment, offset, frame_state)
                                      : detail::pad_unwritten_gap(*segment, offset, reserved_end) > 0;
    watch.stalled.erase(position);
    if (unblocked) {
      // relaxed: monitoring counter.
      entry.unblocked_frames.fetch_add(1, std::memory_order_relaxed);
      state.wake_readers(entry);
      ++counters_.frames_unblocked;
      ++actions;
      log("unblocked " + std::string(length < 0 ? "claimed" : "unwritten") + " frame at " +
          std::to_string(position) + " of " + where(stream, shard_index) + " (producer stalled or died)");
      if (first_unsettled == position) first_unsettled = UINT64_MAX;
    }
    // Re-inspect the same position: it is padding now (or committed after all).
  }
  watch.scan_position = std::min(first_unsettled, position);
  std::erase_if(watch.stalled, [&](const auto& item) { return item.first < watch.scan_position; });
  return actions;
}

int Janitor::trim_expired_segments(Stream& stream, uint32_t shard_index, int64_t now_ns) {
  StreamState& state = stream.state();
  layout::ShardEntry& entry = state.shard(shard_index);
  // relaxed: a setting.
  const int64_t cutoff = now_ns - state.header().retention_ns.load(std::memory_order_relaxed);
  // acquire: as everywhere, the horizon and active segment bound what exists.
  const uint64_t first = state.segment_number(entry.trim_horizon.load(std::memory_order_acquire));
  const uint64_t active = layout::load_active_segment(entry);
  const std::string directory = state.shard_directory(shard_index);
  const auto identity = state.segment_identity(shard_index);
  uint64_t keep_from = first;
  while (keep_from < active) {  // the active segment is never expired: producers write it
    layout::SegmentHeader header;
    if (!detail::read_segment_header(directory, keep_from, identity, header)) break;
    // relaxed: hints written once by producers.
    int64_t newest = header.last_arrival_ns.load(std::memory_order_relaxed);
    if (newest == 0) {
      // The producer that sealed it died before recording the time: the next segment's first is later.
      layout::SegmentHeader next;
      if (!detail::read_segment_header(directory, keep_from + 1, identity, next)) break;
      newest = next.first_arrival_ns.load(std::memory_order_relaxed);
      if (newest == 0) break;
    }
    if (newest >= cutoff) break;
    ++keep_from;
  }
  if (keep_from == first) return 0;
  const uint64_t removed = detail::trim_before_segment(state, shard_index, keep_from);
  if (removed == 0) return 0;
  counters_.segments_trimmed += removed;
  log("trimmed " + std::to_string(removed) + " expired segment(s) of " + where(stream, shard_index));
  return 1;
}

int Janitor::prepare_next_segment(Stream& stream, uint32_t shard_index) {
  StreamState& state = stream.state();
  const layout::ShardEntry& entry = state.shard(shard_index);
  if (!is_shard_state(entry, layout::ShardState::kOpen)) return 0;
  // Producers create the next segment when the active one is half full; doing it here first keeps the
  // allocation (the kernel zeroes every page of the file) out of their puts.
  const uint64_t next = layout::load_active_segment(entry) + 1;
  const std::string path = state.shard_directory(shard_index) + "/" + detail::segment_file_name(next * state.segment_size());
  if (::access(path.c_str(), F_OK) == 0) return 0;
  if (Status status = state.create_segment(shard_index, next); !status) {
    ++counters_.problems;
    log("cannot prepare the next segment of " + where(stream, shard_index) + ": " + status.detail());
    return 0;
  }
  ++counters_.segments_prepared;
  return 1;
}

int Janitor::expire_closed_shard(Stream& stream, uint32_t shard_index, int64_t now_ns) {
  StreamState& state = stream.state();
  layout::ShardEntry& entry = state.shard(shard_index);
  if (!is_shard_state(entry, layout::ShardState::kClosed)) return 0;
  // relaxed: closed_ns is written before the CLOSED state (which we read with acquire).
  const int64_t closed_ns = entry.closed_ns.load(std::memory_order_relaxed);
  if (closed_ns == 0 || closed_ns + state.header().retention_ns.load(std::memory_order_relaxed) >= now_ns) return 0;
  // acquire: the last segment that exists.
  const uint64_t active = layout::load_active_segment(entry);
  detail::trim_before_segment(state, shard_index, active);
  uint32_t expected = static_cast<uint32_t>(layout::ShardState::kClosed);
  // release: readers that see EXPIRED also see the trim horizon moved above.
  if (!entry.state.compare_exchange_strong(expected, static_cast<uint32_t>(layout::ShardState::kExpired),
                                           std::memory_order_release, std::memory_order_relaxed)) {
    return 0;
  }
  state.segment_cache().forget_shard(shard_index);
  std::error_code ignored;
  std::filesystem::remove_all(state.shard_directory(shard_index), ignored);
  ++counters_.shards_expired;
  log("expired closed " + where(stream, shard_index) + " (past retention) and removed its files");
  return 1;
}

int Janitor::remove_stale_files(Stream& stream, uint32_t shard_index, int64_t now_ns) {
  StreamState& state = stream.state();
  const std::string directory = state.shard_directory(shard_index);
  // acquire: files below the horizon are garbage (a trimmer died between its CAS and the unlink).
  const uint64_t horizon = state.shard(shard_index).trim_horizon.load(std::memory_order_acquire);
  const uint64_t first_kept = state.segment_number(horizon) * state.segment_size();
  int removed = 0;
  for (const std::string& name : directory_entries(directory)) {
    const std::string path = directory + "/" + name;
    uint64_t base = 0;
    const bool stale_segment = detail::parse_segment_file_name(name, base) && base < first_kept;
    const bool stale_temporary = name.rfind(".tmp-", 0) == 0 && modification_ns(path) + options_.orphan_age_ns < now_ns;
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
  for (const std::string& name : directory_entries(options_.root)) {
    if (name.rfind(".creating-", 0) != 0 && name.rfind(".deleted-", 0) != 0) continue;
    const std::string path = options_.root + "/" + name;
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
