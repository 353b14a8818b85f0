// errno -> StatusCode for the cold paths that talk to the filesystem.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

#include "shmstream/status.hpp"

namespace shmstream::detail {

constexpr StatusCode status_from_errno(int error) noexcept {
  switch (error) {
    case ENOENT: return StatusCode::kResourceNotFound;
    case EACCES:
    case EPERM:
    case EROFS: return StatusCode::kAccessDenied;
    case ENOSPC:
    case EDQUOT:
    case EFBIG: return StatusCode::kStorageFull;
    case EEXIST: return StatusCode::kResourceInUse;
    default: return StatusCode::kInternalFailure;
  }
}

[[noreturn]] inline void throw_errno(int error, const std::string& what) {
  throw Error(status_from_errno(error), what + ": " + std::strerror(error));
}

}  // namespace shmstream::detail
