// Status codes of the hot path (no allocation, no exceptions) and the Error exception of the cold path.
// Each code maps to the name of the Kinesis exception a user of the AWS SDK would expect.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace shmstream {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,         // InvalidArgumentException
  kResourceNotFound,        // ResourceNotFoundException
  kResourceInUse,           // ResourceInUseException
  kLimitExceeded,           // LimitExceededException
  kExpiredIterator,         // ExpiredIteratorException: position below the trim horizon / iterator too old
  kAborted,                 // janitor padded a stalled frame: the record was NOT written
  kShardClosed,             // shard closed by a reshard; routing retries on the child
  kStorageFull,             // no space for a new segment (ENOSPC / EDQUOT / EFBIG)
  kAccessDenied,            // AccessDeniedException: file permissions
  kCorrupted,               // segment or meta file fails validation
  kIncompatibleLayout,      // layout major version differs
  kTimeout,                 // a wait ran out
  kInternalFailure,         // InternalFailure: unexpected system error
  kThroughputExceeded,      // ProvisionedThroughputExceededException: AWS-limits mode or injected throttling
};

// The Kinesis exception name for a code, e.g. "InvalidArgumentException".
const char* exception_name(StatusCode code) noexcept;

// Hot-path result: a code plus a static description (never allocated).
class [[nodiscard]] Status {
 public:
  constexpr Status() noexcept = default;
  constexpr Status(StatusCode code, const char* detail) noexcept : code_(code), detail_(detail) {}
  static constexpr Status ok() noexcept { return {}; }
  constexpr bool is_ok() const noexcept { return code_ == StatusCode::kOk; }
  constexpr explicit operator bool() const noexcept { return is_ok(); }
  constexpr StatusCode code() const noexcept { return code_; }
  constexpr const char* detail() const noexcept { return detail_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  const char* detail_ = "";
};

// Cold-path failure. what() is the human message; code() maps to the Kinesis exception name.
class Error : public std::runtime_error {
 public:
  Error(StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  StatusCode code() const noexcept { return code_; }
  const char* exception_name() const noexcept { return shmstream::exception_name(code_); }

 private:
  StatusCode code_;
};

// Throws Error(status.code(), context + ": " + status.detail()) unless ok.
void throw_if_error(Status status, const std::string& context);

}  // namespace shmstream
