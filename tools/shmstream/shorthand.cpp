#include "shorthand.hpp"

#include <cctype>

#include "cli_errors.hpp"

namespace shmstream::cli {
namespace {

class ShorthandParser {
 public:
  ShorthandParser(std::string_view flag, std::string_view text) : flag_(flag), text_(text) {}

  Json parse() {
    Json structure = parse_structure('\0');
    if (position_ != text_.size()) fail("unexpected '" + std::string(1, text_[position_]) + "'");
    return structure;
  }

 private:
  Json parse_structure(char closing) {
    Json structure = Json::object();
    while (true) {
      const std::string key = parse_key();
      expect('=');
      if (structure.contains(key)) fail("key " + key + " is given twice");
      structure[key] = parse_value();
      if (at_end() || peek() == closing) return structure;
      expect(',');
    }
  }

  std::string parse_key() {
    const size_t start = position_;
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '-')) {
      ++position_;
    }
    if (position_ == start) fail("expected a key");
    return std::string(text_.substr(start, position_ - start));
  }

  Json parse_value() {
    if (!at_end() && peek() == '[') {
      ++position_;
      Json list = Json::array();
      while (!at_end() && peek() != ']') {
        list.push_back(parse_value());
        if (!at_end() && peek() == ',') ++position_;
      }
      expect(']');
      return list;
    }
    if (!at_end() && peek() == '{') {
      ++position_;
      Json nested = parse_structure('}');
      expect('}');
      return nested;
    }
    if (!at_end() && (peek() == '"' || peek() == '\'')) {
      const char quote = text_[position_++];
      const size_t end = text_.find(quote, position_);
      if (end == std::string_view::npos) fail("unterminated quote");
      std::string value(text_.substr(position_, end - position_));
      position_ = end + 1;
      return value;
    }
    // An unquoted value runs to the next ',' that starts another Key=, or to a closing bracket.
    const size_t start = position_;
    while (!at_end() && peek() != ']' && peek() != '}' && !(peek() == ',' && next_is_key())) ++position_;
    return std::string(text_.substr(start, position_ - start));
  }

  // After a ',' at position_: does "Key=" follow (then the comma separates members, else it is part of a value)?
  bool next_is_key() const {
    size_t i = position_ + 1;
    const size_t start = i;
    while (i < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[i])) || text_[i] == '_' ||
                                text_[i] == '-')) {
      ++i;
    }
    return i > start && i < text_.size() && text_[i] == '=';
  }

  void expect(char wanted) {
    if (at_end() || peek() != wanted) {
      fail("Expected: '" + std::string(1, wanted) + "', received: '" +
           (at_end() ? std::string("EOF") : std::string(1, peek())) + "'");
    }
    ++position_;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw UsageError("Error parsing parameter '" + std::string(flag_) + "': " + why + " for input: " +
                     std::string(text_));
  }

  bool at_end() const { return position_ >= text_.size(); }
  char peek() const { return text_[position_]; }

  std::string_view flag_;
  std::string_view text_;
  size_t position_ = 0;
};

}  // namespace

bool looks_like_json(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[' || text[first] == '"');
}

Json parse_shorthand(std::string_view flag, std::string_view text) { return ShorthandParser(flag, text).parse(); }

}  // namespace shmstream::cli
