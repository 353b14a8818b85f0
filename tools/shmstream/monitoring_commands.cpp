// enable-enhanced-monitoring, disable-enhanced-monitoring: which shard-level metrics a stream reports
// (shmstream keeps every per-shard counter anyway; `shmstream stat` and describe-stream show them).
#include "attribute_commands.hpp"
#include "attribute_parsers.hpp"
#include "cli_errors.hpp"
#include "common/aws_names.hpp"
#include "json_output.hpp"
#include "stream_target.hpp"

namespace shmstream::cli {
namespace {

void add_monitoring_command(CLI::App& app, CommandTable& table, const GlobalOptions& global, bool enable) {
  Command& command = enable ? table.add(app, "enable-enhanced-monitoring", "EnableEnhancedMonitoring",
                                        "Enable shard-level metrics of a stream")
                            : table.add(app, "disable-enhanced-monitoring", "DisableEnhancedMonitoring",
                                        "Disable shard-level metrics of a stream");
  CLI::App& sub = *command.subcommand;
  auto target = add_stream_target(sub);
  auto metrics = std::make_shared<std::string>();
  sub.add_option("--shard-level-metrics", *metrics,
                 "IncomingBytes IncomingRecords OutgoingBytes OutgoingRecords WriteProvisionedThroughputExceeded "
                 "ReadProvisionedThroughputExceeded IteratorAgeMilliseconds, or ALL")
      ->required();
  command.run = [target, metrics, enable, &global] {
    const uint32_t mask = parse_shard_level_metrics("--shard-level-metrics", *metrics);
    const std::shared_ptr<Stream> stream = Stream::open(target->resolve(), global.resolved_root());
    const uint32_t current = enable ? stream->enable_enhanced_monitoring(mask) : stream->disable_enhanced_monitoring(mask);
    const uint32_t desired = enable ? (current | mask) : (current & ~mask);
    print_json(Json{{"StreamName", stream->name()},
                    {"CurrentShardLevelMetrics", shard_level_metric_names(current)},
                    {"DesiredShardLevelMetrics", shard_level_metric_names(desired)},
                    {"StreamARN", detail::aws::stream_arn(stream->name())}});
    return kExitSuccess;
  };
}

}  // namespace

void add_monitoring_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_monitoring_command(app, table, global, /*enable=*/true);
  add_monitoring_command(app, table, global, /*enable=*/false);
}

}  // namespace shmstream::cli
