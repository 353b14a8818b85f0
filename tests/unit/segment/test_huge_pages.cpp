// Transparent huge pages for segments: which mounts allow them (parsed from mountinfo), and, on a tmpfs
// mounted with huge=advise for the test (huge pages only where asked for), that segments really are mapped
// with them and work.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "segment/huge_pages.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"
#include "test_support.hpp"

using namespace shmstream;
using detail::huge_pages_allowed;

namespace {

const char* const kMountinfo =
    "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "25 22 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=1024k\n"
    "26 22 0:24 / /mnt/huge rw,relatime - tmpfs tmpfs rw,size=1024k,huge=within_size\n"
    "27 26 8:2 / /mnt/huge/disk rw,relatime - ext4 /dev/sda2 rw\n"
    "28 22 0:25 / /mnt/with\\040space rw - tmpfs tmpfs rw,huge=advise\n"
    "29 22 0:26 / /mnt/always rw - tmpfs tmpfs rw,huge=always\n"
    "30 22 0:27 / /mnt/never rw - tmpfs tmpfs rw,huge=never\n"
    "not a mountinfo line\n";
const char* const kAdvise = "always within_size [advise] never deny force\n";

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// kB of the mapping that holds `address` mapped with PMD (huge) entries, from /proc/self/smaps.
long pmd_mapped_kb(const void* address) {
  std::istringstream smaps(read_text("/proc/self/smaps"));
  const auto target = reinterpret_cast<uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t start = 0;
    uintptr_t end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &start, &end) == 2) {  // a mapping's first line
      inside = start <= target && target < end;
    } else if (inside && (line.rfind("ShmemPmdMapped:", 0) == 0 || line.rfind("FilePmdMapped:", 0) == 0)) {
      long kb = 0;
      if (std::sscanf(line.c_str() + line.find(':') + 1, "%ld", &kb) == 1 && kb > 0) return kb;
    }
  }
  return 0;
}

long vmstat(const char* name) {
  std::istringstream text(read_text("/proc/vmstat"));
  std::string key;
  long value = 0;
  while (text >> key >> value) {
    if (key == name) return value;
  }
  return 0;
}

}  // namespace

TEST(HugePages, OnlyTmpfsMountsThatAskForThem) {
  EXPECT_FALSE(huge_pages_allowed(kMountinfo, kAdvise, "/dev/shm/streams"));
  EXPECT_TRUE(huge_pages_allowed(kMountinfo, kAdvise, "/mnt/huge/streams"));
  EXPECT_TRUE(huge_pages_allowed(kMountinfo, kAdvise, "/mnt/huge"));
  EXPECT_TRUE(huge_pages_allowed(kMountinfo, kAdvise, "/mnt/always/x"));
  EXPECT_TRUE(huge_pages_allowed(kMountinfo, kAdvise, "/mnt/with space/x"));  // \040 unescaped
  EXPECT_FALSE(huge_pages_allowed(kMountinfo, kAdvise, "/mnt/never/x"));
  EXPECT_FALSE(huge_pages_allowed(kMountinfo, kAdvise, "/mnt/huge/disk/streams"));  // deeper mount, not tmpfs
  EXPECT_FALSE(huge_pages_allowed(kMountinfo, kAdvise, "/mnt/hugely/x"));  // a name prefix is not a parent
  EXPECT_FALSE(huge_pages_allowed(kMountinfo, kAdvise, "/home/x"));        // the ext4 root
  EXPECT_FALSE(huge_pages_allowed("", kAdvise, "/mnt/huge"));
}

TEST(HugePages, SystemWideForceAndDenyOverrideTheMount) {
  EXPECT_TRUE(huge_pages_allowed(kMountinfo, "always within_size advise never deny [force]", "/dev/shm/x"));
  EXPECT_FALSE(huge_pages_allowed(kMountinfo, "always within_size advise never deny [force]", "/home/x"));
  EXPECT_FALSE(huge_pages_allowed(kMountinfo, "always within_size advise never [deny] force", "/mnt/huge/x"));
}

TEST(HugePages, TheLaterOfTwoStackedMountsDecides) {
  const std::string stacked = std::string(kMountinfo) + "31 25 0:28 / /dev/shm rw - tmpfs tmpfs rw,huge=within_size\n";
  EXPECT_TRUE(huge_pages_allowed(stacked, kAdvise, "/dev/shm/streams"));
  const std::string restacked = stacked + "32 31 0:29 / /dev/shm rw - tmpfs tmpfs rw\n";
  EXPECT_FALSE(huge_pages_allowed(restacked, kAdvise, "/dev/shm/streams"));
}

TEST(HugePages, SegmentsOnAHugeTmpfsAreMappedWithHugePages) {
  if (read_text("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size").empty()) {
    GTEST_SKIP() << "no transparent huge pages in this kernel";
  }
  test::TempRoot root;
  test::TmpfsMount tmpfs(root.path() + "/mnt", "size=64m,huge=advise");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs.error() << ")";
  const std::string& mount_point = tmpfs.path();
  if (detail::huge_page_bytes_for(mount_point) == 0) GTEST_SKIP() << "shmem_enabled denies huge pages";

  StreamOptions options;
  options.segment_size = uint64_t{8} << 20;
  auto stream = Stream::create("huge", options, mount_point);
  EXPECT_EQ(shmstream::detail::StreamAccess::state(*stream).log(0).identity().huge_page_bytes, detail::huge_page_bytes_for(mount_point));
  const long fallbacks_before = vmstat("thp_file_fallback");
  Producer producer(stream);
  PutResult result;
  constexpr int kRecords = 20000;  // ~10 MiB: the first segment (made by Stream::create) and a rolled-into one
  for (int i = 0; i < kRecords; ++i) ASSERT_TRUE(producer.put_record("k", std::string(500, 'x'), result).is_ok());

  for (uint64_t number : {0, 1}) {
    std::shared_ptr<detail::MappedSegment> segment;
    ASSERT_TRUE(shmstream::detail::StreamAccess::state(*stream).log(0).map_segment(number, segment).is_ok());
    const long pmd_kb = pmd_mapped_kb(segment->bytes(0));
    if (pmd_kb == 0 && vmstat("thp_file_fallback") > fallbacks_before) {
      GTEST_SKIP() << "the kernel had no free huge page (memory fragmented)";
    }
    EXPECT_GE(pmd_kb, 2048) << "segment " << number << " is not mapped with huge pages";
  }

  ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  size_t read = 0;
  while (reader.get_records(batch, 10000).is_ok() && !batch.records.empty()) read += batch.records.size();
  EXPECT_EQ(read, static_cast<size_t>(kRecords));
}

TEST(HugePages, APlainTmpfsGetsNone) {
  test::TempRoot root;
  test::TmpfsMount tmpfs(root.path() + "/mnt", "size=4m,huge=never");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs.error() << ")";
  if (read_text("/sys/kernel/mm/transparent_hugepage/shmem_enabled").find("[force]") != std::string::npos) {
    GTEST_SKIP() << "shmem_enabled=force gives every tmpfs huge pages";
  }
  EXPECT_EQ(detail::huge_page_bytes_for(tmpfs.path()), 0u);
}
