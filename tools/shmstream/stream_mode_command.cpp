// update-stream-mode: PROVISIONED or ON_DEMAND (recorded and reported; shmstream never reshards by itself).
#include "attribute_commands.hpp"
#include "attribute_parsers.hpp"
#include "cli_errors.hpp"
#include "stream_target.hpp"

namespace shmstream::cli {

void add_stream_mode_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "update-stream-mode", "UpdateStreamMode",
                               "Set the capacity mode of a stream: PROVISIONED or ON_DEMAND");
  CLI::App& sub = *command.subcommand;
  auto target = add_stream_target(sub);
  auto details = std::make_shared<std::string>();
  sub.add_option("--stream-mode-details", *details, "StreamMode=PROVISIONED|ON_DEMAND or the same as JSON")
      ->required();
  command.run = [target, details, &global] {
    const StreamMode mode = parse_stream_mode_details("--stream-mode-details", *details);
    Stream::open(target->resolve(), global.resolved_root())->update_stream_mode(mode);
    return kExitSuccess;  // prints nothing, like the AWS CLI
  };
}

}  // namespace shmstream::cli
