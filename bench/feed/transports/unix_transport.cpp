// Unix domain sockets, SOCK_SEQPACKET: the kernel keeps message boundaries, one send(2) and one recv(2) per
// message. The sender blocks while the socket buffer is full.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../transport.hpp"
#include "fd_channels.hpp"

namespace feed {
namespace {

class UnixSender final : public Sender {
 public:
  explicit UnixSender(std::vector<int> fds) : fds_(std::move(fds)) {}
  bool send(const Message& message, const uint8_t* bytes) noexcept override {
    for (;;) {
      if (::send(fds_[consumer_of(message)], bytes, message.length, MSG_NOSIGNAL) >= 0) return true;
      if (errno != EINTR) {
        error = std::string("send: ") + std::strerror(errno);
        return false;
      }
    }
  }
  int consumer_of(const Message& message) noexcept override { return route_to(message, static_cast<int>(fds_.size())); }

 private:
  std::vector<int> fds_;
};

class UnixReceiver final : public Receiver {
 public:
  UnixReceiver(std::vector<int> fds, WaitMode wait) : fds_(std::move(fds)), wait_(wait) {}
  long poll(MessageSink& sink) noexcept override {
    if (wait_ == WaitMode::kBlock) wait_readable(fds_);
    long count = 0;
    for (int fd : fds_) {
      for (int i = 0; i < 512; ++i) {
        const ssize_t length = ::recv(fd, buffer_, sizeof buffer_, MSG_DONTWAIT);
        if (length < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          error = std::string("recv: ") + std::strerror(errno);
          return -1;
        }
        if (length == 0) break;
        sink.consume(buffer_, static_cast<size_t>(length));
        ++count;
      }
    }
    return count;
  }

 private:
  std::vector<int> fds_;
  WaitMode wait_;
  alignas(8) uint8_t buffer_[kMaxMessageBytes];
};

class UnixTransport final : public Transport {
 public:
  std::string name() const override { return "unix"; }
  void prepare(const Topology& topology) override {
    topology_ = topology;
    channels_.resize(topology.producers, topology.consumers);
    for (int p = 0; p < topology.producers; ++p) {
      for (int c = 0; c < topology.consumers; ++c) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
          throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
        }
        const int buffer = 4 << 20;  // as deep as the kernel allows (capped by net.core.*mem_max)
        ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
        ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
        channels_.at(p, c) = {fds[0], fds[1]};
      }
    }
  }
  std::unique_ptr<Sender> open_sender(int producer) override {
    return std::make_unique<UnixSender>(channels_.write_fds(producer));
  }
  std::unique_ptr<Receiver> open_receiver(int consumer) override {
    return std::make_unique<UnixReceiver>(channels_.read_fds(consumer), topology_.wait);
  }
  void cleanup() noexcept override { channels_.close_all(); }

 private:
  Topology topology_;
  FdChannels channels_;
};

}  // namespace

std::unique_ptr<Transport> make_unix_transport() { return std::make_unique<UnixTransport>(); }

}  // namespace feed
