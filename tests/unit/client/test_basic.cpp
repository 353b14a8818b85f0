#include <gtest/gtest.h>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;

TEST(Basic, PutThenGet) {
  test::TempRoot root;
  StreamOptions options;
  options.shard_count = 2;
  options.segment_size = 4096;
  auto stream = Stream::create("s1", options, root.path());
  Producer producer(stream);
  std::vector<PutResult> results;
  for (int i = 0; i < 500; ++i) {
    PutResult result;
    ASSERT_TRUE(producer.put_record("key" + std::to_string(i % 7), "data-" + std::to_string(i), result).is_ok());
    results.push_back(result);
  }
  size_t total = 0;
  for (uint32_t shard = 0; shard < 2; ++shard) {
    ShardReader reader(stream, shard, IteratorStart{});
    RecordBatch batch;
    uint64_t last = 0;
    for (;;) {
      ASSERT_TRUE(reader.get_records(batch, 100).is_ok());
      if (batch.records.empty()) break;
      for (const auto& record : batch.records) {
        EXPECT_GT(record.sequence_number, last);
        last = record.sequence_number;
        ++total;
      }
    }
  }
  EXPECT_EQ(total, 500u);
}
