// A full filesystem is an error at segment creation, never a SIGBUS: a small tmpfs mounted for the test when
// the process may mount, otherwise RLIMIT_FSIZE (sizing the new segment file then fails with EFBIG).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "../unit/test_support.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

using namespace shmstream;

namespace {

// Fills the stream until a put fails; returns (successful puts, final status code). Runs in a child so a
// SIGBUS would show as a signal death instead of killing the test runner.
int fill_until_full(const std::string& root, uint64_t segment_size, const std::function<void()>& after_create) {
  StreamOptions options;
  options.segment_size = segment_size;
  options.retention_bytes = uint64_t{1} << 40;  // no byte cap: we want the filesystem to fill
  std::shared_ptr<Stream> stream;
  try {
    stream = Stream::create("full", options, root);
  } catch (const Error& error) {
    std::fprintf(stderr, "create failed: %s\n", error.what());
    return 10;
  }
  after_create();
  Producer producer(stream);
  const std::string data(1000, 'd');
  uint64_t successes = 0;
  int full_in_a_row = 0;
  // Until the filesystem refuses three times in a row: space may come back for a moment (a background
  // segment preparation failing frees its file), which is fine, but a put must never fail otherwise.
  for (int i = 0; i < 1'000'000 && full_in_a_row < 3; ++i) {
    PutResult result;
    const Status status = producer.put_record("k", data, result);
    if (status.is_ok()) {
      ++successes;
      full_in_a_row = 0;
    } else if (status.code() == StatusCode::kStorageFull) {
      ++full_in_a_row;
    } else {
      return 11;
    }
  }
  if (full_in_a_row < 3) return 13;
  // Everything that succeeded is readable; the failed put wrote nothing readable.
  ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  uint64_t read = 0;
  while (reader.get_records(batch).is_ok() && !batch.records.empty()) read += batch.records.size();
  if (read != successes || successes == 0) return 12;
  return 0;
}

int run_in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 100 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace

TEST(StorageFull, SmallTmpfsGivesStorageFullNotSigbus) {
  test::TempRoot root;
  test::TmpfsMount tmpfs(root.path() + "/mnt", "size=4m");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs.error() << "); RLIMIT_FSIZE test covers it";
  const int result = run_in_child([&] { return fill_until_full(tmpfs.path() + "/streams", 256 * 1024, [] {}); });
  EXPECT_EQ(result, 0) << "10 create failed, 11 wrong error, 12 lost records, 13 never full, >100 signal";
}

TEST(StorageFull, FileSizeLimitGivesStorageFullNotSigbus) {
  test::TempRoot root;
  const int result = run_in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);  // otherwise exceeding RLIMIT_FSIZE kills the process
    // RLIMIT_FSIZE caps each file, not the total: set it below the segment size once the stream exists,
    // so the next segment the producer creates cannot be allocated.
    return fill_until_full(root.path(), 2 * 1024 * 1024, [] {
      rlimit limit{1024 * 1024 + 8192, 1024 * 1024 + 8192};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    });
  });
  EXPECT_EQ(result, 0) << "10 create failed, 11 wrong error, 12 lost records, 13 never full, >100 signal";
}
