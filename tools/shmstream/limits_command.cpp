// describe-limits: the caps of this implementation and what the streams under the root use of them.
#include "attribute_commands.hpp"
#include "cli_errors.hpp"
#include "json_output.hpp"

namespace shmstream::cli {

void add_limits_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-limits", "DescribeLimits",
                               "Shard and on-demand stream limits, and how many the streams under the root use");
  command.run = [&global] {
    const StreamLimits limits = Stream::describe_limits(global.resolved_root());
    print_json(Json{{"ShardLimit", limits.shard_limit},
                    {"OpenShardCount", limits.open_shard_count},
                    {"OnDemandStreamCount", limits.on_demand_stream_count},
                    {"OnDemandStreamCountLimit", limits.on_demand_stream_count_limit}});
    return kExitSuccess;
  };
}

}  // namespace shmstream::cli
