// shmstream's update-throttling and describe-throttling: injected ProvisionedThroughputExceededException and
// the AWS-limits mode, for testing a producer's or consumer's retry path (docs/OPERATIONS.md "Throttling").
#include <cmath>

#include "attribute_commands.hpp"
#include "cli_errors.hpp"
#include "json_output.hpp"
#include "stream_target.hpp"

namespace shmstream::cli {
namespace {

constexpr double kPartsPerMillion = 1'000'000.0;

uint32_t parse_probability(const std::string& text) {
  size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= 0.0 && value <= 1.0)) {
    throw_invalid_argument("--put-throttle-probability must be a number between 0 and 1, not " + text);
  }
  return static_cast<uint32_t>(std::lround(value * kPartsPerMillion));
}

void add_update_throttling(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "update-throttling", "UpdateThrottling",
                               "shmstream: inject ProvisionedThroughputExceededException into puts, or enforce the "
                               "per-shard limits of the real service");
  CLI::App& sub = *command.subcommand;
  auto target = add_stream_target(sub);
  struct Flags {
    std::string probability, aws_limits;
  };
  auto flags = std::make_shared<Flags>();
  CLI::Option* probability = sub.add_option(
      "--put-throttle-probability", flags->probability,
      "Probability (0..1, resolution 1e-6) that each PutRecord / PutRecords entry fails with "
      "ProvisionedThroughputExceededException; 0 turns it off");
  CLI::Option* aws_limits =
      sub.add_option("--aws-limits", flags->aws_limits,
                     "on|off: enforce 1 MiB/s and 1000 records/s of writes, 5 GetRecords/s and 2 MiB/s of reads "
                     "per shard")
          ->check(CLI::IsMember({"on", "off"}));
  command.run = [target, flags, probability, aws_limits, &global] {
    if (probability->count() == 0 && aws_limits->count() == 0) {
      throw_invalid_argument("update-throttling needs --put-throttle-probability or --aws-limits");
    }
    std::optional<uint32_t> ppm;
    if (probability->count() > 0) ppm = parse_probability(flags->probability);
    const std::shared_ptr<Stream> stream = Stream::open(target->resolve(), global.resolved_root());
    ThrottleSettings settings = stream->throttling();
    if (ppm) settings.injected_throttle_ppm = *ppm;
    if (aws_limits->count() > 0) settings.aws_limits = flags->aws_limits == "on";
    stream->set_throttling(settings);
    return kExitSuccess;
  };
}

void add_describe_throttling(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-throttling", "DescribeThrottling",
                               "shmstream: the throttling settings of a stream and the requests each shard refused");
  auto target = add_stream_target(*command.subcommand);
  command.run = [target, &global] {
    const std::shared_ptr<Stream> stream = Stream::open(target->resolve(), global.resolved_root());
    const ThrottleSettings settings = stream->throttling();
    const StreamInfo info = stream->describe();
    Json shards = Json::array();
    for (const ShardInfo& shard : info.shards) {
      if (shard.status == layout::ShardStatus::kExpired) continue;
      shards.push_back(Json{{"ShardId", shard.shard_id},
                            {"WriteProvisionedThroughputExceeded", shard.writes_throttled},
                            {"ReadProvisionedThroughputExceeded", shard.reads_throttled}});
    }
    print_json(Json{{"StreamName", info.name},
                    {"PutThrottleProbability", settings.injected_throttle_ppm / kPartsPerMillion},
                    {"AwsLimits", settings.aws_limits},
                    {"Shards", shards}});
    return kExitSuccess;
  };
}

}  // namespace

void add_throttling_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_update_throttling(app, table, global);
  add_describe_throttling(app, table, global);
}

}  // namespace shmstream::cli
