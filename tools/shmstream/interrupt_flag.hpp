// SIGINT/SIGTERM turn into a flag that long-running commands (tail, demo) poll, so they can clean up
// (flush output, stop child processes, delete the demo stream) instead of dying mid-way.
#pragma once

#include <csignal>

namespace shmstream::cli {

// Installs the handlers (idempotent).
void catch_interrupts();
bool interrupted() noexcept;

}  // namespace shmstream::cli
