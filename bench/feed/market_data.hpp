// An ITCH-like market-data feed: add / modify (replace) / cancel / execute / trade messages of 32-64 bytes
// for symbols drawn from a Zipf distribution (a few symbols carry most of the traffic, as on a real feed).
// The stock symbol is the partition key. Messages are generated once, before the processes fork, so every
// transport of a run sends exactly the same bytes and generation costs nothing during the measurement.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace feed {

inline constexpr size_t kMaxMessageBytes = 256;
inline constexpr size_t kSymbolBytes = 8;

// Common header of every message (little-endian, 24 bytes); the body follows.
struct MessageHeader {
  char type;              // 'A' add, 'U' replace (modify), 'X' cancel, 'E' executed, 'P' trade
  uint8_t length;         // whole message in bytes (a 256-byte message stores 0)
  uint16_t stock_locate;  // symbol index
  uint32_t tracking;      // producer id << 24 | low bits of the sequence
  int64_t timestamp_ns;   // monotonic send time, stamped in latency and ping-pong modes only
  uint64_t order_ref;
};
static_assert(sizeof(MessageHeader) == 24);

struct Message {
  uint16_t length;   // bytes
  uint16_t symbol;   // index into the symbol table
  uint32_t route;    // symbol hash, for transports that route by key themselves
  std::string_view key;  // points into the symbol table
  alignas(8) uint8_t bytes[kMaxMessageBytes];
};

struct FeedOptions {
  uint32_t symbols = 1000;
  double zipf_exponent = 1.0;
  uint32_t fixed_size = 0;  // 0: the ITCH mix of 32..64 bytes; else every message has this size (32..256)
  uint32_t pool_size = 4096;  // ~1 MiB: stays in L2, so every transport reads warm input
  uint64_t seed = 42;
};

class MessagePool {
 public:
  explicit MessagePool(const FeedOptions& options);
  const Message& operator[](size_t i) const noexcept { return messages_[i & mask_]; }
  size_t size() const noexcept { return messages_.size(); }
  double mean_length() const noexcept;
  const std::vector<std::string>& symbols() const noexcept { return symbols_; }

 private:
  std::vector<std::string> symbols_;
  std::vector<Message> messages_;
  size_t mask_;
};

inline size_t message_length(const uint8_t* bytes) noexcept {
  const uint8_t length = bytes[1];
  return length == 0 ? 256 : length;
}

}  // namespace feed
