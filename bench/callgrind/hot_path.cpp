// The hot path in isolation, for deterministic instruction counts under callgrind: exactly N put_record
// calls (exclusive or shared producer), N records in put_records calls of kGroupSize, the get_records
// calls that return N records, or N get_records calls of a caught-up reader (the poll of a reader that keeps
// up, counted per call), with every piece of
// set-up (stream, producer, key cache, segment mapping, the records to read) done before collection starts.
// bench/callgrind_budget.py divides the collected instructions by N and compares them with the budgets in
// docs/PERFORMANCE.md. Runs natively too (the client requests are no-ops there); prints only errors.
//
//   hot_path exclusive-put|shared-put|exclusive-put-records|shared-put-records|get-records|empty-poll [--records N]
//            [--checksums on|off] [--encrypted] [--root DIR]
//
// --encrypted: the stream is encrypted (alias/aws/kinesis of a key directory made under the root and removed
// with the stream), so the puts seal and the reads open every record.
//
// Collection is toggled with CALLGRIND_TOGGLE_COLLECT around the measured loop (run valgrind with
// --collect-atstart=no): the toggle is per thread, so the library's background threads (segment preparers)
// never add to the count, and nothing outside the loop does either.
#include <stdlib.h>
#include <valgrind/callgrind.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

namespace {

constexpr std::string_view kStreamName = "hot-path";
constexpr size_t kKeyCount = 16;
constexpr size_t kDataBytes = 64;
constexpr uint32_t kBatchLimit = 100;
constexpr size_t kGroupSize = 16;  // put_records entries per call: one of each key
// Ten rounds of every key: each key has been routed (and cached, where the producer caches keys) and the
// segment's first pages are touched before the count starts. The reader skips these by count.
constexpr uint64_t kWarmupRecords = 10 * kKeyCount;

enum class Mode { kExclusivePut, kSharedPut, kExclusivePutRecords, kSharedPutRecords, kGetRecords, kEmptyPoll };

struct Options {
  Mode mode = Mode::kExclusivePut;
  uint64_t records = 100000;
  bool checksums = false;
  bool encrypted = false;
  std::string root;  // empty: a fresh directory under /dev/shm
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "hot_path: %s\n", message.c_str());
  std::exit(1);
}

Options parse_options(int argc, char** argv) {
  Options options;
  CLI::App app{"The hot path in isolation, for callgrind (bench/callgrind_budget.py)", "hot_path"};
  const std::map<std::string, Mode> modes{
      {"exclusive-put", Mode::kExclusivePut},
      {"shared-put", Mode::kSharedPut},
      {"exclusive-put-records", Mode::kExclusivePutRecords},
      {"shared-put-records", Mode::kSharedPutRecords},
      {"get-records", Mode::kGetRecords},
      {"empty-poll", Mode::kEmptyPoll}};
  std::string mode;
  app.add_option("mode", mode,
                 "exclusive-put|shared-put|exclusive-put-records|shared-put-records|get-records|empty-poll")
      ->required()
      ->check(CLI::IsMember(modes));
  app.add_option("--records", options.records, "records measured")->check(CLI::PositiveNumber);
  std::string checksums = "off";
  app.add_option("--checksums", checksums, "on|off")->check(CLI::IsMember({"on", "off"}));
  app.add_flag("--encrypted", options.encrypted, "encrypt the stream (puts seal, reads open)");
  app.add_option("--root", options.root, "root of the scratch stream (default: a fresh directory under /dev/shm)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    std::exit(app.exit(error) == 0 ? 0 : 2);
  }
  options.mode = modes.at(mode);
  options.checksums = checksums == "on";
  return options;
}

// Removes what the run created, whichever way main leaves.
class Scratch {
 public:
  explicit Scratch(const std::string& root) {
    if (!root.empty()) {
      std::filesystem::create_directories(root);
      root_ = root;
      remove_stream();  // left by an earlier, killed run: create() would fail on it
      return;
    }
    std::string pattern = "/dev/shm/shmstream-hot-path-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) fail("mkdtemp of " + pattern + " failed");
    root_ = pattern;
    owns_root_ = true;
  }
  ~Scratch() {
    if (owns_root_) {
      std::error_code ignored;
      std::filesystem::remove_all(root_, ignored);
    } else {
      remove_stream();
    }
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::string& root() const { return root_; }
  // The key directory of --encrypted, under the root (removed with the stream).
  std::string key_dir() const { return root_ + "/hot-path-keys"; }

 private:
  void remove_stream() noexcept {
    std::error_code ignored;
    std::filesystem::remove_all(key_dir(), ignored);  // made by this driver only (--encrypted)
    if (!std::filesystem::exists(std::filesystem::path(root_) / kStreamName, ignored)) return;
    try {
      shmstream::Stream::remove(kStreamName, root_);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "hot_path: removing the stream under %s: %s\n", root_.c_str(), error.what());
    }
  }

  std::string root_;
  bool owns_root_ = false;
};

// Big enough that neither the set-up puts nor the measured loop ever roll: a roll is a cold-path event
// (a new segment file) that would swamp the per-record figure. A 64-byte record with an 8-byte key takes
// at most 160 bytes of log, checksum trailer included; 320 leaves room for a larger frame layout.
uint64_t segment_size_for(uint64_t records) {
  const uint64_t needed = (records + kWarmupRecords) * 320;
  uint64_t size = uint64_t{64} << 20;
  while (size < needed && size < shmstream::kMaxSegmentSize) size <<= 1;
  if (size < needed) fail("--records too large for one segment");
  return size;
}

void check(shmstream::Status status, const char* what) {
  if (!status) {
    fail(std::string(what) + " failed: " + shmstream::exception_name(status.code()) + ": " + status.detail());
  }
}

struct Workload {
  std::array<std::string, kKeyCount> key_storage;
  std::array<std::string_view, kKeyCount> keys;
  std::string data;

  Workload() : data(kDataBytes, '\0') {
    for (size_t i = 0; i < kKeyCount; ++i) {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "KEY%05zu", i);
      key_storage[i] = buffer;
      keys[i] = key_storage[i];
    }
    for (size_t i = 0; i < kDataBytes; ++i) data[i] = static_cast<char>('a' + i % 26);
  }
};

void put_unmeasured(shmstream::Producer& producer, const Workload& work, uint64_t count) {
  shmstream::PutResult result;
  for (uint64_t i = 0; i < count; ++i) {
    check(producer.put_record(work.keys[i % kKeyCount], work.data, result), "put_record");
  }
}

void run_put_records(const Options& options, shmstream::Producer& producer, const Workload& work) {
  static_assert(kGroupSize == kKeyCount);
  if (options.records % kGroupSize != 0) fail("--records must be a multiple of " + std::to_string(kGroupSize));
  std::array<shmstream::PutRecordsEntry, kGroupSize> entries;
  for (size_t i = 0; i < kGroupSize; ++i) entries[i] = {work.keys[i], work.data, std::nullopt};
  std::array<shmstream::PutRecordsResultEntry, kGroupSize> results;
  shmstream::Status request;
  unsigned failures = 0;
  CALLGRIND_TOGGLE_COLLECT;
  for (uint64_t i = 0; i < options.records / kGroupSize; ++i) {
    failures |= producer.put_records(entries, results, request) | static_cast<unsigned>(request.code());
  }
  CALLGRIND_TOGGLE_COLLECT;
  if (failures != 0) fail("a measured put_records failed");
}

void run_put(const Options& options, const std::shared_ptr<shmstream::Stream>& stream, const Workload& work) {
  const bool exclusive = options.mode == Mode::kExclusivePut || options.mode == Mode::kExclusivePutRecords;
  shmstream::Producer producer(stream, shmstream::ProducerOptions{.exclusive = exclusive});
  put_unmeasured(producer, work, kWarmupRecords);
  if (options.mode == Mode::kExclusivePutRecords || options.mode == Mode::kSharedPutRecords) {
    return run_put_records(options, producer, work);
  }
  shmstream::PutResult result;
  const std::string_view data = work.data;
  // The loop's own instructions count too, so it stays a few: a power-of-two mask picks the key, and the
  // status codes are OR-ed (kOk is 0) rather than branched on.
  static_assert((kKeyCount & (kKeyCount - 1)) == 0);
  unsigned codes = 0;
  CALLGRIND_TOGGLE_COLLECT;
  for (uint64_t i = 0; i < options.records; ++i) {
    codes |= static_cast<unsigned>(producer.put_record(work.keys[i & (kKeyCount - 1)], data, result).code());
  }
  CALLGRIND_TOGGLE_COLLECT;
  if (codes != 0) fail("a measured put_record failed");
}

void run_get(const Options& options, const std::shared_ptr<shmstream::Stream>& stream, const Workload& work) {
  {
    shmstream::Producer producer(stream, shmstream::ProducerOptions{.exclusive = true});
    put_unmeasured(producer, work, kWarmupRecords + options.records);
  }
  shmstream::ShardReader reader(stream, 0, shmstream::IteratorStart{.type = shmstream::IteratorType::kTrimHorizon});
  shmstream::RecordBatch batch;
  batch.records.reserve(kBatchLimit);
  // The warm-up records go through the same calls unmeasured: the reader maps the segment and settles
  // its cursor before the count starts.
  for (uint64_t skipped = 0; skipped < kWarmupRecords;) {
    const uint32_t limit = static_cast<uint32_t>(std::min<uint64_t>(kBatchLimit, kWarmupRecords - skipped));
    check(reader.get_records(batch, limit), "get_records (warm-up)");
    if (batch.records.empty()) fail("get_records (warm-up) returned no records");
    skipped += batch.records.size();
  }

  uint64_t returned = 0;
  uint64_t calls = 0;
  bool ok = true;
  CALLGRIND_TOGGLE_COLLECT;
  while (returned < options.records && ok) {
    ok = reader.get_records(batch, kBatchLimit).is_ok();
    returned += batch.records.size();
    ok &= !batch.records.empty();
    ++calls;
  }
  CALLGRIND_TOGGLE_COLLECT;
  if (!ok) fail("a measured get_records failed or returned no records after " + std::to_string(returned));
  if (returned != options.records) {
    fail("get_records returned " + std::to_string(returned) + " records, expected " + std::to_string(options.records));
  }
  if (calls != (options.records + kBatchLimit - 1) / kBatchLimit) {
    fail("get_records took " + std::to_string(calls) + " calls for " + std::to_string(returned) + " records");
  }
  const auto& last = batch.records.back();
  if (last.partition_key != work.keys[(kWarmupRecords + options.records - 1) % kKeyCount] || last.data != work.data) {
    fail("the last record read is not the last record put");
  }
}

// N get_records calls at the end of the log, each finding the next frame free.
void run_empty_poll(const Options& options, const std::shared_ptr<shmstream::Stream>& stream, const Workload& work) {
  {
    shmstream::Producer producer(stream, shmstream::ProducerOptions{.exclusive = true});
    put_unmeasured(producer, work, kWarmupRecords);
  }
  shmstream::ShardReader reader(stream, 0, shmstream::IteratorStart{.type = shmstream::IteratorType::kTrimHorizon});
  shmstream::RecordBatch batch;
  batch.records.reserve(kBatchLimit);
  uint64_t skipped = 0;
  do {
    check(reader.get_records(batch, kBatchLimit), "get_records (warm-up)");
    skipped += batch.records.size();
  } while (!batch.records.empty());
  if (skipped != kWarmupRecords) fail("the warm-up reads did not return every record");
  uint64_t returned = 0;
  unsigned codes = 0;
  CALLGRIND_TOGGLE_COLLECT;
  for (uint64_t i = 0; i < options.records; ++i) {
    codes |= static_cast<unsigned>(reader.get_records(batch, kBatchLimit).code());
    returned += batch.records.size();
  }
  CALLGRIND_TOGGLE_COLLECT;
  if (codes != 0 || returned != 0) fail("a measured poll failed or returned records");
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  try {
    // Static: its destructor also runs when fail() calls std::exit.
    static Scratch scratch(options.root);

    shmstream::StreamOptions stream_options;
    stream_options.shard_count = 1;
    stream_options.segment_size = segment_size_for(options.records);
    stream_options.checksums = options.checksums;
    auto stream = shmstream::Stream::create(kStreamName, stream_options, scratch.root());
    if (stream->describe().checksums != options.checksums) fail("the stream's checksum setting is not the one asked");
    if (options.encrypted) {
      std::filesystem::create_directories(scratch.key_dir());
      ::setenv("SHMSTREAM_KEY_DIR", scratch.key_dir().c_str(), 1);
      stream->start_encryption("KMS", "alias/aws/kinesis");
    }

    const Workload work;
    if (options.mode == Mode::kGetRecords) {
      run_get(options, stream, work);
    } else if (options.mode == Mode::kEmptyPoll) {
      run_empty_poll(options, stream, work);
    } else {
      run_put(options, stream, work);
    }
  } catch (const std::exception& error) {
    fail(error.what());
  }
  return 0;
}
