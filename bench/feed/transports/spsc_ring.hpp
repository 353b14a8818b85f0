// The floor: a single-producer single-consumer byte ring in a /dev/shm file with the commit word inside each
// record (BENCHMARKING.md: the consumer polls the record's own word, never a separate tail index).
//
// Record: u64 word = lap << 32 | length (length 0 = wrap marker), then the payload, padded to 8 bytes.
// The lap (position / capacity + 1) makes a stale record from the previous lap look empty, so the consumer
// never has to clear words. The consumer publishes its read position now and then; the producer reads it
// only when its cached copy says the ring is full.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace feed {

struct alignas(64) SpscRingControl {
  std::atomic<uint64_t> read_position;  // consumer -> producer: everything below is free
  uint8_t pad[56];
};

class SpscRing {
 public:
  static constexpr size_t kHeaderBytes = 64;

  // `memory` = kHeaderBytes + capacity bytes of zeroed shared memory; capacity a power of two.
  SpscRing(void* memory, size_t capacity) noexcept
      : control_(static_cast<SpscRingControl*>(memory)),
        data_(static_cast<uint8_t*>(memory) + kHeaderBytes),
        capacity_(capacity) {}

  // Producer. Spins while the ring is full.
  void write(const void* payload, uint32_t length) noexcept {
    const uint64_t footprint = 8 + ((length + 7) & ~7u);
    uint64_t offset = position_ & (capacity_ - 1);
    if (offset + footprint > capacity_) {  // no room before the end: mark the wrap and start over at 0
      wait_for_room(capacity_ - offset);
      word(offset).store(lap_of(position_) << 32, std::memory_order_release);  // release: publish the marker
      position_ += capacity_ - offset;
      offset = 0;
    }
    wait_for_room(footprint);
    std::memcpy(data_ + offset + 8, payload, length);
    // release: the payload is visible before the word says it is there.
    word(offset).store(lap_of(position_) << 32 | length, std::memory_order_release);
    position_ += footprint;
  }

  // Consumer. Calls visit(bytes, length) for up to `limit` records; returns how many.
  template <class Visit>
  size_t read(Visit&& visit, size_t limit) noexcept {
    size_t count = 0;
    while (count < limit) {
      const uint64_t offset = position_ & (capacity_ - 1);
      // acquire: pairs with the producer's release store; the payload is visible once the lap matches.
      const uint64_t value = word(offset).load(std::memory_order_acquire);
      if ((value >> 32) != (lap_of(position_) & 0xffffffffu)) break;
      const auto length = static_cast<uint32_t>(value);
      if (length == 0) {
        position_ += capacity_ - offset;
        continue;
      }
      visit(data_ + offset + 8, length);
      position_ += 8 + ((length + 7) & ~7u);
      ++count;
    }
    if (count != 0 && position_ - published_ >= capacity_ / 8) publish_read_position();
    return count;
  }
  void publish_read_position() noexcept {
    // release: our reads of the records below finish before the producer may overwrite them.
    control_->read_position.store(position_, std::memory_order_release);
    published_ = position_;
  }

 private:
  std::atomic<uint64_t>& word(uint64_t offset) noexcept {
    return *reinterpret_cast<std::atomic<uint64_t>*>(data_ + offset);
  }
  uint64_t lap_of(uint64_t position) const noexcept { return position / capacity_ + 1; }
  void wait_for_room(uint64_t bytes) noexcept {
    while (position_ + bytes - cached_read_ > capacity_) {
      // acquire: pairs with the consumer's release; its reads of the space we reuse are done.
      cached_read_ = control_->read_position.load(std::memory_order_acquire);
      if (position_ + bytes - cached_read_ > capacity_) __builtin_ia32_pause();
    }
  }

  SpscRingControl* control_;
  uint8_t* data_;
  size_t capacity_;
  uint64_t position_ = 0;     // producer: next write; consumer: next read (each side has its own object)
  uint64_t cached_read_ = 0;  // producer only
  uint64_t published_ = 0;    // consumer only
};

}  // namespace feed
