// The modes of a stream's directories (docs/FORMAT.md "Files"). Files carry the stream's file mode, set with
// fchmod after they are made, whatever the maker's umask.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "common/file_descriptor.hpp"
#include "common/system_error.hpp"

namespace shmstream::detail {

// An x bit wherever the file mode has an r bit; and, when the group may use the stream, the setgid bit:
// files and directories any member makes inside (segments, a reshard's shard directories) then carry the
// stream's group instead of the maker's primary group, so the owner and every member can use them.
inline mode_t stream_directory_mode(uint32_t file_mode) noexcept {
  auto mode = static_cast<mode_t>(file_mode | ((file_mode & 0444u) >> 2));
  if ((file_mode & 0070u) != 0) mode |= S_ISGID;
  return mode;
}

// A file of the stream, made new (it must not exist) with the stream's mode whatever the maker's umask.
inline FileDescriptor create_with_mode(const std::string& path, uint32_t file_mode) {
  FileDescriptor file(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, file_mode));
  if (file.fd < 0) throw_errno(errno, "cannot create " + path);
  if (::fchmod(file.fd, file_mode) != 0) throw_errno(errno, "cannot set mode of " + path);
  return file;
}

}  // namespace shmstream::detail
