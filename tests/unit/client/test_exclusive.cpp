// The exclusive producer (ProducerOptions::exclusive): the only writer of its stream, claiming and
// committing frames with plain stores. What it must keep: every record readable in order, one writer kind
// at a time, the janitor's hands off its live frames, dead writers' frames settled when it starts, and
// blocking readers woken without the locked commit.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <chrono>
#include <random>
#include <thread>

#include "shmstream/janitor.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "dead_producers.hpp"
#include "test_support.hpp"
#include "wait/eventcount.hpp"

using namespace shmstream;

namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::shared_ptr<Stream> make_stream(const test::TempRoot& root, uint32_t shards) {
  StreamOptions options;
  options.shard_count = shards;
  options.segment_size = 4096;  // rolls every few dozen records
  return Stream::create("x", options, root.path());
}

Producer exclusive_producer(std::shared_ptr<Stream> stream) {
  ProducerOptions options;
  options.exclusive = true;
  return Producer(std::move(stream), options);
}

std::vector<std::string> read_shard(const std::shared_ptr<Stream>& stream, uint32_t shard) {
  ShardReader reader(stream, shard, {IteratorType::kTrimHorizon});
  std::vector<std::string> out;
  RecordBatch batch;
  for (;;) {
    const Status status = reader.get_records(batch, 1000);
    EXPECT_TRUE(status.is_ok()) << status.detail();
    if (!status || batch.records.empty()) return out;
    for (const auto& record : batch.records) out.emplace_back(record.data);
  }
}

// Puts one record with a shared producer that is gone when this returns.
void put_with_a_shared_producer(const std::shared_ptr<Stream>& stream, const std::string& data) {
  Producer shared(stream);
  PutResult result;
  ASSERT_TRUE(shared.put_record("k", data, result).is_ok());
}

TEST(Exclusive, EveryRecordIsReadOnceInOrderAcrossRollsAndPutRecords) {
  test::TempRoot root;
  auto stream = make_stream(root, 3);
  Producer producer = exclusive_producer(stream);
  std::map<uint32_t, std::vector<std::string>> expected;
  for (int i = 0; i < 3000; ++i) {
    PutResult result;
    const std::string data = "r" + std::to_string(i);
    ASSERT_TRUE(producer.put_record("key" + std::to_string(i % 17), data, result).is_ok());
    expected[result.shard_index].push_back(data);
  }
  std::vector<std::string> keys, datas;
  for (int i = 0; i < 100; ++i) {
    keys.push_back("batch" + std::to_string(i % 7));
    datas.push_back("b" + std::to_string(i));
  }
  std::vector<PutRecordsEntry> entries;
  for (int i = 0; i < 100; ++i) entries.push_back({keys[i], datas[i], std::nullopt});
  std::vector<PutRecordsResultEntry> results(entries.size());
  Status request;
  ASSERT_EQ(producer.put_records(entries, results, request), 0u);
  for (int i = 0; i < 100; ++i) expected[results[i].result.shard_index].push_back(datas[i]);
  for (uint32_t shard = 0; shard < 3; ++shard) EXPECT_EQ(read_shard(stream, shard), expected[shard]);
  EXPECT_GT(layout::load_active_segment(shmstream::detail::StreamAccess::state(*stream).shard(0)), 2u);  // it did roll
}

TEST(Exclusive, OneKindOfWriterAtATime) {
  test::TempRoot root;
  auto stream = make_stream(root, 1);
  {
    Producer exclusive = exclusive_producer(stream);
    EXPECT_EQ(test::code_of([&] { Producer shared(stream); }), StatusCode::kResourceInUse);
    EXPECT_EQ(test::code_of([&] { exclusive_producer(stream); }), StatusCode::kResourceInUse);
    // Another process's handle of the same stream is refused the same way.
    auto other_handle = Stream::open("x", root.path());
    EXPECT_EQ(test::code_of([&] { Producer shared(other_handle); }), StatusCode::kResourceInUse);
  }
  {
    Producer shared(stream);
    Producer another_shared(stream);
    EXPECT_EQ(test::code_of([&] { exclusive_producer(stream); }), StatusCode::kResourceInUse);
  }
  Producer exclusive = exclusive_producer(stream);  // everyone is gone: allowed again
  PutResult result;
  EXPECT_TRUE(exclusive.put_record("k", "v", result).is_ok());
}

TEST(Exclusive, JanitorUnblocksOnlyAfterTheExclusiveProducerIsGone) {
  test::TempRoot root;
  auto stream = make_stream(root, 1);
  JanitorOptions options;
  options.root = root.path();
  Janitor janitor(options);
  auto producer = std::make_unique<Producer>(exclusive_producer(stream));
  PutResult result;
  ASSERT_TRUE(producer->put_record("k", "before", result).is_ok());
  test::reserve_and_die(*stream, 64, true);  // as if the exclusive producer stalled mid-write
  const int64_t start = now_ns();
  janitor.do_work(start);
  janitor.do_work(start + 10 * kSecond);  // far past the unblock timeout, but the writer lives
  EXPECT_EQ(janitor.counters().frames_unblocked, 0u);
  producer.reset();  // the writer dies: its frame is fair game now
  janitor.do_work(start + 20 * kSecond);
  janitor.do_work(start + 30 * kSecond);
  EXPECT_EQ(janitor.counters().frames_unblocked, 1u);
  EXPECT_EQ(read_shard(stream, 0), std::vector<std::string>{"before"});
}

TEST(Exclusive, StartingSettlesFramesThatDeadProducersLeftUnfinished) {
  test::TempRoot root;
  auto stream = make_stream(root, 1);
  put_with_a_shared_producer(stream, "before");
  test::reserve_and_die(*stream, 96, true);   // claimed, then killed
  test::reserve_and_die(*stream, 64, false);  // reserved, then killed before the claim
  Producer producer = exclusive_producer(stream);
  PutResult result;
  ASSERT_TRUE(producer.put_record("k", "after", result).is_ok());
  // No janitor ran: the reader gets past both dead frames because the exclusive producer padded them.
  EXPECT_EQ(read_shard(stream, 0), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(stream->describe_shard(0).unblocked_frames, 2u);  // the claimed frame and the unwritten gap
}

// A shared producer killed between its claim and its store of the tail hint leaves a claim past the tail:
// the exclusive producer that starts next pads it and reserves after it, never over it.
TEST(Exclusive, StartingSettlesAClaimPastTheTailHint) {
  test::TempRoot root;
  auto stream = make_stream(root, 1);
  put_with_a_shared_producer(stream, "before");
  const uint64_t dead = test::claim_at_the_hint_and_die(*stream, 80);
  Producer producer = exclusive_producer(stream);
  PutResult result;
  ASSERT_TRUE(producer.put_record("k", "after", result).is_ok());
  EXPECT_EQ(result.sequence_number, dead + 80);
  EXPECT_EQ(read_shard(stream, 0), (std::vector<std::string>{"before", "after"}));
}

TEST(Exclusive, BlockingReadersAreWokenForEveryRecord) {
  test::TempRoot root;
  auto stream = make_stream(root, 1);
  Producer producer = exclusive_producer(stream);
  constexpr int kRecords = 2000;
  std::atomic<int> received{0};
  std::thread reader_thread([&] {
    ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
    RecordBatch batch;
    while (received.load() < kRecords) {
      if (!reader.has_data()) (void)reader.wait(WaitStrategy::kBlock, std::chrono::seconds(5));
      ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
      received.fetch_add(static_cast<int>(batch.records.size()));
    }
  });
  std::mt19937 random(42);
  int slow_wakes = 0;
  for (int i = 0; i < kRecords; ++i) {
    // Let the reader fall asleep first now and then, so most puts find a waiter.
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 300));
    PutResult result;
    ASSERT_TRUE(producer.put_record("k", std::to_string(i), result).is_ok());
    const auto put_at = std::chrono::steady_clock::now();
    while (received.load() <= i) std::this_thread::yield();
    // A lost wake-up leaves the reader asleep until its 100 ms futex cap.
    slow_wakes += std::chrono::steady_clock::now() - put_at > std::chrono::milliseconds(80);
  }
  reader_thread.join();
  EXPECT_EQ(received.load(), kRecords);
  EXPECT_EQ(slow_wakes, 0);
}

}  // namespace

namespace {

// A reshard closing the shard between the exclusive producer's plain load and store of the tail loses the
// tail's closed bit to that store. The state it leaves: the active-segment word closed, the tail open. The
// producer must then notice the close through the active-segment word, pad what it reserved, and fail the
// put for re-routing; a put that reported success here would be a record beyond the shard's end.
TEST(Exclusive, APutRacingAReshardCloseFailsAndPadsInsteadOfLandingPastTheEnd) {
  if (!detail::register_for_waiter_barriers()) GTEST_SKIP() << "no membarrier: the reservation stays a fetch_add";
  test::TempRoot root;
  auto stream = make_stream(root, 1);
  Producer producer = exclusive_producer(stream);
  PutResult result;
  ASSERT_TRUE(producer.put_record("k", "before", result).is_ok());
  layout::ShardEntry& entry = shmstream::detail::StreamAccess::state(*stream).shard(0);
  entry.active_segment.fetch_or(layout::kActiveSegmentClosedBit, std::memory_order_acq_rel);
  EXPECT_FALSE(producer.put_record("k", "after", result).is_ok());
  entry.active_segment.fetch_and(~layout::kActiveSegmentClosedBit, std::memory_order_acq_rel);
  ASSERT_TRUE(producer.put_record("k", "reopened", result).is_ok());
  // The failed attempts left padding, never a frame a reader waits on or a record nobody was told about.
  EXPECT_EQ(read_shard(stream, 0), (std::vector<std::string>{"before", "reopened"}));
}

}  // namespace
