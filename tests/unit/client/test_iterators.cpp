// Iterator types and GetRecords semantics.
#include <gtest/gtest.h>

#include <thread>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

class Iterators : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamOptions options;
    options.segment_size = 4096;  // many rolls
    stream_ = Stream::create("it", options, root_.path());
    producer_ = std::make_unique<Producer>(stream_);
  }
  PutResult put(const std::string& data) {
    PutResult result;
    EXPECT_TRUE(producer_->put_record("k", data, result).is_ok());
    return result;
  }
  std::vector<std::string> read_all(ShardReader& reader) {
    std::vector<std::string> out;
    RecordBatch batch;
    for (;;) {
      EXPECT_TRUE(reader.get_records(batch, 7).is_ok());
      if (batch.records.empty()) return out;
      for (const auto& r : batch.records) out.emplace_back(r.data);
    }
  }
  test::TempRoot root_;
  std::shared_ptr<Stream> stream_;
  std::unique_ptr<Producer> producer_;
};

}  // namespace

TEST_F(Iterators, TrimHorizonReadsEverythingInOrder) {
  for (int i = 0; i < 200; ++i) put("r" + std::to_string(i));
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  auto all = read_all(reader);
  ASSERT_EQ(all.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(all[i], "r" + std::to_string(i));
}

TEST_F(Iterators, LatestSeesOnlyLaterRecords) {
  for (int i = 0; i < 100; ++i) put("old");
  ShardReader reader(stream_, 0, {IteratorType::kLatest});
  EXPECT_TRUE(read_all(reader).empty());
  put("new1");
  put("new2");
  EXPECT_EQ(read_all(reader), (std::vector<std::string>{"new1", "new2"}));
}

TEST_F(Iterators, AtAndAfterSequenceNumber) {
  std::vector<PutResult> puts;
  for (int i = 0; i < 150; ++i) puts.push_back(put("r" + std::to_string(i)));
  for (int i : {0, 1, 57, 148, 149}) {
    ShardReader at(stream_, 0, {IteratorType::kAtSequenceNumber, puts[i].sequence_number});
    auto from_at = read_all(at);
    ASSERT_EQ(from_at.size(), 150u - i);
    EXPECT_EQ(from_at.front(), "r" + std::to_string(i));
    ShardReader after(stream_, 0, {IteratorType::kAfterSequenceNumber, puts[i].sequence_number});
    auto from_after = read_all(after);
    ASSERT_EQ(from_after.size(), 149u - i);
    if (!from_after.empty()) {
      EXPECT_EQ(from_after.front(), "r" + std::to_string(i + 1));
    }
  }
}

TEST_F(Iterators, InvalidSequenceNumbersAreRejected) {
  auto first = put("a");
  put("b");
  for (uint64_t bad : {uint64_t{0}, first.sequence_number + 8, first.sequence_number + 16, uint64_t{1} << 40}) {
    try {
      ShardReader reader(stream_, 0, {IteratorType::kAtSequenceNumber, bad});
      FAIL() << "accepted " << bad;
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_THROW(ShardReader(stream_, 1, {IteratorType::kTrimHorizon}), Error);
}

TEST_F(Iterators, AtTimestampFindsFirstRecordAtOrAfter) {
  for (int i = 0; i < 60; ++i) put("before");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t cut = now_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int i = 0; i < 60; ++i) put("after" + std::to_string(i));
  ShardReader reader(stream_, 0, {IteratorType::kAtTimestamp, 0, cut});
  auto records = read_all(reader);
  ASSERT_EQ(records.size(), 60u);
  EXPECT_EQ(records.front(), "after0");
  ShardReader future(stream_, 0, {IteratorType::kAtTimestamp, 0, now_ns() + 1'000'000'000});
  EXPECT_TRUE(read_all(future).empty());
  ShardReader past(stream_, 0, {IteratorType::kAtTimestamp, 0, 1});
  EXPECT_EQ(read_all(past).size(), 120u);
}

TEST_F(Iterators, LimitsAndByteCaps) {
  for (int i = 0; i < 20; ++i) put(std::string(100, 'x'));
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  EXPECT_EQ(reader.get_records(batch, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reader.get_records(batch, 10001).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(reader.get_records(batch, 3).is_ok());
  EXPECT_EQ(batch.records.size(), 3u);
  ASSERT_TRUE(reader.get_records(batch, 100, 250).is_ok());  // 101 bytes each (key + data)
  EXPECT_EQ(batch.records.size(), 2u);
  ASSERT_TRUE(reader.get_records(batch, 100, 1).is_ok());  // always at least one record
  EXPECT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].partition_key, "k");
}

TEST_F(Iterators, MillisBehindLatest) {
  put("a");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  put("b");
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(reader.get_records(batch, 1).is_ok());
  EXPECT_GE(batch.millis_behind_latest, 25);
  ASSERT_TRUE(reader.get_records(batch, 1).is_ok());
  EXPECT_EQ(batch.millis_behind_latest, 0);  // caught up
  EXPECT_EQ(batch.next_position, reader.position());
  ShardReader whole(stream_, 0, {IteratorType::kTrimHorizon});
  ASSERT_TRUE(whole.get_records(batch, 100).is_ok());  // stops at the uncommitted frame after "b"
  EXPECT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.millis_behind_latest, 0);
}

TEST_F(Iterators, SeekResumesFromNextPosition) {
  for (int i = 0; i < 10; ++i) put("r" + std::to_string(i));
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(reader.get_records(batch, 4).is_ok());
  ShardReader other(stream_, 0, {IteratorType::kLatest});
  ASSERT_TRUE(other.seek(batch.next_position).is_ok());
  auto rest = read_all(other);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_EQ(rest.front(), "r4");
  // Positions that cannot be frame boundaries are refused and leave the cursor alone.
  const uint64_t here = other.position();
  EXPECT_EQ(other.seek(batch.next_position + 8).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(other.seek(uint64_t{1} << 40).code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.seek(batch.records[0].sequence_number + 16).code(), StatusCode::kOk);  // mid-frame
  EXPECT_EQ(other.position(), here);
}

// A position handed out earlier whose frame was damaged since: the data is damaged, not the caller's position.
TEST_F(Iterators, SeekingToADamagedFrameReportsCorruptedData) {
  put("a");
  const PutResult second = put("b");
  auto& state = shmstream::detail::StreamAccess::state(*stream_);
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(state.log(0).map_segment(0, segment).is_ok());
  auto& word = segment->frame(second.sequence_number - segment->base_position()).state;
  word.store(word.load() ^ (uint64_t{0x40} << 32));  // a flipped type bit
  ShardReader reader(stream_, 0, {IteratorType::kLatest});
  EXPECT_EQ(reader.seek(second.sequence_number).code(), StatusCode::kCorrupted);
}

// Damage stops a reader with CorruptedData unless it asked to skip damaged frames: then it goes on at the
// next intact frame and says how many bytes it gave up.
TEST_F(Iterators, ReadersCanSkipDamagedFrames) {
  put("before");
  const PutResult damaged = put("damaged");
  const PutResult after = put("after");
  auto& state = shmstream::detail::StreamAccess::state(*stream_);
  std::shared_ptr<detail::MappedSegment> segment;
  ASSERT_TRUE(state.log(0).map_segment(0, segment).is_ok());
  auto& word = segment->frame(damaged.sequence_number - segment->base_position()).state;
  word.store(word.load() ^ (uint64_t{0x40} << 32));
  ShardReader strict(stream_, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(strict.get_records(batch).is_ok());
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(strict.get_records(batch).code(), StatusCode::kCorrupted);
  ShardReader skipping(stream_, 0, {IteratorType::kTrimHorizon}, ReaderOptions{.skip_damaged_frames = true});
  ASSERT_TRUE(skipping.get_records(batch).is_ok());
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.records[0].data, "before");
  EXPECT_EQ(batch.records[1].data, "after");
  EXPECT_EQ(batch.damaged_bytes_skipped, after.sequence_number - damaged.sequence_number);
}

TEST_F(Iterators, EveryWaitStrategyWakesOnAPut) {
  for (auto strategy : {WaitStrategy::kBusySpin, WaitStrategy::kYield, WaitStrategy::kBackoff, WaitStrategy::kBlock}) {
    ShardReader reader(stream_, 0, {IteratorType::kLatest});
    EXPECT_EQ(reader.wait(strategy, std::chrono::milliseconds(20)).code(), StatusCode::kTimeout);
    std::thread writer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      put("wake");
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(reader.wait(strategy, std::chrono::seconds(5)).is_ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    writer.join();
    RecordBatch batch;
    ASSERT_TRUE(reader.get_records(batch).is_ok());
    ASSERT_EQ(batch.records.size(), 1u);
    EXPECT_EQ(batch.records[0].data, "wake");
  }
}

// A reader that keeps up is answered early, from the state word at its position (docs/DESIGN.md §4.3). The
// early answer must still see a record put after it, the close of its shard and the trimming of its position.
TEST_F(Iterators, ACaughtUpReaderSeesNewRecordsItsShardsCloseAndItsTrimming) {
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  for (int i = 0; i < 3; ++i) put("before" + std::to_string(i));
  ASSERT_EQ(read_all(reader).size(), 3u);
  RecordBatch batch;
  for (int poll = 0; poll < 3; ++poll) {  // caught up: empty batches, the position unmoved
    ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
    EXPECT_TRUE(batch.records.empty());
    EXPECT_FALSE(batch.shard_ended);
    EXPECT_EQ(batch.next_position, reader.position());
    EXPECT_EQ(batch.millis_behind_latest, 0);
  }
  const PutResult after = put("after");
  ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].data, "after");
  EXPECT_EQ(batch.records[0].sequence_number, after.sequence_number);

  ASSERT_TRUE(reader.get_records(batch, 100).is_ok());  // caught up again, then the shard closes
  ASSERT_TRUE(batch.records.empty());
  stream_->split_shard(0, HashKey{1} << 127);
  ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
  EXPECT_TRUE(batch.records.empty());
  EXPECT_TRUE(batch.shard_ended);
  EXPECT_EQ(batch.child_shards.size(), 2u);
  for (int poll = 0; poll < 3; ++poll) {  // and stays ended, its cursor resting at the end
    ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
    EXPECT_TRUE(batch.records.empty());
    EXPECT_TRUE(batch.shard_ended);
  }
}

TEST_F(Iterators, ACaughtUpReaderWhosePositionIsTrimmedGetsExpiredIterator) {
  ShardReader reader(stream_, 0, {IteratorType::kTrimHorizon});
  put("first");
  ASSERT_EQ(read_all(reader).size(), 1u);
  RecordBatch batch;
  ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
  ASSERT_TRUE(batch.records.empty());
  // The producer trims on its rolls: a cap of two 4 KiB segments leaves the reader's segment behind.
  stream_->set_retention_bytes(2 * 4096);
  for (int i = 0; i < 400; ++i) put(std::string(100, 'x'));
  EXPECT_EQ(reader.get_records(batch, 100).code(), StatusCode::kExpiredIterator);
}
