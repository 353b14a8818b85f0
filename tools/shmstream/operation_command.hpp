// Commands whose work is an endpoint operation (operations.hpp): the command's flags become the request
// document (request_flags.hpp), the operation runs on it, and its response prints as the aws CLI prints it, so
// the command line and `shmstream serve` cannot answer one request differently.
#pragma once

#include "command_table.hpp"

namespace shmstream::cli {

// Binds `command` to the operation of its name (Command::operation).
void run_as_operation(Command& command, const GlobalOptions& global);

}  // namespace shmstream::cli
