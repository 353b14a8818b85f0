// Durations that tests shorten through the environment (SHMSTREAM_*_SECONDS, fractions allowed), so they need
// not wait for the service's real timeouts: the default unless the variable holds seconds in [0, max_seconds].
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>

namespace shmstream::detail {

inline std::chrono::nanoseconds duration_from_environment(const char* variable, std::chrono::nanoseconds fallback,
                                                          double max_seconds = 1e9) {
  const char* text = std::getenv(variable);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(seconds >= 0) || seconds > max_seconds) return fallback;
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
}

}  // namespace shmstream::detail
