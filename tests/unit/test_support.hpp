// Helpers shared by the C++ tests: a private $SHMSTREAM_ROOT per test, removed afterwards.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "shmstream/status.hpp"

namespace shmstream::test {

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
