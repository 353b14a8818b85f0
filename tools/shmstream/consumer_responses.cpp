#include "consumer_responses.hpp"

#include <regex>

#include "cli_errors.hpp"
#include "stream_target.hpp"
#include "text_codecs.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {

Json consumer_json(const ConsumerInfo& consumer, DocumentForm form) {
  return Json{{"ConsumerName", consumer.name},
              {"ConsumerARN", consumer.arn},
              {"ConsumerStatus", consumer.status},
              {"ConsumerCreationTimestamp", timestamp_json(consumer.creation_ns, form)}};
}

std::pair<std::shared_ptr<Stream>, ConsumerInfo> consumer_by_arn(const std::string& consumer_arn,
                                                                 const StreamOpener& open) {
  // The model's ConsumerARN pattern (checked before), with the stream ARN, name and creation second captured.
  static const std::regex kPattern(
      R"((arn:aws[^:]*:kinesis:[^:]*:\d{12}:stream/[a-zA-Z0-9_.-]+)/consumer/([a-zA-Z0-9_.-]+):([0-9]+))");
  std::smatch match;
  if (!std::regex_match(consumer_arn, match, kPattern)) {
    throw Error(StatusCode::kResourceNotFound, "Consumer " + consumer_arn + " not found.");
  }
  const std::shared_ptr<Stream> stream = open(stream_name_from_arn(match[1].str()));
  ConsumerInfo consumer = stream->describe_consumer(match[2].str());
  if (consumer.arn != consumer_arn) throw Error(StatusCode::kResourceNotFound, "Consumer " + consumer_arn + " not found.");
  return {stream, consumer};
}

Json list_stream_consumers_response(const Stream& stream, size_t max_results,
                                    const std::optional<std::string>& next_token, DocumentForm form) {
  const std::string& name = stream.name();
  size_t first = 0;
  if (next_token) {
    const std::optional<std::string> text = base64url_decode(*next_token);
    const size_t newline = text ? text->find('\n') : std::string::npos;
    const std::optional<uint64_t> listed =
        newline == std::string::npos ? std::nullopt : parse_sequence_number(text->substr(newline + 1));
    if (!listed || text->substr(0, newline) != name || *listed > kMaxConsumersPerStream) {
      throw_invalid_argument("Invalid NextToken: it is not a token of ListStreamConsumers on this stream.");
    }
    first = static_cast<size_t>(*listed);
  }
  const std::vector<ConsumerInfo> consumers = stream.list_consumers();
  Json listed = Json::array();
  size_t next = first;
  for (; next < consumers.size() && listed.size() < max_results; ++next) {
    listed.push_back(consumer_json(consumers[next], form));
  }
  Json output{{"Consumers", listed}};
  if (next < consumers.size()) output["NextToken"] = base64url_encode(name + "\n" + std::to_string(next));
  return output;
}

}  // namespace shmstream::cli
