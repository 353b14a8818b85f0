// flock()-based exclusive lock for control-path changes. The kernel drops it when the holder dies, so a
// crash never leaves a stream locked.
#pragma once

#include <string>

namespace shmstream::detail {

class FileLock {
 public:
  // Opens (creating with `mode` if needed) and locks exclusively; throws Error on failure.
  explicit FileLock(const std::string& path, unsigned mode = 0600);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace shmstream::detail
