// A zeroed, pre-faulted shared file mapping under /dev/shm (pre-faulted: a first touch costs ~4 us per page
// here, which would otherwise land inside the measurement).
#pragma once

#include <cstddef>
#include <string>

namespace feed {

class SharedFile {
 public:
  static void create(const std::string& path, size_t bytes);  // throws std::system_error
  SharedFile(const std::string& path, size_t bytes);          // maps it read-write with MAP_POPULATE
  ~SharedFile();
  SharedFile(const SharedFile&) = delete;
  SharedFile& operator=(const SharedFile&) = delete;
  void* data() const noexcept { return base_; }

 private:
  void* base_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace feed
