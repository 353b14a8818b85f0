// Segment files made and mapped in paced steps (the background preparer's way) are the same as those made
// at once, and the preparer maps a segment a reader asked for even when it is created after the request.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "segment/segment_file.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "test_support.hpp"

using namespace shmstream;
using detail::Pacing;

namespace {

std::shared_ptr<Stream> small_stream(const test::TempRoot& root) {
  StreamOptions options;
  options.segment_size = 64 * 1024;
  return Stream::create("s", options, root.path());
}

// The preparer works in the background: give it up to 2 s to have segment `number` in the cache.
bool mapped_within_2s(detail::StreamState& state, uint32_t shard_index, uint64_t number) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!state.segments().cache().contains(shard_index, number) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return state.segments().cache().contains(shard_index, number);
}

TEST(Segments, PacedCreateAndMapGiveTheSameSegmentAsAtOnce) {
  test::TempRoot root;
  detail::SegmentIdentity identity;
  identity.segment_size = 16 * detail::kPacedStepBytes + 4096;  // many steps and a short last one
  identity.shard_index = 3;
  identity.stream_uuid_low = 0x1234;
  for (const Pacing pacing : {Pacing::kAtOnce, Pacing::kPaced}) {
    const uint64_t number = pacing == Pacing::kAtOnce ? 1 : 2;
    ASSERT_TRUE(detail::create_segment_file(root.path(), number, identity, pacing).is_ok());
    std::shared_ptr<detail::MappedSegment> segment;
    ASSERT_TRUE(detail::map_segment_file(root.path(), number, identity, segment, pacing).is_ok());
    EXPECT_EQ(segment->size(), identity.segment_size);
    EXPECT_EQ(segment->base_position(), number * identity.segment_size);
    EXPECT_TRUE(segment->writable());
    // Every byte past the header reads zero (no frame), including the last, short step.
    uint64_t nonzero = 0;
    for (uint64_t offset = layout::kSegmentHeaderSize; offset < identity.segment_size; offset += 512) {
      nonzero += *segment->bytes(offset) != 0;
    }
    nonzero += *segment->bytes(identity.segment_size - 1) != 0;
    EXPECT_EQ(nonzero, 0u);
    *segment->bytes(identity.segment_size - 1) = 7;  // writable to the very end: no SIGBUS
  }
}

TEST(Segments, PreparerMapsASegmentCreatedAfterAReaderAskedForIt) {
  test::TempRoot root;
  auto stream = small_stream(root);
  detail::StreamState& state = shmstream::detail::StreamAccess::state(*stream);
  ASSERT_FALSE(state.segments().cache().contains(0, 1));
  // A reader asks before the writer's side has created segment 1 ...
  state.segments().prepare(0, 1, detail::SegmentPreparer::Work::kMapOnly);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(state.segments().cache().contains(0, 1));
  // ... and the segment appears later: the parked request maps it without being asked again.
  ASSERT_TRUE(state.log(0).create_segment(1).is_ok());
  EXPECT_TRUE(mapped_within_2s(state, 0, 1));
}

TEST(Segments, PreparerCreatesAndMapsTheNextSegmentForAProducer) {
  test::TempRoot root;
  auto stream = small_stream(root);
  detail::StreamState& state = shmstream::detail::StreamAccess::state(*stream);
  state.log(0).prepare_segment(1);
  EXPECT_TRUE(mapped_within_2s(state, 0, 1));
  detail::SegmentIdentity identity = state.log(0).identity();
  layout::SegmentHeader header;
  EXPECT_TRUE(detail::read_segment_file_header(state.log(0).directory(), 1, identity, header).is_ok());
}

}  // namespace

using test::inode_of;

// A roll that reaches the segment the preparer is still making waits for it (the preparer then finishes at
// full speed) instead of making a second file and throwing one of the two away.
TEST(Segments, ARollWaitsForThePreparerInsteadOfMakingTheSegmentTwice) {
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = uint64_t{64} << 20;  // paced zeroing takes tens of ms: time to catch it at work
  auto stream = Stream::create("s", options, root.path());
  detail::StreamState& state = shmstream::detail::StreamAccess::state(*stream);
  const std::string directory = state.log(0).directory();
  {  // a written-out segment 5, retired as the shard's spare
    ASSERT_TRUE(state.log(0).create_segment(5).is_ok());
    std::shared_ptr<detail::MappedSegment> segment;
    ASSERT_TRUE(detail::map_segment_file(directory, 5, state.log(0).identity(), segment).is_ok());
    std::memset(segment->bytes(layout::kSegmentHeaderSize), 0xab, options.segment_size - layout::kSegmentHeaderSize);
    segment->header().tail.store(options.segment_size, std::memory_order_relaxed);
  }
  ASSERT_TRUE(detail::retire_segment_file(directory, 5 * options.segment_size, true));
  const std::string spare = directory + "/" + detail::file_names::kSpareSegment;
  const ino_t spare_inode = inode_of(spare);
  ASSERT_NE(spare_inode, 0u);

  state.log(0).prepare_segment(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (inode_of(spare) != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(inode_of(spare), 0u) << "the preparer never took the spare";
  ASSERT_TRUE(state.log(0).create_segment(1).is_ok());  // the roll, while the preparer zeroes the spare
  EXPECT_EQ(inode_of(directory + "/" + detail::segment_file_name(options.segment_size)), spare_inode)
      << "the roll made its own file";
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(state.log(0).map_segment(1, segment).is_ok());
  EXPECT_EQ(*segment->bytes(options.segment_size - 1), 0);
}
