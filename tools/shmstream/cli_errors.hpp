// Exit codes and error output in the shape of the AWS CLI, so scripts written for `aws kinesis` keep working.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace shmstream::cli {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitInterrupted = 130;   // SIGINT, as the AWS CLI
inline constexpr int kExitUsageError = 252;    // the command line could not be parsed
inline constexpr int kExitServiceError = 254;  // the operation failed (ResourceNotFoundException, ...)
inline constexpr int kExitInternalError = 255;

// A service error whose exception has no StatusCode in the library because only the API layer raises it
// (ValidationException for a request that breaks the service model, ExpiredNextTokenException).
class ServiceError : public std::runtime_error {
 public:
  ServiceError(std::string exception_name, const std::string& message)
      : std::runtime_error(message), exception_name_(std::move(exception_name)) {}
  const std::string& exception_name() const noexcept { return exception_name_; }

 private:
  std::string exception_name_;
};

// A command line the aws CLI would refuse before calling the service (unparsable --cli-input-json or shorthand,
// unknown member): exit 252 with the message.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Prints "\nAn error occurred (<exception>) when calling the <operation> operation: <message>" to stderr.
void print_service_error(std::string_view operation, std::string_view exception, std::string_view message);

// Throws shmstream::Error(kInvalidArgument, message): for flag values that parse but make no sense.
[[noreturn]] void throw_invalid_argument(const std::string& message);

// AWS-style validation message for a number outside [minimum, maximum].
[[noreturn]] void throw_out_of_range(std::string_view member, long long value, long long minimum, long long maximum);

}  // namespace shmstream::cli
