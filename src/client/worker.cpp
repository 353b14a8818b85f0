// Worker: the lease passes (docs/APPLICATIONS.md "Model") on the thread that calls run(), and the public
// surface. Each pass, under the lease table's flock: new shards get rows, own leases are renewed, free,
// expired and dead owners' leases are taken up to ceil(leases / workers), at most one is stolen; then a
// ShardConsumer starts for each held shard whose parents ended, and the ones that lost their lease stop.
#include "shmstream/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>

#include "client/worker_core.hpp"
#include "shmstream/clock.hpp"
#include "shmstream/limits.hpp"
#include "stream/stream_state.hpp"

namespace shmstream {
namespace detail {
namespace {

bool parents_ended(const LeaseTableImage& image, const layout::LeaseRow& row) {
  for (const uint32_t parent : {row.parent_index, row.adjacent_parent_index}) {
    if (parent == layout::kNoLeaseParent || parent >= image.rows.size()) continue;
    const layout::LeaseRow& parent_row = image.rows[parent];
    if (row_tracked(parent_row) && !row_ended(parent_row)) return false;
  }
  return true;
}

std::string owner_key(const layout::LeaseRow& row) {
  return std::string(row_owner(row)) + "/" + std::to_string(row.owner_pid) + "/" +
         std::to_string(row.owner_start_time);
}

}  // namespace

uint32_t WorkerCore::stream_file_mode() const { return StreamAccess::state(*stream).header().file_mode; }

std::string WorkerCore::default_worker_id() const {
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  std::random_device random;
  char text[96];
  std::snprintf(text, sizeof text, "%u-%08x@%s", me.pid, random(), host);
  return std::string(text).substr(0, layout::kMaxWorkerIdLength);
}

void WorkerCore::take(layout::LeaseRow& row, int64_t now, int64_t wall) const {
  if (row.owner_pid != 0 && !owns(row)) ++row.owner_switches_since_checkpoint;
  std::memset(row.owner_worker_id, 0, sizeof row.owner_worker_id);
  std::memcpy(row.owner_worker_id, worker_id.data(), worker_id.size());
  row.owner_pid = me.pid;
  row.owner_start_time = me.start_time;
  ++row.lease_counter;
  row.renewed_boottime_ns = static_cast<uint64_t>(now);
  row.renewed_realtime_ns = wall;
}

bool WorkerCore::track_new_shards(LeaseTableImage& image, const StreamInfo& info) const {
  const bool creating = !image.initialized();
  if (creating) {
    image.header.created_ns = now_ns();
    image.header.initial_position = static_cast<uint32_t>(layout_kind(options.initial_position));
    image.header.initial_timestamp_ns = options.initial_timestamp_ns;
  }
  const auto old_count = static_cast<uint32_t>(image.rows.size());
  uint32_t needed = old_count;
  for (const ShardInfo& shard : info.shards) needed = std::max(needed, shard.index + 1);
  if (needed == old_count) return creating;
  for (uint32_t i = old_count; i < needed; ++i) image.rows.push_back(untracked_row(i));
  const Checkpoint initial = checkpoint_from(image.header.initial_position,
                                             static_cast<uint64_t>(image.header.initial_timestamp_ns));
  for (const ShardInfo& shard : info.shards) {
    if (shard.index < old_count || shard.status == layout::ShardStatus::kExpired) continue;
    // At LATEST the application starts with the open shards; their closed parents are history it skips.
    if (creating && initial.kind == Checkpoint::Kind::kLatest && shard.status != layout::ShardStatus::kOpen) continue;
    layout::LeaseRow& row = image.rows[shard.index];
    row.flags = layout::kLeaseRowTracked;
    row.parent_index = shard.parent_index.value_or(layout::kNoLeaseParent);
    row.adjacent_parent_index = shard.adjacent_parent_index.value_or(layout::kNoLeaseParent);
    // A shard made by a reshard after the application started is read from its first record.
    set_checkpoint(row, creating ? initial : Checkpoint{});
  }
  return true;
}

void WorkerCore::pass() {
  if (table.deleted()) {
    throw InvalidStateException(StatusCode::kResourceNotFound,
                                "InvalidStateException: the lease table " + table.path() + " was deleted");
  }
  const StreamInfo info = stream->describe();
  const int64_t now = boottime_ns();
  const int64_t wall = now_ns();
  const int64_t failover_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options.failover_time).count();
  const bool renew_due = now - last_renewal_ns_ >= failover_ns / 4;
  std::map<std::pair<uint32_t, uint64_t>, bool> alive;  // one look at /proc per owner per pass
  auto owner_live = [&](const layout::LeaseRow& row) {
    if (row.owner_pid == 0) return false;
    if (owns(row)) return true;
    if (now - static_cast<int64_t>(row.renewed_boottime_ns) > failover_ns) return false;
    const auto key = std::make_pair(row.owner_pid, row.owner_start_time);
    auto found = alive.find(key);
    if (found == alive.end()) found = alive.emplace(key, process_alive(row_owner_process(row))).first;
    return found->second;
  };
  std::vector<uint32_t> held_now;
  std::vector<uint32_t> ready;
  try {
    table.update([&](LeaseTableImage& image) {
      held_now.clear();
      ready.clear();
      bool changed = track_new_shards(image, info);
      for (const ShardInfo& shard : info.shards) {
        if (shard.status != layout::ShardStatus::kExpired || shard.index >= image.rows.size()) continue;
        layout::LeaseRow& row = image.rows[shard.index];
        if (!row_tracked(row)) continue;
        // The retention removed the shard: its lease goes, as the KCL deletes the leases of shards that no
        // longer exist. Its children count an untracked parent as ended (parents_ended), so they do not wait
        // for a SHARD_END nobody can write any more when the application had not finished it; what was left
        // in it is gone. Its owner sees the lease lost (apply()).
        row = untracked_row(shard.index);
        changed = true;
      }
      std::map<std::string, std::vector<uint32_t>> others;  // live owner -> its leases
      uint32_t active = 0;
      uint32_t mine = 0;
      for (layout::LeaseRow& row : image.rows) {
        if (!row_tracked(row)) continue;
        if (row_ended(row)) {
          if (row.owner_pid != 0 && owns(row)) {  // done with it: nobody needs to hold it any more
            std::memset(row.owner_worker_id, 0, sizeof row.owner_worker_id);
            row.owner_pid = 0;
            row.owner_start_time = 0;
            ++row.lease_counter;
            changed = true;
          }
          continue;
        }
        ++active;
        if (owns(row)) {
          ++mine;
          if (renew_due) {
            take(row, now, wall);
            changed = true;
          }
        } else if (owner_live(row)) {
          others[owner_key(row)].push_back(row.shard_index);
        }
      }
      const auto workers = static_cast<uint32_t>(others.size() + 1);
      const uint32_t target = (active + workers - 1) / workers;
      bool took = false;
      for (layout::LeaseRow& row : image.rows) {
        if (mine >= target) break;
        if (!row_tracked(row) || row_ended(row) || owns(row) || owner_live(row)) continue;
        take(row, now, wall);
        ++mine;
        took = changed = true;
      }
      if (!took && mine < target) {
        // Steal one lease from the busiest worker when it holds more than the target, or exactly the target
        // while this one is more than one short of it, as the KCL does: else 4 leases on 3 workers could
        // stay at 2, 2, 0 for good.
        const std::vector<uint32_t>* victim = nullptr;
        for (const auto& [owner, leases] : others) {
          if (victim == nullptr || leases.size() > victim->size()) victim = &leases;
        }
        if (victim != nullptr && (victim->size() > target || (victim->size() == target && mine + 1 < target))) {
          take(image.rows[victim->back()], now, wall);
          changed = true;
        }
      }
      for (const layout::LeaseRow& row : image.rows) {
        if (!row_tracked(row) || row_ended(row) || !owns(row)) continue;
        held_now.push_back(row.shard_index);
        if (parents_ended(image, row)) ready.push_back(row.shard_index);
      }
      return changed;
    });
  } catch (const Error& error) {
    throw InvalidStateException(error.code(), std::string("InvalidStateException: ") + error.what());
  }
  if (renew_due) last_renewal_ns_ = now;
  apply(held_now, ready);
}

void WorkerCore::apply(const std::vector<uint32_t>& held_now, const std::vector<uint32_t>& ready) {
  {
    const std::lock_guard<std::mutex> lock(mutex);
    held = held_now;
  }
  for (auto it = consumers.begin(); it != consumers.end();) {
    ShardConsumer& consumer = *it->second;
    if (!std::binary_search(held_now.begin(), held_now.end(), it->first)) {
      consumer.lost.store(true, std::memory_order_release);  // taken by another worker, or ended and released
    }
    if (consumer.finished.load(std::memory_order_acquire)) {
      consumer.join();
      it = consumers.erase(it);
    } else {
      ++it;
    }
  }
  for (const uint32_t shard : ready) {
    if (consumers.count(shard) != 0) continue;
    auto consumer = std::make_unique<ShardConsumer>(*this, shard);
    consumer->start();
    consumers.emplace(shard, std::move(consumer));
  }
}

void WorkerCore::stop_consumers(bool lease_lost) {
  for (auto& [shard, consumer] : consumers) {
    (lease_lost ? consumer->lost : consumer->stop).store(true, std::memory_order_release);
  }
  for (auto& [shard, consumer] : consumers) consumer->join();
  consumers.clear();
}

void WorkerCore::release_leases() {
  const int64_t wall = now_ns();
  table.update([&](LeaseTableImage& image) {
    bool changed = false;
    for (layout::LeaseRow& row : image.rows) {
      if (row.owner_pid == 0 || !owns(row)) continue;
      std::memset(row.owner_worker_id, 0, sizeof row.owner_worker_id);
      row.owner_pid = 0;
      row.owner_start_time = 0;
      ++row.lease_counter;
      row.renewed_realtime_ns = wall;
      changed = true;
    }
    return changed;
  });
  const std::lock_guard<std::mutex> lock(mutex);
  held.clear();
}

void WorkerCore::report(std::string_view shard_id, const std::exception& error) const {
  if (options.on_processor_error) {
    options.on_processor_error(shard_id, error);
    return;
  }
  std::cerr << "shmstream worker " << worker_id << ": the record processor of " << shard_id
            << " failed, restarting it from the last checkpoint: " << error.what() << std::endl;
}

}  // namespace detail

Worker::Worker(std::shared_ptr<Stream> stream, std::string_view application, RecordProcessorFactory factory,
               const WorkerOptions& options) {
  if (!stream) throw Error(StatusCode::kInvalidArgument, "Worker needs a stream");
  if (!factory) throw Error(StatusCode::kInvalidArgument, "Worker needs a record processor factory");
  if (options.worker_id.size() > layout::kMaxWorkerIdLength) {
    throw Error(StatusCode::kInvalidArgument, "worker id '" + options.worker_id + "' is longer than " +
                                                  std::to_string(layout::kMaxWorkerIdLength) + " bytes");
  }
  if (options.initial_position != Checkpoint::Kind::kTrimHorizon &&
      options.initial_position != Checkpoint::Kind::kLatest &&
      options.initial_position != Checkpoint::Kind::kAtTimestamp) {
    throw Error(StatusCode::kInvalidArgument, "initial position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP");
  }
  if (options.max_records < 1 || options.max_records > kMaxGetRecordsLimit) {
    throw Error(StatusCode::kInvalidArgument, "max_records must be in [1, 10000]");
  }
  if (options.failover_time.count() <= 0 || options.lease_pass_interval.count() <= 0) {
    throw Error(StatusCode::kInvalidArgument, "failover_time and lease_pass_interval must be positive");
  }
  core_ = std::make_unique<detail::WorkerCore>(std::move(stream), application, std::move(factory), options);
}

Worker::~Worker() {
  shutdown();
  std::unique_lock<std::mutex> lock(core_->mutex);
  core_->changed.wait(lock, [this] { return !core_->running; });
}

void Worker::run() {
  detail::WorkerCore& core = *core_;
  {
    const std::lock_guard<std::mutex> lock(core.mutex);
    if (core.running) throw Error(StatusCode::kResourceInUse, "Worker::run is already running");
    if (core.shutting_down) return;
    core.running = true;
  }
  auto finish = [&core] {
    const std::lock_guard<std::mutex> lock(core.mutex);
    core.running = false;
    core.changed.notify_all();
  };
  try {
    for (;;) {
      core.pass();
      std::unique_lock<std::mutex> lock(core.mutex);
      if (core.changed.wait_for(lock, core.options.lease_pass_interval, [&core] { return core.shutting_down; })) break;
    }
    core.stop_consumers(false);
    core.release_leases();
  } catch (...) {
    core.stop_consumers(true);
    finish();
    throw;
  }
  finish();
}

void Worker::shutdown() noexcept {
  const std::lock_guard<std::mutex> lock(core_->mutex);
  core_->shutting_down = true;
  core_->changed.notify_all();
}

const std::string& Worker::worker_id() const noexcept { return core_->worker_id; }

std::vector<uint32_t> Worker::held_shards() const {
  const std::lock_guard<std::mutex> lock(core_->mutex);
  return core_->held;
}

}  // namespace shmstream
