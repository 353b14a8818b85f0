// Corrupted or truncated segment and meta files: detected and reported, never a crash, never a record
// that differs from what was put. Seeded bit flips and zeroed ranges over real files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>

#include "shmstream/janitor.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

constexpr const char* kSegment = "/c/shards/0/00000000000000000000.seg";

std::map<uint64_t, std::string> fill(const std::shared_ptr<Stream>& stream, int records) {
  Producer producer(stream);
  std::map<uint64_t, std::string> put;
  for (int i = 0; i < records; ++i) {
    PutResult result;
    const std::string data = "record-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), '+');
    EXPECT_TRUE(producer.put_record("key" + std::to_string(i % 3), data, result).is_ok());
    put[result.sequence_number] = data;
  }
  return put;
}

void overwrite(const std::string& path, uint64_t offset, const void* bytes, size_t length) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, bytes, length, static_cast<off_t>(offset)), static_cast<ssize_t>(length));
  ::close(fd);
}

// Flips 1-4 random bits in the first 8 KiB of a segment file (where the frames are).
void flip_random_bits(const std::string& path, std::mt19937_64& random) {
  for (int f = 0, flips = 1 + static_cast<int>(random() % 4); f < flips; ++f) {
    const uint64_t offset = random() % 8192;
    uint8_t byte = 0;
    const int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(offset)), 1);
    ::close(fd);
    byte = static_cast<uint8_t>(byte ^ (1u << (random() % 8)));
    overwrite(path, offset, &byte, 1);
  }
}

// Reads the shard with a fresh handle; every record returned must be exactly one that was put.
Status read_back(const std::string& root, const std::map<uint64_t, std::string>& put, size_t& returned) {
  auto stream = Stream::open("c", root);
  ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  returned = 0;
  for (;;) {
    Status status = reader.get_records(batch, 100);
    if (!status) return status;
    if (batch.records.empty()) return status;
    for (const auto& record : batch.records) {
      const auto found = put.find(record.sequence_number);
      EXPECT_TRUE(found != put.end() && found->second == record.data) << "a corrupted record was returned";
      ++returned;
    }
  }
}

StreamOptions options(bool checksums = true) {
  StreamOptions o;
  o.segment_size = 16384;
  o.checksums = checksums;
  return o;
}

}  // namespace

TEST(Corruption, TruncatedSegmentIsReported) {
  test::TempRoot root;
  const auto put = fill(Stream::create("c", options(), root.path()), 50);
  std::filesystem::resize_file(root.path() + kSegment, 1000);
  size_t returned = 0;
  EXPECT_EQ(read_back(root.path(), put, returned).code(), StatusCode::kCorrupted);
  EXPECT_EQ(returned, 0u);
}

TEST(Corruption, SeededBitFlipsNeverCrashOrLie) {
  std::mt19937_64 random(1234);
  int detected = 0;
  for (int round = 0; round < 150; ++round) {
    test::TempRoot root;
    const auto put = fill(Stream::create("c", options(), root.path()), 60);
    flip_random_bits(root.path() + kSegment, random);
    size_t returned = 0;
    const Status status = read_back(root.path(), put, returned);
    EXPECT_TRUE(status.is_ok() || status.code() == StatusCode::kCorrupted) << exception_name(status.code());
    detected += status.code() == StatusCode::kCorrupted || returned < put.size();
    JanitorOptions janitor_options;
    janitor_options.root = root.path();
    Janitor janitor(janitor_options);
    janitor.do_work(now_ns());
    janitor.do_work(now_ns() + 10'000'000'000);  // unblock whatever now looks stalled; must not crash
  }
  EXPECT_GT(detected, 100) << "flips in the frame area should mostly be noticed";
}

TEST(Corruption, ZeroedRangeStopsTheReaderAndIsNeverReturned) {
  test::TempRoot root;
  const auto put = fill(Stream::create("c", options(), root.path()), 60);
  const std::vector<uint8_t> zeros(300, 0);
  overwrite(root.path() + kSegment, 1000, zeros.data(), zeros.size());
  size_t returned = 0;
  const Status status = read_back(root.path(), put, returned);
  EXPECT_TRUE(status.is_ok() || status.code() == StatusCode::kCorrupted);
  EXPECT_LT(returned, put.size());
}

TEST(Corruption, SegmentOfAnotherShardIsRejected) {
  test::TempRoot root;
  auto o = options();
  o.shard_count = 2;
  auto stream = Stream::create("c", o, root.path());
  fill(stream, 10);
  std::filesystem::copy_file(root.path() + "/c/shards/1/00000000000000000000.seg", root.path() + kSegment,
                             std::filesystem::copy_options::overwrite_existing);
  auto fresh = Stream::open("c", root.path());
  ShardReader reader(fresh, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  EXPECT_EQ(reader.get_records(batch).code(), StatusCode::kCorrupted);
}

TEST(Corruption, MetaFileDamage) {
  test::TempRoot root;
  Stream::create("c", options(), root.path());
  const std::string meta = root.path() + "/c/stream.meta";
  const auto code_of_open = [&] { return test::code_of([&] { Stream::open("c", root.path()); }); };
  const uint16_t old_version[2] = {1, 0};  // a stream of layout 1.0 (32-byte frames): major, minor
  overwrite(meta, 4, old_version, sizeof old_version);
  try {
    Stream::open("c", root.path());
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), StatusCode::kIncompatibleLayout);
    EXPECT_NE(std::string(error.what()).find("layout version 1.0"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("reads version 2"), std::string::npos) << error.what();
  }
  const uint16_t good_major = 2;
  overwrite(meta, 4, &good_major, sizeof good_major);
  EXPECT_EQ(code_of_open(), StatusCode::kOk);
  const uint64_t bad_segment_size = 12345;
  overwrite(meta, 16, &bad_segment_size, sizeof bad_segment_size);
  EXPECT_EQ(code_of_open(), StatusCode::kCorrupted);
  const uint64_t segment_size = 16384;
  overwrite(meta, 16, &segment_size, sizeof segment_size);
  const uint32_t too_many_shards = 5000;
  overwrite(meta, 28, &too_many_shards, sizeof too_many_shards);
  EXPECT_EQ(code_of_open(), StatusCode::kCorrupted);
  const uint32_t one = 1;
  overwrite(meta, 28, &one, sizeof one);
  const uint32_t bad_state = 9;
  overwrite(meta, 4096 + 36, &bad_state, sizeof bad_state);
  EXPECT_EQ(code_of_open(), StatusCode::kCorrupted);
  const uint32_t open_state = 1;
  overwrite(meta, 4096 + 36, &open_state, sizeof open_state);
  EXPECT_EQ(code_of_open(), StatusCode::kOk);
  const uint32_t unknown_trailer = 0x80;
  overwrite(meta, 100, &unknown_trailer, sizeof unknown_trailer);
  EXPECT_EQ(code_of_open(), StatusCode::kCorrupted);
  const uint32_t checksums = 1;
  overwrite(meta, 100, &checksums, sizeof checksums);
  EXPECT_EQ(code_of_open(), StatusCode::kOk);
  const std::vector<uint8_t> zeros(8, 0);
  overwrite(meta, 0, zeros.data(), zeros.size());
  EXPECT_EQ(code_of_open(), StatusCode::kCorrupted);
}

// Without checksums a flipped payload byte is returned as it is, but damage never makes a reader crash or
// hand out a view that runs past its frame's segment: every frame is checked against the segment's end.
TEST(Corruption, WithoutChecksumsDamageStaysInsideTheSegment) {
  std::mt19937_64 random(4321);
  const uint64_t segment_size = options(false).segment_size;
  for (int round = 0; round < 150; ++round) {
    test::TempRoot root;
    fill(Stream::create("c", options(false), root.path()), 60);
    flip_random_bits(root.path() + kSegment, random);
    auto stream = Stream::open("c", root.path());
    ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
    RecordBatch batch;
    for (int call = 0; call < 100; ++call) {
      const Status status = reader.get_records(batch, 100);
      ASSERT_TRUE(status.is_ok() || status.code() == StatusCode::kCorrupted) << exception_name(status.code());
      if (!status || batch.records.empty()) break;
      for (const auto& record : batch.records) {
        const uint64_t offset = record.sequence_number % segment_size;
        EXPECT_LE(offset + 16 + record.partition_key.size() + record.data.size(), segment_size);
        EXPECT_EQ(record.partition_key.data() + record.partition_key.size(), record.data.data());
      }
    }
  }
}
