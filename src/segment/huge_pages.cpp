#include "segment/huge_pages.hpp"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace shmstream::detail {
namespace {

constexpr uint64_t kDefaultPmdBytes = uint64_t{2} << 20;  // x86-64; the sysfs file says otherwise elsewhere

std::string read_text(const char* path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t at = text.find(separator); at != std::string_view::npos; at = text.find(separator, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo (octal).
std::string unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    const auto octal = [&](size_t at) { return at < field.size() && field[at] >= '0' && field[at] <= '7'; };
    if (field[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      const int value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
      out.push_back(static_cast<char>(value));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

bool under(std::string_view path, std::string_view mount_point) {
  if (mount_point == "/") return true;
  return path.substr(0, mount_point.size()) == mount_point &&
         (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

std::string_view selected(std::string_view shmem_enabled) {
  const size_t open = shmem_enabled.find('[');
  const size_t close = shmem_enabled.find(']', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  return shmem_enabled.substr(open + 1, close - open - 1);
}

}  // namespace

bool huge_pages_allowed(std::string_view mountinfo, std::string_view shmem_enabled, std::string_view path) noexcept try {
  const std::string_view system_wide = selected(shmem_enabled);
  if (system_wide == "deny") return false;
  size_t best_length = 0;  // of the mount point chosen so far; every mount point is at least "/"
  bool allowed = false;
  for (std::string_view line : split(mountinfo, '\n')) {
    const std::vector<std::string_view> fields = split(line, ' ');
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 5 || dash < 5 || dash + 3 >= fields.size()) continue;  // malformed: not ours to judge
    const std::string mount_point = unescape(fields[4]);
    // Longest mount point that holds the path; of two equal ones the later (stacked on top) wins.
    if (!under(path, mount_point) || mount_point.size() < best_length) continue;
    best_length = mount_point.size();
    allowed = false;
    if (fields[dash + 1] != "tmpfs") continue;
    if (system_wide == "force") allowed = true;
    for (std::string_view option : split(fields[dash + 3], ',')) {
      if (option == "huge=always" || option == "huge=within_size" || option == "huge=advise") allowed = true;
    }
  }
  return allowed;
} catch (...) {
  return false;
}

uint64_t huge_page_bytes_for(const std::string& directory) noexcept try {
  char resolved[PATH_MAX];
  if (::realpath(directory.c_str(), resolved) == nullptr) return 0;
  if (!huge_pages_allowed(read_text("/proc/self/mountinfo"),
                          read_text("/sys/kernel/mm/transparent_hugepage/shmem_enabled"), resolved)) {
    return 0;
  }
  const uint64_t bytes = std::strtoull(read_text("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size").c_str(),
                                       nullptr, 10);
  return bytes != 0 ? bytes : kDefaultPmdBytes;
} catch (...) {
  return 0;
}

uint64_t huge_page_bytes_for(const std::string& directory, uint64_t segment_size) noexcept {
  const uint64_t bytes = huge_page_bytes_for(directory);
  return bytes != 0 && segment_size % bytes == 0 ? bytes : 0;
}

}  // namespace shmstream::detail
