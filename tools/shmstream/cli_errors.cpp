#include "cli_errors.hpp"

#include <iostream>

#include "shmstream/status.hpp"

namespace shmstream::cli {

void print_service_error(std::string_view operation, std::string_view exception, std::string_view message) {
  std::cout.flush();  // keep whatever was printed before the error ahead of it on a shared terminal
  std::cerr << "\nAn error occurred (" << exception << ") when calling the " << operation << " operation: " << message
            << std::endl;
}

void throw_invalid_argument(const std::string& message) { throw Error(StatusCode::kInvalidArgument, message); }

void throw_out_of_range(std::string_view member, long long value, long long minimum, long long maximum) {
  const bool too_small = value < minimum;
  throw_invalid_argument("1 validation error detected: Value '" + std::to_string(value) + "' at '" +
                         std::string(member) + "' failed to satisfy constraint: Member must have value " +
                         (too_small ? "greater than or equal to " + std::to_string(minimum)
                                    : "less than or equal to " + std::to_string(maximum)));
}

}  // namespace shmstream::cli
