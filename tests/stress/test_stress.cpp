// Seeded multi-thread stress: 4 producers x many keys into 4 shards (or one, with short records and
// PutRecords groups) with tiny segments (constant rolls) while one reader per shard follows. Every record
// must be read exactly once, in order, checksum valid, and per (producer, key) in put order.
// SHMSTREAM_STRESS_SEED / SHMSTREAM_STRESS_RECORDS override.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "../unit/test_support.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

using namespace shmstream;

namespace {

struct Payload {
  uint32_t producer;
  uint32_t key_id;
  uint64_t per_key_counter;
  uint64_t producer_sequence;
};

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

struct Expected {
  std::set<uint64_t> sequence_numbers;
};

// `shards` shards; payloads of sizeof(Payload) + 0..extra_bytes-1 bytes; with `grouped`, the even producers put
// with put_records in groups of 1..32 (the odd ones record by record).
void run_stress(uint32_t shards, size_t extra_bytes, bool grouped) {
  const uint64_t seed = env_or("SHMSTREAM_STRESS_SEED", 20261121);
  const uint64_t records_per_producer = env_or("SHMSTREAM_STRESS_RECORDS", 40000);
  constexpr uint32_t kProducers = 4, kKeys = 300;
  SCOPED_TRACE("seed " + std::to_string(seed));

  test::TempRoot root;
  StreamOptions options;
  options.shard_count = shards;
  options.segment_size = 4096;
  auto stream = Stream::create("stress", options, root.path());

  std::vector<std::vector<std::pair<uint32_t, uint64_t>>> written(kProducers);  // (shard, sequence)
  std::atomic<uint32_t> producers_done{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      Producer producer(stream);
      std::mt19937_64 random(seed + p);
      std::vector<uint64_t> key_counters(kKeys, 0);
      constexpr size_t kMaxGroup = 32;
      std::vector<std::string> buffers(kMaxGroup, std::string(sizeof(Payload) + extra_bytes, '\0'));
      std::vector<std::string> keys(kMaxGroup);
      std::vector<PutRecordsEntry> entries(kMaxGroup);
      std::vector<PutRecordsResultEntry> results(kMaxGroup);
      for (uint64_t i = 0; i < records_per_producer;) {
        const bool grouping = grouped && p % 2 == 0;
        const size_t group = grouping ? std::min<uint64_t>(1 + random() % kMaxGroup, records_per_producer - i) : 1;
        for (size_t g = 0; g < group; ++g, ++i) {
          const auto key_id = static_cast<uint32_t>(random() % kKeys);
          Payload payload{p, key_id, key_counters[key_id]++, i};
          const size_t size = sizeof payload + random() % extra_bytes;
          std::string& buffer = buffers[g];
          std::memcpy(buffer.data(), &payload, sizeof payload);
          for (size_t b = sizeof payload; b < size; ++b) buffer[b] = static_cast<char>(b * 31 + i);
          keys[g] = "key-" + std::to_string(key_id);
          entries[g] = {keys[g], std::string_view(buffer.data(), size), std::nullopt};
        }
        if (!grouping) {
          PutResult result;
          if (!producer.put_record(entries[0].partition_key, entries[0].data, result).is_ok()) {
            failed = true;
            return;
          }
          written[p].emplace_back(result.shard_index, result.sequence_number);
          continue;
        }
        Status request;
        if (producer.put_records({entries.data(), group}, results, request) != 0 || !request) {
          failed = true;
          return;
        }
        for (size_t g = 0; g < group; ++g) {
          written[p].emplace_back(results[g].result.shard_index, results[g].result.sequence_number);
        }
      }
      producers_done.fetch_add(1);
    });
  }

  std::vector<std::vector<Payload>> read(shards);
  std::vector<std::string> reader_errors(shards);
  std::vector<std::thread> readers;
  for (uint32_t s = 0; s < shards; ++s) {
    readers.emplace_back([&, s] {
      ShardReader reader(stream, s, {IteratorType::kTrimHorizon});
      RecordBatch batch;
      uint64_t last_sequence = 0;
      const auto strategy = s % 2 == 0 ? WaitStrategy::kBlock : WaitStrategy::kYield;
      for (;;) {
        const bool all_done = producers_done.load() == kProducers || failed.load();
        Status status = reader.get_records(batch, 1000);
        if (!status) {
          reader_errors[s] = exception_name(status.code()) + std::string(": ") + status.detail();
          return;
        }
        for (const auto& record : batch.records) {
          if (record.sequence_number <= last_sequence) reader_errors[s] = "sequence numbers not increasing";
          last_sequence = record.sequence_number;
          Payload payload;
          std::memcpy(&payload, record.data.data(), sizeof payload);
          if (record.partition_key != "key-" + std::to_string(payload.key_id)) reader_errors[s] = "key mismatch";
          for (size_t b = sizeof payload; b < record.data.size(); ++b) {
            if (record.data[b] != static_cast<char>(b * 31 + payload.producer_sequence)) reader_errors[s] = "payload";
          }
          read[s].push_back(payload);
        }
        if (batch.records.empty()) {
          if (all_done) return;  // nothing left after every producer finished
          (void)reader.wait(strategy, std::chrono::milliseconds(50));
        }
      }
    });
  }
  for (auto& thread : producers) thread.join();
  for (auto& thread : readers) thread.join();
  ASSERT_FALSE(failed.load());

  uint64_t total_read = 0;
  for (uint32_t s = 0; s < shards; ++s) {
    EXPECT_EQ(reader_errors[s], "") << "shard " << s;
    total_read += read[s].size();
    // exactly once per shard, and per (producer, key) in put order
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> next_counter;
    std::set<std::pair<uint32_t, uint64_t>> seen;
    for (const auto& payload : read[s]) {
      EXPECT_TRUE(seen.emplace(payload.producer, payload.producer_sequence).second) << "duplicate";
      auto& next = next_counter[{payload.producer, payload.key_id}];
      EXPECT_EQ(payload.per_key_counter, next) << "per-key order broken";
      next = payload.per_key_counter + 1;
    }
  }
  EXPECT_EQ(total_read, kProducers * records_per_producer);
  // Every successful put is where its result says.
  std::set<std::pair<uint32_t, uint64_t>> positions;
  for (const auto& list : written) positions.insert(list.begin(), list.end());
  EXPECT_EQ(positions.size(), kProducers * records_per_producer) << "two puts reported the same position";
  const auto info = stream->describe();
  uint64_t counted = 0;
  for (const auto& shard : info.shards) counted += shard.incoming_records;
  EXPECT_EQ(counted, kProducers * records_per_producer);  // metrics flushed by the producers' destructors
}

}  // namespace

TEST(Stress, ProducersAndReadersAcrossRolls) { run_stress(4, 300, false); }

// One shard and records that fit the one-function puts: put_record's and put_records' fast paths race each
// other (shared producers) across constant rolls.
TEST(Stress, FastPutsAndPutRecordsIntoOneShard) { run_stress(1, 100, true); }
