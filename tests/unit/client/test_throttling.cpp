// Injected throttling and AWS-limits mode: ProvisionedThroughputExceeded on puts and reads, seen by running
// producers and readers, counted per shard, and gone when switched off.
#include <gtest/gtest.h>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

std::shared_ptr<Stream> make_stream(const test::TempRoot& root, uint32_t shards = 1) {
  StreamOptions options;
  options.segment_size = uint64_t{8} << 20;
  options.shard_count = shards;
  return Stream::create("throttled", options, root.path());
}

}  // namespace

TEST(Throttling, OffByDefault) {
  test::TempRoot root;
  auto stream = make_stream(root);
  EXPECT_EQ(stream->throttling(), ThrottleSettings{});
  Producer producer(stream);
  PutResult result;
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(producer.put_record("k", "data", result));  // above 1000/s: no limit
}

TEST(Throttling, InjectedFailuresReachARunningProducerAndStop) {
  test::TempRoot root;
  auto stream = make_stream(root, 2);
  Producer producer(stream);
  PutResult result;
  ASSERT_TRUE(producer.put_record("k", "before", result));
  stream->set_throttling({.injected_throttle_ppm = 1'000'000, .aws_limits = false});
  const Status refused = producer.put_record("k", "during", result);
  EXPECT_EQ(refused.code(), StatusCode::kThroughputExceeded);
  EXPECT_STREQ(exception_name(refused.code()), "ProvisionedThroughputExceededException");

  std::vector<PutRecordsEntry> entries{{"a", "1", {}}, {"b", "2", {}}, {"c", "3", {}}};
  std::vector<PutRecordsResultEntry> results(entries.size());
  Status request;
  EXPECT_EQ(producer.put_records(entries, results, request), 3u);
  EXPECT_TRUE(request);
  for (const auto& entry : results) EXPECT_EQ(entry.status.code(), StatusCode::kThroughputExceeded);
  uint64_t refused_total = 0;
  for (uint32_t shard : stream->open_shards()) refused_total += stream->describe_shard(shard).writes_throttled;
  EXPECT_EQ(refused_total, 4u);

  stream->set_throttling({});
  EXPECT_TRUE(producer.put_record("k", "after", result));
  // Only the records that were admitted are in the shard.
  uint64_t records = 0;
  producer.flush_metrics();
  for (uint32_t shard : stream->open_shards()) records += stream->describe_shard(shard).incoming_records;
  EXPECT_EQ(records, 2u);
}

TEST(Throttling, InjectedProbabilityIsRoughlyHonoured) {
  test::TempRoot root;
  auto stream = make_stream(root);
  stream->set_throttling({.injected_throttle_ppm = 250'000, .aws_limits = false});
  Producer producer(stream);
  PutResult result;
  int refused = 0;
  for (int i = 0; i < 4000; ++i) refused += producer.put_record("k", "x", result).code() == StatusCode::kThroughputExceeded;
  EXPECT_GT(refused, 800);   // 1000 expected; binomial sd ~27
  EXPECT_LT(refused, 1200);
  EXPECT_EQ(test::code_of([&] { stream->set_throttling({.injected_throttle_ppm = 1'000'001, .aws_limits = false}); }),
            StatusCode::kInvalidArgument);
}

TEST(Throttling, AwsLimitsModeCapsWritesPerShard) {
  test::TempRoot root;
  auto stream = make_stream(root);
  Producer producer(stream);
  stream->set_throttling({.injected_throttle_ppm = 0, .aws_limits = true});
  PutResult result;
  int admitted = 0;
  for (int i = 0; i < 1500; ++i) admitted += producer.put_record("k", "x", result).is_ok();
  // A second's quota at once (1000 records), plus the few the clock allows while the loop runs.
  EXPECT_GE(admitted, 1000);
  EXPECT_LT(admitted, 1100);
  EXPECT_GE(stream->describe_shard(0).writes_throttled, 400u);

  // Bytes: 1 MiB per second; a fresh shard's second of bytes is spent by one 1 MiB record.
  test::TempRoot other_root;
  auto bytes_stream = make_stream(other_root);
  bytes_stream->set_throttling({.injected_throttle_ppm = 0, .aws_limits = true});
  Producer bytes_producer(bytes_stream);
  const std::string large((uint64_t{1} << 20) - 1, 'x');
  EXPECT_TRUE(bytes_producer.put_record("k", large, result));
  EXPECT_EQ(bytes_producer.put_record("k", large, result).code(), StatusCode::kThroughputExceeded);

  stream->set_throttling({});
  for (int i = 0; i < 1500; ++i) ASSERT_TRUE(producer.put_record("k", "x", result));
}

TEST(Throttling, AwsLimitsModeCapsGetRecordsCallsOfARunningReader) {
  test::TempRoot root;
  auto stream = make_stream(root);
  Producer producer(stream);
  PutResult result;
  ASSERT_TRUE(producer.put_record("k", "x", result));
  ShardReader reader(stream, 0, IteratorStart{IteratorType::kTrimHorizon});
  RecordBatch batch;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader.get_records(batch));  // off: no limit
  stream->set_throttling({.injected_throttle_ppm = 0, .aws_limits = true});
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += reader.get_records(batch).is_ok();
  EXPECT_EQ(admitted, 5);  // 5 GetRecords per second per shard
  EXPECT_EQ(reader.get_records(batch).code(), StatusCode::kThroughputExceeded);
  EXPECT_TRUE(batch.records.empty());
  EXPECT_GE(stream->describe_shard(0).reads_throttled, 6u);
  stream->set_throttling({});
  EXPECT_TRUE(reader.get_records(batch));
}

TEST(Throttling, ALargeReadHoldsTheShardsReadersOff) {
  test::TempRoot root;
  auto stream = make_stream(root);
  Producer producer(stream);
  PutResult result;
  const std::string large((uint64_t{1} << 20) - 1, 'x');
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(producer.put_record("k", large, result));
  stream->set_throttling({.injected_throttle_ppm = 0, .aws_limits = true});
  ShardReader reader(stream, 0, IteratorStart{IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(reader.get_records(batch));  // 4 MiB at once, as GetRecords may return up to 10 MiB
  EXPECT_EQ(batch.records.size(), 4u);
  // Two seconds' worth of 2 MiB/s: more than the one-second burst, so the next call is refused.
  EXPECT_EQ(reader.get_records(batch).code(), StatusCode::kThroughputExceeded);
}
