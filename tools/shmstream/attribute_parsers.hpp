// Flag values of the tag, stream-mode and metrics commands, in the AWS CLI's shorthand or as JSON (also from
// file://). Each throws InvalidArgumentException naming the flag.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shmstream/stream.hpp"

namespace shmstream::cli {

// --tags: Key1=Value1,Key2=Value2 or {"Key1": "Value1", ...}.
std::vector<Tag> parse_tag_map(std::string_view flag, const std::string& text);
// --stream-mode-details: StreamMode=ON_DEMAND or {"StreamMode": "ON_DEMAND"}.
StreamMode parse_stream_mode_details(std::string_view flag, const std::string& text);
// A list flag's value: a JSON list of strings (request_flags.cpp turns `--flag a b` into one), or one bare item.
std::vector<std::string> parse_string_list(std::string_view flag, const std::string& text);
// --shard-level-metrics: the names as parse_string_list reads them -> a mask; ALL is every metric.
uint32_t parse_shard_level_metrics(std::string_view flag, const std::string& text);

}  // namespace shmstream::cli
