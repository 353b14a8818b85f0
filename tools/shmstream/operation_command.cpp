#include "operation_command.hpp"

#include "cli_errors.hpp"
#include "json_output.hpp"
#include "operations.hpp"
#include "request_flags.hpp"

namespace shmstream::cli {

void run_as_operation(Command& command, const GlobalOptions& global) {
  command.run = [&command, &global] {
    const Json response = Operations(global.resolved_root()).handle(command.operation, request_from_flags(command));
    if (!response.is_null()) print_json(response);  // an empty response prints nothing, like the aws CLI
    return kExitSuccess;
  };
}

}  // namespace shmstream::cli
