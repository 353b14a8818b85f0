// The lease table file of one (stream, application): `<stream>/apps/<application>.leases`
// (include/shmstream/layout/lease_table.hpp, docs/APPLICATIONS.md). Every change happens under LOCK_EX of
// the file (read, change, write back the rows that changed, then the header); readers take LOCK_SH for one
// pread. Producers never touch it, so nothing here can block a put; the kernel drops the flock of a
// process that dies, and a row is written whole (one pwrite) with its own checksum, so a torn table is
// detected instead of trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_descriptor.hpp"
#include "shmstream/layout/lease_table.hpp"

namespace shmstream::detail {

inline constexpr const char* kApplicationsDirectory = "apps";
inline constexpr std::string_view kLeaseTableSuffix = ".leases";

struct LeaseTableImage {
  layout::LeaseTableHeader header{};  // all zero while the table was never written
  std::vector<layout::LeaseRow> rows;

  bool initialized() const noexcept { return header.magic_word != 0; }
};

// Application names: [a-zA-Z0-9_.-]{1,128}, not "." or ".." (the stream-name alphabet; a file name).
bool is_valid_application_name(std::string_view name) noexcept;
std::string applications_directory(const std::string& stream_directory);
std::string lease_table_path(const std::string& stream_directory, std::string_view application);

// Validates a whole file image (the fuzzed parser). An empty image, or one whose header is all zero (its
// creator died before writing it), is a table never written: ok, no rows. Otherwise false with `error`
// saying what is wrong (bad magic, other layout version, truncated, a row whose checksum fails, ...).
bool parse_lease_table(const uint8_t* data, size_t size, LeaseTableImage& out, std::string& error);

void seal_header(layout::LeaseTableHeader& header) noexcept;
void seal_row(layout::LeaseRow& row) noexcept;
layout::LeaseRow untracked_row(uint32_t shard_index) noexcept;

class LeaseTableFile {
 public:
  // Opens the table of `application`. With `create`, makes the apps directory (the stream's directory mode)
  // and the file (the stream's file mode, whatever the umask) when missing; without it, a missing table is
  // ResourceNotFoundException, and the file is opened read-only (read() and remove() only).
  static LeaseTableFile open(const std::string& stream_directory, std::string_view application, uint32_t file_mode,
                             bool create);

  // The table under LOCK_SH. Throws Error(kCorrupted) naming the file and the problem.
  LeaseTableImage read() const;
  // Under LOCK_EX: reads the table, lets `change` edit it (returning whether it changed anything) and
  // writes back the changed rows, then the header with the next epoch. Exceptions from `change` leave the
  // file as it was.
  void update(const std::function<bool(LeaseTableImage&)>& change);
  // The file was deleted (delete-application) while this handle was open.
  bool deleted() const;
  // Unlinks the file under LOCK_EX (delete-application).
  void remove();
  const std::string& path() const noexcept { return path_; }

 private:
  LeaseTableFile(std::string path, FileDescriptor file)
      : path_(std::move(path)), file_(std::move(file)), threads_(std::make_unique<std::mutex>()) {}
  LeaseTableImage read_locked() const;

  std::string path_;
  FileDescriptor file_;
  // A flock excludes other open files, not other threads sharing this one (the worker's lease thread and
  // its checkpointing consumers): they take this first.
  std::unique_ptr<std::mutex> threads_;
};

// Names of the applications with a table on the stream, sorted.
std::vector<std::string> list_lease_tables(const std::string& stream_directory);
// Removes the table (under its LOCK_EX, so no change is cut in half). ResourceNotFoundException if none.
void remove_lease_table(const std::string& stream_directory, std::string_view application);

}  // namespace shmstream::detail
