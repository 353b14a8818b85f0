// describe-limits: the caps of this implementation and what the streams under the root use of them.
#include "attribute_commands.hpp"
#include "operation_command.hpp"

namespace shmstream::cli {

void add_limits_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-limits", "DescribeLimits",
                               "Shard and on-demand stream limits, and how many the streams under the root use");
  run_as_operation(command, global);
}

}  // namespace shmstream::cli
