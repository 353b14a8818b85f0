// Where a reader starts, from the flags of get-shard-iterator (also taken by tail): the iterator type and the
// sequence number or timestamp it needs, with the AWS errors for a missing, superfluous or malformed one.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "shmstream/reader.hpp"

namespace shmstream::cli {

IteratorStart iterator_start_from_flags(const std::string& type_name, const CLI::Option* sequence_option,
                                        const std::string& sequence_text, const CLI::Option* timestamp_option,
                                        const std::string& timestamp_text);

// The same from a request's members (`shmstream serve`): the sequence number when given, and the timestamp
// (ns since the epoch), asked for only when the type wants it.
IteratorStart iterator_start_from_request(const std::string& type_name, const std::optional<std::string>& sequence_text,
                                          bool has_timestamp, const std::function<int64_t()>& timestamp_ns);

}  // namespace shmstream::cli
