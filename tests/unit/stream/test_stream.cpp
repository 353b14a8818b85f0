// Stream registry and input validation: every bad input gets a clear error and writes nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;
using shmstream::test::code_of;

namespace {

StreamOptions small(uint32_t shards = 1) {
  StreamOptions options;
  options.shard_count = shards;
  options.segment_size = 4096;
  return options;
}

uint64_t records_in(const std::shared_ptr<Stream>& stream) {
  uint64_t count = 0;
  for (const auto& shard : stream->describe().shards) {
    ShardReader reader(stream, shard.index, {IteratorType::kTrimHorizon});
    RecordBatch batch;
    while (reader.get_records(batch).is_ok() && !batch.records.empty()) count += batch.records.size();
  }
  return count;
}

}  // namespace

TEST(Registry, CreateOpenListDescribeDelete) {
  test::TempRoot root;
  auto options = small(3);
  options.retention = std::chrono::hours(36);
  Stream::create("b-stream", options, root.path());
  Stream::create("a.stream_1", small(), root.path());
  EXPECT_EQ(Stream::list(root.path()), (std::vector<std::string>{"a.stream_1", "b-stream"}));
  auto stream = Stream::open("b-stream", root.path());
  auto info = stream->describe();
  EXPECT_EQ(info.name, "b-stream");
  EXPECT_EQ(info.status, "ACTIVE");
  EXPECT_EQ(info.open_shard_count, 3u);
  EXPECT_EQ(info.retention_ns, int64_t{36} * 3600 * 1'000'000'000);
  EXPECT_EQ(info.arn, "arn:aws:kinesis:local:000000000000:stream/b-stream");
  ASSERT_EQ(info.shards.size(), 3u);
  EXPECT_EQ(info.shards[2].shard_id, "shardId-000000000002");
  EXPECT_EQ(info.shards[0].starting_hash_key, 0u);
  EXPECT_EQ(info.shards[2].ending_hash_key, kMaxHashKey);
  EXPECT_FALSE(info.shards[0].ending_sequence_number);
  Stream::remove("b-stream", root.path());
  EXPECT_EQ(Stream::list(root.path()), (std::vector<std::string>{"a.stream_1"}));
  EXPECT_EQ(code_of([&] { Stream::open("b-stream", root.path()); }), StatusCode::kResourceNotFound);
  // No leftovers of creation or deletion: the root holds the stream and the (empty) staging directory.
  for (const auto& entry : std::filesystem::directory_iterator(root.path())) {
    EXPECT_TRUE(entry.path().filename() == "a.stream_1" || entry.path().filename() == "+staging") << entry.path();
  }
  EXPECT_TRUE(std::filesystem::is_empty(root.path() + "/+staging"));
}

TEST(Registry, RemovalReportsEveryByteOfTheStreamsFiles) {
  test::TempRoot root;
  {
    auto stream = Stream::create("big", small(2), root.path());
    Producer producer(stream);
    const std::string data(1000, 'x');
    PutResult result;
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(producer.put_record("key-" + std::to_string(i), data, result).is_ok());
  }  // the handles go first: their segment preparer may still be making the next segment
  uint64_t files_bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root.path() + "/big")) {
    if (entry.is_regular_file()) files_bytes += entry.file_size();
  }
  std::vector<std::pair<uint64_t, uint64_t>> reports;
  Stream::remove("big", root.path(), [&](uint64_t removed, uint64_t total) { reports.emplace_back(removed, total); });
  ASSERT_GT(reports.size(), 3u);  // stream.meta, the locks, at least one segment per shard
  for (size_t i = 0; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i].second, files_bytes);
    if (i > 0) {
      EXPECT_GE(reports[i].first, reports[i - 1].first);
    }
  }
  EXPECT_EQ(reports.back().first, files_bytes);
  EXPECT_TRUE(Stream::list(root.path()).empty());
  EXPECT_TRUE(std::filesystem::is_empty(root.path() + "/+staging"));
}

TEST(Registry, FileModesFollowTheStream) {
  test::TempRoot root;
  auto options = small();
  options.file_mode = 0640;
  auto stream = Stream::create("modes", options, root.path());
  struct stat info {};
  ASSERT_EQ(::stat((root.path() + "/modes/stream.meta").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat((root.path() + "/modes").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0750u);
  ASSERT_EQ(::stat((root.path() + "/modes/shards/0/00000000000000000000.seg").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
}

// Both lock files exist from creation on with the stream's mode, whatever the creator's umask, so members
// of a shared stream's group can take them.
TEST(Registry, LockFilesHaveTheStreamsModeFromCreationOn) {
  test::TempRoot root;
  auto options = small();
  options.file_mode = 0660;
  const mode_t old_umask = ::umask(077);
  Stream::create("locks", options, root.path());
  ::umask(old_umask);
  for (const char* name : {"stream.lock", "writers.lock"}) {
    struct stat info {};
    ASSERT_EQ(::stat((root.path() + "/locks/" + name).c_str(), &info), 0) << name;
    EXPECT_EQ(info.st_mode & 0777, 0660u) << name;
  }
}

// A producer never writes without the writers lock: one that cannot open it gets an error, never an
// unlocked producer that an exclusive one could write beside.
TEST(Registry, AProducerThatCannotOpenTheWritersLockIsRefused) {
  test::TempRoot root;
  auto stream = Stream::create("nolock", small(), root.path());
  const std::string lock = root.path() + "/nolock/writers.lock";
  std::filesystem::remove(lock);
  test::UnixSocket socket(lock);  // open() of a socket fails for every user, root included (ENXIO)
  EXPECT_NE(code_of([&] { Producer producer(stream); }), StatusCode::kOk);
  EXPECT_NE(code_of([&] { Producer producer(stream, ProducerOptions{.exclusive = true}); }), StatusCode::kOk);
}

// The model's pattern [a-zA-Z0-9_.-]+ makes "." and ".." stream names; their directories must not be the root
// or its parent.
TEST(Registry, DotNamesAreStreamsOfTheirOwn) {
  test::TempRoot root;
  auto dot = Stream::create(".", small(), root.path());
  auto dots = Stream::create("..", small(), root.path());
  PutResult result;
  EXPECT_TRUE(Producer(dot).put_record("k", "in dot", result).is_ok());
  EXPECT_EQ(Stream::list(root.path()), (std::vector<std::string>{".", ".."}));
  EXPECT_EQ(Stream::open(".", root.path())->name(), ".");
  EXPECT_EQ(Stream::open("..", root.path())->describe().name, "..");
  EXPECT_TRUE(std::filesystem::exists(root.path() + "/%2E/stream.meta"));
  EXPECT_TRUE(std::filesystem::exists(root.path() + "/%2E%2E/stream.meta"));
  Stream::remove(".", root.path());
  EXPECT_EQ(Stream::list(root.path()), (std::vector<std::string>{".."}));
  EXPECT_TRUE(std::filesystem::exists(root.path()));
}

TEST(Registry, BadCreateArguments) {
  test::TempRoot root;
  for (const char* name : {"", "has space", "slash/name", "ünï", "%2E"}) {
    EXPECT_EQ(code_of([&] { Stream::create(name, small(), root.path()); }), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(code_of([&] { Stream::create(std::string(129, 'n'), small(), root.path()); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { Stream::create(std::string(128, 'n'), small(), root.path()); }), StatusCode::kOk);
  EXPECT_EQ(code_of([&] { Stream::create("zero", small(0), root.path()); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { Stream::create("many", small(kMaxShardsPerStream + 1), root.path()); }),
            StatusCode::kLimitExceeded);
  for (uint64_t size : {uint64_t{0}, uint64_t{1000}, uint64_t{2048}, uint64_t{6000}, uint64_t{1} << 31}) {
    auto options = small();
    options.segment_size = size;
    EXPECT_EQ(code_of([&] { Stream::create("seg", options, root.path()); }), StatusCode::kInvalidArgument) << size;
  }
  auto options = small();
  options.retention = std::chrono::milliseconds(10);
  EXPECT_EQ(code_of([&] { Stream::create("ret", options, root.path()); }), StatusCode::kInvalidArgument);
  options = small();
  options.file_mode = 0400;
  EXPECT_EQ(code_of([&] { Stream::create("mode", options, root.path()); }), StatusCode::kInvalidArgument);
  Stream::create("dup", small(), root.path());
  EXPECT_EQ(code_of([&] { Stream::create("dup", small(), root.path()); }), StatusCode::kResourceInUse);
  EXPECT_EQ(code_of([&] { Stream::remove("missing", root.path()); }), StatusCode::kResourceNotFound);
  EXPECT_EQ(Stream::list(root.path() + "/nope").size(), 0u);
}

TEST(Registry, ConcurrentCreatesOfOneNameHaveOneWinner) {
  test::TempRoot root;
  std::atomic<int> winners{0}, in_use{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      const StatusCode code = code_of([&] { Stream::create("race", small(2), root.path()); });
      if (code == StatusCode::kOk) ++winners;
      if (code == StatusCode::kResourceInUse) ++in_use;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(in_use.load(), 7);
}

TEST(Registry, CorruptMetaIsReportedNotTrusted) {
  test::TempRoot root;
  Stream::create("broken", small(), root.path());
  const std::string meta = root.path() + "/broken/stream.meta";
  std::filesystem::resize_file(meta, 5000);
  EXPECT_EQ(code_of([&] { Stream::open("broken", root.path()); }), StatusCode::kCorrupted);
  std::filesystem::resize_file(meta, 100);
  EXPECT_EQ(code_of([&] { Stream::open("broken", root.path()); }), StatusCode::kCorrupted);
}

TEST(Put, BadRecordsWriteNothing) {
  test::TempRoot root;
  auto options = small(2);
  options.segment_size = 4 << 20;  // a 1 MiB record fits
  auto stream = Stream::create("puts", options, root.path());
  Producer producer(stream);
  PutResult result;
  EXPECT_EQ(producer.put_record("", "x", result).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(producer.put_record(std::string(257, 'k'), "x", result).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(producer.put_record("k", std::string(kMaxRecordBytes, 'd'), result).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(records_in(stream), 0u);
  EXPECT_TRUE(producer.put_record(std::string(256, 'k'), "x", result).is_ok());
  // Kinesis counts characters: 256 of them in 2 and 4 bytes of UTF-8 each are one key, 257 are not.
  std::string two_byte, four_byte;
  for (int i = 0; i < 256; ++i) two_byte += "\u00e9", four_byte += "\U0001F600";
  EXPECT_EQ(producer.put_record(two_byte + "e", "x", result).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(records_in(stream), 1u);
  EXPECT_TRUE(producer.put_record(two_byte, "x", result).is_ok());
  EXPECT_TRUE(producer.put_record(four_byte, "x", result).is_ok());
  EXPECT_EQ(records_in(stream), 3u);
  EXPECT_TRUE(producer.put_record("k", std::string(kMaxRecordBytes - 1, 'd'), result).is_ok());
  EXPECT_EQ(records_in(stream), 4u);
}

TEST(Put, RecordLargerThanASegmentIsRejected) {
  test::TempRoot root;
  auto stream = Stream::create("tiny", small(), root.path());
  Producer producer(stream);
  PutResult result;
  EXPECT_EQ(producer.put_record("k", std::string(4096, 'd'), result).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(producer.put_record("k", std::string(4096 - 64 - 32 - 1, 'd'), result).is_ok());
  EXPECT_EQ(records_in(stream), 1u);
}

TEST(PutRecords, PerEntryResultsAndRequestValidation) {
  test::TempRoot root;
  auto stream = Stream::create("batch", small(4), root.path());
  Producer producer(stream);
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) keys.push_back("key" + std::to_string(i));
  std::vector<PutRecordsEntry> entries;
  for (const auto& key : keys) entries.push_back({key, "payload", std::nullopt});
  std::vector<PutRecordsResultEntry> results(501);
  Status request;
  EXPECT_EQ(producer.put_records(entries, results, request), 0u);
  EXPECT_TRUE(request.is_ok());
  for (int i = 0; i < 500; ++i) {
    uint32_t expected_shard = 0;
    ASSERT_TRUE(producer.route(keys[i], nullptr, expected_shard).is_ok());
    EXPECT_TRUE(results[i].status.is_ok());
    EXPECT_EQ(results[i].result.shard_index, expected_shard);
  }
  EXPECT_EQ(records_in(stream), 500u);

  entries.push_back({"one-too-many", "x", std::nullopt});
  EXPECT_EQ(producer.put_records(entries, results, request), 501u);
  EXPECT_EQ(request.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(producer.put_records({}, results, request), 0u);
  EXPECT_EQ(request.code(), StatusCode::kInvalidArgument);
  std::vector<PutRecordsEntry> one_bad = {{"good", "x", std::nullopt}, {"", "x", std::nullopt}};
  EXPECT_EQ(producer.put_records(one_bad, results, request), 2u);
  EXPECT_EQ(request.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(records_in(stream), 500u);  // nothing of the rejected requests was written
}

TEST(Names, ShardIds) {
  EXPECT_EQ(shard_id_text(0), "shardId-000000000000");
  EXPECT_EQ(shard_id_text(123), "shardId-000000000123");
  EXPECT_EQ(parse_shard_id("shardId-000000000123"), 123u);
  EXPECT_EQ(parse_shard_id("7"), 7u);
  EXPECT_FALSE(parse_shard_id("shardId-"));
  EXPECT_FALSE(parse_shard_id("shard-1"));
  EXPECT_FALSE(parse_shard_id("shardId-99999999999999"));
}

TEST(PutRecords, EachShardGroupIsOneReservationInRequestOrder) {
  test::TempRoot root;
  auto stream = Stream::create("groups", small(3), root.path());
  Producer producer(stream);
  std::vector<std::string> keys, datas;
  for (int i = 0; i < 300; ++i) {
    keys.push_back("k" + std::to_string(i % 17));
    datas.push_back("payload-" + std::to_string(i));
  }
  std::vector<PutRecordsEntry> entries;
  for (int i = 0; i < 300; ++i) entries.push_back({keys[i], datas[i], std::nullopt});
  std::vector<PutRecordsResultEntry> results(300);
  Status request;
  EXPECT_EQ(producer.put_records(entries, results, request), 0u);
  // Within a shard, the request's order is the log's order; records of one group sit back to back unless a
  // segment end split the group (4 KiB segments hold a few dozen of these records).
  std::map<uint32_t, uint64_t> last;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(results[i].status.is_ok());
    uint64_t& previous = last[results[i].result.shard_index];
    EXPECT_GT(results[i].result.sequence_number, previous);
    previous = results[i].result.sequence_number;
  }
  for (uint32_t shard = 0; shard < 3; ++shard) {
    ShardReader reader(stream, shard, {IteratorType::kTrimHorizon});
    RecordBatch batch;
    std::vector<std::string> seen;
    while (reader.get_records(batch).is_ok() && !batch.records.empty()) {
      for (const auto& record : batch.records) seen.emplace_back(record.data);
    }
    std::vector<std::string> expected;
    for (int i = 0; i < 300; ++i) {
      if (results[i].result.shard_index == shard) expected.push_back(datas[i]);
    }
    EXPECT_EQ(seen, expected);
  }
}

TEST(PutRecords, GroupsReRouteWhenTheirShardIsSplitUnderThem) {
  test::TempRoot root;
  auto stream = Stream::create("regroup", small(1), root.path());
  Producer producer(stream);
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("key" + std::to_string(i));
  std::vector<PutRecordsEntry> entries;
  for (const auto& key : keys) entries.push_back({key, "v", std::nullopt});
  std::vector<PutRecordsResultEntry> results(100);
  Status request;
  EXPECT_EQ(producer.put_records(entries, results, request), 0u);  // warms the producer's map on shard 0
  stream->split_shard(0, HashKey{1} << 127);
  EXPECT_EQ(producer.put_records(entries, results, request), 0u);
  for (const auto& result : results) EXPECT_GE(result.result.shard_index, 1u);  // the children
  EXPECT_EQ(records_in(stream), 200u);
}
