#include "value_parsers.hpp"

#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_errors.hpp"

namespace shmstream::cli {
namespace {

[[noreturn]] void bad_value(std::string_view flag, std::string_view text, std::string_view expected) {
  throw_invalid_argument("Invalid value '" + std::string(text) + "' for " + std::string(flag) + ": expected " +
                         std::string(expected));
}

// Applies one of CLI11's unit transforms (AsSizeValue, AsNumberWithUnit) to `text`, decimal digits and an
// optional unit: the number it stands for, or false when the transform refuses it (unknown unit, overflow).
// Leading zeros go first: CLI11 reads "010" as octal.
bool apply_unit_transform(const CLI::Validator& transform, std::string_view text, uint64_t& number) {
  const size_t digits = std::min(text.find_first_not_of("0123456789"), text.size());
  if (digits == 0) return false;
  const size_t zeros = std::min(text.find_first_not_of('0'), digits - 1);
  std::string converted(text.substr(zeros));
  try {
    if (!transform(converted).empty()) return false;
  } catch (const CLI::ValidationError&) {
    return false;
  }
  const char* end = converted.data() + converted.size();
  const auto [stop, error] = std::from_chars(converted.data(), end, number);
  return error == std::errc() && stop == end;
}

int parse_digits(std::string_view text, size_t position, size_t count, bool& ok) {
  int value = 0;
  if (position + count > text.size()) {
    ok = false;
    return 0;
  }
  for (size_t i = position; i < position + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) ok = false;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Fraction digits after a '.', as nanoseconds (extra digits beyond 9 are ignored).
int64_t parse_fraction_ns(std::string_view digits, bool& ok) {
  if (digits.empty()) ok = false;
  int64_t ns = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(digits[i]))) ok = false;
    if (i < 9) ns = ns * 10 + (digits[i] - '0');
  }
  for (size_t i = digits.size(); i < 9; ++i) ns *= 10;
  return ns;
}

bool parse_epoch_seconds(std::string_view text, int64_t& ns) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  int64_t seconds = 0;
  const auto [stop, error] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (error != std::errc() || stop != whole.data() + whole.size() || whole.empty() || seconds < 0) return false;
  bool ok = true;
  const int64_t fraction = dot == std::string_view::npos ? 0 : parse_fraction_ns(text.substr(dot + 1), ok);
  if (!ok || seconds > int64_t{9'000'000'000}) return false;
  ns = seconds * 1'000'000'000 + fraction;
  return true;
}

bool parse_iso8601(std::string_view text, int64_t& ns) {
  // YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|+hh:mm|-hh:mm]
  bool ok = text.size() >= 19 && text[4] == '-' && text[7] == '-' && (text[10] == 'T' || text[10] == ' ') &&
            text[13] == ':' && text[16] == ':';
  if (!ok) return false;
  tm fields{};
  fields.tm_year = parse_digits(text, 0, 4, ok) - 1900;
  fields.tm_mon = parse_digits(text, 5, 2, ok) - 1;
  fields.tm_mday = parse_digits(text, 8, 2, ok);
  fields.tm_hour = parse_digits(text, 11, 2, ok);
  fields.tm_min = parse_digits(text, 14, 2, ok);
  fields.tm_sec = parse_digits(text, 17, 2, ok);
  if (!ok || fields.tm_mon < 0 || fields.tm_mon > 11 || fields.tm_mday < 1 || fields.tm_mday > 31 ||
      fields.tm_hour > 23 || fields.tm_min > 59 || fields.tm_sec > 60) {
    return false;
  }
  std::string_view rest = text.substr(19);
  int64_t fraction_ns = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t digits = 1;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    fraction_ns = parse_fraction_ns(rest.substr(1, digits - 1), ok);
    rest.remove_prefix(digits);
  }
  int64_t offset_seconds = 0;
  if (rest == "Z" || rest.empty()) {
  } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':') {
    const int hours = parse_digits(rest, 1, 2, ok);
    const int minutes = parse_digits(rest, 4, 2, ok);
    offset_seconds = (rest[0] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
  } else {
    return false;
  }
  if (!ok) return false;
  const time_t utc_seconds = ::timegm(&fields);
  ns = (static_cast<int64_t>(utc_seconds) - offset_seconds) * 1'000'000'000 + fraction_ns;
  return true;
}

}  // namespace

uint64_t parse_byte_size(std::string_view flag, std::string_view text) {
  // Every K/M/G/T multiple is a power of two, with or without the "i": a segment or a byte cap in
  // decimal units would be a size the user almost never means.
  static const CLI::AsSizeValue kBinarySizes(false);
  uint64_t bytes = 0;
  if (!apply_unit_transform(kBinarySizes, text, bytes)) {
    bad_value(flag, text, "a byte count such as 4096, 4KiB, 64MiB or 1GiB");
  }
  return bytes;
}

std::chrono::nanoseconds parse_duration(std::string_view flag, std::string_view text) {
  static const CLI::AsNumberWithUnit kDurationUnits(
      std::map<std::string, uint64_t>{{"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000},
                                      {"d", 86'400'000'000'000}},
      CLI::AsNumberWithUnit::CASE_SENSITIVE);
  // A bare number is seconds; the transform alone would take it as nanoseconds.
  const bool bare = !text.empty() && std::isdigit(static_cast<unsigned char>(text.back()));
  uint64_t ns = 0;
  if (!apply_unit_transform(kDurationUnits, bare ? std::string(text) + "s" : std::string(text), ns) ||
      ns > static_cast<uint64_t>(INT64_MAX)) {
    bad_value(flag, text, "a duration such as 90s, 15m, 24h or 7d");
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

int64_t parse_timestamp(std::string_view flag, std::string_view text) {
  int64_t ns = 0;
  if (parse_epoch_seconds(text, ns) || parse_iso8601(text, ns)) return ns;
  bad_value(flag, text, "epoch seconds (1700000000.5) or an ISO 8601 time (2026-11-21T10:00:00Z)");
}

uint32_t parse_file_mode(std::string_view flag, std::string_view text) {
  uint32_t mode = 0;
  const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (text.empty() || error != std::errc() || stop != text.data() + text.size() || mode > 0777) {
    bad_value(flag, text, "octal permission bits such as 0600 or 0660");
  }
  return mode;
}

std::string load_parameter_value(std::string_view flag, const std::string& value) {
  std::string path;
  if (value.rfind("file://", 0) == 0) {
    path = value.substr(7);
  } else if (value.rfind("fileb://", 0) == 0) {
    path = value.substr(8);
  } else {
    return value;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw_invalid_argument("Error parsing parameter '" + std::string(flag) + "': Unable to load paramfile " + value +
                           ": cannot open " + path);
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) throw_invalid_argument("Error parsing parameter '" + std::string(flag) + "': cannot read " + path);
  return contents.str();
}

}  // namespace shmstream::cli
