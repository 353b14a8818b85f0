#include "wire_protocol.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "cli_errors.hpp"
#include "text_codecs.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

// No Kinesis input nests deeper than 3 (PutRecords > Records > entry); a deeper body is refused before the
// (recursive) CBOR reader can exhaust the stack on a body of a million nested arrays.
constexpr size_t kMaxNesting = kMaxRequestNesting;

// The DOM builder of nlohmann::json, refusing to open containers past kMaxNesting.
class BoundedDomParser : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  using Base = nlohmann::detail::json_sax_dom_parser<Json>;
  explicit BoundedDomParser(Json& result) : Base(result, /*allow_exceptions=*/false) {}

  bool start_object(std::size_t elements) {
    if (++depth_ > kMaxNesting) return too_deep_ = false;
    return Base::start_object(elements);
  }
  bool end_object() {
    --depth_;
    return Base::end_object();
  }
  bool start_array(std::size_t elements) {
    if (++depth_ > kMaxNesting) return too_deep_ = false;
    return Base::start_array(elements);
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& error) {
    message_ = error.what();
    return Base::parse_error(position, token, error);
  }
  bool too_deep() const { return !too_deep_; }
  const std::string& message() const { return message_; }

 private:
  size_t depth_ = 0;
  bool too_deep_ = true;  // false once a container opened past kMaxNesting
  std::string message_;
};

[[noreturn]] void serialization_error(const std::string& message) {
  throw ServiceError("SerializationException", message);
}

Json parse_body(std::string_view body, WireFormat format) {
  if (body.empty()) return Json::object();  // an operation without input may come with no body at all
  Json document;
  BoundedDomParser parser(document);
  bool parsed = false;
  if (format == WireFormat::kJson) {
    parsed = Json::sax_parse(body, &parser, nlohmann::detail::input_format_t::json, /*strict=*/true);
  } else {
    // Tags are dropped: tag 1 marks a timestamp, which the input shape says anyway. (Json::sax_parse takes no
    // tag handler, so nlohmann's CBOR reader is driven directly.)
    std::string untagged;
    untagged.reserve(body.size());
    size_t offset = 0;
    if (!strip_cbor_tags(body, offset, untagged)) {
      serialization_error("Malformed CBOR request body: truncated, nested deeper than " +
                          std::to_string(kMaxNesting) + " levels, or a reserved initial byte");
    }
    if (offset != body.size()) serialization_error("Malformed CBOR request body: bytes after the first value");
    auto input = nlohmann::detail::input_adapter(untagged.begin(), untagged.end());
    nlohmann::detail::binary_reader<Json, decltype(input), BoundedDomParser> reader(
        std::move(input), nlohmann::detail::input_format_t::cbor);
    parsed = reader.sax_parse(nlohmann::detail::input_format_t::cbor, &parser, /*strict=*/true,
                              nlohmann::detail::cbor_tag_handler_t::ignore);
  }
  (void)parsed;
  if (parser.too_deep()) serialization_error("The request nests deeper than " + std::to_string(kMaxNesting) + " levels");
  if (parser.is_errored()) {
    serialization_error(std::string(format == WireFormat::kJson ? "Malformed JSON request body" : "Malformed CBOR request body") +
                        (parser.message().empty() ? "" : ": " + parser.message()));
  }
  return document;
}

const char* json_type(const Json& value) {
  if (value.is_binary()) return "a byte string";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "an object";
  return "null";
}

class RequestNormalizer {
 public:
  RequestNormalizer(const ServiceModel& model, WireFormat format) : shapes_(model), format_(format) {}

  // Returns the normalized value; type mismatches throw SerializationException at once, missing required
  // members are collected.
  Json normalize(const std::string& shape_name, const Json& value, const std::string& path) {
    const Json& shape = shapes_.shape(shape_name);
    const std::string& type = shape.at("type").get_ref<const std::string&>();
    if (type == "structure") {
      if (!value.is_object()) mismatch(path, "an object", value);
      Json result = Json::object();
      const Json& members = shape.at("members");
      for (const auto& [member, item] : value.items()) {
        const auto found = members.find(member);
        if (found == members.end() || item.is_null()) continue;  // null is "not given", as the SDKs mean it
        result[member] = normalize(found->at("shape").get<std::string>(), item, child(path, member));
      }
      if (const auto required = shape.find("required"); required != shape.end()) {
        for (const Json& member : *required) {
          if (!result.contains(member.get<std::string>())) missing_.push_back(child(path, member.get<std::string>()));
        }
      }
      return result;
    }
    if (type == "list") {
      if (!value.is_array()) mismatch(path, "a list", value);
      Json result = Json::array();
      const std::string member_shape = shape.at("member").at("shape").get<std::string>();
      for (size_t i = 0; i < value.size(); ++i) {
        result.push_back(normalize(member_shape, value[i], path + "." + std::to_string(i + 1) + ".member"));
      }
      return result;
    }
    if (type == "map") {
      if (!value.is_object()) mismatch(path, "an object", value);
      Json result = Json::object();
      const std::string value_shape = shape.at("value").at("shape").get<std::string>();
      for (const auto& [key, item] : value.items()) result[key] = normalize(value_shape, item, path + "." + key);
      return result;
    }
    if (type == "string") {
      if (!value.is_string()) mismatch(path, "a string", value);
      return value;
    }
    if (type == "integer" || type == "long") {
      if (value.is_number_integer()) return value;
      // 5.0 is 5; 5.5 is no integer.
      if (value.is_number_float() && std::isfinite(value.get<double>()) &&
          value.get<double>() == std::trunc(value.get<double>()) && std::abs(value.get<double>()) < 9.0e15) {
        return Json(static_cast<int64_t>(value.get<double>()));
      }
      mismatch(path, "an integer", value);
    }
    if (type == "boolean") {
      if (!value.is_boolean()) mismatch(path, "a boolean", value);
      return value;
    }
    if (type == "blob") {
      if (value.is_binary()) return Json::binary(value.get_binary());
      if (!value.is_string()) mismatch(path, format_ == WireFormat::kJson ? "base64 text" : "a byte string", value);
      std::optional<std::string> bytes = base64_decode(value.get_ref<const std::string&>());
      if (!bytes) serialization_error("Value of '" + path + "' is not valid base64");
      return Json::binary(std::vector<uint8_t>(bytes->begin(), bytes->end()));
    }
    if (type == "timestamp") {
      if (value.is_number() && std::isfinite(value.get<double>())) {
        // JSON carries epoch seconds; the Java SDKs' CBOR carries epoch milliseconds under tag 1.
        return format_ == WireFormat::kJson ? value : Json(value.get<double>() / 1000.0);
      }
      if (value.is_string()) {
        // ISO 8601 text (botocore with a custom timestamp format): accepted as the CLI accepts it.
        try {
          return Json(static_cast<double>(parse_timestamp(path, value.get<std::string>())) / 1e9);
        } catch (const Error&) {
          serialization_error("Value of '" + path + "' is not a timestamp");
        }
      }
      mismatch(path, "a timestamp", value);
    }
    return value;  // a shape type Kinesis does not use as input: passed as is
  }

  const std::vector<std::string>& missing() const { return missing_; }

 private:
  static std::string child(const std::string& path, const std::string& member) {
    std::string name = member;
    if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
    return path.empty() ? name : path + "." + name;
  }

  [[noreturn]] static void mismatch(const std::string& path, const char* wanted, const Json& value) {
    serialization_error("Value of '" + (path.empty() ? std::string("request") : path) + "' must be " + wanted +
                        ", not " + json_type(value));
  }

  const ServiceModel& shapes_;
  WireFormat format_;
  std::vector<std::string> missing_;
};

// --- Response encoding ------------------------------------------------------------------------------------

// A response document's timestamp in whole milliseconds since the epoch. Numbers are epoch seconds with
// millisecond precision (wire_timestamp): rounded to the millisecond, never truncated, so 1700000000.123 (a
// double just below it) stays .123.
int64_t timestamp_millis(const Json& value) {
  if (value.is_number()) return static_cast<int64_t>(std::llround(value.get<double>() * 1e3));
  const int64_t ns = parse_timestamp("timestamp", value.get<std::string>());
  return ns / 1'000'000 - (ns % 1'000'000 < 0 ? 1 : 0);
}

std::string blob_bytes(const Json& value) {
  if (value.is_binary()) return std::string(value.get_binary().begin(), value.get_binary().end());
  std::optional<std::string> bytes = base64_decode(value.get<std::string>());
  return bytes ? std::move(*bytes) : std::string();
}

const Json* member_shape(const ServiceModel& shapes, const Json& shape, const std::string& member) {
  const auto members = shape.find("members");
  if (members == shape.end()) return nullptr;
  const auto found = members->find(member);
  if (found == members->end()) return nullptr;
  return &shapes.shape(found->at("shape").get<std::string>());
}

// JSON: the document with blobs as base64 and timestamps as epoch seconds.
Json to_json_wire(const ServiceModel& shapes, const Json* shape, const Json& value) {
  const std::string type = shape != nullptr ? shape->value("type", "") : "";
  if (type == "blob") return value.is_binary() ? Json(base64_encode(blob_bytes(value))) : value;
  if (type == "timestamp") return wire_timestamp(timestamp_millis(value) * 1'000'000);
  if (value.is_object()) {
    Json result = Json::object();
    for (const auto& [member, item] : value.items()) {
      const Json* item_shape = nullptr;
      if (type == "structure") item_shape = member_shape(shapes, *shape, member);
      if (type == "map") item_shape = &shapes.shape(shape->at("value").at("shape").get<std::string>());
      result[member] = to_json_wire(shapes, item_shape, item);
    }
    return result;
  }
  if (value.is_array()) {
    Json result = Json::array();
    const Json* item_shape = type == "list" ? &shapes.shape(shape->at("member").at("shape").get<std::string>()) : nullptr;
    for (const Json& item : value) result.push_back(to_json_wire(shapes, item_shape, item));
    return result;
  }
  return value;
}

}  // namespace

void append_cbor_head(uint8_t major, uint64_t argument, std::string& out) {
  const auto put = [&out](uint64_t value, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xFF));
  };
  const auto type = static_cast<uint8_t>(major << 5);
  if (argument < 24) {
    out.push_back(static_cast<char>(type | argument));
  } else if (argument <= 0xFF) {
    out.push_back(static_cast<char>(type | 24));
    put(argument, 1);
  } else if (argument <= 0xFFFF) {
    out.push_back(static_cast<char>(type | 25));
    put(argument, 2);
  } else if (argument <= 0xFFFFFFFF) {
    out.push_back(static_cast<char>(type | 26));
    put(argument, 4);
  } else {
    out.push_back(static_cast<char>(type | 27));
    put(argument, 8);
  }
}

namespace {

void append_head(uint8_t major, uint64_t argument, std::string& out) { append_cbor_head(major, argument, out); }

void append_text(std::string_view text, std::string& out) {
  append_head(3, text.size(), out);
  out.append(text);
}

// CBOR: containers and tagged timestamps written here (nlohmann::json has no tagged numbers), scalars by
// nlohmann's own CBOR writer.
void append_cbor(const ServiceModel& shapes, const Json* shape, const Json& value, std::string& out) {
  const std::string type = shape != nullptr ? shape->value("type", "") : "";
  if (type == "blob") {
    const std::string bytes = blob_bytes(value);
    append_head(2, bytes.size(), out);
    out.append(bytes);
  } else if (type == "timestamp") {
    append_head(6, 1, out);  // tag 1: epoch-based date/time
    const int64_t millis = timestamp_millis(value);
    Json::to_cbor(Json(millis), nlohmann::detail::output_adapter<char>(out));
  } else if (value.is_object()) {
    append_head(5, value.size(), out);
    for (const auto& [member, item] : value.items()) {
      append_text(member, out);
      const Json* item_shape = nullptr;
      if (type == "structure") item_shape = member_shape(shapes, *shape, member);
      if (type == "map") item_shape = &shapes.shape(shape->at("value").at("shape").get<std::string>());
      append_cbor(shapes, item_shape, item, out);
    }
  } else if (value.is_array()) {
    append_head(4, value.size(), out);
    const Json* item_shape = type == "list" ? &shapes.shape(shape->at("member").at("shape").get<std::string>()) : nullptr;
    for (const Json& item : value) append_cbor(shapes, item_shape, item, out);
  } else {
    Json::to_cbor(value, nlohmann::detail::output_adapter<char>(out));
  }
}

}  // namespace

// Walks only the item structure (heads and lengths); the values are left to nlohmann's reader.
bool strip_cbor_tags(std::string_view in, size_t& offset, std::string& out, size_t depth) {
  if (depth > kMaxNesting || offset >= in.size()) return false;
  const auto initial = static_cast<uint8_t>(in[offset]);
  const uint8_t major = initial >> 5;
  const uint8_t info = initial & 0x1F;
  size_t head = 1;
  uint64_t argument = info;
  if (info >= 24 && info <= 27) {
    const size_t bytes = size_t{1} << (info - 24);
    if (in.size() - offset < 1 + bytes) return false;
    argument = 0;
    for (size_t i = 0; i < bytes; ++i) argument = argument << 8 | static_cast<uint8_t>(in[offset + 1 + i]);
    head += bytes;
  } else if (info >= 28 && info <= 30) {
    return false;
  }
  const bool indefinite = info == 31;
  if (major == 6) {  // tag: drop the head, keep the tagged item
    if (indefinite) return false;
    offset += head;
    return strip_cbor_tags(in, offset, out, depth + 1);
  }
  out.append(in.substr(offset, head));
  offset += head;
  if (major == 0 || major == 1 || major == 7) return !indefinite;  // 0xFF outside an indefinite item
  if (major == 2 || major == 3) {
    if (!indefinite) {
      if (argument > in.size() - offset) return false;
      out.append(in.substr(offset, argument));
      offset += argument;
      return true;
    }
    while (offset < in.size() && static_cast<uint8_t>(in[offset]) != 0xFF) {
      if (!strip_cbor_tags(in, offset, out, depth + 1)) return false;
    }
  } else {  // 4: array, 5: map (two items per entry)
    if (!indefinite) {
      const uint64_t items = major == 5 ? argument * 2 : argument;
      if (argument > in.size() || items > in.size() - offset) return false;  // each item takes a byte at least
      for (uint64_t i = 0; i < items; ++i) {
        if (!strip_cbor_tags(in, offset, out, depth + 1)) return false;
      }
      return true;
    }
    while (offset < in.size() && static_cast<uint8_t>(in[offset]) != 0xFF) {
      if (!strip_cbor_tags(in, offset, out, depth + 1)) return false;
    }
  }
  if (offset >= in.size()) return false;
  out.push_back(in[offset++]);  // the break byte
  return true;
}

std::optional<WireFormat> wire_format_from_content_type(std::string_view content_type) {
  const size_t parameters = content_type.find(';');
  if (parameters != std::string_view::npos) content_type = content_type.substr(0, parameters);
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  if (content_type == "application/x-amz-json-1.1" || content_type == "application/x-amz-json-1.0" ||
      content_type == "application/json") {
    return WireFormat::kJson;
  }
  if (content_type == "application/x-amz-cbor-1.1") return WireFormat::kCbor;
  return std::nullopt;
}

const char* content_type_of(WireFormat format) {
  return format == WireFormat::kJson ? "application/x-amz-json-1.1" : "application/x-amz-cbor-1.1";
}

Json decode_request(const ServiceModel& model, std::string_view operation, std::string_view body, WireFormat format) {
  const Json document = parse_body(body, format);
  const Json& operation_model = model.document().at("operations").at(std::string(operation));
  Json request = Json::object();
  if (operation_model.contains("input")) {
    RequestNormalizer normalizer(model, format);
    request = normalizer.normalize(operation_model.at("input").at("shape").get<std::string>(), document, "");
    if (!normalizer.missing().empty()) {
      const auto& missing = normalizer.missing();
      std::string message = std::to_string(missing.size()) + " validation error" + (missing.size() > 1 ? "s" : "") +
                            " detected: ";
      for (size_t i = 0; i < missing.size(); ++i) {
        message += (i > 0 ? "; " : "") + std::string("Value null at '") + missing[i] +
                   "' failed to satisfy constraint: Member must not be null";
      }
      throw ServiceError("ValidationException", message);
    }
  } else if (!document.is_object()) {
    serialization_error("The request body must be an object");
  }
  model.validate_input(operation, request);
  return request;
}

std::string encode_response(const ServiceModel& model, std::string_view operation, const Json& response,
                            WireFormat format) {
  const ServiceModel& shapes = model;
  const Json& operation_model = model.document().at("operations").at(std::string(operation));
  const Json* shape = operation_model.contains("output")
                          ? &shapes.shape(operation_model.at("output").at("shape").get<std::string>())
                          : nullptr;
  const Json& document = response.is_null() ? Json::object() : response;
  if (format == WireFormat::kJson) return to_json_wire(shapes, shape, document).dump();
  std::string out;
  append_cbor(shapes, shape, document, out);
  return out;
}

void append_wire_value(const ServiceModel& model, const std::string& shape_name, const Json& value,
                       WireFormat format, std::string& out) {
  const Json* shape = &model.shape(shape_name);
  if (format == WireFormat::kJson) {
    out += to_json_wire(model, shape, value).dump();
  } else {
    append_cbor(model, shape, value, out);
  }
}

std::string encode_error(std::string_view exception, std::string_view message, WireFormat format) {
  const Json body{{"__type", exception}, {"message", message}};
  if (format == WireFormat::kJson) return body.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  Json::to_cbor(body, nlohmann::detail::output_adapter<char>(out));
  return out;
}

void append_json_string(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t plain = 0;  // start of the run of bytes copied as they are
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text.substr(plain));
  out += '"';
}

void append_json_timestamp(int64_t ns_since_epoch, std::string& out) {
  const int64_t millis = ns_since_epoch / 1'000'000 - (ns_since_epoch % 1'000'000 < 0 ? 1 : 0);
  char text[64];
  if (millis % 1000 == 0) {
    const char* end = std::to_chars(text, text + sizeof text, millis / 1000).ptr;
    out.append(text, static_cast<size_t>(end - text));
    return;
  }  // nlohmann's own float writer, so the digits are those of dump()
  const char* end = nlohmann::detail::to_chars(text, text + sizeof text, static_cast<double>(millis) / 1000.0);
  out.append(text, static_cast<size_t>(end - text));
}

Json wire_timestamp(int64_t ns_since_epoch) {
  // Milliseconds, as the service returns them: 1700000000.123.
  const int64_t millis = ns_since_epoch / 1'000'000 - (ns_since_epoch % 1'000'000 < 0 ? 1 : 0);
  if (millis % 1000 == 0) return Json(millis / 1000);
  return Json(static_cast<double>(millis) / 1000.0);
}

int64_t timestamp_ns(const Json& epoch_seconds) {
  const double seconds = epoch_seconds.get<double>();
  if (!std::isfinite(seconds) || std::abs(seconds) > 9.2e9) {
    throw Error(StatusCode::kInvalidArgument, "Timestamp " + epoch_seconds.dump() + " is out of range");
  }
  // Rounded at the microsecond, not the nanosecond: the SDKs send milliseconds or microseconds, and the double
  // of such a value (ulp 0.24 us at 2^31 s, 0.48 us up to 2^32 s) lies within half a microsecond of it, so this
  // gives back exactly what was sent; at the nanosecond it would be up to ~120 ns off, and AT_TIMESTAMP at a
  // record's own millisecond could then miss a record that arrived within that sliver of it.
  return static_cast<int64_t>(std::llround(seconds * 1e6)) * 1000;
}

}  // namespace shmstream::cli
