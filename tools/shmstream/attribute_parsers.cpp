#include "attribute_parsers.hpp"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli_errors.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

using Json = nlohmann::json;

[[noreturn]] void bad_value(std::string_view flag, const std::string& problem) {
  throw_invalid_argument("Error parsing parameter '" + std::string(flag) + "': " + problem);
}

std::optional<Json> as_json(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || (text[first] != '{' && text[first] != '[')) return std::nullopt;
  Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Json();  // null: the caller reports invalid JSON
  return document;
}

}  // namespace

std::vector<Tag> parse_tag_map(std::string_view flag, const std::string& given) {
  const std::string text = load_parameter_value(flag, given);
  std::vector<Tag> tags;
  if (const std::optional<Json> document = as_json(text)) {
    if (!document->is_object()) bad_value(flag, "expected a JSON object of tag keys to values");
    for (const auto& [key, value] : document->items()) {
      if (!value.is_string()) bad_value(flag, "the value of tag " + key + " is not a string");
      tags.push_back(Tag{key, value.get<std::string>()});
    }
    return tags;
  }
  // Shorthand: Key=Value pairs split at commas; a value may be empty (TagValue is 0..256 characters).
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string pair = text.substr(start, comma - start);
    const size_t equals = pair.find('=');
    if (equals == std::string::npos) bad_value(flag, "expected Key=Value, got '" + pair + "'");
    tags.push_back(Tag{pair.substr(0, equals), pair.substr(equals + 1)});
    start = comma + 1;
  }
  return tags;
}

StreamMode parse_stream_mode_details(std::string_view flag, const std::string& given) {
  const std::string text = load_parameter_value(flag, given);
  std::string mode;
  if (const std::optional<Json> document = as_json(text)) {
    const auto it = document->is_object() ? document->find("StreamMode") : document->end();
    if (!document->is_object() || it == document->end() || !it->is_string() || document->size() != 1) {
      bad_value(flag, "expected {\"StreamMode\": \"PROVISIONED\"|\"ON_DEMAND\"}");
    }
    mode = it->get<std::string>();
  } else {
    constexpr std::string_view kPrefix = "StreamMode=";
    if (text.rfind(kPrefix, 0) != 0) bad_value(flag, "expected StreamMode=PROVISIONED|ON_DEMAND, got '" + text + "'");
    mode = text.substr(kPrefix.size());
  }
  const std::optional<StreamMode> parsed = parse_stream_mode(mode);
  if (!parsed) {
    throw_invalid_argument("1 validation error detected: Value '" + mode +
                           "' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy "
                           "enum value set: [PROVISIONED, ON_DEMAND]");
  }
  return *parsed;
}

std::vector<std::string> parse_string_list(std::string_view flag, const std::string& given) {
  const std::string text = load_parameter_value(flag, given);
  const std::optional<Json> document = as_json(text);
  if (!document) return {text};  // one bare item
  if (!document->is_array()) bad_value(flag, "expected a JSON list of strings");
  std::vector<std::string> items;
  for (const Json& item : *document) {
    if (!item.is_string()) bad_value(flag, "expected a JSON list of strings");
    items.push_back(item.get<std::string>());
  }
  return items;
}

uint32_t parse_shard_level_metrics(std::string_view flag, const std::string& given) {
  const std::vector<std::string> names = parse_string_list(flag, given);
  if (names.empty() || names.size() > 7) {
    throw_invalid_argument("1 validation error detected: Value at 'shardLevelMetrics' failed to satisfy "
                           "constraint: Member must have length between 1 and 7");
  }
  uint32_t mask = 0;
  for (const std::string& name : names) {
    const std::optional<uint32_t> bits = shard_level_metric_bits(name);
    if (!bits) {
      throw_invalid_argument("1 validation error detected: Value '[" + name +
                             "]' at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy constraint: "
                             "[Member must satisfy enum value set: [IncomingBytes, IncomingRecords, OutgoingBytes, "
                             "OutgoingRecords, WriteProvisionedThroughputExceeded, "
                             "ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]]");
    }
    mask |= *bits;
  }
  return mask;
}

}  // namespace shmstream::cli
