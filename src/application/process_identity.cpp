#include "application/process_identity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

#include "common/system_error.hpp"

namespace shmstream::detail {
namespace {

std::optional<ProcessStat> stat_of(uint32_t pid) noexcept {
  char path[48];
  std::snprintf(path, sizeof path, "/proc/%u/stat", pid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[1024];
  const ssize_t length = ::read(fd, text, sizeof text);
  ::close(fd);
  if (length <= 0) return std::nullopt;
  return parse_process_stat(std::string_view(text, static_cast<size_t>(length)));
}

}  // namespace

std::optional<ProcessStat> parse_process_stat(std::string_view stat_text) noexcept {
  const size_t name_end = stat_text.rfind(')');
  if (name_end == std::string_view::npos) return std::nullopt;
  // Fields after the name start at field 3 (state); the start time is field 22.
  std::string_view rest = stat_text.substr(name_end + 1);
  ProcessStat stat;
  for (int field = 3; field <= 22; ++field) {
    const size_t begin = rest.find_first_not_of(' ');
    if (begin == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(begin);
    const size_t end = std::min(rest.find(' '), rest.size());
    if (field == 3) stat.state = rest[0];
    if (field == 22) {
      uint64_t value = 0;
      const auto [next, error] = std::from_chars(rest.data(), rest.data() + end, value);
      if (error != std::errc() || next != rest.data() + end) return std::nullopt;
      stat.start_time = value;
      return stat;
    }
    rest.remove_prefix(end);
  }
  return std::nullopt;
}

ProcessIdentity current_process() {
  const auto pid = static_cast<uint32_t>(::getpid());
  const std::optional<ProcessStat> stat = stat_of(pid);
  if (!stat) throw Error(StatusCode::kInternalFailure, "cannot read the start time of this process from /proc");
  return {pid, stat->start_time};
}

bool process_alive(const ProcessIdentity& process) noexcept {
  const std::optional<ProcessStat> stat = stat_of(process.pid);
  return stat && stat->start_time == process.start_time && stat->state != 'Z' && stat->state != 'X';
}

}  // namespace shmstream::detail
