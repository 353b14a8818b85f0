// Kernel byte/packet channels (socketpairs, pipes), one per (producer, consumer) pair, created in the parent so
// the forked children simply inherit them. Shared by the unix-socket and pipe transports.
#pragma once

#include <poll.h>

#include <string>
#include <vector>

#include "../transport.hpp"

namespace feed {

struct FdPair {
  int write_fd = -1;
  int read_fd = -1;
};

class FdChannels {
 public:
  void resize(int producers, int consumers) {
    producers_ = producers;
    consumers_ = consumers;
    pairs_.assign(static_cast<size_t>(producers * consumers), {});
  }
  FdPair& at(int producer, int consumer) { return pairs_[static_cast<size_t>(producer * consumers_ + consumer)]; }
  std::vector<int> write_fds(int producer) {
    std::vector<int> fds;
    for (int c = 0; c < consumers_; ++c) fds.push_back(at(producer, c).write_fd);
    return fds;
  }
  std::vector<int> read_fds(int consumer) {
    std::vector<int> fds;
    for (int p = 0; p < producers_; ++p) fds.push_back(at(p, consumer).read_fd);
    return fds;
  }
  void close_all() noexcept;

 private:
  int producers_ = 0;
  int consumers_ = 0;
  std::vector<FdPair> pairs_;
};

// Block mode for fd receivers: sleep in poll(2) until one of `fds` is readable, at most 10 ms.
void wait_readable(const std::vector<int>& fds) noexcept;
// Writes all of `length` bytes (a pipe may take part of a large write); false on error.
bool write_fully(int fd, const void* bytes, size_t length) noexcept;

}  // namespace feed
