// Helpers shared by the C++ tests: a private $SHMSTREAM_ROOT per test, removed afterwards.
#pragma once

#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "shmstream/status.hpp"

namespace shmstream::test {

// A bound Unix socket at `path`, unlinked afterwards: a file that open(2) refuses (ENXIO) even to root.
class UnixSocket {
 public:
  explicit UnixSocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind a Unix socket at " + path);
    }
  }
  ~UnixSocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  UnixSocket(const UnixSocket&) = delete;
  UnixSocket& operator=(const UnixSocket&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

class TempRoot {
 public:
  TempRoot() {
    std::string pattern = "/dev/shm/shmstream-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A tmpfs mounted at a new directory `path` for one test (needs CAP_SYS_ADMIN); unmounted at the end.
class TmpfsMount {
 public:
  TmpfsMount(std::string path, const std::string& options) : path_(std::move(path)) {
    if (::mkdir(path_.c_str(), 0700) != 0 || ::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (error_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return error_.empty(); }
  const std::string& error() const { return error_; }  // why it is not mounted
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string error_;
};

// The inode a path names now, 0 if none (which file a segment name stands for).
inline ino_t inode_of(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

// The code of the shmstream::Error an action throws, kOk if it throws none.
inline StatusCode code_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.code();
  }
  return StatusCode::kOk;
}

}  // namespace shmstream::test
