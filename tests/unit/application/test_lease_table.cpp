// The lease table file (docs/APPLICATIONS.md, FORMAT.md "Lease table"): its bytes read back with plain file
// reads, the modes it is made with, and every way a damaged table is refused with a clear error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "application/lease_table.hpp"
#include "application/process_identity.hpp"
#include "shmstream/stream.hpp"
#include "test_support.hpp"

using namespace shmstream;
using shmstream::detail::LeaseTableFile;
using shmstream::detail::LeaseTableImage;

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

template <typename T>
T at(const std::vector<uint8_t>& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// A table of two shards: shard 1 owned by "w1" (pid 4242) and checkpointed at 1088, shard 0 untracked.
void write_two_rows(LeaseTableFile& table) {
  table.update([](LeaseTableImage& image) {
    image.header.created_ns = 7;
    image.header.initial_position = static_cast<uint32_t>(layout::CheckpointKind::kTrimHorizon);
    image.rows.push_back(detail::untracked_row(0));
    layout::LeaseRow row = detail::untracked_row(1);
    row.flags = layout::kLeaseRowTracked;
    row.parent_index = 0;
    row.lease_counter = 3;
    row.owner_pid = 4242;
    row.owner_start_time = 99;
    row.renewed_boottime_ns = 11;
    row.renewed_realtime_ns = 12;
    row.checkpoint_kind = static_cast<uint32_t>(layout::CheckpointKind::kSequenceNumber);
    row.checkpoint_value = 1088;
    row.pending_checkpoint_kind = static_cast<uint32_t>(layout::CheckpointKind::kSequenceNumber);
    row.pending_checkpoint_value = 2048;
    row.owner_switches_since_checkpoint = 2;
    std::strcpy(row.owner_worker_id, "w1");
    image.rows.push_back(row);
    return true;
  });
}

class LeaseTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamOptions options;
    options.shard_count = 2;
    options.segment_size = 8192;
    stream = Stream::create("leases", options, root.path());
  }
  test::TempRoot root;
  std::shared_ptr<Stream> stream;
};

}  // namespace

TEST(LeaseTableLayout, VersionWordIsStable) {
  EXPECT_EQ(layout::lease_table_magic_word(), 0x0000000141454c53ull);  // "SLEA" 1.0
}

TEST_F(LeaseTableTest, GoldenBytes) {
  LeaseTableFile table = LeaseTableFile::open(stream->directory(), "app", 0600, true);
  write_two_rows(table);
  const auto bytes = read_bytes(stream->directory() + "/apps/app.leases");
  ASSERT_EQ(bytes.size(), 64u + 2 * 128u);
  EXPECT_EQ(at<uint64_t>(bytes, 0), layout::lease_table_magic_word());
  EXPECT_EQ(at<uint32_t>(bytes, 8), 128u);  // row size
  EXPECT_EQ(at<uint32_t>(bytes, 12), 2u);   // row count
  EXPECT_EQ(at<int64_t>(bytes, 16), 7);
  EXPECT_EQ(at<uint32_t>(bytes, 24), 1u);   // TRIM_HORIZON
  EXPECT_EQ(at<uint64_t>(bytes, 40), 1u);   // epoch: one change
  EXPECT_EQ(at<uint64_t>(bytes, 56), XXH3_64bits(bytes.data(), 56));
  const size_t row = 64 + 128;
  EXPECT_EQ(at<uint32_t>(bytes, row + 0), 1u);
  EXPECT_EQ(at<uint32_t>(bytes, row + 4), layout::kLeaseRowTracked);
  EXPECT_EQ(at<uint32_t>(bytes, row + 8), 0u);
  EXPECT_EQ(at<uint32_t>(bytes, row + 12), 0xffffffffu);
  EXPECT_EQ(at<uint64_t>(bytes, row + 16), 3u);
  EXPECT_EQ(at<uint32_t>(bytes, row + 24), 4242u);
  EXPECT_EQ(at<uint64_t>(bytes, row + 32), 99u);
  EXPECT_EQ(at<uint64_t>(bytes, row + 40), 11u);
  EXPECT_EQ(at<int64_t>(bytes, row + 48), 12);
  EXPECT_EQ(at<uint32_t>(bytes, row + 56), 4u);  // SEQUENCE_NUMBER
  EXPECT_EQ(at<uint32_t>(bytes, row + 60), 4u);
  EXPECT_EQ(at<uint64_t>(bytes, row + 64), 1088u);
  EXPECT_EQ(at<uint64_t>(bytes, row + 72), 2048u);
  EXPECT_EQ(at<uint64_t>(bytes, row + 80), 2u);
  EXPECT_STREQ(reinterpret_cast<const char*>(bytes.data() + row + 88), "w1");
  EXPECT_EQ(at<uint64_t>(bytes, row + 120), XXH3_64bits(bytes.data() + row, 120));
  // Read back through the parser.
  const LeaseTableImage image = table.read();
  ASSERT_EQ(image.rows.size(), 2u);
  EXPECT_EQ(image.rows[1].checkpoint_value, 1088u);
  EXPECT_EQ(image.rows[0].flags, 0u);
}

TEST_F(LeaseTableTest, NewFilesCarryTheStreamModeWhateverTheUmask) {
  StreamOptions options;
  options.file_mode = 0660;
  auto shared = Stream::create("shared", options, root.path());
  const mode_t old_umask = ::umask(077);
  LeaseTableFile::open(shared->directory(), "app", 0660, true);
  ::umask(old_umask);
  struct stat info {};
  ASSERT_EQ(::stat((shared->directory() + "/apps").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 02770u);  // setgid: members' files get the stream's group
  ASSERT_EQ(::stat((shared->directory() + "/apps/app.leases").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0660u);
}

TEST_F(LeaseTableTest, DamagedTablesAreRefusedWithTheReason) {
  LeaseTableFile table = LeaseTableFile::open(stream->directory(), "app", 0600, true);
  write_two_rows(table);
  const std::string path = stream->directory() + "/apps/app.leases";
  const auto good = read_bytes(path);
  auto expect_refused = [&](std::vector<uint8_t> bytes, const std::string& reason) {
    write_bytes(path, bytes);
    try {
      (void)LeaseTableFile::open(stream->directory(), "app", 0600, false).read();
      ADD_FAILURE() << "accepted a table that should fail with: " << reason;
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), StatusCode::kCorrupted);
      EXPECT_NE(std::string(error.what()).find(reason), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    }
  };
  auto flipped = good;
  flipped[64 + 128 + 64] ^= 1;  // shard 1's checkpoint
  expect_refused(flipped, "row 1 fails its checksum");
  expect_refused(std::vector<uint8_t>(good.begin(), good.begin() + 64 + 128 + 100), "truncated");
  expect_refused(std::vector<uint8_t>(good.begin(), good.begin() + 30), "truncated");
  auto magic = good;
  magic[0] ^= 0xff;
  expect_refused(magic, "bad magic");
  auto version = good;
  version[4] = 9;  // major 9
  expect_refused(version, "lease table layout 9.0");
  auto header = good;
  header[16] ^= 1;
  expect_refused(header, "header fails its checksum");
  // An all-zero header: its creator died before writing it; a table never written, not an error.
  write_bytes(path, std::vector<uint8_t>(64, 0));
  EXPECT_FALSE(LeaseTableFile::open(stream->directory(), "app", 0600, false).read().initialized());
}

TEST_F(LeaseTableTest, ListAndRemove) {
  EXPECT_TRUE(detail::list_lease_tables(stream->directory()).empty());
  LeaseTableFile::open(stream->directory(), "b-app", 0600, true);
  LeaseTableFile::open(stream->directory(), "a.app", 0600, true);
  EXPECT_EQ(detail::list_lease_tables(stream->directory()), (std::vector<std::string>{"a.app", "b-app"}));
  detail::remove_lease_table(stream->directory(), "a.app");
  EXPECT_EQ(detail::list_lease_tables(stream->directory()), (std::vector<std::string>{"b-app"}));
  try {
    detail::remove_lease_table(stream->directory(), "a.app");
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), StatusCode::kResourceNotFound);
  }
  for (const char* bad : {"", ".", "..", "a/b", "a b"}) {
    EXPECT_FALSE(detail::is_valid_application_name(bad)) << bad;
    EXPECT_THROW(LeaseTableFile::open(stream->directory(), bad, 0600, true), Error) << bad;
  }
}

TEST(ProcessIdentity, StatParsingAndLiveness) {
  const auto stat = detail::parse_process_stat("123 (a ) b (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 19");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->start_time, 777u);
  EXPECT_FALSE(detail::parse_process_stat("123 (x) S 1 2"));
  EXPECT_FALSE(detail::parse_process_stat("no parenthesis"));

  const detail::ProcessIdentity me = detail::current_process();
  EXPECT_TRUE(detail::process_alive(me));
  EXPECT_FALSE(detail::process_alive({me.pid, me.start_time + 1}));  // a reused pid: another process

  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  const detail::ProcessIdentity child_identity{static_cast<uint32_t>(child), 0};
  detail::ProcessIdentity alive_child = child_identity;
  for (int i = 0; i < 100 && alive_child.start_time == 0; ++i) {
    std::ifstream in("/proc/" + std::to_string(child) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (const auto parsed = detail::parse_process_stat(text)) alive_child.start_time = parsed->start_time;
  }
  EXPECT_TRUE(detail::process_alive(alive_child));
  ::kill(child, SIGKILL);
  // Killed but not reaped (a zombie): dead for lease purposes.
  for (int i = 0; i < 1000 && detail::process_alive(alive_child); ++i) ::usleep(1000);
  EXPECT_FALSE(detail::process_alive(alive_child));
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(detail::process_alive(alive_child));
}
