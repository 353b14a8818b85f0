#include "modes.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <vector>

#include "clock.hpp"
#include "placement.hpp"
#include "processes.hpp"

namespace feed {
namespace {

constexpr double kGraceSeconds = 20.0;  // drain + teardown after stop before children are killed

int cpu_for(const std::vector<int>& cpus, int index) {
  return cpus.empty() ? -1 : cpus[static_cast<size_t>(index) % cpus.size()];
}

// Copies a pooled message into the send buffer and stamps who sent it and, when timed, when.
// Copies each message into a buffer of its own among `slots` (the last `slots` messages stay intact, for a
// sender that groups them), with the producer, its sequence number and the timestamp.
struct Stamper {
  explicit Stamper(uint32_t slots) : buffers(std::bit_ceil(slots)), mask(std::bit_ceil(slots) - 1) {}
  struct alignas(8) Buffer {
    uint8_t bytes[kMaxMessageBytes];
  };
  std::vector<Buffer> buffers;
  uint32_t mask;
  uint32_t producer = 0;
  uint32_t sequence = 0;
  const uint8_t* stamp(const Message& message, int64_t timestamp_ns) noexcept {
    uint8_t* const buffer = buffers[sequence & mask].bytes;
    std::memcpy(buffer, message.bytes, message.length);
    const uint32_t tracking = producer << 24 | (sequence++ & 0xffffff);
    std::memcpy(buffer + 4, &tracking, sizeof tracking);
    std::memcpy(buffer + 8, &timestamp_ns, sizeof timestamp_ns);
    return buffer;
  }
};

int64_t timestamp_of(const uint8_t* bytes) noexcept {
  int64_t stamp;
  std::memcpy(&stamp, bytes + 8, sizeof stamp);
  return stamp;
}

class ConsumerSink final : public MessageSink {
 public:
  ConsumerSink(ConsumerSlot& slot, bool timed, int64_t measure_from_ns)
      : slot_(slot), timed_(timed), measure_from_ns_(measure_from_ns) {}
  void consume(const uint8_t* bytes, size_t length) noexcept override {
    ++slot_.received;
    slot_.bytes += length;
    if (length < sizeof(MessageHeader) || message_length(bytes) != length) ++slot_.malformed;
    if (timed_) {
      const int64_t sent = timestamp_of(bytes);
      if (sent >= measure_from_ns_) slot_.latency.record(monotonic_ns() - sent);
    }
  }

 private:
  ConsumerSlot& slot_;
  bool timed_;
  int64_t measure_from_ns_;
};

void producer_body(Transport& transport, const MessagePool& pool, const RunConfig& config, SharedRun& run, int id) {
  // For throughput the sender is opened before pinning, so the producer's background threads (the segment
  // preparer's zeroing, the ticking clock) keep the process's CPUs; for latency after, so they share the
  // producer's CPU and leave the consumer's alone (docs/OPERATIONS.md "Threads a producer starts").
  const bool open_first = config.mode == Mode::kThroughput;
  std::unique_ptr<Sender> sender;
  if (open_first) sender = transport.open_sender(id);
  if (!pin_to_cpu(cpu_for(config.producer_cpus, id))) throw std::runtime_error("cannot pin producer");
  if (!open_first) sender = transport.open_sender(id);
  ProducerSlot& slot = run.producers[id];
  std::vector<int> consumer_of_symbol(pool.symbols().size(), 0);  // accounting off the hot path
  for (size_t i = 0; i < pool.size(); ++i) consumer_of_symbol[pool[i].symbol] = sender->consumer_of(pool[i]);
  Stamper stamper(config.group);
  stamper.producer = static_cast<uint32_t>(id);
  const bool timed = config.mode == Mode::kLatency;
  // Producers stagger through the pool so they do not send identical sequences.
  size_t next = static_cast<size_t>(id) * 977;
  ready_and_wait_for_go(run);
  const int64_t start = monotonic_ns();
  slot.first_send_ns = start;
  const double tick_ns = timed ? 1e9 * config.burst * config.producers / config.rate : 0;
  uint64_t tick = 0;
  // relaxed: stop is a plain flag, checked every 64 messages to keep the loop free of shared loads.
  while (run.stop.load(std::memory_order_relaxed) == 0) {
    if (timed) {
      const int64_t scheduled = start + static_cast<int64_t>(tick_ns * static_cast<double>(tick++));
      spin_until(scheduled);
      for (uint32_t b = 0; b < config.burst; ++b) {
        const Message& message = pool[next++];
        const int64_t stamp = config.stamp_scheduled ? scheduled : monotonic_ns();
        if (!sender->send(message, stamper.stamp(message, stamp))) throw std::runtime_error(sender->error);
        ++slot.sent_to[consumer_of_symbol[message.symbol]];
      }
      slot.sent += config.burst;
      continue;
    }
    for (int i = 0; i < 64; ++i) {
      const Message& message = pool[next++];
      if (!sender->send(message, stamper.stamp(message, 0))) throw std::runtime_error(sender->error);
      ++slot.sent_to[consumer_of_symbol[message.symbol]];
    }
    slot.sent += 64;
  }
  sender->flush();
  slot.last_send_ns = monotonic_ns();
  run.producers_done.fetch_add(1, std::memory_order_release);  // release: our counts are final
  sender.reset();  // ZeroMQ: blocks until its queue is delivered, which the consumers are still draining
}

void consumer_body(Transport& transport, const RunConfig& config, SharedRun& run, int id) {
  if (!pin_to_cpu(cpu_for(config.consumer_cpus, id))) throw std::runtime_error("cannot pin consumer");
  ConsumerSlot& slot = run.consumers[id];
  auto receiver = transport.open_receiver(id);
  ready_and_wait_for_go(run);
  ConsumerSink sink(slot, config.mode == Mode::kLatency,
                    run.go_ns + static_cast<int64_t>(config.warmup_seconds * 1e9));
  int64_t drain_deadline = 0;
  for (;;) {
    const long got = receiver->poll(sink);
    if (got < 0) throw std::runtime_error(receiver->error);
    if (got > 0) {
      if (slot.first_receive_ns == 0) slot.first_receive_ns = monotonic_ns();
      slot.last_receive_ns = monotonic_ns();
      continue;
    }
    // Backing off keeps the consumer from pulling the cache line the producer is about to write (each pull
    // costs a locked writer a full cross-core round trip); an experiment knob, off by default.
    if (config.idle_backoff_ns > 0) spin_until(monotonic_ns() + config.idle_backoff_ns);
    // acquire: pairs with the producers' release; their sent_to counts are final.
    if (run.producers_done.load(std::memory_order_acquire) == config.producers) {
      uint64_t expected = 0;
      for (int p = 0; p < config.producers; ++p) expected += run.producers[p].sent_to[id];
      if (slot.received >= expected) return;
      if (drain_deadline == 0) drain_deadline = monotonic_ns() + 10'000'000'000;
      if (monotonic_ns() > drain_deadline) {
        throw std::runtime_error("lost " + std::to_string(expected - slot.received) + " messages");
      }
    }
  }
}

// Ping-pong: side A stamps and sends on `ping`, waits for the echo on `pong` and records the round trip;
// side B echoes every message back unchanged.
class EchoSink final : public MessageSink {
 public:
  explicit EchoSink(Sender& sender) : sender_(sender) { reply_.key = "ECHO    "; }
  void consume(const uint8_t* bytes, size_t length) noexcept override {
    reply_.length = static_cast<uint16_t>(length);
    failed_ |= !sender_.send(reply_, bytes);
  }
  bool failed_ = false;

 private:
  Sender& sender_;
  Message reply_{};  // only length and key matter: there is one consumer
};

class RoundTripSink final : public MessageSink {
 public:
  RoundTripSink(ConsumerSlot& slot, int64_t measure_from_ns) : slot_(slot), measure_from_ns_(measure_from_ns) {}
  void consume(const uint8_t* bytes, size_t length) noexcept override {
    ++slot_.received;
    slot_.bytes += length;
    const int64_t sent = timestamp_of(bytes);
    if (sent >= measure_from_ns_) slot_.latency.record(monotonic_ns() - sent);
  }

 private:
  ConsumerSlot& slot_;
  int64_t measure_from_ns_;
};

void ping_body(Transport& ping, Transport& pong, const MessagePool& pool, const RunConfig& config, SharedRun& run) {
  if (!pin_to_cpu(cpu_for(config.producer_cpus, 0))) throw std::runtime_error("cannot pin");
  auto sender = ping.open_sender(0);  // after pinning, as producer_body() does for latency
  auto receiver = pong.open_receiver(0);
  ConsumerSlot& slot = run.consumers[0];
  Stamper stamper(1);
  size_t next = 0;
  ready_and_wait_for_go(run);
  RoundTripSink sink(slot, run.go_ns + static_cast<int64_t>(config.warmup_seconds * 1e9));
  slot.first_receive_ns = monotonic_ns();
  while (run.stop.load(std::memory_order_relaxed) == 0) {  // relaxed: a plain flag
    const Message& message = pool[next++];
    if (!sender->send(message, stamper.stamp(message, monotonic_ns()))) throw std::runtime_error(sender->error);
    ++run.producers[0].sent;
    const int64_t give_up = monotonic_ns() + 5'000'000'000;
    for (;;) {
      const long got = receiver->poll(sink);
      if (got < 0) throw std::runtime_error(receiver->error);
      if (got > 0) break;
      if (monotonic_ns() > give_up) throw std::runtime_error("echo did not come back within 5 s");
    }
  }
  slot.last_receive_ns = monotonic_ns();
  run.producers_done.fetch_add(1, std::memory_order_release);  // release: tells the echo side to finish
}

void echo_body(Transport& ping, Transport& pong, const RunConfig& config, SharedRun& run) {
  if (!pin_to_cpu(cpu_for(config.consumer_cpus, 0))) throw std::runtime_error("cannot pin");
  auto receiver = ping.open_receiver(0);
  auto sender = pong.open_sender(0);
  EchoSink sink(*sender);
  ready_and_wait_for_go(run);
  // acquire: pairs with the pinging side's release when it is done (no message is then in flight).
  while (run.producers_done.load(std::memory_order_acquire) == 0) {
    const long got = receiver->poll(sink);
    if (got < 0) throw std::runtime_error(receiver->error);
    if (sink.failed_) throw std::runtime_error(sender->error);
  }
}

Topology topology_of(const RunConfig& config, const std::string& tag) {
  Topology topology;
  topology.producers = config.mode == Mode::kPingPong ? 1 : config.producers;
  topology.consumers = config.mode == Mode::kPingPong ? 1 : config.consumers;
  topology.wait = config.wait;
  topology.scratch_dir = config.scratch_dir;
  topology.tag = tag;
  topology.verify_checksums = config.verify_checksums;
  topology.prepared_segments = config.prepared_segments;
  topology.group = config.mode == Mode::kThroughput ? config.group : 1;
  return topology;
}

void summarise(const SharedRun& run, const RunConfig& config, RunResult& result) {
  int64_t first = INT64_MAX, last = 0, last_send = 0;
  uint64_t sent = 0;
  for (int p = 0; p < config.producers; ++p) {
    sent += run.producers[p].sent;
    first = std::min(first, run.producers[p].first_send_ns);
    last_send = std::max(last_send, run.producers[p].last_send_ns);
  }
  const int consumers = config.mode == Mode::kPingPong ? 1 : config.consumers;
  for (int c = 0; c < consumers; ++c) {
    const ConsumerSlot& slot = run.consumers[c];
    result.messages += slot.received;
    result.bytes += slot.bytes;
    last = std::max(last, slot.last_receive_ns);
    result.latency.merge(slot.latency);
    if (slot.malformed != 0 && result.error.empty()) result.error = std::to_string(slot.malformed) + " malformed";
  }
  if (config.mode == Mode::kPingPong) first = run.consumers[0].first_receive_ns;
  result.seconds = last > first ? static_cast<double>(last - first) / 1e9 : 0;
  if (result.seconds > 0) {
    result.messages_per_second = static_cast<double>(result.messages) / result.seconds;
    result.gigabytes_per_second = static_cast<double>(result.bytes) / result.seconds / 1e9;
  }
  if (last_send > first) result.achieved_send_rate = static_cast<double>(sent) / (static_cast<double>(last_send - first) / 1e9);
}

}  // namespace

const char* mode_name(Mode mode) noexcept {
  switch (mode) {
    case Mode::kThroughput: return "throughput";
    case Mode::kLatency: return "latency";
    case Mode::kPingPong: return "pingpong";
  }
  return "?";
}

RunResult run_once(Transport& transport, const MessagePool& pool, const RunConfig& config) {
  RunResult result;
  result.transport = transport.name();
  result.mode = config.mode;
  result.rate = config.rate;
  SharedRunMapping run;
  std::vector<Role> roles;
  std::unique_ptr<Transport> pong;
  if (config.mode == Mode::kPingPong) {
    pong = make_transport(transport.name());
    transport.prepare(topology_of(config, "ping"));
    pong->prepare(topology_of(config, "pong"));
    roles.push_back({[&] { ping_body(transport, *pong, pool, config, *run); },
                     [&](const std::string& e) { set_error(run->consumers[0].error, e); }});
    roles.push_back({[&] { echo_body(transport, *pong, config, *run); },
                     [&](const std::string& e) { set_error(run->consumers[1].error, e); }});
  } else {
    transport.prepare(topology_of(config, "feed"));
    for (int c = 0; c < config.consumers; ++c) {
      roles.push_back({[&, c] { consumer_body(transport, config, *run, c); },
                       [&, c](const std::string& e) { set_error(run->consumers[c].error, e); }});
    }
    for (int p = 0; p < config.producers; ++p) {
      roles.push_back({[&, p] { producer_body(transport, pool, config, *run, p); },
                       [&, p](const std::string& e) { set_error(run->producers[p].error, e); }});
    }
  }
  result.placement_before_ns = cache_line_round_trip_ns(0, std::min(1, online_cpus() - 1));
  std::vector<double> cpu_seconds;
  result.error = run_roles(*run, roles, config.seconds, kGraceSeconds, cpu_seconds);
  // Role order: ping-pong = {ping, echo}; otherwise consumers first, then producers.
  const size_t consumer_roles = config.mode == Mode::kPingPong ? 1 : static_cast<size_t>(config.consumers);
  for (size_t i = 0; i < cpu_seconds.size(); ++i) {
    const bool is_consumer = config.mode == Mode::kPingPong ? i == 1 : i < consumer_roles;
    (is_consumer ? result.consumer_cpu_seconds : result.producer_cpu_seconds) += cpu_seconds[i];
  }
  result.placement_after_ns = cache_line_round_trip_ns(0, std::min(1, online_cpus() - 1));
  for (int i = 0; i < kMaxProcesses; ++i) {
    for (const char* text : {run->producers[i].error, run->consumers[i].error}) {
      if (text[0] != '\0') result.error += std::string(result.error.empty() ? "" : "; ") + text;
    }
  }
  summarise(*run, config, result);
  transport.cleanup();
  if (pong) pong->cleanup();
  return result;
}

}  // namespace feed
