// The put's two paths (docs/PERFORMANCE.md "Instruction budgets"): records a fast put takes (a key of up to
// 128 bytes and data shorter than 128, one open shard) and records it hands to the general put (longer ones, the
// first put, the preparation request, a segment's end) land in one log in put order, byte for byte, for
// every commit mode and checksum setting, and IncomingRecords/IncomingBytes count each of them once.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "segment/segment_store.hpp"
#include "stream/stream_state.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

struct Put {
  std::string key;
  std::string data;
  PutResult result;
};

// Key lengths around every copy width and the fast path's 128-byte limit, up to Kinesis's 256; data
// lengths likewise, up to 300. Interleaved, so fast and general puts alternate at every offset.
std::vector<Put> varied_records(size_t count) {
  const size_t key_lengths[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 256};
  const size_t data_lengths[] = {0, 1, 3, 4, 7, 8, 15, 16, 17, 32, 33, 63, 64, 65, 100, 127, 128, 129, 300};
  std::vector<Put> puts;
  for (size_t i = 0; i < count; ++i) {
    Put put;
    const size_t key_length = key_lengths[i % std::size(key_lengths)];
    const size_t data_length = data_lengths[(i / 3) % std::size(data_lengths)];
    for (size_t j = 0; j < key_length; ++j) put.key.push_back(static_cast<char>('A' + (i + j) % 26));
    for (size_t j = 0; j < data_length; ++j) put.data.push_back(static_cast<char>((i * 7 + j) % 251));
    puts.push_back(std::move(put));
  }
  return puts;
}

void expect_read_back(const std::shared_ptr<Stream>& stream, const std::vector<Put>& puts) {
  ShardReader reader(stream, 0, IteratorStart{IteratorType::kTrimHorizon});
  RecordBatch batch;
  size_t next = 0;
  while (next < puts.size()) {
    const Status status = reader.get_records(batch, 1000);
    ASSERT_TRUE(status.is_ok()) << status.detail();
    ASSERT_FALSE(batch.records.empty()) << "records missing from " << next;
    for (const RecordView& record : batch.records) {
      ASSERT_LT(next, puts.size());
      const Put& put = puts[next];
      ASSERT_EQ(record.sequence_number, put.result.sequence_number) << "record " << next;
      ASSERT_EQ(record.partition_key, put.key) << "record " << next;
      ASSERT_EQ(record.data, put.data) << "record " << next;
      ++next;
    }
  }
  ASSERT_TRUE(reader.get_records(batch, 1000).is_ok());
  EXPECT_TRUE(batch.records.empty());
}

class PutPaths : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(PutPaths, EveryRecordIsReadBackExactlyAndCountedOnce) {
  const auto [exclusive, checksums] = GetParam();
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = 16384;  // rolls every ~60 records: first frames, preparation requests, segment ends
  options.checksums = checksums;
  auto stream = Stream::create("s", options, root.path());
  Producer producer(stream, ProducerOptions{.exclusive = exclusive});
  std::vector<Put> puts = varied_records(3000);
  uint64_t bytes = 0;
  for (Put& put : puts) {
    const Status status = producer.put_record(put.key, put.data, put.result);
    ASSERT_TRUE(status.is_ok()) << status.detail();
    ASSERT_EQ(put.result.shard_index, 0u);
    bytes += put.key.size() + put.data.size();
  }
  expect_read_back(stream, puts);
  producer.flush_metrics();
  const ShardInfo shard = stream->describe_shard(0);
  EXPECT_EQ(shard.incoming_records, puts.size());
  EXPECT_EQ(shard.incoming_bytes, bytes);
}

// PutRecords of groups of 1..40: groups of records put_fast would take go through the request's one
// function (one clock read for the request), the others and whatever that function leaves at a segment's
// end or a metrics checkpoint through the general path; the log holds every record in request order.
TEST_P(PutPaths, PutRecordsGroupsAreReadBackExactlyWithOneArrivalTimeEach) {
  const auto [exclusive, checksums] = GetParam();
  test::TempRoot root;
  StreamOptions options;
  options.segment_size = 16384;
  options.checksums = checksums;
  auto stream = Stream::create("s", options, root.path());
  Producer producer(stream, ProducerOptions{.exclusive = exclusive});
  // Every other stretch of the varied records is cut down to the fast path's sizes.
  std::vector<Put> puts = varied_records(3000);
  for (size_t i = 0; i < puts.size(); ++i) {
    if ((i / 200) % 2 == 0) {
      puts[i].key.resize(std::min<size_t>(puts[i].key.size(), 128));
      puts[i].data.resize(std::min<size_t>(puts[i].data.size(), 127));
    }
  }
  std::vector<std::pair<size_t, size_t>> groups;  // first, count
  uint64_t bytes = 0;
  for (size_t first = 0, size = 1; first < puts.size(); first += size, size = size % 40 + 1) {
    const size_t count = std::min(size, puts.size() - first);
    std::vector<PutRecordsEntry> entries;
    for (size_t i = first; i < first + count; ++i) entries.push_back({puts[i].key, puts[i].data, std::nullopt});
    std::vector<PutRecordsResultEntry> results(count);
    Status request;
    ASSERT_EQ(producer.put_records(entries, results, request), 0u);
    ASSERT_TRUE(request.is_ok()) << request.detail();
    for (size_t i = 0; i < count; ++i) {
      ASSERT_TRUE(results[i].status.is_ok()) << results[i].status.detail();
      ASSERT_EQ(results[i].result.shard_index, 0u);
      puts[first + i].result = results[i].result;
      bytes += puts[first + i].key.size() + puts[first + i].data.size();
    }
    groups.emplace_back(first, count);
  }
  expect_read_back(stream, puts);
  producer.flush_metrics();
  const ShardInfo shard = stream->describe_shard(0);
  EXPECT_EQ(shard.incoming_records, puts.size());
  EXPECT_EQ(shard.incoming_bytes, bytes);

  // Arrival times: never decreasing; one per group unless the group was split (a segment's end, a metrics
  // checkpoint, a re-anchoring clock), then at most one more.
  std::vector<int64_t> arrivals;
  ShardReader reader(stream, 0, IteratorStart{IteratorType::kTrimHorizon});
  RecordBatch batch;
  while (arrivals.size() < puts.size()) {
    ASSERT_TRUE(reader.get_records(batch, 1000).is_ok());
    ASSERT_FALSE(batch.records.empty());
    for (const RecordView& record : batch.records) arrivals.push_back(record.arrival_ns);
  }
  size_t single_time_groups = 0;
  for (const auto& [first, count] : groups) {
    std::set<int64_t> times(arrivals.begin() + first, arrivals.begin() + first + count);
    EXPECT_LE(times.size(), 2u) << "group at " << first;
    single_time_groups += times.size() == 1 ? 1 : 0;
  }
  EXPECT_TRUE(std::is_sorted(arrivals.begin(), arrivals.end()));
  EXPECT_GT(single_time_groups, groups.size() * 8 / 10);
}

INSTANTIATE_TEST_SUITE_P(CommitModesAndChecksums, PutPaths,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "Exclusive" : "Shared") +
                                  (std::get<1>(info.param) ? "WithChecksums" : "WithoutChecksums");
                         });

// An explicit hash key and a bad record take the general put from the fast put's function; the records
// around them are unaffected.
TEST(PutPaths, ExplicitHashKeysAndInvalidRecordsBesideFastPuts) {
  test::TempRoot root;
  auto stream = Stream::create("s", StreamOptions{}, root.path());
  Producer producer(stream, ProducerOptions{.exclusive = true});
  std::vector<Put> puts = varied_records(40);
  const HashKey hash_key{};
  for (size_t i = 0; i < puts.size(); ++i) {
    Put& put = puts[i];
    const Status status = i % 2 == 0 ? producer.put_record(put.key, put.data, put.result)
                                     : producer.put_record(put.key, put.data, put.result, &hash_key);
    ASSERT_TRUE(status.is_ok()) << status.detail();
    PutResult ignored;
    EXPECT_EQ(producer.put_record("", "x", ignored).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(producer.put_record(std::string(257, 'k'), "x", ignored).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(producer.put_record("k", std::string(kMaxRecordBytes, 'd'), ignored).code(),
              StatusCode::kInvalidArgument);
  }
  expect_read_back(stream, puts);
}

// A producer starts the segment preparer's thread when it opens, so the thread takes the affinity of the
// opening thread (docs/OPERATIONS.md); a reader alone still starts it only at its first request.
TEST(PutPaths, OpeningAProducerStartsThePreparerAndAReaderDoesNot) {
  test::TempRoot root;
  auto stream = Stream::create("s", StreamOptions{}, root.path());
  detail::SegmentPreparer& preparer = detail::StreamAccess::state(*stream).segments().preparer();
  ShardReader reader(stream, 0, IteratorStart{IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(reader.get_records(batch, 10).is_ok());
  EXPECT_FALSE(preparer.started());
  Producer producer(stream);
  EXPECT_TRUE(preparer.started());
}

}  // namespace
