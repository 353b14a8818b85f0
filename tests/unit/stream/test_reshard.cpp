// Resharding: AWS lineage and errors, routing after reshards, reading closed shards to their end, the
// lineage-ordered StreamReader, and producers running while shards are split and merged repeatedly.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "router/hash_ranges.hpp"
#include "shmstream/janitor.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "shmstream/stream_reader.hpp"
#include "test_support.hpp"

using namespace shmstream;
using shmstream::test::code_of;

namespace {

std::shared_ptr<Stream> make(const test::TempRoot& root, uint32_t shards, uint64_t segment = 4096) {
  StreamOptions options;
  options.shard_count = shards;
  options.segment_size = segment;
  return Stream::create("rs", options, root.path());
}

std::vector<std::pair<HashKey, HashKey>> open_ranges(const Stream& stream) {
  std::vector<std::pair<HashKey, HashKey>> ranges;
  for (const auto& shard : stream.list_shards({ShardFilterType::kAtLatest})) {
    ranges.emplace_back(shard.starting_hash_key, shard.ending_hash_key);
  }
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

// Splits or merges a random open shard every 3 ms, `steps` times, keeping 2..6 open shards. Returns reshards.
int reshard_randomly(Stream& stream, std::mt19937_64& random, int steps) {
  int reshards = 0;
  for (int step = 0; step < steps; ++step) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const auto open = stream.list_shards({ShardFilterType::kAtLatest});
    if (open.size() < 6 && (open.size() < 2 || random() % 2 == 0)) {
      const auto& victim = open[random() % open.size()];
      if (victim.ending_hash_key - victim.starting_hash_key < 2) continue;
      stream.split_shard(victim.index, victim.starting_hash_key + (victim.ending_hash_key - victim.starting_hash_key) / 2);
    } else {
      std::vector<ShardInfo> sorted = open;
      std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.starting_hash_key < b.starting_hash_key; });
      const size_t i = random() % (sorted.size() - 1);
      stream.merge_shards(sorted[i].index, sorted[i + 1].index);
    }
    ++reshards;
  }
  return reshards;
}

// Reads the whole stream in lineage order; each key's data must be its put counter 0, 1, 2, ... Returns
// the records read.
uint64_t read_checking_per_key_order(const std::shared_ptr<Stream>& stream) {
  StreamReader reader(stream);
  std::map<std::string, uint64_t> next;  // per key: the counter we expect next
  uint64_t total = 0;
  std::vector<StreamRecord> records;
  for (int idle = 0; idle < 3;) {
    EXPECT_TRUE(reader.read(records).is_ok());
    idle = records.empty() ? idle + 1 : 0;
    for (const auto& item : records) {
      auto& expected = next[std::string(item.record.partition_key)];
      EXPECT_EQ(std::to_string(expected), item.record.data) << "key " << item.record.partition_key << " out of order";
      ++expected;
      ++total;
    }
  }
  return total;
}

}  // namespace

TEST(Reshard, SplitGivesAwsLineage) {
  test::TempRoot root;
  auto stream = make(root, 2);
  Producer producer(stream);
  PutResult result;
  const HashKey zero = 0;
  ASSERT_TRUE(producer.put_record("before", "x", result, &zero).is_ok());
  ASSERT_EQ(result.shard_index, 0u);
  const HashKey half = HashKey{1} << 127;
  const HashKey quarter = HashKey{1} << 126;
  stream->split_shard(0, quarter);
  const auto info = stream->describe();
  ASSERT_EQ(info.shards.size(), 4u);
  EXPECT_EQ(info.open_shard_count, 3u);
  EXPECT_EQ(info.shards[0].status, layout::ShardStatus::kClosed);
  ASSERT_TRUE(info.shards[0].ending_sequence_number);
  EXPECT_EQ(info.shards[2].parent_index, 0u);
  EXPECT_FALSE(info.shards[2].adjacent_parent_index);
  EXPECT_EQ(info.shards[2].starting_hash_key, 0u);
  EXPECT_EQ(info.shards[2].ending_hash_key, quarter - 1);
  EXPECT_EQ(info.shards[3].starting_hash_key, quarter);
  EXPECT_EQ(info.shards[3].ending_hash_key, half - 1);
  EXPECT_EQ(info.shards[3].parent_index, 0u);
  // Routing now goes to the children.
  const HashKey low = 5, high = quarter + 5;
  ASSERT_TRUE(producer.put_record("a", "x", result, &low).is_ok());
  EXPECT_EQ(result.shard_index, 2u);
  ASSERT_TRUE(producer.put_record("a", "x", result, &high).is_ok());
  EXPECT_EQ(result.shard_index, 3u);
  // The closed parent reads to its end, then reports its children and no more.
  ShardReader parent(stream, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(parent.get_records(batch).is_ok());
  size_t records = batch.records.size();
  while (!batch.shard_ended) {
    ASSERT_TRUE(parent.get_records(batch).is_ok());
    records += batch.records.size();
  }
  EXPECT_EQ(batch.child_shards, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(records, 1u);
  ASSERT_TRUE(parent.get_records(batch).is_ok());  // stays ended
  EXPECT_TRUE(batch.shard_ended);
  EXPECT_TRUE(batch.records.empty());
}

TEST(Reshard, MergeGivesAwsLineage) {
  test::TempRoot root;
  auto stream = make(root, 3);
  stream->merge_shards(2, 1);
  const auto child = stream->describe_shard(3);
  EXPECT_EQ(child.parent_index, 2u);
  EXPECT_EQ(child.adjacent_parent_index, 1u);
  EXPECT_EQ(child.starting_hash_key, stream->describe_shard(1).starting_hash_key);
  EXPECT_EQ(child.ending_hash_key, kMaxHashKey);
  EXPECT_EQ(stream->describe().open_shard_count, 2u);
}

TEST(Reshard, AClosedShardWithoutRecordsDoesNotEndBelowItsStart) {
  test::TempRoot root;
  auto stream = make(root, 2);
  stream->merge_shards(0, 1);
  for (uint32_t parent : {0u, 1u}) {
    const ShardInfo shard = stream->describe_shard(parent);
    ASSERT_TRUE(shard.ending_sequence_number.has_value());
    EXPECT_GE(*shard.ending_sequence_number, shard.starting_sequence_number);
  }
}

TEST(Reshard, InvalidRequestsGetAwsErrors) {
  test::TempRoot root;
  auto stream = make(root, 3);
  const auto shard0 = stream->describe_shard(0);
  EXPECT_EQ(code_of([&] { stream->split_shard(9, 5); }), StatusCode::kResourceNotFound);
  EXPECT_EQ(code_of([&] { stream->split_shard(0, shard0.starting_hash_key); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->split_shard(0, shard0.ending_hash_key + 1); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->merge_shards(0, 2); }), StatusCode::kInvalidArgument);  // not adjacent
  EXPECT_EQ(code_of([&] { stream->merge_shards(1, 1); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->merge_shards(0, 7); }), StatusCode::kResourceNotFound);
  stream->split_shard(0, shard0.ending_hash_key);  // a one-key child is valid
  EXPECT_EQ(code_of([&] { stream->split_shard(0, 5); }), StatusCode::kInvalidArgument);  // already split
  EXPECT_EQ(code_of([&] { stream->merge_shards(0, 1); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { stream->update_shard_count(9); }), StatusCode::kLimitExceeded);  // > 2x 4
  EXPECT_EQ(code_of([&] { stream->update_shard_count(1); }), StatusCode::kLimitExceeded);  // < half
  EXPECT_EQ(code_of([&] { stream->update_shard_count(0); }), StatusCode::kInvalidArgument);
}

TEST(Reshard, UpdateShardCountEndsEvenlySplitWithAtMostTwoParents) {
  test::TempRoot root;
  auto stream = make(root, 1);
  for (uint32_t target : {2u, 4u, 3u, 5u, 7u, 4u, 2u, 1u, 2u}) {
    stream->update_shard_count(target);
    std::vector<std::pair<HashKey, HashKey>> expected;
    for (const auto& range : detail::even_split(target)) expected.emplace_back(range.start, range.end);
    EXPECT_EQ(open_ranges(*stream), expected) << "target " << target;
  }
  for (const auto& shard : stream->describe().shards) {
    if (shard.parent_index) {
      EXPECT_LT(*shard.parent_index, shard.index);
    }
  }
}

TEST(Reshard, ListShardsFilters) {
  test::TempRoot root;
  auto stream = make(root, 2);
  const int64_t before = now_ns();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  stream->split_shard(1, (HashKey{3} << 126));
  const auto ids = [&](ShardFilter filter) {
    std::vector<uint32_t> out;
    for (const auto& shard : stream->list_shards(filter)) out.push_back(shard.index);
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(ids({ShardFilterType::kAfterShardId, 1}), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(ids({ShardFilterType::kAtLatest}), (std::vector<uint32_t>{0, 2, 3}));
  EXPECT_EQ(ids({ShardFilterType::kAtTrimHorizon}), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(ids({ShardFilterType::kFromTrimHorizon}), (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(ids({ShardFilterType::kAtTimestamp, 0, before}), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(ids({ShardFilterType::kAtTimestamp, 0, now_ns()}), (std::vector<uint32_t>{0, 2, 3}));
  EXPECT_EQ(ids({ShardFilterType::kFromTimestamp, 0, before}), (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(ids({ShardFilterType::kFromTimestamp, 0, now_ns()}), (std::vector<uint32_t>{0, 2, 3}));
}

TEST(Reshard, JanitorExpiresClosedShardsAndListShardsDropsThem) {
  test::TempRoot root;
  auto stream = make(root, 1);
  stream->set_retention(std::chrono::seconds(60));
  Producer producer(stream);
  PutResult result;
  ASSERT_TRUE(producer.put_record("k", "x", result).is_ok());
  stream->split_shard(0, HashKey{1} << 127);
  JanitorOptions options;
  options.root = root.path();
  Janitor janitor(options);
  janitor.do_work(now_ns());
  EXPECT_EQ(stream->list_shards().size(), 3u);
  janitor.do_work(now_ns() + int64_t{61} * 1'000'000'000);
  const auto listed = stream->list_shards();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].index, 1u);
  EXPECT_EQ(stream->list_shards({ShardFilterType::kAtTrimHorizon}).size(), 2u);  // children are the roots now
  StreamReader reader(stream);
  std::vector<StreamRecord> records;
  EXPECT_TRUE(reader.read(records).is_ok());
}

// Producers keep writing sequence-tagged keys while the main thread splits and merges at random; the
// lineage-ordered reader must see every record exactly once and each key's records in put order.
TEST(Reshard, ProducersNeverBlockOrLoseRecordsAcrossRepeatedReshards) {
  const uint64_t seed = 42;
  test::TempRoot root;
  auto stream = make(root, 2, 16384);
  constexpr uint32_t kProducers = 3, kKeys = 64;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> failures{0};
  std::vector<uint64_t> written(kProducers, 0);
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      Producer producer(stream);
      std::mt19937_64 random(seed + p);
      std::vector<uint64_t> counters(kKeys, 0);
      if (p == 0) {
        // This one writes PutRecords batches: whole groups re-route when a reshard closes their shard.
        std::vector<std::string> keys(32), datas(32);
        std::vector<PutRecordsEntry> entries(32);
        std::vector<PutRecordsResultEntry> results(32);
        while (!stop.load(std::memory_order_relaxed)) {
          for (size_t i = 0; i < 32; ++i) {
            const uint32_t key = static_cast<uint32_t>(random() % kKeys);
            keys[i] = "p0k" + std::to_string(key);
            datas[i] = std::to_string(counters[key]++);
            entries[i] = {keys[i], datas[i], std::nullopt};
          }
          Status request;
          if (producer.put_records(entries, results, request) != 0) failures.fetch_add(1);
          written[p] += 32;
        }
        return;
      }
      while (!stop.load(std::memory_order_relaxed)) {
        const uint32_t key = static_cast<uint32_t>(random() % kKeys);
        const std::string partition_key = "p" + std::to_string(p) + "k" + std::to_string(key);
        const std::string data = std::to_string(counters[key]);
        PutResult result;
        if (producer.put_record(partition_key, data, result).is_ok()) {
          ++counters[key];
          ++written[p];
        } else {
          failures.fetch_add(1);
        }
      }
    });
  }
  std::mt19937_64 random(seed);
  const int reshards = reshard_randomly(*stream, random, 40);
  stop = true;
  for (auto& thread : producers) thread.join();
  EXPECT_EQ(failures.load(), 0u);

  const uint64_t total = read_checking_per_key_order(stream);
  uint64_t put_total = 0;
  for (uint64_t count : written) put_total += count;
  EXPECT_EQ(total, put_total);
  if (total != put_total) {
    for (const auto& shard : stream->describe().shards) {
      ShardReader r(stream, shard.index, {IteratorType::kTrimHorizon});
      RecordBatch b;
      size_t n = 0;
      do { (void)r.get_records(b); n += b.records.size(); } while (!b.records.empty());
      std::printf("shard %u state %u parents %d/%d records %zu ended %d pos %llu ending %lld latest %llu\n", shard.index,
                  (unsigned)shard.status, shard.parent_index ? (int)*shard.parent_index : -1,
                  shard.adjacent_parent_index ? (int)*shard.adjacent_parent_index : -1, n, b.shard_ended,
                  (unsigned long long)r.position(), shard.ending_sequence_number ? (long long)*shard.ending_sequence_number : -1LL,
                  (unsigned long long)shard.latest_position);
    }
  }
  EXPECT_GE(reshards, 30);
  std::printf("%d reshards, %llu records, %zu shards ever\n", reshards, static_cast<unsigned long long>(total),
              stream->describe().shards.size());
}

TEST(StreamReaderWait, BlockingWaitWakesOnAPutToAnyShardAndOnNewShards) {
  test::TempRoot root;
  auto stream = make(root, 4);
  StreamReader reader(stream, IteratorType::kLatest);
  std::vector<StreamRecord> records;
  EXPECT_EQ(reader.wait(std::chrono::milliseconds(20)).code(), StatusCode::kTimeout);
  for (uint32_t shard = 0; shard < 4; ++shard) {
    const HashKey key = (HashKey{shard} << 126) + 7;
    std::thread writer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      Producer producer(stream);
      PutResult result;
      EXPECT_TRUE(producer.put_record("k", "wake", result, &key).is_ok());
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(reader.wait(std::chrono::seconds(5)).is_ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    writer.join();
    ASSERT_TRUE(reader.read(records).is_ok());
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].shard_index, shard);
  }
  std::thread resharder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stream->split_shard(0, 12345);
  });
  EXPECT_TRUE(reader.wait(std::chrono::seconds(5)).is_ok());
  resharder.join();
}

TEST(Reshard, UpdateShardCountRefusesWholePlansOverTheLimitsAndReportsTheOldCount) {
  test::TempRoot root;
  auto stream = make(root, 1);
  EXPECT_EQ(stream->update_shard_count(2), 1u);
  EXPECT_EQ(stream->update_shard_count(3), 2u);
  test::TempRoot big_root;
  auto big = make(big_root, kMaxShardsPerStream);
  const size_t entries = big->describe().shards.size();
  // 1024 -> 1023 would need ~2046 open shards between its splits and merges: refused up front.
  EXPECT_EQ(code_of([&] { big->update_shard_count(kMaxShardsPerStream - 1); }), StatusCode::kLimitExceeded);
  EXPECT_EQ(big->describe().shards.size(), entries);
  EXPECT_EQ(big->open_shards().size(), kMaxShardsPerStream);
}

// From one shard, so the PutRecords batches and single puts take the one-function paths between reshards
// and meet the close of the only shard there too.
TEST(Reshard, AnExclusiveProducerReroutesAcrossRepeatedReshards) {
  test::TempRoot root;
  auto stream = make(root, 1, 16384);
  std::atomic<bool> stop{false};
  uint64_t written = 0, failures = 0;
  std::thread writer([&] {
    ProducerOptions options;
    options.exclusive = true;
    Producer producer(stream, options);
    std::mt19937_64 random(7);
    std::vector<uint64_t> counters(64, 0);
    std::vector<std::string> keys(16), datas(16);
    std::vector<PutRecordsEntry> entries(16);
    std::vector<PutRecordsResultEntry> results(16);
    while (!stop.load(std::memory_order_relaxed)) {
      for (size_t i = 0; i < entries.size(); ++i) {  // a PutRecords batch ...
        const uint64_t key = random() % counters.size();
        keys[i] = "k" + std::to_string(key);
        datas[i] = std::to_string(counters[key]++);
        entries[i] = {keys[i], datas[i], std::nullopt};
      }
      Status request;
      failures += producer.put_records(entries, results, request);
      written += entries.size();
      const uint64_t key = random() % counters.size();  // ... and a single put
      PutResult result;
      if (producer.put_record("k" + std::to_string(key), std::to_string(counters[key]), result).is_ok()) {
        ++counters[key];
        ++written;
      } else {
        ++failures;
      }
    }
  });
  std::mt19937_64 random(11);
  const int reshards = reshard_randomly(*stream, random, 40);
  stop = true;
  writer.join();
  EXPECT_EQ(failures, 0u);
  EXPECT_GE(reshards, 30);
  EXPECT_EQ(read_checking_per_key_order(stream), written);
}
