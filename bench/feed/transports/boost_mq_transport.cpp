// Boost.Interprocess message_queue: a bounded queue of fixed-size slots in POSIX shared memory, guarded by an
// interprocess mutex and condition variables. One queue per consumer; any producer may send to it.
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <chrono>
#include <vector>

#include "../transport.hpp"

namespace feed {
namespace {

namespace ipc = boost::interprocess;

constexpr size_t kQueueDepth = 4096;

std::string queue_name(const Topology& topology, int consumer) {
  return "shmstream-bench-mq-" + std::to_string(::getpid()) + "-" + topology.tag + "-" + std::to_string(consumer);
}

class BoostMqSender final : public Sender {
 public:
  BoostMqSender(const std::vector<std::string>& names) {
    for (const auto& name : names) queues_.push_back(std::make_unique<ipc::message_queue>(ipc::open_only, name.c_str()));
  }
  bool send(const Message& message, const uint8_t* bytes) noexcept override try {
    queues_[consumer_of(message)]->send(bytes, message.length, 0);  // blocks while full
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  int consumer_of(const Message& message) noexcept override { return route_to(message, static_cast<int>(queues_.size())); }

 private:
  std::vector<std::unique_ptr<ipc::message_queue>> queues_;
};

class BoostMqReceiver final : public Receiver {
 public:
  BoostMqReceiver(const std::string& name, WaitMode wait) : queue_(ipc::open_only, name.c_str()), wait_(wait) {}
  long poll(MessageSink& sink) noexcept override try {
    long count = 0;
    ipc::message_queue::size_type length = 0;
    unsigned int priority = 0;
    if (wait_ == WaitMode::kBlock) {
      const auto deadline = boost::posix_time::microsec_clock::universal_time() + boost::posix_time::milliseconds(10);
      if (!queue_.timed_receive(buffer_, sizeof buffer_, length, priority, deadline)) return 0;
      sink.consume(buffer_, length);
      ++count;
    }
    while (count < 512 && queue_.try_receive(buffer_, sizeof buffer_, length, priority)) {
      sink.consume(buffer_, length);
      ++count;
    }
    return count;
  } catch (const std::exception& e) {
    error = e.what();
    return -1;
  }

 private:
  ipc::message_queue queue_;
  WaitMode wait_;
  alignas(8) uint8_t buffer_[kMaxMessageBytes];
};

class BoostMqTransport final : public Transport {
 public:
  std::string name() const override { return "boost_mq"; }
  void prepare(const Topology& topology) override {
    topology_ = topology;
    for (int c = 0; c < topology.consumers; ++c) {
      names_.push_back(queue_name(topology, c));
      ipc::message_queue::remove(names_.back().c_str());
      ipc::message_queue(ipc::create_only, names_.back().c_str(), kQueueDepth, kMaxMessageBytes);
    }
  }
  std::unique_ptr<Sender> open_sender(int) override { return std::make_unique<BoostMqSender>(names_); }
  std::unique_ptr<Receiver> open_receiver(int consumer) override {
    return std::make_unique<BoostMqReceiver>(names_[consumer], topology_.wait);
  }
  void cleanup() noexcept override {
    for (const auto& name : names_) ipc::message_queue::remove(name.c_str());
    names_.clear();
  }

 private:
  Topology topology_;
  std::vector<std::string> names_;
};

}  // namespace

std::unique_ptr<Transport> make_boost_mq_transport() { return std::make_unique<BoostMqTransport>(); }

}  // namespace feed
