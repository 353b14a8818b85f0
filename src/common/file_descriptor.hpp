// An owned file descriptor, closed when its owner goes: the cold paths that open files throw or return
// early in many places, and none of them may leak a descriptor (or close one twice).
#pragma once

#include <unistd.h>

#include <utility>

namespace shmstream::detail {

struct FileDescriptor {
  int fd = -1;

  FileDescriptor() noexcept = default;
  explicit FileDescriptor(int owned) noexcept : fd(owned) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      if (fd >= 0) ::close(fd);
      fd = std::exchange(other.fd, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace shmstream::detail
