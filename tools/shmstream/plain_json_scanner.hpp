// A JSON reader for the plain bodies the SDKs send for PutRecords (put_records_request.hpp): objects, arrays
// and strings without escapes, UTF-8, whitespace between tokens. It drives a handler with nlohmann's SAX
// interface (start_object, key, string, end_object, start_array, end_array) from one pass over the bytes, with
// no per-character bookkeeping: nlohmann's lexer copies every character into two strings, which cost most of a
// PutRecords request's server time.
//
// It is no JSON parser of its own: it refuses (returns false) every body that is not such plain JSON — numbers,
// true/false/null, escapes, control characters, text that is not UTF-8, a byte order mark, nesting past
// kMaxRequestNesting — and every body that is not well-formed, and the caller then reads the body with
// nlohmann's parser. A body it takes is one nlohmann's parser reads as the same events (the HTTP fuzz target
// checks the decoders built on both against each other).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "text_codecs.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {

namespace plain_json {

inline void skip_whitespace(const char*& p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
}

// The string at `p` (its opening quote) into `text`, reusing its capacity; false when it has an escape, a
// control character, no closing quote, or is not UTF-8.
inline bool read_string(const char*& p, const char* end, std::string& text) {
  const char* start = ++p;
  unsigned char beyond_ascii = 0;
  while (p < end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') break;
    if (c == '\\' || c < 0x20) return false;
    beyond_ascii |= c & 0x80;
    ++p;
  }
  if (p == end) return false;
  const std::string_view content(start, static_cast<size_t>(p - start));
  if (beyond_ascii != 0 && !is_utf8(content)) return false;
  text.assign(content);
  ++p;
  return true;
}

}  // namespace plain_json

// Feeds `body` to `handler`; true when the body is plain JSON (above) and the handler took every event.
// `scratch` holds each key and string in turn.
template <class Handler>
bool scan_plain_json(std::string_view body, Handler& handler, std::string& scratch) {
  enum class Expect { kValue, kValueOrClose, kKey, kKeyOrClose, kColon, kCommaOrClose };
  bool in_object[kMaxRequestNesting];
  size_t depth = 0;
  const char* p = body.data();
  const char* const end = p + body.size();
  Expect expect = Expect::kValue;
  for (;;) {
    plain_json::skip_whitespace(p, end);
    if (p == end) return false;
    const char c = *p;
    bool value_done = false;
    switch (expect) {
      case Expect::kKeyOrClose:
      case Expect::kValueOrClose:
      case Expect::kCommaOrClose:
        if (c == (in_object[depth - 1] ? '}' : ']')) {
          ++p;
          --depth;
          if (!(in_object[depth] ? handler.end_object() : handler.end_array())) return false;
          value_done = true;
          break;
        }
        if (expect == Expect::kCommaOrClose) {
          if (c != ',') return false;
          ++p;
          expect = in_object[depth - 1] ? Expect::kKey : Expect::kValue;
          continue;
        }
        if (expect == Expect::kKeyOrClose) {
          expect = Expect::kKey;
          continue;
        }
        [[fallthrough]];  // kValueOrClose: a value
      case Expect::kValue:
        if (c == '{' || c == '[') {
          if (depth == kMaxRequestNesting) return false;
          in_object[depth++] = c == '{';
          ++p;
          if (!(c == '{' ? handler.start_object(std::size_t(-1)) : handler.start_array(std::size_t(-1)))) {
            return false;
          }
          expect = c == '{' ? Expect::kKeyOrClose : Expect::kValueOrClose;
          continue;
        }
        if (c != '"' || !plain_json::read_string(p, end, scratch) || !handler.string(scratch)) return false;
        value_done = true;
        break;
      case Expect::kKey:
        if (c != '"' || !plain_json::read_string(p, end, scratch) || !handler.key(scratch)) return false;
        expect = Expect::kColon;
        continue;
      case Expect::kColon:
        if (c != ':') return false;
        ++p;
        expect = Expect::kValue;
        continue;
    }
    if (value_done && depth == 0) {
      plain_json::skip_whitespace(p, end);
      return p == end;  // one value, as nlohmann's strict parse
    }
    expect = Expect::kCommaOrClose;
  }
}

}  // namespace shmstream::cli
