// Record processors for the Worker tests: they log what they are given into a shared Journal.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shmstream/worker.hpp"

namespace shmstream::test {

struct Delivery {
  uint32_t shard;
  uint64_t sequence_number;
  std::string data;
  int instance;  // which processor instance saw it (restarts make new ones)
};

class Journal {
 public:
  void delivered(uint32_t shard, const RecordView& record, int instance) {
    const std::lock_guard<std::mutex> lock(mutex_);
    deliveries_.push_back({shard, record.sequence_number, std::string(record.data), instance});
  }
  void note(const std::string& event) {
    const std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(event);
  }
  std::vector<Delivery> deliveries() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_;
  }
  std::vector<std::string> events() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  size_t count() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_.size();
  }
  int next_instance() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return ++instances_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> events_;
  int instances_ = 0;
};

// Logs every record, checkpoints after every batch, SHARD_END at the end and at shutdown.
class JournalProcessor : public RecordProcessor {
 public:
  explicit JournalProcessor(Journal& journal) : journal_(journal), instance_(journal.next_instance()) {}
  void initialize(std::string_view shard_id, const Checkpoint& start) override {
    shard_ = static_cast<uint32_t>(*parse_shard_id(shard_id));
    journal_.note("initialize " + std::string(shard_id) + " " + start.text());
  }
  void process_records(std::span<const RecordView> records, Checkpointer& checkpointer, int64_t) override {
    for (const RecordView& record : records) {
      if (before_record) before_record(record, checkpointer);
      journal_.delivered(shard_, record, instance_);
    }
    if (checkpoint_every_batch) checkpointer.checkpoint();
  }
  void lease_lost() override { journal_.note("lease_lost " + shard_id_text(shard_)); }
  void shard_ended(Checkpointer& checkpointer) override {
    journal_.note("shard_ended " + shard_id_text(shard_));
    checkpointer.checkpoint();
  }
  void shutdown_requested(Checkpointer& checkpointer) override {
    journal_.note("shutdown_requested " + shard_id_text(shard_));
    checkpointer.checkpoint();
  }

  bool checkpoint_every_batch = true;
  std::function<void(const RecordView&, Checkpointer&)> before_record;

 protected:
  Journal& journal_;
  const int instance_;
  uint32_t shard_ = 0;
};

// Runs a Worker on its own thread; shuts it down and joins when destroyed.
class RunningWorker {
 public:
  RunningWorker(std::shared_ptr<Stream> stream, const std::string& application, RecordProcessorFactory factory,
                WorkerOptions options = {})
      : worker_(std::move(stream), application, std::move(factory), options) {
    thread_ = std::thread([this] {
      try {
        worker_.run();
      } catch (const std::exception& error) {
        const std::lock_guard<std::mutex> lock(mutex_);
        failure_ = error.what();
      }
    });
  }
  ~RunningWorker() { stop(); }
  void stop() {
    worker_.shutdown();
    if (thread_.joinable()) thread_.join();
  }
  Worker& worker() { return worker_; }
  std::string failure() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return failure_;
  }

 private:
  Worker worker_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string failure_;
};

inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds patience = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace shmstream::test
