#include "stream/writer_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <thread>
#include <utility>

#include "common/system_error.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {
namespace {

int open_lock_file(const std::string& path, unsigned file_mode) noexcept {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, file_mode);
  return fd >= 0 ? fd : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // flock works on any descriptor
}

// flock(LOCK_NB) retried on EINTR: 0, EWOULDBLOCK (held in a conflicting mode) or another errno.
int try_flock(int fd, int operation) noexcept {
  while (::flock(fd, operation | LOCK_NB) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

WriterLock::WriterLock(WriterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

WriterLock& WriterLock::operator=(WriterLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

WriterLock WriterLock::acquire(const std::string& stream_directory, Mode mode, unsigned file_mode,
                               std::chrono::milliseconds patience) {
  const std::string path = path_in(stream_directory);
  WriterLock lock(open_lock_file(path, file_mode));
  if (lock.fd_ < 0) throw_errno(errno, "cannot open " + path + ": a producer needs the stream's writers lock");
  const int operation = mode == Mode::kExclusive ? LOCK_EX : LOCK_SH;
  const auto give_up = std::chrono::steady_clock::now() + patience;
  for (;;) {
    const int error = try_flock(lock.fd_, operation);
    if (error == 0) return lock;
    if (error != EWOULDBLOCK) throw_errno(error, "cannot lock " + path);
    // A shared request fails only against a live exclusive producer, which holds on for its lifetime.
    if (mode == Mode::kShared) {
      throw Error(StatusCode::kResourceInUse, "an exclusive producer is writing this stream (" + path + ")");
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      throw Error(StatusCode::kResourceInUse,
                  "another producer is writing this stream; an exclusive producer must be the only one (" + path + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

WriterLock::TryResult WriterLock::try_shared(const std::string& stream_directory, WriterLock& out,
                                             int& error) noexcept {
  WriterLock lock(::open(path_in(stream_directory).c_str(), O_RDONLY | O_CLOEXEC));
  if (lock.fd_ < 0) {
    error = errno;
    // No file: a stream made before streams were created with it, and no producer has opened it since.
    return error == ENOENT ? TryResult::kHeld : TryResult::kUnavailable;
  }
  error = try_flock(lock.fd_, LOCK_SH);
  if (error == EWOULDBLOCK) return TryResult::kExclusiveWriter;
  if (error != 0) return TryResult::kUnavailable;
  out = std::move(lock);
  return TryResult::kHeld;
}

}  // namespace shmstream::detail
