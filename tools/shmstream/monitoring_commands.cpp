// enable-enhanced-monitoring, disable-enhanced-monitoring: which shard-level metrics a stream reports
// (shmstream keeps every per-shard counter anyway; `shmstream stat` and describe-stream show them).
#include "attribute_commands.hpp"
#include "operation_command.hpp"
#include "stream_target.hpp"

namespace shmstream::cli {
namespace {

void add_monitoring_command(CLI::App& app, CommandTable& table, const GlobalOptions& global, bool enable) {
  Command& command = enable ? table.add(app, "enable-enhanced-monitoring", "EnableEnhancedMonitoring",
                                        "Enable shard-level metrics of a stream")
                            : table.add(app, "disable-enhanced-monitoring", "DisableEnhancedMonitoring",
                                        "Disable shard-level metrics of a stream");
  CLI::App& sub = *command.subcommand;
  add_stream_target_flags(sub);
  sub.add_option("--shard-level-metrics",
                 "IncomingBytes IncomingRecords OutgoingBytes OutgoingRecords WriteProvisionedThroughputExceeded "
                 "ReadProvisionedThroughputExceeded IteratorAgeMilliseconds, or ALL")
      ->required();
  run_as_operation(command, global);
}

}  // namespace

void add_monitoring_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_monitoring_command(app, table, global, /*enable=*/true);
  add_monitoring_command(app, table, global, /*enable=*/false);
}

}  // namespace shmstream::cli
