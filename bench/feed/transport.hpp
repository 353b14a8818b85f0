// What the harness needs from a messaging system. A Transport is set up once in the parent (files, queues,
// socket pairs), then each forked producer opens a Sender and each consumer a Receiver inside its own
// process, so nothing (ZeroMQ contexts, mappings) crosses a fork half-initialised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "market_data.hpp"

namespace feed {

enum class WaitMode : uint8_t { kSpin, kBlock };

struct Topology {
  int producers = 1;
  int consumers = 1;
  WaitMode wait = WaitMode::kSpin;
  std::string scratch_dir;  // private directory under /dev/shm for this run, removed afterwards
  std::string tag;          // unique per transport instance (ping-pong uses two)
  bool verify_checksums = true;  // shmstream readers
  int prepared_segments = 0;     // shmstream what-if: segments created and mapped before the run (see docs)
  uint32_t group = 1;            // shmstream: messages per put_records call (1: put_record)
};

// Handed every received message (one virtual call per message, the same cost for every transport).
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void consume(const uint8_t* bytes, size_t length) noexcept = 0;
};

class Sender {
 public:
  virtual ~Sender() = default;
  // Sends one message to the consumer its key routes to; waits (spin or block, as the transport does) while
  // the channel is full. false: the transport failed (error() says why). `bytes` stays valid until
  // Topology::group more messages have been handed over (a grouping sender keeps it until then), and
  // flush() sends whatever a grouping sender still holds.
  virtual bool send(const Message& message, const uint8_t* bytes) noexcept = 0;
  // Which consumer this message reaches (for the end-of-run accounting).
  virtual int consumer_of(const Message& message) noexcept = 0;
  virtual void flush() noexcept {}
  std::string error;
};

class Receiver {
 public:
  virtual ~Receiver() = default;
  // Hands available messages to `sink` and returns how many. Spin mode: returns 0 at once when nothing is
  // there. Block mode: sleeps in the kernel until something arrives, at most ~10 ms (so the caller can stop).
  // Returns -1 on failure (error() says why).
  virtual long poll(MessageSink& sink) noexcept = 0;
  std::string error;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::string name() const = 0;
  virtual void prepare(const Topology& topology) = 0;  // parent, before fork; throws on failure
  virtual std::unique_ptr<Sender> open_sender(int producer) = 0;    // child
  virtual std::unique_ptr<Receiver> open_receiver(int consumer) = 0;  // child
  virtual void cleanup() noexcept {}  // parent, after every child exited
};

// Names: shmstream, spsc, boost_mq, zmq, unix, pipe.
std::unique_ptr<Transport> make_transport(std::string_view name);
std::unique_ptr<Transport> make_shmstream_transport(bool exclusive);
std::unique_ptr<Transport> make_spsc_transport();
std::unique_ptr<Transport> make_boost_mq_transport();
std::unique_ptr<Transport> make_zmq_transport();
std::unique_ptr<Transport> make_unix_transport();
std::unique_ptr<Transport> make_pipe_transport();

// Consumer a symbol goes to when the transport itself does not route (every peer): the same for every peer.
inline int route_to(const Message& message, int consumers) noexcept {
  return static_cast<int>(message.route % static_cast<uint32_t>(consumers));
}

}  // namespace feed
