// The modes of a stream's directories (docs/FORMAT.md "Files"). Files carry the stream's file mode, set with
// fchmod after they are made, whatever the maker's umask.
#pragma once

#include <sys/stat.h>

#include <cstdint>

namespace shmstream::detail {

// An x bit wherever the file mode has an r bit; and, when the group may use the stream, the setgid bit:
// files and directories any member makes inside (segments, a reshard's shard directories) then carry the
// stream's group instead of the maker's primary group, so the owner and every member can use them.
inline mode_t stream_directory_mode(uint32_t file_mode) noexcept {
  auto mode = static_cast<mode_t>(file_mode | ((file_mode & 0444u) >> 2));
  if ((file_mode & 0070u) != 0) mode |= S_ISGID;
  return mode;
}

}  // namespace shmstream::detail
