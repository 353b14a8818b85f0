// A progress line on stderr for CLI work that can take seconds (deleting a big stream, a janitor pass over
// many streams): shown only on a
// terminal and only once the work has run for a second (SHMSTREAM_PROGRESS_AFTER_MS overrides, for tests),
// redrawn in place at most ten times a second, and erased when the work ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shmstream::cli {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // "<label>: 1.20 GiB of 4.00 GiB (30 %)"
  void update(uint64_t done_bytes, uint64_t total_bytes);
  // "<label>: <status>"; `status` is built only when it will be drawn.
  template <typename MakeStatus>
  void update_with(MakeStatus make_status) {
    if (due()) draw(make_status());
  }
  // Erases the line (if drawn) so other stderr output starts at the line's beginning; the next update
  // draws it again at once.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  bool due();
  void draw(const std::string& status);

  std::string label_;
  bool terminal_;
  Clock::time_point show_from_;
  Clock::time_point next_draw_;
  bool drawn_ = false;
};

}  // namespace shmstream::cli
