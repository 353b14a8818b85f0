// register-/deregister-/describe-/list-stream-consumers: the enhanced fan-out registrations a KCL 2.x
// application makes at start-up. Registration and deregistration take effect at once (ConsumerStatus ACTIVE
// straight away); reading stays GetRecords (shmstream has no SubscribeToShard push).
#include "attribute_commands.hpp"
#include "command_helpers.hpp"
#include "consumer_responses.hpp"
#include "json_output.hpp"
#include "stream_target.hpp"
#include "text_codecs.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

// The consumer a describe / deregister names: --stream-arn (or --stream-name) with --consumer-name, or
// --consumer-arn alone.
struct ConsumerTarget {
  std::shared_ptr<StreamTarget> stream;
  std::string consumer_name;
  std::string consumer_arn;
};

std::shared_ptr<ConsumerTarget> add_consumer_target(CLI::App& sub) {
  auto target = std::make_shared<ConsumerTarget>();
  target->stream = add_stream_target(sub);
  sub.add_option("--consumer-name", target->consumer_name, "Consumer name (with --stream-arn)");
  sub.add_option("--consumer-arn", target->consumer_arn,
                 "Consumer ARN, <stream ARN>/consumer/<name>:<creation epoch seconds>");
  return target;
}

// Opens the stream and finds the consumer; an ARN must carry the consumer's creation second, so the ARN of a
// consumer deregistered and registered again under the same name names nothing.
std::pair<std::shared_ptr<Stream>, ConsumerInfo> resolve_consumer(const ConsumerTarget& target, const std::string& root) {
  if (!target.consumer_arn.empty()) {
    if (!target.consumer_name.empty() || !target.stream->stream_arn.empty() || !target.stream->stream_name.empty()) {
      throw_invalid_argument("ConsumerARN cannot be provided together with StreamARN or ConsumerName.");
    }
    return consumer_by_arn(target.consumer_arn,
                           [&root](const std::string& name) { return Stream::open(name, root); });
  }
  if (target.consumer_name.empty()) {
    throw_invalid_argument("Either ConsumerARN or StreamARN and ConsumerName should be provided.");
  }
  const std::shared_ptr<Stream> stream = Stream::open(target.stream->resolve(), root);
  return {stream, stream->describe_consumer(target.consumer_name)};
}

void add_register(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "register-stream-consumer", "RegisterStreamConsumer",
                               "Register a consumer of a stream (at most 20 per stream)");
  CLI::App& sub = *command.subcommand;
  auto stream = add_stream_target(sub);
  auto name = std::make_shared<std::string>();
  sub.add_option("--consumer-name", *name, "Consumer name, [a-zA-Z0-9_.-]{1,128}")->required();
  command.run = [stream, name, &global] {
    const ConsumerInfo consumer = Stream::open(stream->resolve(), global.resolved_root())->register_consumer(*name);
    print_json(Json{{"Consumer", consumer_json(consumer, DocumentForm::kCli)}});
    return kExitSuccess;
  };
}

void add_deregister(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "deregister-stream-consumer", "DeregisterStreamConsumer",
                               "Deregister a consumer of a stream");
  auto target = add_consumer_target(*command.subcommand);
  command.run = [target, &global] {
    auto [stream, consumer] = resolve_consumer(*target, global.resolved_root());
    stream->deregister_consumer(consumer.name);
    return kExitSuccess;  // prints nothing, like the AWS CLI
  };
}

void add_describe(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-stream-consumer", "DescribeStreamConsumer",
                               "Describe a registered consumer of a stream");
  auto target = add_consumer_target(*command.subcommand);
  command.run = [target, &global] {
    auto [stream, consumer] = resolve_consumer(*target, global.resolved_root());
    Json description = consumer_json(consumer, DocumentForm::kCli);
    description["StreamARN"] = stream->describe().arn;
    print_json(Json{{"ConsumerDescription", description}});
    return kExitSuccess;
  };
}

void add_list(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "list-stream-consumers", "ListStreamConsumers",
                               "List the registered consumers of a stream");
  CLI::App& sub = *command.subcommand;
  auto stream_target = add_stream_target(sub);
  struct Flags {
    long long max_results = 100;
    std::string next_token, stream_creation_timestamp;
  };
  auto flags = std::make_shared<Flags>();
  integer_as_given(sub.add_option("--max-results", flags->max_results, "Consumers per page (1..10000, default 100)"));
  sub.add_option("--next-token", flags->next_token, "NextToken of an earlier, truncated list-stream-consumers");
  sub.add_option("--stream-creation-timestamp", flags->stream_creation_timestamp,
                 "The stream's creation time, to tell it from an earlier stream of the same name");
  command.run = [stream_target, flags, &global] {
    check_range("maxResults", flags->max_results, 1, 10000);
    const std::shared_ptr<Stream> stream = Stream::open(stream_target->resolve(), global.resolved_root());
    const StreamInfo info = stream->describe();
    if (!flags->stream_creation_timestamp.empty()) {
      const int64_t given = parse_timestamp("--stream-creation-timestamp", flags->stream_creation_timestamp);
      if (given / 1'000'000'000 != info.creation_ns / 1'000'000'000) {
        throw Error(StatusCode::kResourceNotFound, "Stream " + info.name + " created at " +
                                                       flags->stream_creation_timestamp + " not found.");
      }
    }
    const std::optional<std::string> token =
        flags->next_token.empty() ? std::nullopt : std::optional<std::string>(flags->next_token);
    print_json(list_stream_consumers_response(*stream, static_cast<size_t>(flags->max_results), token,
                                              DocumentForm::kCli));
    return kExitSuccess;
  };
}

}  // namespace

void add_consumer_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_register(app, table, global);
  add_deregister(app, table, global);
  add_describe(app, table, global);
  add_list(app, table, global);
}

}  // namespace shmstream::cli
