// The three measurements. Each runs one transport once and returns what it saw.
#pragma once

#include <string>
#include <vector>

#include "histogram.hpp"
#include "market_data.hpp"
#include "transport.hpp"

namespace feed {

enum class Mode : uint8_t { kThroughput, kLatency, kPingPong };
const char* mode_name(Mode mode) noexcept;

struct RunConfig {
  Mode mode = Mode::kThroughput;
  int producers = 1;
  int consumers = 1;
  double seconds = 2.0;
  double rate = 0;        // latency mode: messages per second (all producers together)
  uint32_t burst = 1;     // latency mode: messages sent back to back per tick
  // latency mode: stamp each message with the time it was scheduled to be sent (true) rather than the time
  // the send began (false). Scheduled stamps charge a producer stall to every message it delays, which is
  // what a feed handler sees; send stamps hide it (coordinated omission).
  bool stamp_scheduled = true;
  double warmup_seconds = 0.2;  // latency / ping-pong: samples in this first stretch are dropped
  WaitMode wait = WaitMode::kSpin;
  std::vector<int> producer_cpus;  // assigned round-robin; empty: not pinned
  std::vector<int> consumer_cpus;
  bool verify_checksums = true;
  int prepared_segments = 0;  // shmstream: create + map this many segments per shard before the clock starts
  uint32_t group = 1;  // throughput mode, shmstream: messages per put_records call (1: one put_record each)
  int64_t idle_backoff_ns = 0;  // consumer: pause this long after a poll that found nothing (0: re-poll at once)
  std::string scratch_dir;
};

struct RunResult {
  std::string transport;
  Mode mode = Mode::kThroughput;
  double rate = 0;
  int run = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  double seconds = 0;       // first send to last receive
  double messages_per_second = 0;
  double gigabytes_per_second = 0;
  double achieved_send_rate = 0;
  LatencyHistogram latency;  // latency: one-way; ping-pong: round trip
  double producer_cpu_seconds = 0;  // all producer processes (ping-pong: the pinging side)
  double consumer_cpu_seconds = 0;  // all consumer processes (ping-pong: the echoing side)
  double placement_before_ns = 0;
  double placement_after_ns = 0;
  std::string error;
};

RunResult run_once(Transport& transport, const MessagePool& pool, const RunConfig& config);

}  // namespace feed
