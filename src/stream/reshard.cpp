// Resharding (docs/DESIGN.md §4.5, §5.3): split, merge and uniform UpdateShardCount with AWS lineage. Control path
// under the stream's flock. Producers never block: children are published first (shard count, then the
// parents' CLOSED state and the table epoch), then each parent's log is closed with a fetch_or of the CLOSED
// bit on its active segment's tail; a producer whose reservation returns that bit re-routes to the child.
#include <algorithm>
#include <filesystem>
#include <set>

#include "common/aws_names.hpp"
#include "common/system_error.hpp"
#include "router/hash_ranges.hpp"
#include "router/shard_map.hpp"
#include "shmstream/stream.hpp"
#include "stream/file_lock.hpp"
#include "stream/file_modes.hpp"
#include "log/frame_unblock.hpp"
#include "log/shard_positions.hpp"
#include "stream/stream_state.hpp"
#include "wait/eventcount.hpp"

namespace shmstream {
namespace {

using detail::StreamState;

struct NewShard {
  HashKey start;
  HashKey end;
  uint32_t parent;
  uint32_t adjacent_parent;
};

bool is_open(const layout::ShardEntry& entry) {
  // acquire: an OPEN state seen means the entry's ranges are complete.
  return entry.status.load(std::memory_order_acquire) == static_cast<uint32_t>(layout::ShardStatus::kOpen);
}

std::string in_stream(const StreamState& state) { return detail::aws::in_stream(state.name()); }

const layout::ShardEntry& existing_open_shard(const StreamState& state, uint32_t index) {
  if (index >= state.shard_count()) {
    throw Error(StatusCode::kResourceNotFound, "Could not find shard " + shard_id_text(index) + in_stream(state) + ".");
  }
  const layout::ShardEntry& entry = state.shard(index);
  if (!is_open(entry)) {
    throw Error(StatusCode::kInvalidArgument, "Shard " + shard_id_text(index) + in_stream(state) +
                                                  " has already been merged or split, and thus is not eligible for "
                                                  "merging or splitting.");
  }
  return entry;
}

uint32_t open_shard_count(const StreamState& state) {
  uint32_t open = 0;
  for (uint32_t i = 0; i < state.shard_count(); ++i) open += is_open(state.shard(i)) ? 1 : 0;
  return open;
}

// Closes a parent's log; returns the position after its last reservation (the shard's end).
uint64_t close_log(StreamState& state, uint32_t index) {
  layout::ShardEntry& entry = state.shard(index);
  // acq_rel: from here on every roll's CAS (which expects the bare number) fails, so the segment we close
  // stays the last one; acquire, because its file must be mappable.
  const uint64_t number =
      entry.active_segment.fetch_or(layout::kActiveSegmentClosedBit, std::memory_order_acq_rel) & ~layout::kActiveSegmentClosedBit;
  // An exclusive producer reserves with a plain store and then checks the bit just set: this barrier makes
  // it either see the bit or have its tail store seen below (detail::ShardAppender::reserve_exclusively).
  detail::barrier_against_plain_publishers();
  std::shared_ptr<detail::MappedSegment> segment;
  throw_if_error(state.log(index).map_segment(number, segment), "cannot map the active segment of " + shard_id_text(index));
  // acq_rel: an exclusive producer that reserves with fetch_add (kernels without membarrier) either got in
  // before the bit (and lies below the tail read here) or sees the bit and re-routes.
  const uint64_t tail =
      segment->header().tail.fetch_or(layout::kTailClosedBit, std::memory_order_acq_rel) & ~layout::kTailClosedBit;
  // Shared producers reserve by claiming the first free frame; the tail is only a hint at or before it. The
  // close claims that frame too, as padding to the segment's end: each producer's claim either won its
  // frame before (below the end) or finds the padding, reaches the end, and sees the closed bit.
  const uint64_t size = state.segment_size();
  return number * size + detail::pad_from_first_free_frame(*segment, std::min(tail, size));
}

void create_child_files(StreamState& state, uint32_t index) {
  const std::string directory = state.log(index).directory();
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw Error(StatusCode::kInternalFailure, "cannot create " + directory + ": " + error.message());
  // The stream's directory mode (setgid for a group-shared stream), whoever reshards.
  if (::chmod(directory.c_str(), detail::stream_directory_mode(state.header().file_mode)) != 0) {
    detail::throw_errno(errno, "cannot set the mode of " + directory);
  }
  throw_if_error(state.log(index).create_segment(0), "cannot create the first segment of " + shard_id_text(index));
}

void write_child_entry(layout::ShardEntry& entry, uint32_t index, const NewShard& child, int64_t now) {
  // Plain and relaxed stores: the entry lies beyond shard_count, invisible until the count is published.
  entry.hash_start_lo = static_cast<uint64_t>(child.start);
  entry.hash_start_hi = static_cast<uint64_t>(child.start >> 64);
  entry.hash_end_lo = static_cast<uint64_t>(child.end);
  entry.hash_end_hi = static_cast<uint64_t>(child.end >> 64);
  entry.shard_index = index;
  entry.parent_index = child.parent;
  entry.adjacent_parent_index = child.adjacent_parent;
  entry.starting_sequence_number = layout::kSegmentHeaderSize;
  entry.ending_sequence_number.store(layout::kNoSequence, std::memory_order_relaxed);
  entry.active_segment.store(0, std::memory_order_relaxed);
  entry.trim_horizon.store(layout::kSegmentHeaderSize, std::memory_order_relaxed);
  entry.created_ns = now;
  entry.closed_ns.store(0, std::memory_order_relaxed);
  entry.child_index[0] = entry.child_index[1] = layout::kNoShard;
  for (auto* counter : {&entry.incoming_records, &entry.incoming_bytes, &entry.put_errors, &entry.unblocked_frames,
                        &entry.trimmed_segments, &entry.aborted_puts}) {
    counter->store(0, std::memory_order_relaxed);
  }
  entry.status.store(static_cast<uint32_t>(layout::ShardStatus::kOpen), std::memory_order_relaxed);
}

// Publishes `children` and closes `parents`. Caller holds the stream lock and has validated the request.
void reshard(StreamState& state, const std::vector<uint32_t>& parents, const std::vector<NewShard>& children) {
  layout::StreamHeader& header = state.header();
  const uint32_t first_child = state.shard_count();
  if (first_child + children.size() > state.shard_capacity()) {
    throw Error(StatusCode::kLimitExceeded, "the stream's shard table is full (" + std::to_string(state.shard_capacity()) +
                                                " shards ever); create a new stream");
  }
  if (open_shard_count(state) - parents.size() + children.size() > kMaxShardsPerStream) {
    throw Error(StatusCode::kLimitExceeded, "This request would exceed the shard limit of " +
                                                std::to_string(kMaxShardsPerStream) + " open shards per stream");
  }
  const int64_t now = now_ns();
  try {
    for (uint32_t i = 0; i < children.size(); ++i) create_child_files(state, first_child + i);
  } catch (...) {
    for (uint32_t i = 0; i < children.size(); ++i) {
      std::error_code ignored;
      std::filesystem::remove_all(state.log(first_child + i).directory(), ignored);
    }
    throw;
  }
  for (uint32_t i = 0; i < children.size(); ++i) write_child_entry(state.shard(first_child + i), first_child + i, children[i], now);
  // release: routing and readers that see the new count see complete child entries.
  header.shard_count.store(first_child + static_cast<uint32_t>(children.size()), std::memory_order_release);
  for (uint32_t parent : parents) {
    layout::ShardEntry& entry = state.shard(parent);
    uint32_t slot = 0;
    for (uint32_t i = 0; i < children.size(); ++i) {
      if ((children[i].parent == parent || children[i].adjacent_parent == parent) && slot < 2) {
        entry.child_index[slot++] = first_child + i;
      }
    }
    entry.closed_ns.store(now, std::memory_order_relaxed);  // relaxed: published by the state store below
    // release: the closed time and child indexes are visible with CLOSED.
    entry.status.store(static_cast<uint32_t>(layout::ShardStatus::kClosed), std::memory_order_release);
  }
  // release: producers that see the new epoch rebuild their maps from the table as written above.
  header.shard_table_epoch.fetch_add(1, std::memory_order_release);
  for (uint32_t parent : parents) {
    layout::ShardEntry& entry = state.shard(parent);
    const uint64_t end = close_log(state, parent);
    // release: readers that see the end see the CLOSED state. Frames below it that are still in flight are
    // waited for by readers (they are not committed yet) and unblocked by the janitor if their producer died.
    entry.ending_sequence_number.store(end - 1, std::memory_order_release);
    state.log(parent).wake_readers();
  }
}

void split_locked(StreamState& state, uint32_t index, HashKey new_start) {
  const layout::ShardEntry& entry = existing_open_shard(state, index);
  const HashKey start = detail::shard_start(entry);
  const HashKey end = detail::shard_end(entry);
  if (!(new_start > start && new_start <= end)) {  // both children non-empty
    throw Error(StatusCode::kInvalidArgument,
                "NewStartingHashKey " + format_hash_key(new_start) + " used in SplitShard() on shard " +
                    shard_id_text(index) + in_stream(state) + " is not both greater than the shard's StartingHashKey " +
                    format_hash_key(start) + " and at most the shard's EndingHashKey " + format_hash_key(end) + ".");
  }
  reshard(state, {index}, {{start, new_start - 1, index, layout::kNoShard}, {new_start, end, index, layout::kNoShard}});
}

void merge_locked(StreamState& state, uint32_t to_merge, uint32_t adjacent) {
  const layout::ShardEntry& first = existing_open_shard(state, to_merge);
  const layout::ShardEntry& second = existing_open_shard(state, adjacent);
  const HashKey first_start = detail::shard_start(first), first_end = detail::shard_end(first);
  const HashKey second_start = detail::shard_start(second), second_end = detail::shard_end(second);
  const bool adjacent_ranges = (first_end != kMaxHashKey && first_end + 1 == second_start) ||
                               (second_end != kMaxHashKey && second_end + 1 == first_start);
  if (to_merge == adjacent || !adjacent_ranges) {
    throw Error(StatusCode::kInvalidArgument, "Shards " + shard_id_text(to_merge) + " and " + shard_id_text(adjacent) +
                                                  in_stream(state) + " are not an adjacent pair of shards eligible for merging");
  }
  reshard(state, {to_merge, adjacent},
          {{std::min(first_start, second_start), std::max(first_end, second_end), to_merge, adjacent}});
}

struct OpenRange {
  HashKey start;
  HashKey end;
  uint32_t index;
};

std::vector<OpenRange> open_ranges(const StreamState& state) {
  std::vector<OpenRange> ranges;
  for (uint32_t i = 0; i < state.shard_count(); ++i) {
    const auto& entry = state.shard(i);
    if (is_open(entry)) ranges.push_back({detail::shard_start(entry), detail::shard_end(entry), i});
  }
  std::sort(ranges.begin(), ranges.end(), [](const OpenRange& a, const OpenRange& b) { return a.start < b.start; });
  return ranges;
}

}  // namespace

void Stream::split_shard(uint32_t shard_to_split, HashKey new_starting_hash_key) {
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  split_locked(*state_, shard_to_split, new_starting_hash_key);
}

void Stream::merge_shards(uint32_t shard_to_merge, uint32_t adjacent_shard_to_merge) {
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  merge_locked(*state_, shard_to_merge, adjacent_shard_to_merge);
}

uint32_t Stream::update_shard_count(uint32_t target) {
  // As AWS: UpdateShardCount is for PROVISIONED streams only (split and merge stay open to both modes).
  // relaxed: a setting; a mode changed meanwhile is as if it changed just after this call.
  if (state_->header().stream_mode.load(std::memory_order_relaxed) ==
      static_cast<uint32_t>(layout::StreamModeCode::kOnDemand)) {
    throw Error(StatusCode::kInvalidArgument, "UpdateShardCount is not supported for stream " + name() +
                                                  " in ON_DEMAND capacity mode; use UpdateStreamMode to PROVISIONED");
  }
  detail::FileLock lock(state_->lock_path(), state_->header().file_mode);
  const uint32_t current = open_shard_count(*state_);
  if (target < 1) {
    throw Error(StatusCode::kInvalidArgument, "TargetShardCount must be at least 1");
  }
  // Beyond the scaling limits Kinesis answers LimitExceededException, as here.
  if (target > kMaxShardsPerStream) {
    throw Error(StatusCode::kLimitExceeded, "TargetShardCount " + std::to_string(target) + " must be between 1 and " +
                                                  std::to_string(kMaxShardsPerStream));
  }
  if (target > 2 * current) {
    throw Error(StatusCode::kLimitExceeded, "UpdateShardCount cannot scale up over double the current open shard count " +
                                                  std::to_string(current) + " of stream " + name());
  }
  if (2 * target < current) {
    throw Error(StatusCode::kLimitExceeded, "UpdateShardCount cannot scale down below half the current open shard count " +
                                                  std::to_string(current) + " of stream " + name());
  }
  const auto goal = detail::even_split(target);
  // The plan, counted before any step: a split per goal boundary that is not a boundary yet (two new
  // entries each); then, inside every goal range, merges down to one shard (one new entry each).
  std::set<HashKey> boundaries;
  for (const OpenRange& open : open_ranges(*state_)) boundaries.insert(open.start);
  uint64_t splits = 0;
  for (const auto& range : goal) splits += boundaries.insert(range.start).second ? 1 : 0;
  const uint64_t peak_open = boundaries.size();
  const uint64_t merges = boundaries.size() - goal.size();
  if (state_->shard_count() + 2 * splits + merges > state_->shard_capacity() || peak_open > kMaxShardsPerStream) {
    throw Error(StatusCode::kLimitExceeded, "UpdateShardCount to " + std::to_string(target) + " needs " +
                                                std::to_string(2 * splits + merges) + " new shard entries and " +
                                                std::to_string(peak_open) + " open shards on the way, over the limits of stream " +
                                                name());
  }
  // 1. Split wherever a target boundary falls inside an open shard.
  for (const auto& range : goal) {
    if (range.start == 0) continue;
    for (const OpenRange& open : open_ranges(*state_)) {
      if (range.start > open.start && range.start <= open.end) {
        split_locked(*state_, open.index, range.start);
        break;
      }
    }
  }
  // 2. Merge the open shards inside each target range down to one (left to right, pairwise).
  for (const auto& range : goal) {
    for (;;) {
      std::vector<OpenRange> inside;
      for (const OpenRange& open : open_ranges(*state_)) {
        if (open.start >= range.start && open.end <= range.end) inside.push_back(open);
      }
      if (inside.size() <= 1) break;
      merge_locked(*state_, inside[0].index, inside[1].index);
    }
  }
  return current;
}

std::vector<ShardInfo> Stream::list_shards(const ShardFilter& filter) const {
  std::vector<ShardInfo> retained;
  for (uint32_t i = 0; i < state_->shard_count(); ++i) {
    ShardInfo info = describe_shard(i);
    if (info.status != layout::ShardStatus::kExpired) retained.push_back(std::move(info));
  }
  auto is_retained = [&](std::optional<uint32_t> index) {
    return index && std::any_of(retained.begin(), retained.end(), [&](const ShardInfo& s) { return s.index == *index; });
  };
  auto open_at = [](const ShardInfo& s, int64_t t) {
    return s.created_ns <= t && (s.status == layout::ShardStatus::kOpen || s.closed_ns > t);
  };
  std::vector<ShardInfo> listed;
  for (ShardInfo& info : retained) {
    bool keep = true;
    switch (filter.type) {
      case ShardFilterType::kAll:
      case ShardFilterType::kFromTrimHorizon: break;
      case ShardFilterType::kAfterShardId: keep = info.index > filter.shard_index; break;
      case ShardFilterType::kAtTrimHorizon:
        keep = !is_retained(info.parent_index) && !is_retained(info.adjacent_parent_index);
        break;
      case ShardFilterType::kAtLatest: keep = info.status == layout::ShardStatus::kOpen; break;
      case ShardFilterType::kAtTimestamp: keep = open_at(info, filter.timestamp_ns); break;
      case ShardFilterType::kFromTimestamp:
        keep = info.status == layout::ShardStatus::kOpen || info.closed_ns > filter.timestamp_ns;
        break;
    }
    if (keep) listed.push_back(std::move(info));
  }
  return listed;
}

}  // namespace shmstream
