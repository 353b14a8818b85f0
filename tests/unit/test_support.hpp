// Helpers shared by the C++ tests: a private $SHMSTREAM_ROOT per test, removed afterwards.
#pragma once

#include <stdlib.h>
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
