// Wall-clock time as every part of shmstream stamps and compares it.
#pragma once

#include <cstdint>

namespace shmstream {

// Current CLOCK_REALTIME in ns since the Unix epoch.
int64_t now_ns() noexcept;

}  // namespace shmstream
