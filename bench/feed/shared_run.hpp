// The one page set the parent shares with its forked producers and consumers (MAP_SHARED | MAP_ANONYMOUS,
// made before fork): start/stop flags, and a slot per process for its counts, errors and latency histogram.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "histogram.hpp"

namespace feed {

inline constexpr int kMaxProcesses = 16;

struct ProducerSlot {
  uint64_t sent = 0;
  uint64_t sent_to[kMaxProcesses] = {};  // per consumer: how many that consumer must receive
  int64_t first_send_ns = 0;
  int64_t last_send_ns = 0;
  uint32_t failed = 0;
  char error[192] = {};
};

struct ConsumerSlot {
  uint64_t received = 0;
  uint64_t bytes = 0;
  uint64_t malformed = 0;  // wrong length byte: a transport that corrupts or cuts messages
  int64_t first_receive_ns = 0;
  int64_t last_receive_ns = 0;
  uint32_t failed = 0;
  char error[192] = {};
  LatencyHistogram latency;  // latency mode: one-way; ping-pong: round trip (kept by the pinging side)
};

struct SharedRun {
  std::atomic<int> ready{0};
  std::atomic<int> go{0};
  std::atomic<int> stop{0};
  std::atomic<int> producers_done{0};
  int64_t go_ns = 0;  // written before go is released
  ProducerSlot producers[kMaxProcesses];
  ConsumerSlot consumers[kMaxProcesses];
};

inline void set_error(char (&slot)[192], std::string_view text) noexcept {
  const size_t length = std::min(text.size(), sizeof slot - 1);
  std::memcpy(slot, text.data(), length);
  slot[length] = '\0';
}

}  // namespace feed
