// Who writes a stream: any number of shared producers, or one exclusive producer (ProducerOptions::
// exclusive), never both. A flock on "<stream>/writers.lock": shared producers hold LOCK_SH, the exclusive
// one LOCK_EX. The kernel drops a flock when its holder dies, which is how the janitor learns that an
// exclusive producer is gone: it unblocks frames only while it can hold LOCK_SH itself, because an
// exclusive producer claims and commits with plain stores that a janitor's CAS must never race.
#pragma once

#include <chrono>
#include <string>

#include "common/file_names.hpp"

namespace shmstream::detail {

class WriterLock {
 public:
  enum class Mode : bool { kShared, kExclusive };

  WriterLock() noexcept = default;
  ~WriterLock();
  WriterLock(WriterLock&& other) noexcept;
  WriterLock& operator=(WriterLock&& other) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

  static std::string path_in(const std::string& stream_directory) {
    return file_names::in(stream_directory, file_names::kWritersLock);
  }

  // Throws ResourceInUseException while a writer of the other kind lives (kExclusive: any other writer;
  // it waits up to `patience` for a janitor's brief shared hold). A process that cannot open the file at all
  // (no write permission) gets an unlocked object: its puts fail with AccessDenied at the segment anyway.
  static WriterLock acquire(const std::string& stream_directory, Mode mode, unsigned file_mode,
                            std::chrono::milliseconds patience = std::chrono::seconds(2));
  // The janitor's non-blocking shared hold: false while an exclusive producer lives. Never throws.
  static bool try_shared(const std::string& stream_directory, WriterLock& out) noexcept;

 private:
  explicit WriterLock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace shmstream::detail
