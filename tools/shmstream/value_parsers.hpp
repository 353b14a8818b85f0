// Parsers for flag values that CLI11 cannot check by type alone. Each throws shmstream::Error
// (InvalidArgumentException) naming the flag, so the user sees the AWS error shape and exit code 254.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace shmstream::cli {

// "4096", "4KiB", "64MiB", "1GiB" (CLI11's AsSizeValue: K/KB/KiB and up to EiB, any case, all powers of two).
uint64_t parse_byte_size(std::string_view flag, std::string_view text);
// "90s", "15m", "24h", "7d", "500ms" (CLI11's AsNumberWithUnit); a bare number is seconds.
std::chrono::nanoseconds parse_duration(std::string_view flag, std::string_view text);
// Epoch seconds with an optional fraction ("1700000000.25"), or ISO 8601 ("2026-11-21T10:00:00.5Z",
// "2026-11-21T10:00:00+02:00", "2026-11-21 10:00:00" is UTC). Returns ns since the Unix epoch.
int64_t parse_timestamp(std::string_view flag, std::string_view text);
// Octal permission bits, e.g. "0660" or "660".
uint32_t parse_file_mode(std::string_view flag, std::string_view text);
// The AWS CLI convention for parameter values: "file://path" reads the file, "fileb://path" too (the
// distinction matters to the AWS CLI's text decoding, not here); anything else is the value itself.
std::string load_parameter_value(std::string_view flag, const std::string& value);

}  // namespace shmstream::cli
