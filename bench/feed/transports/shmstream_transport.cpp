// shmstream: one stream with one shard per consumer; producers route by partition key (MD5, cached per key),
// each consumer reads its shard zero-copy.
#include <filesystem>

#include "../transport.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

namespace feed {
namespace {

class ShmstreamSender final : public Sender {
 public:
  ShmstreamSender(std::shared_ptr<shmstream::Stream> stream, int consumers)
      : producer_(std::move(stream)), consumers_(consumers) {}

  bool send(const Message& message, const uint8_t* bytes) noexcept override {
    shmstream::PutResult result;
    const shmstream::Status status =
        producer_.put_record(message.key, {reinterpret_cast<const char*>(bytes), message.length}, result);
    if (!status) error = status.detail();
    return status.is_ok();
  }

  int consumer_of(const Message& message) noexcept override {
    uint32_t shard = 0;
    (void)producer_.route(message.key, nullptr, shard);  // cached after the first message of each symbol
    return static_cast<int>(shard) % consumers_;
  }

  void flush() noexcept override { producer_.flush_metrics(); }

 private:
  shmstream::Producer producer_;
  int consumers_;
};

class ShmstreamReceiver final : public Receiver {
 public:
  ShmstreamReceiver(std::shared_ptr<shmstream::Stream> stream, int shard, WaitMode wait, bool verify)
      : reader_(std::move(stream), static_cast<uint32_t>(shard), {shmstream::IteratorType::kTrimHorizon},
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
  shmstream::ShardReader reader_;
  shmstream::RecordBatch batch_;
  WaitMode wait_;
};

class ShmstreamTransport final : public Transport {
 public:
  std::string name() const override { return "shmstream"; }

  void prepare(const Topology& topology) override {
    topology_ = topology;
    root_ = topology.scratch_dir + "/shmstream-" + topology.tag;
    std::filesystem::create_directories(root_);
    shmstream::StreamOptions options;
    options.shard_count = static_cast<uint32_t>(topology.consumers);
    options.segment_size = kSegmentSize;
    options.retention_bytes = kRetentionBytes;
    (void)shmstream::Stream::create("feed", options, root_);
  }

  std::unique_ptr<Sender> open_sender(int) override {
    return std::make_unique<ShmstreamSender>(shmstream::Stream::open("feed", root_), topology_.consumers);
  }

  std::unique_ptr<Receiver> open_receiver(int consumer) override {
    return std::make_unique<ShmstreamReceiver>(shmstream::Stream::open("feed", root_), consumer, topology_.wait,
                                               topology_.verify_checksums);
  }

  void cleanup() noexcept override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // 64 MiB is the library default; the byte cap bounds /dev/shm use of a long throughput run (producers trim
  // on roll) while leaving a lagging consumer seconds of slack.
  static constexpr uint64_t kSegmentSize = uint64_t{64} << 20;
  static constexpr uint64_t kRetentionBytes = uint64_t{2} << 30;

 private:
  Topology topology_;
  std::string root_;
};

}  // namespace

std::unique_ptr<Transport> make_shmstream_transport() { return std::make_unique<ShmstreamTransport>(); }

}  // namespace feed
