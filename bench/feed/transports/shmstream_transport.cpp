// shmstream: one stream with one shard per consumer; producers route by partition key (MD5, cached per key),
// each consumer reads its shard zero-copy. "shmstream-x": the same with an exclusive producer (plain-store
// claim and commit; one producer only).
#include <cstdio>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "../transport.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "shmstream_internals.hpp"

namespace feed {
namespace {

class ShmstreamSender final : public Sender {
 public:
  ShmstreamSender(std::shared_ptr<shmstream::Stream> stream, int consumers, int prepared_segments, bool exclusive,
                  uint32_t group)
      : producer_(stream, shmstream::ProducerOptions{exclusive}),
        consumers_(consumers),
        entries_(group),
        results_(group) {
    for (int shard = 0; shard < consumers; ++shard) {
      // What-if: the run pays no segment creation, population or unmapping on its hot path.
      auto held = map_segments_ahead(*stream, static_cast<uint32_t>(shard), prepared_segments);
      held_.insert(held_.end(), held.begin(), held.end());
    }
  }

  bool send(const Message& message, const uint8_t* bytes) noexcept override {
    const std::string_view data(reinterpret_cast<const char*>(bytes), message.length);
    if (entries_.size() == 1) {
      shmstream::PutResult result;
      const shmstream::Status status = producer_.put_record(message.key, data, result);
      if (!status) error = status.detail();
      return status.is_ok();
    }
    entries_[held_entries_++] = {message.key, data, std::nullopt};
    return held_entries_ < entries_.size() || put_held();
  }

  int consumer_of(const Message& message) noexcept override {
    uint32_t shard = 0;
    (void)producer_.route(message.key, nullptr, shard);  // cached after the first message of each symbol
    return static_cast<int>(shard) % consumers_;
  }

  void flush() noexcept override {
    if (held_entries_ != 0 && !put_held()) std::fprintf(stderr, "feed: put_records failed: %s\n", error.c_str());
    producer_.flush_metrics();
  }

 private:
  // The held messages as one put_records (one clock read, one reservation for an exclusive producer).
  bool put_held() noexcept {
    shmstream::Status request_status;
    const size_t count = std::exchange(held_entries_, 0);
    const uint32_t failed = producer_.put_records({entries_.data(), count}, results_, request_status);
    if (!request_status) {
      error = request_status.detail();
      return false;
    }
    if (failed != 0) {
      for (size_t i = 0; i < count; ++i) {  // this request's results only
        if (!results_[i].status) {
          error = results_[i].status.detail();
          break;
        }
      }
      return false;
    }
    return true;
  }

  shmstream::Producer producer_;
  int consumers_;
  HeldSegments held_;
  std::vector<shmstream::PutRecordsEntry> entries_;  // --group: messages held for the next put_records
  std::vector<shmstream::PutRecordsResultEntry> results_;
  size_t held_entries_ = 0;
};

class ShmstreamReceiver final : public Receiver {
 public:
  ShmstreamReceiver(std::shared_ptr<shmstream::Stream> stream, int shard, WaitMode wait, bool verify,
                    int prepared_segments)
      : held_(map_segments_ahead(*stream, static_cast<uint32_t>(shard), prepared_segments)),
        reader_(std::move(stream), static_cast<uint32_t>(shard), {shmstream::IteratorType::kTrimHorizon},
                shmstream::ReaderOptions{verify, false}),
        wait_(wait) {}

  long poll(MessageSink& sink) noexcept override {
    if (wait_ == WaitMode::kBlock && !reader_.has_data()) {
      (void)reader_.wait(shmstream::WaitStrategy::kBlock, std::chrono::milliseconds(10));
    }
    const shmstream::Status status = reader_.get_records(batch_, kBatchLimit);
    if (!status) {
      error = status.detail();
      return -1;
    }
    for (const auto& record : batch_.records) {
      sink.consume(reinterpret_cast<const uint8_t*>(record.data.data()), record.data.size());
    }
    return static_cast<long>(batch_.records.size());
  }

 private:
  static constexpr uint32_t kBatchLimit = 512;
  HeldSegments held_;
  shmstream::ShardReader reader_;
  shmstream::RecordBatch batch_;
  WaitMode wait_;
};

class ShmstreamTransport final : public Transport {
 public:
  explicit ShmstreamTransport(bool exclusive) : exclusive_(exclusive) {}
  std::string name() const override { return exclusive_ ? "shmstream-x" : "shmstream"; }

  void prepare(const Topology& topology) override {
    topology_ = topology;
    root_ = topology.scratch_dir + "/shmstream-" + topology.tag;
    std::filesystem::create_directories(root_);
    shmstream::StreamOptions options;
    options.shard_count = static_cast<uint32_t>(topology.consumers);
    options.segment_size = kSegmentSize;
    options.retention_bytes = kRetentionBytes;
    auto stream = shmstream::Stream::create("feed", options, root_);
    for (uint32_t shard = 0; shard < options.shard_count; ++shard) {
      create_segments_ahead(*stream, shard, topology.prepared_segments);
    }
  }

  std::unique_ptr<Sender> open_sender(int) override {
    return std::make_unique<ShmstreamSender>(shmstream::Stream::open("feed", root_), topology_.consumers,
                                             topology_.prepared_segments, exclusive_, topology_.group);
  }

  std::unique_ptr<Receiver> open_receiver(int consumer) override {
    return std::make_unique<ShmstreamReceiver>(shmstream::Stream::open("feed", root_), consumer, topology_.wait,
                                               topology_.verify_checksums, topology_.prepared_segments);
  }

  void cleanup() noexcept override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // 64 MiB is the library default. The byte cap of 8 segments bounds /dev/shm use of a long throughput run
  // (producers trim on roll), lets files be reused from the 9th segment on (segment recycling: a short
  // IPC retention), and leaves a lagging consumer ~1 s of slack at full rate.
  static constexpr uint64_t kSegmentSize = uint64_t{64} << 20;
  static constexpr uint64_t kRetentionBytes = uint64_t{512} << 20;

 private:
  bool exclusive_;
  Topology topology_;
  std::string root_;
};

}  // namespace

std::unique_ptr<Transport> make_shmstream_transport(bool exclusive) {
  return std::make_unique<ShmstreamTransport>(exclusive);
}

}  // namespace feed
