// Segment recycling: the newest trimmed segment of a shard becomes its spare, and the next segment reuses
// that file (zeroed) unless some process still maps it. A mapper holds a shared flock on the file; a
// recycler needs the exclusive one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "segment/segment_file.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

constexpr uint64_t kSegmentSize = 64 * 1024;

detail::SegmentIdentity small_identity() {
  detail::SegmentIdentity identity;
  identity.segment_size = kSegmentSize;
  identity.shard_index = 0;
  identity.stream_uuid_low = 0x5eed;
  return identity;
}

using test::inode_of;

std::string segment_path(const std::string& directory, uint64_t number) {
  return directory + "/" + detail::segment_file_name(number * kSegmentSize);
}

std::string spare_path(const std::string& directory) { return directory + "/" + detail::file_names::kSpareSegment; }

// Segment `number`, created and filled with 0xab past its header, as a written-out segment would be.
void create_dirty_segment(const std::string& directory, uint64_t number) {
  ASSERT_TRUE(detail::create_segment_file(directory, number, small_identity()).is_ok());
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(detail::map_segment_file(directory, number, small_identity(), segment).is_ok());
  std::memset(segment->bytes(layout::kSegmentHeaderSize), 0xab, kSegmentSize - layout::kSegmentHeaderSize);
  segment->header().tail.store(kSegmentSize + 4096, std::memory_order_relaxed);  // overshot, as at a roll
}

uint64_t nonzero_bytes_past_header(const detail::MappedSegment& segment) {
  uint64_t nonzero = 0;
  for (uint64_t offset = layout::kSegmentHeaderSize; offset < segment.size(); ++offset) {
    nonzero += *segment.bytes(offset) != 0;
  }
  return nonzero;
}

bool has_temporary_files(const std::string& directory) {
  for (const auto& file : std::filesystem::directory_iterator(directory)) {
    if (file.path().filename().string().rfind(".tmp-", 0) == 0) return true;
  }
  return false;
}

TEST(Recycling, TheSpareBecomesTheNextSegmentZeroedWhenNobodyMapsIt) {
  test::TempRoot root;
  create_dirty_segment(root.path(), 0);
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 0, true));
  const ino_t spare = inode_of(spare_path(root.path()));
  ASSERT_NE(spare, 0u);
  ASSERT_EQ(inode_of(segment_path(root.path(), 0)), 0u);

  ASSERT_TRUE(detail::create_segment_file(root.path(), 7, small_identity()).is_ok());
  EXPECT_EQ(inode_of(segment_path(root.path(), 7)), spare);  // the same file, under its new name
  EXPECT_EQ(inode_of(spare_path(root.path())), 0u);
  EXPECT_FALSE(has_temporary_files(root.path()));
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(detail::map_segment_file(root.path(), 7, small_identity(), segment).is_ok());
  EXPECT_EQ(segment->base_position(), 7 * kSegmentSize);
  EXPECT_EQ(segment->header().tail.load(std::memory_order_relaxed), layout::kSegmentHeaderSize);
  EXPECT_EQ(nonzero_bytes_past_header(*segment), 0u);  // no stale frame can show through
}

TEST(Recycling, OnlyTheNewestRetiredSegmentIsKept) {
  test::TempRoot root;
  create_dirty_segment(root.path(), 0);
  create_dirty_segment(root.path(), 1);
  const ino_t newest = inode_of(segment_path(root.path(), 1));
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 0, false));
  ASSERT_TRUE(detail::retire_segment_file(root.path(), kSegmentSize, true));
  EXPECT_EQ(inode_of(spare_path(root.path())), newest);
  EXPECT_FALSE(detail::retire_segment_file(root.path(), 0, true));  // already gone: nothing to retire
  EXPECT_EQ(inode_of(spare_path(root.path())), newest);
}

TEST(Recycling, ASpareStillMappedIsNotReusedAndItsReaderKeepsItsBytes) {
  test::TempRoot root;
  create_dirty_segment(root.path(), 0);
  std::shared_ptr<detail::MappedSegment> still_mapped;
  ASSERT_TRUE(detail::map_segment_file(root.path(), 0, small_identity(), still_mapped).is_ok());
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 0, true));
  const ino_t spare = inode_of(spare_path(root.path()));

  ASSERT_TRUE(detail::create_segment_file(root.path(), 7, small_identity()).is_ok());
  EXPECT_NE(inode_of(segment_path(root.path(), 7)), spare);  // a new file instead
  EXPECT_FALSE(has_temporary_files(root.path()));
  EXPECT_EQ(*still_mapped->bytes(layout::kSegmentHeaderSize), 0xab);
  EXPECT_EQ(*still_mapped->bytes(kSegmentSize - 1), 0xab);
  EXPECT_EQ(still_mapped->header().base_position, 0u);
}

TEST(Recycling, AFileARecyclerHoldsOpensAsNotFound) {
  test::TempRoot root;
  create_dirty_segment(root.path(), 0);
  const int recycler = ::open(segment_path(root.path(), 0).c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(recycler, 0);
  ASSERT_EQ(::flock(recycler, LOCK_EX | LOCK_NB), 0);
  std::shared_ptr<detail::MappedSegment> segment;
  EXPECT_EQ(detail::map_segment_file(root.path(), 0, small_identity(), segment).code(), StatusCode::kResourceNotFound);
  layout::SegmentHeader header;
  EXPECT_EQ(detail::read_segment_file_header(root.path(), 0, small_identity(), header).code(),
            StatusCode::kResourceNotFound);
  ::close(recycler);
  EXPECT_TRUE(detail::map_segment_file(root.path(), 0, small_identity(), segment).is_ok());
}

TEST(Recycling, AMapperKilledWithSigkillNoLongerBlocksReuse) {
  test::TempRoot root;
  create_dirty_segment(root.path(), 0);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::shared_ptr<detail::MappedSegment> segment;
    const bool mapped = detail::map_segment_file(root.path(), 0, small_identity(), segment).is_ok();
    const char byte = mapped ? 1 : 0;
    (void)::write(ready[1], &byte, 1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 1);
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 0, true));
  const ino_t spare = inode_of(spare_path(root.path()));
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(detail::create_segment_file(root.path(), 7, small_identity()).is_ok());
  EXPECT_EQ(inode_of(segment_path(root.path(), 7)), spare);  // the kernel dropped the dead mapper's lock
  ::close(ready[0]);
  ::close(ready[1]);
}

// Kept mappings (log/kept_mappings.hpp): a process that dropped a segment keeps its mapping, unlocked, and
// maps the file again for free when it comes back as a recycled segment.
TEST(KeptMappings, ARecycledFileIsZeroedThroughTheKeptMappingAndTakenBack) {
  test::TempRoot root;
  auto kept = std::make_shared<detail::KeptMappings>();
  create_dirty_segment(root.path(), 0);
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(detail::map_segment_file(root.path(), 0, small_identity(), segment, detail::Pacing::kAtOnce, kept).is_ok());
  const uint8_t* address = segment->bytes(0);
  segment.reset();
  EXPECT_EQ(kept->size(), 1u);
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 0, true));
  const ino_t spare = inode_of(spare_path(root.path()));

  ASSERT_TRUE(detail::create_segment_file(root.path(), 7, small_identity(), detail::Pacing::kAtOnce, kept.get()).is_ok());
  EXPECT_EQ(inode_of(segment_path(root.path(), 7)), spare);  // recycled although we had it mapped
  EXPECT_EQ(kept->size(), 1u);
  ASSERT_TRUE(detail::map_segment_file(root.path(), 7, small_identity(), segment, detail::Pacing::kAtOnce, kept).is_ok());
  EXPECT_EQ(segment->bytes(0), address) << "mapped anew instead of taken back";
  EXPECT_EQ(kept->size(), 0u);
  EXPECT_EQ(segment->base_position(), 7 * kSegmentSize);
  EXPECT_EQ(segment->header().tail.load(std::memory_order_relaxed), layout::kSegmentHeaderSize);
  EXPECT_EQ(nonzero_bytes_past_header(*segment), 0u);
}

TEST(KeptMappings, AnotherProcessesRecyclingShowsThroughAKeptMapping) {
  test::TempRoot root;
  auto reader_side = std::make_shared<detail::KeptMappings>();
  detail::KeptMappings recycler_side;  // maps nothing: zeroes with pwrite
  create_dirty_segment(root.path(), 0);
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(detail::map_segment_file(root.path(), 0, small_identity(), segment, detail::Pacing::kAtOnce, reader_side).is_ok());
  const uint8_t* address = segment->bytes(0);
  segment.reset();
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 0, true));
  ASSERT_TRUE(detail::create_segment_file(root.path(), 3, small_identity(), detail::Pacing::kAtOnce, &recycler_side).is_ok());
  ASSERT_TRUE(detail::map_segment_file(root.path(), 3, small_identity(), segment, detail::Pacing::kAtOnce, reader_side).is_ok());
  EXPECT_EQ(segment->bytes(0), address);
  EXPECT_EQ(segment->header().base_position, 3 * kSegmentSize);
  EXPECT_EQ(nonzero_bytes_past_header(*segment), 0u);
}

TEST(KeptMappings, MappingsOfUnlinkedFilesAreDroppedSoTheirMemoryIsFreed) {
  test::TempRoot root;
  auto kept = std::make_shared<detail::KeptMappings>();
  for (uint64_t number = 0; number < 3; ++number) {
    create_dirty_segment(root.path(), number);
    std::shared_ptr<detail::MappedSegment> segment;
    ASSERT_TRUE(detail::map_segment_file(root.path(), number, small_identity(), segment, detail::Pacing::kAtOnce, kept).is_ok());
  }
  EXPECT_EQ(kept->size(), 3u);
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 0, false));            // trimmed: unlinked
  ASSERT_TRUE(detail::retire_segment_file(root.path(), kSegmentSize, true));  // the spare: still a file
  kept->drop_unlinked();
  EXPECT_EQ(kept->size(), 2u);

  // A file unlinked while in use is not kept at all.
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(detail::map_segment_file(root.path(), 2, small_identity(), segment, detail::Pacing::kAtOnce, kept).is_ok());
  EXPECT_EQ(kept->size(), 1u);  // taken back
  ASSERT_TRUE(detail::retire_segment_file(root.path(), 2 * kSegmentSize, false));
  segment.reset();
  EXPECT_EQ(kept->size(), 1u);
}

TEST(KeptMappings, AtMostKMaxKeptAreKeptOldestFirstOut) {
  test::TempRoot root;
  auto kept = std::make_shared<detail::KeptMappings>();
  const uint64_t files = detail::KeptMappings::kMaxKept + 3;
  for (uint64_t number = 0; number < files; ++number) {
    ASSERT_TRUE(detail::create_segment_file(root.path(), number, small_identity()).is_ok());
    std::shared_ptr<detail::MappedSegment> segment;
    ASSERT_TRUE(detail::map_segment_file(root.path(), number, small_identity(), segment, detail::Pacing::kAtOnce, kept).is_ok());
  }
  EXPECT_EQ(kept->size(), detail::KeptMappings::kMaxKept);
  // The newest is still there to take back; the oldest was unmapped.
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(detail::map_segment_file(root.path(), files - 1, small_identity(), segment, detail::Pacing::kAtOnce, kept).is_ok());
  EXPECT_EQ(kept->size(), detail::KeptMappings::kMaxKept - 1);
  ASSERT_TRUE(detail::map_segment_file(root.path(), 0, small_identity(), segment, detail::Pacing::kAtOnce, kept).is_ok());
  EXPECT_EQ(kept->size(), detail::KeptMappings::kMaxKept);  // 0 was mapped anew; files - 1 is kept again
}

// End to end: a byte-capped shard trims at every roll, so its files go round; a reader that keeps up sees
// every record once, in order, with valid checksums, and never a stale frame from a file's previous life.
TEST(Recycling, AByteCappedShardGoesRoundItsFilesAndReadsBackExactly) {
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = kSegmentSize;
  options.retention_bytes = 4 * kSegmentSize;
  auto stream = Stream::create("r", options, root.path());
  const std::string directory = shmstream::detail::StreamAccess::state(*stream).log(0).directory();
  Producer producer(stream);
  ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  std::map<uint64_t, ino_t> inode_of_segment;
  uint64_t next_expected = 0;
  constexpr uint64_t kRecords = 12'000;  // ~23 segments of 512 frames
  for (uint64_t i = 0; i < kRecords; ++i) {
    char data[80] = {};
    std::snprintf(data, sizeof data, "record %08llu", static_cast<unsigned long long>(i));
    PutResult result;
    ASSERT_TRUE(producer.put_record("key", std::string_view(data, sizeof data), result).is_ok()) << i;
    if (i % 64 != 63) continue;
    ASSERT_TRUE(reader.get_records(batch, 1000).is_ok());
    for (const RecordView& record : batch.records) {
      char expected[80] = {};
      std::snprintf(expected, sizeof expected, "record %08llu", static_cast<unsigned long long>(next_expected));
      ASSERT_EQ(record.data, std::string_view(expected, sizeof expected));
      ++next_expected;
    }
    for (const auto& file : std::filesystem::directory_iterator(directory)) {
      uint64_t base = 0;
      if (detail::parse_segment_file_name(file.path().filename().string(), base)) {
        inode_of_segment.emplace(base / kSegmentSize, inode_of(file.path().string()));
      }
    }
  }
  ASSERT_TRUE(reader.get_records(batch, 1000).is_ok());
  next_expected += batch.records.size();
  EXPECT_EQ(next_expected, kRecords);
  std::set<ino_t> distinct;
  for (const auto& [number, inode] : inode_of_segment) distinct.insert(inode);
  EXPECT_GT(inode_of_segment.size(), 20u);
  EXPECT_LT(distinct.size(), inode_of_segment.size() / 2) << "files were not reused";
}

}  // namespace
