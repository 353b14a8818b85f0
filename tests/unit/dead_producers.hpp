// What producers killed mid-put leave behind in shard 0, made through the shared structures exactly as
// the append protocol leaves them at that point. Each returns the dead frame's position.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "shmstream/layout/frame.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"

namespace shmstream::test {

// An exclusive producer (or one reserving with fetch_add) killed after its reservation, and optionally its
// claim: a zero or claimed frame below the tail. Its claim is the negated length alone (docs/FORMAT.md
// "Exclusive append").
inline uint64_t reserve_and_die(Stream& stream, uint64_t bytes, bool claim) {
  auto& state = detail::StreamAccess::state(stream);
  std::shared_ptr<detail::MappedSegment> segment;
  EXPECT_TRUE(state.log(0).map_segment(state.log(0).active_segment(), segment).is_ok());
  const uint64_t offset = segment->header().tail.fetch_add(bytes);
  if (claim) {
    segment->frame(offset).state.store(uint64_t{static_cast<uint32_t>(-static_cast<int32_t>(bytes))});
  }
  return segment->base_position() + offset;
}

// A shared producer killed between its claim and its store of the tail hint: a claimed frame at the hint,
// with the hint not moved past it.
inline uint64_t claim_at_the_hint_and_die(Stream& stream, int32_t bytes) {
  auto& state = detail::StreamAccess::state(stream);
  std::shared_ptr<detail::MappedSegment> segment;
  EXPECT_TRUE(state.log(0).map_segment(state.log(0).active_segment(), segment).is_ok());
  const uint64_t offset = segment->header().tail.load();
  uint64_t expected = 0;
  EXPECT_TRUE(segment->frame(offset).state.compare_exchange_strong(
      expected, layout::make_state(-bytes, layout::FrameType::kData, 0, 1)));
  return segment->base_position() + offset;
}

}  // namespace shmstream::test
