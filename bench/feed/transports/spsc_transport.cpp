// The SPSC floor as a transport: one ring per (producer, consumer) pair, since the ring has exactly one
// writer; a consumer polls its producers' rings in turn.
#include <filesystem>
#include <vector>

#include "../transport.hpp"
#include "shm_file.hpp"
#include "spsc_ring.hpp"

namespace feed {
namespace {

// Deep enough for the producer to run far ahead (the ~100 M msg/s case of BENCHMARKING.md).
constexpr size_t kRingBytes = size_t{16} << 20;

std::string ring_path(const Topology& topology, int producer, int consumer) {
  return topology.scratch_dir + "/spsc-" + topology.tag + "-" + std::to_string(producer) + "-" +
         std::to_string(consumer);
}

struct MappedRing {
  explicit MappedRing(const std::string& path)
      : file(path, SpscRing::kHeaderBytes + kRingBytes), ring(file.data(), kRingBytes) {}
  SharedFile file;
  SpscRing ring;
};

class SpscSender final : public Sender {
 public:
  SpscSender(const Topology& topology, int producer) {
    for (int c = 0; c < topology.consumers; ++c) rings_.push_back(std::make_unique<MappedRing>(ring_path(topology, producer, c)));
  }
  bool send(const Message& message, const uint8_t* bytes) noexcept override {
    rings_[consumer_of(message)]->ring.write(bytes, message.length);
    return true;
  }
  int consumer_of(const Message& message) noexcept override {
    return route_to(message, static_cast<int>(rings_.size()));
  }

 private:
  std::vector<std::unique_ptr<MappedRing>> rings_;
};

class SpscReceiver final : public Receiver {
 public:
  SpscReceiver(const Topology& topology, int consumer) {
    for (int p = 0; p < topology.producers; ++p) rings_.push_back(std::make_unique<MappedRing>(ring_path(topology, p, consumer)));
  }
  long poll(MessageSink& sink) noexcept override {
    long total = 0;
    for (auto& mapped : rings_) {
      total += static_cast<long>(mapped->ring.read([&](const uint8_t* bytes, uint32_t length) { sink.consume(bytes, length); }, 512));
    }
    return total;
  }

 private:
  std::vector<std::unique_ptr<MappedRing>> rings_;
};

class SpscTransport final : public Transport {
 public:
  std::string name() const override { return "spsc"; }
  void prepare(const Topology& topology) override {
    topology_ = topology;
    for (int p = 0; p < topology.producers; ++p) {
      for (int c = 0; c < topology.consumers; ++c) SharedFile::create(ring_path(topology, p, c), SpscRing::kHeaderBytes + kRingBytes);
    }
  }
  std::unique_ptr<Sender> open_sender(int producer) override { return std::make_unique<SpscSender>(topology_, producer); }
  std::unique_ptr<Receiver> open_receiver(int consumer) override {
    return std::make_unique<SpscReceiver>(topology_, consumer);
  }
  void cleanup() noexcept override {
    for (int p = 0; p < topology_.producers; ++p) {
      for (int c = 0; c < topology_.consumers; ++c) {
        std::error_code ignored;
        std::filesystem::remove(ring_path(topology_, p, c), ignored);
      }
    }
  }

 private:
  Topology topology_;
};

}  // namespace

std::unique_ptr<Transport> make_spsc_transport() { return std::make_unique<SpscTransport>(); }

}  // namespace feed
