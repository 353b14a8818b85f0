// A pipe: a byte stream, so the reader cuts messages by the length byte every feed message carries. One
// write(2) per message (atomic: below PIPE_BUF); the reader takes whatever is there in one read(2).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../transport.hpp"
#include "fd_channels.hpp"

namespace feed {
namespace {

constexpr int kPipeBytes = 1 << 20;  // the default /proc/sys/fs/pipe-max-size

class PipeSender final : public Sender {
 public:
  explicit PipeSender(std::vector<int> fds) : fds_(std::move(fds)) {}
  bool send(const Message& message, const uint8_t* bytes) noexcept override {
    if (write_fully(fds_[consumer_of(message)], bytes, message.length)) return true;
    error = std::string("write: ") + std::strerror(errno);
    return false;
  }
  int consumer_of(const Message& message) noexcept override { return route_to(message, static_cast<int>(fds_.size())); }

 private:
  std::vector<int> fds_;
};

class PipeReceiver final : public Receiver {
 public:
  PipeReceiver(std::vector<int> fds, WaitMode wait) : wait_(wait) {
    for (int fd : fds) streams_.push_back({fd, {}, 0});
    for (auto& stream : streams_) stream.buffer.resize(kReadBytes + kMaxMessageBytes);
  }
  long poll(MessageSink& sink) noexcept override {
    if (wait_ == WaitMode::kBlock) {
      std::vector<int> fds;
      for (auto& stream : streams_) fds.push_back(stream.fd);
      wait_readable(fds);
    }
    long count = 0;
    for (auto& stream : streams_) {
      const ssize_t got = ::read(stream.fd, stream.buffer.data() + stream.held, kReadBytes);
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        error = std::string("read: ") + std::strerror(errno);
        return -1;
      }
      const size_t end = stream.held + static_cast<size_t>(got);
      size_t offset = 0;
      while (end - offset >= 2 && end - offset >= message_length(stream.buffer.data() + offset)) {
        const size_t length = message_length(stream.buffer.data() + offset);
        sink.consume(stream.buffer.data() + offset, length);
        offset += length;
        ++count;
      }
      std::memmove(stream.buffer.data(), stream.buffer.data() + offset, end - offset);  // keep a partial message
      stream.held = end - offset;
    }
    return count;
  }

 private:
  static constexpr size_t kReadBytes = 64 << 10;
  struct Stream {
    int fd;
    std::vector<uint8_t> buffer;
    size_t held;
  };
  std::vector<Stream> streams_;
  WaitMode wait_;
};

class PipeTransport final : public Transport {
 public:
  std::string name() const override { return "pipe"; }
  void prepare(const Topology& topology) override {
    topology_ = topology;
    channels_.resize(topology.producers, topology.consumers);
    for (int p = 0; p < topology.producers; ++p) {
      for (int c = 0; c < topology.consumers; ++c) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
        ::fcntl(fds[1], F_SETPIPE_SZ, kPipeBytes);
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);  // the reader never blocks in read(); block mode uses poll(2)
        channels_.at(p, c) = {fds[1], fds[0]};
      }
    }
  }
  std::unique_ptr<Sender> open_sender(int producer) override {
    return std::make_unique<PipeSender>(channels_.write_fds(producer));
  }
  std::unique_ptr<Receiver> open_receiver(int consumer) override {
    return std::make_unique<PipeReceiver>(channels_.read_fds(consumer), topology_.wait);
  }
  void cleanup() noexcept override { channels_.close_all(); }

 private:
  Topology topology_;
  FdChannels channels_;
};

}  // namespace

std::unique_ptr<Transport> make_pipe_transport() { return std::make_unique<PipeTransport>(); }

}  // namespace feed
