#include "json_output.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>
#include <iostream>

#include "jmespath_query.hpp"
#include "table_output.hpp"
#include "text_codecs.hpp"


namespace shmstream::cli {

namespace {
// Partition keys are not guaranteed UTF-8 by the C++ API; never let a stray byte abort the output.
constexpr auto kInvalidUtf8 = Json::error_handler_t::replace;
std::string scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";  // Python's str(), as the aws CLI
  if (value.is_null()) return "None";
  return value.dump();
}

bool is_scalar(const Json& value) { return !value.is_object() && !value.is_array(); }

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

void format_text_item(const Json& item, std::string& out, const std::string* identifier,
                      const std::vector<std::string>* scalar_keys);

void format_scalar_list(const std::vector<const Json*>& elements, std::string& out, const std::string* identifier) {
  if (identifier != nullptr) {
    for (const Json* element : elements) out += upper(*identifier) + "\t" + scalar_text(*element) + "\n";
    return;
  }
  for (size_t i = 0; i < elements.size(); ++i) out += (i > 0 ? "\t" : "") + scalar_text(*elements[i]);
  out += "\n";
}

void format_text_list(const Json& list, std::string& out, const std::string* identifier) {
  if (list.empty()) return;
  const bool has_objects = std::any_of(list.begin(), list.end(), [](const Json& e) { return e.is_object(); });
  const bool has_lists = std::any_of(list.begin(), list.end(), [](const Json& e) { return e.is_array(); });
  if (has_objects) {
    std::set<std::string> keys;
    for (const Json& element : list) {
      if (!element.is_object()) continue;
      for (const auto& [key, value] : element.items()) {
        if (is_scalar(value)) keys.insert(key);
      }
    }
    const std::vector<std::string> scalar_keys(keys.begin(), keys.end());
    for (const Json& element : list) format_text_item(element, out, identifier, &scalar_keys);
    return;
  }
  std::vector<const Json*> scalars;
  for (const Json& element : list) {
    if (is_scalar(element)) scalars.push_back(&element);
  }
  if (has_lists) {
    if (!scalars.empty()) format_scalar_list(scalars, out, identifier);
    for (const Json& element : list) {
      if (!is_scalar(element)) format_text_item(element, out, identifier, nullptr);
    }
    return;
  }
  format_scalar_list(scalars, out, identifier);
}

void format_text_object(const Json& object, std::string& out, const std::string* identifier,
                        const std::vector<std::string>* scalar_keys) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> scalars;
  std::vector<const std::string*> nested;
  if (scalar_keys == nullptr) {
    for (const std::string& key : keys) {
      if (is_scalar(object[key])) {
        scalars.push_back(scalar_text(object[key]));
      } else {
        nested.push_back(&key);
      }
    }
  } else {
    for (const std::string& key : *scalar_keys) scalars.push_back(object.contains(key) ? scalar_text(object[key]) : "");
    for (const std::string& key : keys) {
      if (std::find(scalar_keys->begin(), scalar_keys->end(), key) == scalar_keys->end()) nested.push_back(&key);
    }
  }
  if (!scalars.empty()) {
    if (identifier != nullptr) scalars.insert(scalars.begin(), upper(*identifier));
    for (size_t i = 0; i < scalars.size(); ++i) out += (i > 0 ? "\t" : "") + scalars[i];
    out += "\n";
  }
  for (const std::string* key : nested) format_text_item(object[*key], out, key, nullptr);
}

void format_text_item(const Json& item, std::string& out, const std::string* identifier,
                      const std::vector<std::string>* scalar_keys) {
  if (item.is_object()) {
    format_text_object(item, out, identifier, scalar_keys);
  } else if (item.is_array()) {
    format_text_list(item, out, identifier);
  } else {
    out += scalar_text(item) + "\n";
  }
}

OutputOptions& output_options() {
  static OutputOptions options;
  return options;
}

}  // namespace

std::string format_text(const Json& document) {
  std::string out;
  format_text_item(document, out, nullptr, nullptr);
  return out;
}

void set_output_options(const OutputOptions& options) { output_options() = options; }

void print_json(const Json& document) {
  const OutputOptions& options = output_options();
  const Json selected = options.query.empty() ? document : run_jmespath_query(options.query, document);
  if (options.format == "text") {
    std::cout << format_text(selected) << std::flush;
  } else if (options.format == "table") {
    std::cout << format_table(options.operation, selected, stdout_terminal_width()) << std::flush;
  } else {
    std::cout << selected.dump(4, ' ', false, kInvalidUtf8) << std::endl;
  }
}

std::string compact_json(const Json& document) { return document.dump(-1, ' ', false, kInvalidUtf8); }

bool set_partition_key(Json& record, std::string_view key, bool mark_encoding) {
  if (is_utf8(key)) {
    record["PartitionKey"] = std::string(key);
    return true;
  }
  record["PartitionKey"] = base64_encode(key);
  if (mark_encoding) record["PartitionKeyEncoding"] = "base64";
  return false;
}

std::string aws_timestamp(int64_t ns_since_epoch) {
  int64_t seconds = ns_since_epoch / 1'000'000'000;
  int64_t remainder_ns = ns_since_epoch % 1'000'000'000;
  if (remainder_ns < 0) {
    remainder_ns += 1'000'000'000;
    --seconds;
  }
  const time_t as_time_t = static_cast<time_t>(seconds);
  tm utc{};
  ::gmtime_r(&as_time_t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(remainder_ns / 1000));
  return text;
}

Json hash_key_range_json(const ShardInfo& shard) {
  return Json{{"StartingHashKey", format_hash_key(shard.starting_hash_key)},
              {"EndingHashKey", format_hash_key(shard.ending_hash_key)}};
}

Json shard_json(const ShardInfo& shard) {
  Json json;
  json["ShardId"] = shard.shard_id;
  if (shard.parent_index) json["ParentShardId"] = shard_id_text(*shard.parent_index);
  if (shard.adjacent_parent_index) json["AdjacentParentShardId"] = shard_id_text(*shard.adjacent_parent_index);
  json["HashKeyRange"] = hash_key_range_json(shard);
  Json range;
  range["StartingSequenceNumber"] = format_sequence_number(shard.starting_sequence_number);
  if (shard.ending_sequence_number) {
    range["EndingSequenceNumber"] = format_sequence_number(*shard.ending_sequence_number);
  }
  json["SequenceNumberRange"] = range;
  return json;
}

Json stream_mode_details_json(const StreamInfo& info) { return Json{{"StreamMode", stream_mode_name(info.stream_mode)}}; }

Json enhanced_monitoring_json(const StreamInfo& info) {
  return Json::array({Json{{"ShardLevelMetrics", shard_level_metric_names(info.shard_level_metrics)}}});
}

int64_t retention_period_hours(int64_t retention_ns) {
  constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;
  return std::max<int64_t>(1, (retention_ns + kHourNs - 1) / kHourNs);
}

Json shmstream_details_json(const StreamInfo& info) {
  Json seconds = info.retention_ns / 1'000'000'000;
  if (info.retention_ns % 1'000'000'000 != 0) seconds = static_cast<double>(info.retention_ns) / 1e9;
  return Json{{"RetentionSeconds", seconds},
              {"RetentionBytesPerShard", info.retention_bytes},
              {"UnblockTimeoutMillis", info.unblock_timeout_ns / 1'000'000},
              {"SegmentSize", info.segment_size},
              {"Checksums", info.checksums}};
}

}  // namespace shmstream::cli
