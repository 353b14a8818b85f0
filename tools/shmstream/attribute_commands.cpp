#include "attribute_commands.hpp"

namespace shmstream::cli {

void add_stream_attribute_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_limits_command(app, table, global);
  add_tags_commands(app, table, global);
  add_stream_mode_command(app, table, global);
  add_monitoring_commands(app, table, global);
  add_consumer_commands(app, table, global);
  add_throttling_commands(app, table, global);
}

}  // namespace shmstream::cli
