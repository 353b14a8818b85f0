#include "stream/attributes_file.hpp"

#include <fcntl.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "common/file_names.hpp"
#include "shmstream/limits.hpp"
#include "shmstream/status.hpp"
#include "stream/file_modes.hpp"

namespace shmstream::detail {
namespace {

using Json = nlohmann::json;

// Bounds the file a reader accepts: 50 tags of 128 + 256 four-byte characters and 20 consumers fit many
// times over; anything larger was not written by shmstream.
constexpr size_t kMaxAttributesBytes = size_t{1} << 20;

[[noreturn]] void corrupted(const std::string& origin, const std::string& problem) {
  throw Error(StatusCode::kCorrupted, origin + ": " + problem);
}

bool allowed_tag_character(UChar32 c) {
  constexpr uint32_t kClasses = U_GC_L_MASK | U_GC_N_MASK | U_GC_Z_MASK;
  if ((U_GET_GC_MASK(c) & kClasses) != 0 || u_isUWhiteSpace(c)) return true;
  switch (c) {
    case '_': case '.': case '/': case '=': case '+': case '-': case '%': case '@': return true;
    default: return false;
  }
}

}  // namespace

bool is_valid_consumer_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128) return false;
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                         c == '.' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

std::string tag_text_problem(std::string_view text, uint32_t min_characters, uint32_t max_characters) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(std::min<size_t>(text.size(), INT32_MAX));
  int32_t offset = 0;
  uint32_t characters = 0;
  while (offset < length) {
    UChar32 c = 0;
    U8_NEXT(bytes, offset, length, c);
    if (c < 0) return "is not valid UTF-8";
    if (!allowed_tag_character(c)) {
      return "has a character other than Unicode letters, digits, white space and _ . / = + - % @";
    }
    ++characters;
  }
  if (characters < min_characters || characters > max_characters) {
    return "must have length between " + std::to_string(min_characters) + " and " + std::to_string(max_characters);
  }
  return {};
}

StreamAttributes parse_attributes(std::string_view text, const std::string& origin) {
  if (text.size() > kMaxAttributesBytes) corrupted(origin, "larger than any attributes file shmstream writes");
  const Json document = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) corrupted(origin, "not a JSON object");
  const auto version = document.find("Version");
  if (version == document.end() || !version->is_number_integer()) corrupted(origin, "no Version");
  if (version->get<int64_t>() != kAttributesVersion) {
    corrupted(origin, "version " + version->dump() + "; this library reads version " +
                          std::to_string(kAttributesVersion));
  }
  StreamAttributes attributes;
  if (const auto tags = document.find("Tags"); tags != document.end()) {
    if (!tags->is_object() || tags->size() > kMaxTagsPerStream) corrupted(origin, "Tags is not an object of at most 50");
    for (const auto& [key, value] : tags->items()) {
      if (!value.is_string()) corrupted(origin, "a tag value is not a string");
      const std::string& text_value = value.get_ref<const std::string&>();
      if (!tag_text_problem(key, 1, kMaxTagKeyCharacters).empty() ||
          !tag_text_problem(text_value, 0, kMaxTagValueCharacters).empty()) {
        corrupted(origin, "a tag key or value AWS would refuse");
      }
      attributes.tags.emplace(key, text_value);
    }
  }
  if (const auto consumers = document.find("Consumers"); consumers != document.end()) {
    if (!consumers->is_array() || consumers->size() > kMaxConsumersPerStream) {
      corrupted(origin, "Consumers is not an array of at most 20");
    }
    for (const Json& consumer : *consumers) {
      if (!consumer.is_object()) corrupted(origin, "a consumer is not an object");
      const auto name = consumer.find("Name");
      const auto created = consumer.find("CreationNs");
      if (name == consumer.end() || !name->is_string() || !is_valid_consumer_name(name->get<std::string>()) ||
          created == consumer.end() || !created->is_number_integer() || created->get<int64_t>() <= 0) {
        corrupted(origin, "a consumer without a valid Name and CreationNs");
      }
      for (const StoredConsumer& earlier : attributes.consumers) {
        if (earlier.name == name->get<std::string>()) corrupted(origin, "a consumer name appears twice");
      }
      attributes.consumers.push_back({name->get<std::string>(), created->get<int64_t>()});
    }
  }
  return attributes;
}

std::string serialize_attributes(const StreamAttributes& attributes) {
  Json tags = Json::object();
  for (const auto& [key, value] : attributes.tags) tags[key] = value;
  Json consumers = Json::array();
  for (const StoredConsumer& consumer : attributes.consumers) {
    consumers.push_back(Json{{"Name", consumer.name}, {"CreationNs", consumer.creation_ns}});
  }
  return Json{{"Version", kAttributesVersion}, {"Tags", tags}, {"Consumers", consumers}}.dump(2) + "\n";
}

StreamAttributes read_attributes(const std::string& stream_directory) {
  const std::string path = file_names::in(stream_directory, kAttributesFile);
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0) {
    if (errno == ENOENT) return {};
    throw_errno(errno, "cannot open " + path);
  }
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t got = ::read(file.fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "cannot read " + path);
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
    if (text.size() > kMaxAttributesBytes) corrupted(path, "larger than any attributes file shmstream writes");
  }
  return parse_attributes(text, path);
}

void write_attributes(const std::string& stream_directory, const StreamAttributes& attributes, uint32_t file_mode) {
  const std::string path = file_names::in(stream_directory, kAttributesFile);
  // One fixed name suffices: writers hold the stream's flock, so one left behind is a dead writer's.
  const std::string next = path + ".next";
  if (::unlink(next.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "cannot remove " + next);
  const std::string text = serialize_attributes(attributes);
  {
    const FileDescriptor file = create_with_mode(next, file_mode);
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t put = ::write(file.fd, text.data() + written, text.size() - written);
      if (put < 0) {
        if (errno == EINTR) continue;
        const int error = errno;
        ::unlink(next.c_str());
        throw_errno(error, "cannot write " + next);
      }
      written += static_cast<size_t>(put);
    }
    // On a persistent root the rename must not reach the disk before the contents.
    if (::fsync(file.fd) != 0) {
      const int error = errno;
      ::unlink(next.c_str());
      throw_errno(error, "cannot sync " + next);
    }
  }
  if (::rename(next.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(next.c_str());
    throw_errno(error, "cannot replace " + path);
  }
}

}  // namespace shmstream::detail
