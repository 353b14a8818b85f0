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
  // it waits up to `patience` for a janitor's brief shared hold), and AccessDeniedException (or the errno's
  // exception) when the file cannot be opened at all: a producer never writes without its lock, or an
  // exclusive producer and a shared one could write together.
  static WriterLock acquire(const std::string& stream_directory, Mode mode, unsigned file_mode,
                            std::chrono::milliseconds patience = std::chrono::seconds(2));

  // The janitor's non-blocking shared hold. kHeld: `out` holds it; kExclusiveWriter: an exclusive producer
  // lives; kUnavailable: the file could not be opened or locked (`error` is the errno). Never throws.
  enum class TryResult : uint8_t { kHeld, kExclusiveWriter, kUnavailable };
  static TryResult try_shared(const std::string& stream_directory, WriterLock& out, int& error) noexcept;

 private:
  explicit WriterLock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace shmstream::detail
