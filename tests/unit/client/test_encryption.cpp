// Stream encryption end to end: records put after a start are sealed, readers decrypt any mix of plain,
// encrypted and older-generation frames, tampering is CorruptedData, and a missing or disabled key is the
// KMS error, with nothing written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <fstream>
#include <iterator>

#include "crypto/key_store.hpp"
#include "shmstream/janitor.hpp"
#include "shmstream/layout/frame.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;

namespace {

constexpr const char* kSegment = "/e/shards/0/00000000000000000000.seg";

// A private key directory for the test, through $SHMSTREAM_KEY_DIR as the library reads it.
class KeyDirectory {
 public:
  explicit KeyDirectory(const std::string& path) : path_(path) { ::setenv("SHMSTREAM_KEY_DIR", path.c_str(), 1); }
  ~KeyDirectory() { ::unsetenv("SHMSTREAM_KEY_DIR"); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct Read {
  Status status;
  std::vector<std::pair<std::string, std::string>> records;  // key, data
  std::vector<uint64_t> positions;
};

Read read_all(const std::shared_ptr<Stream>& stream, ReaderOptions options = {}) {
  ShardReader reader(stream, 0, {IteratorType::kTrimHorizon}, options);
  RecordBatch batch;
  Read read;
  for (;;) {
    read.status = reader.get_records(batch);
    for (const RecordView& record : batch.records) {
      read.records.emplace_back(std::string(record.partition_key), std::string(record.data));
      read.positions.push_back(record.sequence_number);
    }
    if (!read.status || batch.records.empty()) return read;
  }
}

std::shared_ptr<Stream> make_stream(const std::string& root, bool checksums) {
  StreamOptions options;
  options.segment_size = 16384;
  options.checksums = checksums;
  return Stream::create("e", options, root);
}

void put(Producer& producer, const std::string& key, const std::string& data) {
  PutResult result;
  ASSERT_TRUE(producer.put_record(key, data, result).is_ok());
}

}  // namespace

class Encryption : public ::testing::TestWithParam<bool> {};  // checksums off / on

TEST_P(Encryption, MixOfPlainAndGenerationsReadsBackAndNoPlaintextReachesTheFile) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), GetParam());
  const std::string first_key = detail::KeyStore().create_key("first").key_id;
  detail::KeyStore().create_alias("alias/second", detail::KeyStore().create_key("second").key_id);
  Producer producer(stream);  // made before the start: it must notice it
  put(producer, "plain-key", "plain record");
  stream->start_encryption("KMS", first_key);
  EXPECT_EQ(stream->describe().encryption_type, "KMS");
  EXPECT_EQ(stream->describe().key_id, first_key);
  put(producer, "secret-key-1", "SECRET-PAYLOAD-ONE");
  const std::string large(3000, 'Q');
  std::vector<PutRecordsEntry> entries = {{"secret-key-2", "SECRET-PAYLOAD-TWO", {}}, {"secret-key-3", large, {}}};
  std::vector<PutRecordsResultEntry> results(entries.size());
  Status request;
  EXPECT_EQ(producer.put_records(entries, results, request), 0u);
  stream->start_encryption("KMS", "alias/second");  // a change of key: a new generation
  put(producer, "secret-key-4", "SECRET-PAYLOAD-FOUR");
  stream->stop_encryption("KMS", "alias/second");
  EXPECT_EQ(stream->describe().encryption_type, "NONE");
  EXPECT_EQ(stream->describe().key_id, "");
  EXPECT_EQ(stream->describe().key_generation, 2u);
  put(producer, "plain-again", "plain record two");
  Producer fresh(stream);
  put(fresh, "plain-fresh", "plain record three");

  const Read read = read_all(Stream::open("e", root.path()));
  ASSERT_TRUE(read.status.is_ok()) << read.status.detail();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"plain-key", "plain record"},          {"secret-key-1", "SECRET-PAYLOAD-ONE"},
      {"secret-key-2", "SECRET-PAYLOAD-TWO"}, {"secret-key-3", std::string(3000, 'Q')},
      {"secret-key-4", "SECRET-PAYLOAD-FOUR"}, {"plain-again", "plain record two"},
      {"plain-fresh", "plain record three"}};
  EXPECT_EQ(read.records, expected);

  const std::string segment = file_text(root.path() + kSegment);
  EXPECT_NE(segment.find("plain record"), std::string::npos);
  for (const char* secret : {"SECRET-PAYLOAD", "secret-key", "QQQQQQQQ"}) {
    EXPECT_EQ(segment.find(secret), std::string::npos) << secret;
  }
  // AT_SEQUENCE_NUMBER of an encrypted record works like any other.
  ShardReader at(stream, 0, {IteratorType::kAtSequenceNumber, read.positions[4]});
  RecordBatch batch;
  ASSERT_TRUE(at.get_records(batch, 1).is_ok());
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].data, "SECRET-PAYLOAD-FOUR");
}

TEST_P(Encryption, FlippedCiphertextTagOrHeaderBitIsCorruptedDataNeverGarbage) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), GetParam());
  stream->start_encryption("KMS", "alias/aws/kinesis");
  {
    Producer producer(stream);
    put(producer, "k", "0123456789abcdef0123456789");
    put(producer, "k", "second record");
  }
  const std::string path = root.path() + kSegment;
  const size_t frame_length = layout::kFrameHeaderSize + 1 + 26 + (GetParam() ? 8 : 0) + 16;
  // Arrival time (header), key byte, data byte, tag byte; then a flag bit naming another key generation.
  for (size_t offset : {8u, 16u, 20u, static_cast<unsigned>(frame_length - 1)}) {
    const int fd = ::open(path.c_str(), O_RDWR);
    uint8_t byte = 0;
    ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(64 + offset)), 1);
    byte ^= 0x10;
    ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(64 + offset)), 1);
    const Read damaged = read_all(Stream::open("e", root.path()));
    EXPECT_EQ(damaged.status.code(), StatusCode::kCorrupted) << offset;
    EXPECT_TRUE(damaged.records.empty()) << offset;
    // skip_damaged_frames never returns the damaged record. A failed tag in a sound frame is passed by its
    // length, so the next record comes back; a failed checksum makes the length untrusted, and the search
    // for the next intact frame is the best effort of docs/OPERATIONS.md "Damaged data".
    ReaderOptions skip;
    skip.skip_damaged_frames = true;
    const Read skipped = read_all(Stream::open("e", root.path()), skip);
    if (!GetParam()) {
      ASSERT_EQ(skipped.records.size(), 1u) << offset;
    }
    for (const auto& record : skipped.records) EXPECT_EQ(record.second, "second record") << offset;
    byte ^= 0x10;
    ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(64 + offset)), 1);
    ::close(fd);
  }
  ASSERT_EQ(read_all(Stream::open("e", root.path())).records.size(), 2u);
  // The key generation bits of the state word: the frame now names a generation the stream never had.
  const int fd = ::open(path.c_str(), O_RDWR);
  uint8_t flags = 0;
  ASSERT_EQ(::pread(fd, &flags, 1, 64 + 5), 1);
  flags ^= 0x08;
  ASSERT_EQ(::pwrite(fd, &flags, 1, 64 + 5), 1);
  ::close(fd);
  EXPECT_EQ(read_all(Stream::open("e", root.path())).status.code(), StatusCode::kCorrupted);
}

TEST_P(Encryption, FrameCopiedToAnotherPositionFailsItsTag) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), GetParam());
  stream->start_encryption("KMS", "alias/aws/kinesis");
  {
    Producer producer(stream);
    put(producer, "k", "AAAAAAAAAAAAAAAA");
    put(producer, "k", "BBBBBBBBBBBBBBBB");
  }
  const std::string path = root.path() + kSegment;
  const size_t footprint = layout::record_footprint(1, 16, (GetParam() ? 8 : 0) + 16);
  std::vector<uint8_t> first(footprint);
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_EQ(::pread(fd, first.data(), footprint, 64), static_cast<ssize_t>(footprint));
  ASSERT_EQ(::pwrite(fd, first.data(), footprint, static_cast<off_t>(64 + footprint)), static_cast<ssize_t>(footprint));
  ::close(fd);
  const Read read = read_all(Stream::open("e", root.path()));
  EXPECT_EQ(read.records.size(), 1u);  // the original; the replayed copy fails
  EXPECT_EQ(read.status.code(), StatusCode::kCorrupted);
}

TEST_P(Encryption, ExclusiveProducerSealsToo) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), GetParam());
  stream->start_encryption("KMS", "alias/aws/kinesis");
  {
    ProducerOptions options;
    options.exclusive = true;
    Producer producer(stream, options);
    for (int i = 0; i < 2000; ++i) put(producer, "key-" + std::to_string(i % 7), "EXCLUSIVE-" + std::to_string(i));
  }
  const Read read = read_all(stream);
  ASSERT_TRUE(read.status.is_ok()) << read.status.detail();
  ASSERT_EQ(read.records.size(), 2000u);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(read.records[i].second, "EXCLUSIVE-" + std::to_string(i));
  for (const auto& entry : std::filesystem::directory_iterator(root.path() + "/e/shards/0")) {
    EXPECT_EQ(file_text(entry.path()).find("EXCLUSIVE-"), std::string::npos) << entry.path();
  }
}

// Shared sealing producers claim inline in append_at() (a CAS on the frame's state word) and race each other
// for frames and segment rolls: every record is sealed once, reads back in its producer's order, and none
// reaches the file in plain.
TEST_P(Encryption, ConcurrentSharedProducersSealEveryRecord) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), GetParam());
  stream->start_encryption("KMS", "alias/aws/kinesis");
  constexpr int kProducers = 3;
  constexpr int kRecords = 3000;
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&stream, p] {
      Producer producer(stream);
      for (int i = 0; i < kRecords; ++i) {
        PutResult result;
        const std::string data = "SHARED-" + std::to_string(p) + "-" + std::to_string(i);
        const Status status = producer.put_record("key-" + std::to_string(i % 5), data, result);
        if (!status.is_ok()) ADD_FAILURE() << status.detail();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const Read read = read_all(stream);
  ASSERT_TRUE(read.status.is_ok()) << read.status.detail();
  ASSERT_EQ(read.records.size(), size_t{kProducers * kRecords});
  std::vector<int> next(kProducers, 0);
  for (const auto& [key, data] : read.records) {
    const int p = data[7] - '0';
    ASSERT_EQ(data, "SHARED-" + std::to_string(p) + "-" + std::to_string(next[p])) << "out of order or altered";
    ++next[p];
  }
  for (const auto& entry : std::filesystem::directory_iterator(root.path() + "/e/shards/0")) {
    EXPECT_EQ(file_text(entry.path()).find("SHARED-"), std::string::npos) << entry.path();
  }
}

INSTANTIATE_TEST_SUITE_P(Checksums, Encryption, ::testing::Bool());

TEST(EncryptionErrors, StartChecksTypeAndKey) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), false);
  const std::string key = detail::KeyStore().create_key("").key_id;
  EXPECT_EQ(test::code_of([&] { stream->start_encryption("NONE", key); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(test::code_of([&] { stream->start_encryption("AES", key); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(test::code_of([&] { stream->start_encryption("KMS", "alias/missing"); }), StatusCode::kKmsNotFound);
  EXPECT_EQ(test::code_of([&] { stream->start_encryption("KMS", ""); }), StatusCode::kInvalidArgument);
  detail::KeyStore().set_enabled(key, false);
  EXPECT_EQ(test::code_of([&] { stream->start_encryption("KMS", key); }), StatusCode::kKmsDisabled);
  EXPECT_EQ(stream->describe().encryption_type, "NONE");
  EXPECT_EQ(stream->describe().key_generation, 0u);
}

TEST(EncryptionErrors, A33rdStartWaitsUntilTheFirstGenerationsRecordsAreRetainedNoLonger) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  StreamOptions options;
  options.segment_size = 16384;
  options.retention = std::chrono::seconds(2);
  auto stream = Stream::create("e", options, root.path());
  const std::string key = detail::KeyStore().create_key("").key_id;
  Producer producer(stream);
  for (uint32_t generation = 1; generation <= layout::kKeyGenerationSlots; ++generation) {
    stream->start_encryption("KMS", key);
    put(producer, "k", "generation " + std::to_string(generation));
  }
  // Generation 33 would take generation 1's slot while its records may be retained.
  EXPECT_EQ(test::code_of([&] { stream->start_encryption("KMS", key); }), StatusCode::kLimitExceeded);
  EXPECT_EQ(stream->describe().key_generation, layout::kKeyGenerationSlots);
  const Read read = read_all(stream);
  ASSERT_TRUE(read.status.is_ok());
  ASSERT_EQ(read.records.size(), layout::kKeyGenerationSlots);
  EXPECT_EQ(read.records.front().second, "generation 1");
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));  // generation 2 started over 2 s ago
  stream->start_encryption("KMS", key);
  EXPECT_EQ(stream->describe().key_generation, layout::kKeyGenerationSlots + 1);
}

TEST(EncryptionErrors, DisabledOrMissingKeyStopsProducersAndReadersWithNothingWritten) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), false);
  const std::string key = detail::KeyStore().create_key("").key_id;
  Producer early(stream);
  put(early, "k", "before");
  stream->start_encryption("KMS", key);
  put(early, "k", "sealed");
  detail::KeyStore().set_enabled(key, false);
  // A new producer cannot load a disabled key; one that loaded it before keeps its data key until the next
  // start or stop (as a KMS data key already issued stays usable).
  EXPECT_EQ(test::code_of([&] { Producer producer(stream); }), StatusCode::kKmsDisabled);
  ShardReader reader(Stream::open("e", root.path()), 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  ASSERT_TRUE(reader.get_records(batch).is_ok());
  ASSERT_EQ(batch.records.size(), 1u);  // the plain record; the sealed one's key is disabled
  const Status status = reader.get_records(batch);
  EXPECT_EQ(status.code(), StatusCode::kKmsDisabled);
  EXPECT_NE(std::string(status.detail()).find("disabled"), std::string::npos);
  detail::KeyStore().set_enabled(key, true);
  ASSERT_TRUE(reader.get_records(batch).is_ok());
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].data, "sealed");

  // The key file gone (from here and from the directory stream.meta names): KMSNotFound, nothing written.
  const uint64_t before = stream->describe_shard(0).latest_position;
  std::filesystem::rename(keys.path(), root.path() + "/moved");
  EXPECT_EQ(test::code_of([&] { Producer producer(stream); }), StatusCode::kKmsNotFound);
  stream->start_encryption("KMS", "alias/aws/kinesis");  // a new default key in a new directory
  std::filesystem::remove_all(keys.path());
  PutResult result;
  EXPECT_EQ(early.put_record("k", "lost", result).code(), StatusCode::kKmsNotFound);
  EXPECT_EQ(early.put_record("k", "lost", result).code(), StatusCode::kKmsNotFound);
  EXPECT_EQ(stream->describe_shard(0).latest_position, before);
}

TEST(EncryptionWithTheRest, JanitorReshardAndTimestampsTreatSealedFramesAsRecords) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  StreamOptions options;
  options.segment_size = 4096;
  auto stream = Stream::create("e", options, root.path());
  stream->start_encryption("KMS", "alias/aws/kinesis");
  Producer producer(stream);
  for (int i = 0; i < 200; ++i) put(producer, "key-" + std::to_string(i % 9), "SEALED-" + std::to_string(i));
  // The janitor walks, unblocks and trims by frame structure: sealed frames are records to it, not damage.
  JanitorOptions janitor_options;
  janitor_options.root = root.path();
  Janitor janitor(janitor_options);
  for (int pass = 0; pass < 3; ++pass) janitor.do_work(now_ns() + int64_t{pass} * 10'000'000'000);
  EXPECT_EQ(janitor.counters().problems, 0u);
  EXPECT_EQ(janitor.counters().damaged_ranges_padded, 0u);
  EXPECT_EQ(janitor.counters().frames_unblocked, 0u);
  // A split: the children are sealed under their own shard index (the nonce), and read back in order.
  stream->split_shard(0, HashKey{1} << 127);
  for (int i = 200; i < 260; ++i) put(producer, "key-" + std::to_string(i % 9), "SEALED-" + std::to_string(i));
  size_t total = 0;
  for (uint32_t shard = 0; shard < 3; ++shard) {
    ShardReader reader(stream, shard, {IteratorType::kTrimHorizon});
    RecordBatch batch;
    for (;;) {
      ASSERT_TRUE(reader.get_records(batch).is_ok());
      if (batch.records.empty()) break;
      for (const RecordView& record : batch.records) EXPECT_EQ(record.data.substr(0, 7), "SEALED-");
      total += batch.records.size();
    }
  }
  EXPECT_EQ(total, 260u);
  // AT_TIMESTAMP finds a sealed record by its arrival time, which stays in the clear.
  ShardReader at(stream, 1, {IteratorType::kAtTimestamp, 0, 0});
  RecordBatch batch;
  ASSERT_TRUE(at.get_records(batch, 1).is_ok());
  ASSERT_EQ(batch.records.size(), 1u);
  EXPECT_EQ(batch.records[0].data.substr(0, 7), "SEALED-");
}

TEST(EncryptionWithTheRest, DescribeNeverShowsAHalfWrittenKeyId) {
  test::TempRoot root;
  KeyDirectory keys(root.path() + "/keys");
  auto stream = make_stream(root.path(), false);
  const detail::KeyMetadata key = detail::KeyStore().create_key("");
  const std::vector<std::string> ids = {key.key_id, key.arn};  // 36 and 75 characters
  std::atomic<bool> done{false};
  std::atomic<bool> looking{false};
  std::thread changer([&] {
    // The changes overlap the looks even when the looking thread is scheduled late on a loaded machine.
    while (!looking.load()) std::this_thread::yield();  // seq_cst: test flag
    // Starts stay within the 32 key generations a retention period allows; stops rewrite the key id as well.
    for (int i = 0; i < 300; ++i) {
      if (i % 10 == 0) stream->start_encryption("KMS", ids[(i / 10) % 2]);
      else stream->stop_encryption("KMS", ids[(i / 10) % 2]);
    }
    done.store(true);  // seq_cst: test flag
  });
  size_t looks = 0;
  while (!done.load()) {
    const StreamInfo info = stream->describe();
    if (info.encryption_type == "KMS") {
      EXPECT_TRUE(info.key_id == ids[0] || info.key_id == ids[1]) << info.key_id;
    } else {
      EXPECT_EQ(info.key_id, "");
    }
    ++looks;
    looking.store(true);  // seq_cst: test flag
  }
  changer.join();
  EXPECT_GT(looks, 0u);
}
