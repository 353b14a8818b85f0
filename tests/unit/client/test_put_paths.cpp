// The put's two paths (docs/PERFORMANCE.md "Instruction budgets"): records a fast put takes (a key of up to
// 128 bytes and data shorter than 128, one open shard) and records it hands to the general put (longer ones, the
// first put, the preparation request, a segment's end) land in one log in put order, byte for byte, for
// every commit mode and checksum setting, and IncomingRecords/IncomingBytes count each of them once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
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

}  // namespace
