// update-stream-mode: PROVISIONED or ON_DEMAND (recorded and reported; shmstream never reshards by itself).
#include "attribute_commands.hpp"
#include "operation_command.hpp"
#include "stream_target.hpp"

namespace shmstream::cli {

void add_stream_mode_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "update-stream-mode", "UpdateStreamMode",
                               "Set the capacity mode of a stream: PROVISIONED or ON_DEMAND");
  CLI::App& sub = *command.subcommand;
  add_stream_target_flags(sub);
  sub.add_option("--stream-mode-details", "StreamMode=PROVISIONED|ON_DEMAND or the same as JSON")->required();
  run_as_operation(command, global);
}

}  // namespace shmstream::cli
