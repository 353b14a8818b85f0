#include "fd_channels.hpp"

#include <unistd.h>

#include <cerrno>

namespace feed {

void FdChannels::close_all() noexcept {
  for (auto& pair : pairs_) {
    if (pair.write_fd >= 0) ::close(pair.write_fd);
    if (pair.read_fd >= 0 && pair.read_fd != pair.write_fd) ::close(pair.read_fd);
    pair = {};
  }
}

void wait_readable(const std::vector<int>& fds) noexcept {
  std::vector<pollfd> polled;
  for (int fd : fds) polled.push_back({fd, POLLIN, 0});
  (void)::poll(polled.data(), polled.size(), 10);
}

bool write_fully(int fd, const void* bytes, size_t length) noexcept {
  const auto* cursor = static_cast<const uint8_t*>(bytes);
  while (length > 0) {
    const ssize_t written = ::write(fd, cursor, length);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // non-blocking and full: spin, as the ring transports do
        __builtin_ia32_pause();
        continue;
      }
      return false;
    }
    cursor += written;
    length -= static_cast<size_t>(written);
  }
  return true;
}

}  // namespace feed
