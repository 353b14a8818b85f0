#include "progress_line.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace shmstream::cli {
namespace {

std::chrono::milliseconds show_after() {
  const char* text = std::getenv("SHMSTREAM_PROGRESS_AFTER_MS");
  return std::chrono::milliseconds(text != nullptr ? std::strtoll(text, nullptr, 10) : 1000);
}

std::string gibibytes(uint64_t bytes) { return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1 << 30)); }

}  // namespace

ProgressLine::ProgressLine(std::string label)
    : label_(std::move(label)),
      terminal_(::isatty(STDERR_FILENO) == 1),
      show_from_(Clock::now() + show_after()),
      next_draw_(show_from_) {}

ProgressLine::~ProgressLine() {
  if (drawn_) std::fputs("\r\x1b[K", stderr);  // erase: the command's own output (or error) follows cleanly
}

bool ProgressLine::due() {
  if (!terminal_) return false;
  const auto now = Clock::now();
  if (now < next_draw_) return false;
  next_draw_ = now + std::chrono::milliseconds(100);
  return true;
}

void ProgressLine::draw(const std::string& status) {
  std::fputs(fmt::format("\r\x1b[K{}: {}", label_, status).c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::update(uint64_t done_bytes, uint64_t total_bytes) {
  update_with([&] {
    const double percent = total_bytes == 0 ? 100.0 : 100.0 * static_cast<double>(done_bytes) / total_bytes;
    return fmt::format("{} of {} ({:.0f} %)", gibibytes(done_bytes), gibibytes(total_bytes), percent);
  });
}

void ProgressLine::clear() {
  if (!drawn_) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
  next_draw_ = std::max(show_from_, Clock::now());
}

}  // namespace shmstream::cli
