#include "stream/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/system_error.hpp"

namespace shmstream::detail {

FileLock::FileLock(const std::string& path, unsigned mode) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, mode);
  if (fd_ < 0) throw_errno(errno, "cannot open lock file " + path);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int error = errno;
    ::close(fd_);
    throw_errno(error, "cannot lock " + path);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace shmstream::detail
