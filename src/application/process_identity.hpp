// Who owns a lease: a process named by its pid and its start time (field 22 of /proc/<pid>/stat, clock ticks
// since boot), so a pid the kernel reused for another process is not taken for the owner (docs/APPLICATIONS.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shmstream::detail {

struct ProcessIdentity {
  uint32_t pid = 0;
  uint64_t start_time = 0;
  bool operator==(const ProcessIdentity&) const noexcept = default;
};

struct ProcessStat {
  char state = 0;           // field 3: R, S, D, ..., Z (zombie: dead, not yet reaped), X (dead)
  uint64_t start_time = 0;  // field 22
};

// Fields 3 and 22 of a /proc/<pid>/stat text, counted after the last ')' (the command name between
// parentheses may hold spaces and parentheses). nullopt when the text has no such fields.
std::optional<ProcessStat> parse_process_stat(std::string_view stat_text) noexcept;

// This process (read once; a fork child reads its own).
ProcessIdentity current_process();

// False when no process has that pid, the one that has it started at another time, or it is a zombie
// (killed, its parent has not reaped it yet: it will never renew a lease again).
bool process_alive(const ProcessIdentity& process) noexcept;

}  // namespace shmstream::detail
