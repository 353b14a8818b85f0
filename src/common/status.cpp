#include "shmstream/status.hpp"

namespace shmstream {

const char* exception_name(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "InvalidArgumentException";
    case StatusCode::kResourceNotFound: return "ResourceNotFoundException";
    case StatusCode::kResourceInUse: return "ResourceInUseException";
    case StatusCode::kLimitExceeded: return "LimitExceededException";
    case StatusCode::kExpiredIterator: return "ExpiredIteratorException";
    case StatusCode::kAborted: return "RecordAbortedException";
    case StatusCode::kShardClosed: return "ShardClosedException";
    case StatusCode::kStorageFull: return "StorageFullException";
    case StatusCode::kAccessDenied: return "AccessDeniedException";
    case StatusCode::kCorrupted: return "CorruptedDataException";
    case StatusCode::kIncompatibleLayout: return "IncompatibleLayoutException";
    case StatusCode::kTimeout: return "TimeoutException";
    case StatusCode::kInternalFailure: return "InternalFailure";
    case StatusCode::kThroughputExceeded: return "ProvisionedThroughputExceededException";
  }
  return "InternalFailure";
}

void throw_if_error(Status status, const std::string& context) {
  if (!status.is_ok()) throw Error(status.code(), context + ": " + status.detail());
}

}  // namespace shmstream
