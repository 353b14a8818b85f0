#include "stream_target.hpp"

#include <regex>

#include "cli_errors.hpp"
#include "common/aws_names.hpp"
#include "shmstream/status.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::cli {

void add_stream_target_flags(CLI::App& command) {
  command.add_option("--stream-name", "Stream name (or --stream-arn)");
  command.add_option("--stream-arn", "Stream ARN, arn:aws:kinesis:local:000000000000:stream/<name> (or --stream-name)");
}

std::shared_ptr<StreamTarget> add_stream_target(CLI::App& command) {
  auto target = std::make_shared<StreamTarget>();
  add_stream_target_flags(command);
  command.get_option("--stream-name")->each([target](const std::string& name) { target->stream_name = name; });
  command.get_option("--stream-arn")->each([target](const std::string& arn) { target->stream_arn = arn; });
  return target;
}

std::string stream_name_from_arn(const std::string& arn) {
  // The service model's StreamARN: arn:aws.*:kinesis:.*:\d{12}:stream/\S+ (length 1..2048).
  static const std::regex kPattern(R"(arn:(aws[^:]*):kinesis:([^:]*):(\d{12}):stream/(\S+))");
  std::smatch match;
  if (arn.size() > 2048 || !std::regex_match(arn, match, kPattern)) {
    throw_invalid_argument("1 validation error detected: Value '" + arn +
                           "' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression "
                           "pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
  }
  const std::string name = match[4].str();
  if (match[1].str() != "aws" || match[2].str() != detail::aws::kRegion || match[3].str() != detail::aws::kAccountId) {
    throw Error(StatusCode::kResourceNotFound,
                "Stream " + name + " under account " + match[3].str() + " not found (shmstream streams are " +
                    detail::aws::stream_arn(name) + ")");
  }
  return name;
}

std::string StreamTarget::resolve() const {
  if (stream_arn.empty()) {
    if (stream_name.empty()) throw_invalid_argument("Either StreamName or StreamARN should be provided.");
    return stream_name;
  }
  const std::string name = stream_name_from_arn(stream_arn);
  if (!stream_name.empty() && stream_name != name) {
    throw_invalid_argument("StreamARN " + stream_arn + " and StreamName " + stream_name + " name different streams.");
  }
  return name;
}

}  // namespace shmstream::cli
