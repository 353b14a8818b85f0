// ZeroMQ over ipc:// (a Unix domain socket underneath, with ZeroMQ's I/O thread and batching in between).
// Each consumer binds a PULL socket; each producer connects one PUSH socket per consumer.
#include <zmq.h>

#include <filesystem>
#include <vector>

#include "../transport.hpp"

namespace feed {
namespace {

constexpr int kHighWaterMark = 100000;

std::string endpoint(const Topology& topology, int consumer) {
  return "ipc://" + topology.scratch_dir + "/zmq-" + topology.tag + "-" + std::to_string(consumer);
}

std::string zmq_error(const char* what) { return std::string(what) + ": " + zmq_strerror(zmq_errno()); }

class ZmqContext {
 public:
  ZmqContext() : context_(zmq_ctx_new()) {}
  ~ZmqContext() {
    for (void* socket : sockets_) zmq_close(socket);
    zmq_ctx_term(context_);  // waits until queued messages are delivered (linger is infinite)
  }
  void* socket(int type) {
    void* socket = zmq_socket(context_, type);
    if (socket == nullptr) throw std::runtime_error(zmq_error("zmq_socket"));
    const int hwm = kHighWaterMark;
    zmq_setsockopt(socket, type == ZMQ_PUSH ? ZMQ_SNDHWM : ZMQ_RCVHWM, &hwm, sizeof hwm);
    sockets_.push_back(socket);
    return socket;
  }

 private:
  void* context_;
  std::vector<void*> sockets_;
};

class ZmqSender final : public Sender {
 public:
  explicit ZmqSender(const Topology& topology) {
    for (int c = 0; c < topology.consumers; ++c) {
      void* socket = context_.socket(ZMQ_PUSH);
      if (zmq_connect(socket, endpoint(topology, c).c_str()) != 0) throw std::runtime_error(zmq_error("zmq_connect"));
      sockets_.push_back(socket);
    }
  }
  bool send(const Message& message, const uint8_t* bytes) noexcept override {
    if (zmq_send(sockets_[consumer_of(message)], bytes, message.length, 0) < 0) {
      error = zmq_error("zmq_send");
      return false;
    }
    return true;
  }
  int consumer_of(const Message& message) noexcept override { return route_to(message, static_cast<int>(sockets_.size())); }

 private:
  ZmqContext context_;  // destroyed last: closes the sockets, then flushes
  std::vector<void*> sockets_;
};

class ZmqReceiver final : public Receiver {
 public:
  ZmqReceiver(const Topology& topology, int consumer) : wait_(topology.wait) {
    socket_ = context_.socket(ZMQ_PULL);
    const int timeout_ms = 10;
    zmq_setsockopt(socket_, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    if (zmq_bind(socket_, endpoint(topology, consumer).c_str()) != 0) throw std::runtime_error(zmq_error("zmq_bind"));
  }
  long poll(MessageSink& sink) noexcept override {
    long count = 0;
    while (count < 512) {
      const int flags = wait_ == WaitMode::kBlock && count == 0 ? 0 : ZMQ_DONTWAIT;
      const int length = zmq_recv(socket_, buffer_, sizeof buffer_, flags);
      if (length < 0) {
        if (zmq_errno() == EAGAIN || zmq_errno() == EINTR) break;
        error = zmq_error("zmq_recv");
        return -1;
      }
      sink.consume(buffer_, static_cast<size_t>(length));
      ++count;
    }
    return count;
  }

 private:
  ZmqContext context_;
  void* socket_ = nullptr;
  WaitMode wait_;
  alignas(8) uint8_t buffer_[kMaxMessageBytes];
};

class ZmqTransport final : public Transport {
 public:
  std::string name() const override { return "zmq"; }
  void prepare(const Topology& topology) override { topology_ = topology; }
  std::unique_ptr<Sender> open_sender(int) override { return std::make_unique<ZmqSender>(topology_); }
  std::unique_ptr<Receiver> open_receiver(int consumer) override {
    return std::make_unique<ZmqReceiver>(topology_, consumer);
  }
  void cleanup() noexcept override {
    for (int c = 0; c < topology_.consumers; ++c) {
      std::error_code ignored;
      std::filesystem::remove(endpoint(topology_, c).substr(6), ignored);
    }
  }

 private:
  Topology topology_;
};

}  // namespace

std::unique_ptr<Transport> make_zmq_transport() { return std::make_unique<ZmqTransport>(); }

}  // namespace feed
