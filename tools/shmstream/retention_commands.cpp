// Retention commands: the Kinesis increase-/decrease-stream-retention-period (whole hours, 24..8760) and
// shmstream's update-retention for the finer IPC settings (any window from 1 s, the per-shard byte cap, the
// janitor's unblock timeout). See docs/OPERATIONS.md for what each setting does.
#include <chrono>
#include <optional>

#include "command_helpers.hpp"
#include "command_table.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

constexpr auto kMaxRetention = std::chrono::hours(8760);

void add_retention_period_command(CLI::App& app, CommandTable& table, const GlobalOptions& global, bool increase) {
  Command& command = increase ? table.add(app, "increase-stream-retention-period", "IncreaseStreamRetentionPeriod",
                                          "Lengthen the retention period (whole hours, 24..8760)")
                              : table.add(app, "decrease-stream-retention-period", "DecreaseStreamRetentionPeriod",
                                          "Shorten the retention period (whole hours, 24..8760)");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name;
    long long hours = 0;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  integer_as_given(sub.add_option("--retention-period-hours", flags->hours, "New retention period in hours"))->required();

  command.run = [flags, increase, &global] {
    const std::shared_ptr<Stream> stream = Stream::open(flags->stream_name, global.resolved_root());
    if (increase) {
      stream->increase_retention_period(flags->hours);
    } else {
      stream->decrease_retention_period(flags->hours);
    }
    return kExitSuccess;  // prints nothing, like the AWS CLI
  };
}

void add_update_retention(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "update-retention", "UpdateRetention",
                               "shmstream: change the retention window, byte cap or unblock timeout of a stream");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, retention, retention_bytes, unblock_timeout;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  CLI::Option* retention =
      sub.add_option("--retention", flags->retention, "Retention window such as 90s, 15m, 24h (1s..8760h)");
  CLI::Option* retention_bytes = sub.add_option("--retention-bytes", flags->retention_bytes,
                                                "Per-shard byte cap such as 512MiB, at least two segments; "
                                                "0 = back to the default cap");
  CLI::Option* unblock_timeout =
      sub.add_option("--unblock-timeout", flags->unblock_timeout,
                     "How long the janitor lets an uncommitted frame block readers before padding it (1ms..1h)");

  command.run = [flags, retention, retention_bytes, unblock_timeout, &global] {
    if (retention->count() == 0 && retention_bytes->count() == 0 && unblock_timeout->count() == 0) {
      throw_invalid_argument(
          "update-retention needs at least one of --retention, --retention-bytes, --unblock-timeout");
    }
    // Every value is parsed and range-checked before anything changes, so a bad flag leaves all settings as they
    // were (the library checks the same ranges again in each setter).
    std::optional<std::chrono::nanoseconds> window, timeout;
    std::optional<uint64_t> bytes;
    if (retention->count() > 0) {
      window = parse_duration("--retention", flags->retention);
      if (*window < std::chrono::seconds(1) || *window > kMaxRetention) {
        throw_invalid_argument("--retention must be between 1 second and 8760 hours, not " + flags->retention);
      }
    }
    if (unblock_timeout->count() > 0) {
      timeout = parse_duration("--unblock-timeout", flags->unblock_timeout);
      if (*timeout < std::chrono::milliseconds(1) || *timeout > std::chrono::hours(1)) {
        throw_invalid_argument("--unblock-timeout must be between 1 ms and 1 hour, not " + flags->unblock_timeout);
      }
    }
    if (retention_bytes->count() > 0) bytes = parse_byte_size("--retention-bytes", flags->retention_bytes);

    const std::shared_ptr<Stream> stream = Stream::open(flags->stream_name, global.resolved_root());
    if (bytes) {
      const uint64_t segment_size = stream->describe().segment_size;
      if (*bytes != 0 && *bytes < 2 * segment_size) {
        throw_invalid_argument("--retention-bytes must be 0 (the default cap) or at least two segments (" +
                               std::to_string(2 * segment_size) + " bytes), not " + flags->retention_bytes);
      }
      stream->set_retention_bytes(*bytes);
    }
    if (window) stream->set_retention(*window);
    if (timeout) stream->set_unblock_timeout(*timeout);
    return kExitSuccess;  // prints nothing, like the AWS retention commands
  };
}

}  // namespace

void add_retention_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_retention_period_command(app, table, global, /*increase=*/true);
  add_retention_period_command(app, table, global, /*increase=*/false);
  add_update_retention(app, table, global);
}

}  // namespace shmstream::cli
