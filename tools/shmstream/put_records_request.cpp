#include "put_records_request.hpp"

#include <limits>
#include <optional>
#include <regex>

#include "cli_errors.hpp"
#include "common/base64.hpp"
#include "plain_json_scanner.hpp"

namespace shmstream::cli {
namespace {

// The constraints of the PutRecords input shape that apply to each entry, read from the model once.
struct EntryConstraints {
  size_t min_records = 0, max_records = std::numeric_limits<size_t>::max();
  size_t min_key = 0, max_key = std::numeric_limits<size_t>::max();
  size_t min_data = 0, max_data = std::numeric_limits<size_t>::max();
  std::optional<std::regex> hash_key_pattern;
};

void read_bounds(const Json& shape, size_t& minimum, size_t& maximum) {
  if (const auto found = shape.find("min"); found != shape.end()) minimum = found->get<size_t>();
  if (const auto found = shape.find("max"); found != shape.end()) maximum = found->get<size_t>();
}

EntryConstraints read_entry_constraints(const ServiceModel& model) {
  EntryConstraints constraints;
  const Json& input = model.shape(
      model.document().at("operations").at("PutRecords").at("input").at("shape").get<std::string>());
  const Json& list = model.shape(input.at("members").at("Records").at("shape").get<std::string>());
  read_bounds(list, constraints.min_records, constraints.max_records);
  const Json& members = model.shape(list.at("member").at("shape").get<std::string>()).at("members");
  read_bounds(model.shape(members.at("PartitionKey").at("shape").get<std::string>()), constraints.min_key,
              constraints.max_key);
  read_bounds(model.shape(members.at("Data").at("shape").get<std::string>()), constraints.min_data,
              constraints.max_data);
  const Json& hash_key = model.shape(members.at("ExplicitHashKey").at("shape").get<std::string>());
  if (const auto pattern = hash_key.find("pattern"); pattern != hash_key.end()) {
    constraints.hash_key_pattern.emplace(pattern->get<std::string>());  // as ServiceModel::validate_input
  }
  return constraints;
}

// The SAX handler: a state machine over {"StreamName"|"StreamARN": text, "Records": [{"Data", "PartitionKey",
// "ExplicitHashKey"}, ...]}. Returning false stops the parse: the body is left to decode_request.
class PutRecordsReader {
 public:
  using Binary = Json::binary_t;

  PutRecordsReader(const EntryConstraints& constraints, PutRecordsWireRequest& request)
      : constraints_(constraints), request_(request) {}

  bool done() const { return state_ == State::kDone; }
  bool saw_records() const { return saw_records_; }

  bool null() { return false; }  // null is "not given" to decode_request
  bool boolean(bool) { return false; }
  bool number_integer(Json::number_integer_t) { return false; }
  bool number_unsigned(Json::number_unsigned_t) { return false; }
  bool number_float(Json::number_float_t, const std::string&) { return false; }

  bool string(std::string& text) {
    switch (state_) {
      case State::kStreamName:
        request_.stream_name = text;
        request_.has_stream_name = true;
        state_ = State::kRequest;
        return true;
      case State::kStreamArn:
        request_.stream_arn = text;
        request_.has_stream_arn = true;
        state_ = State::kRequest;
        return true;
      case State::kData: {
        // base64 text: JSON's form of a blob, and accepted in CBOR too.
        if (text.size() > room()) return false;
        const size_t start = request_.bytes.size();
        if (!detail::base64_decode_append(text, request_.bytes)) return false;
        data_ = view(start);
        state_ = State::kEntry;
        return true;
      }
      case State::kPartitionKey:
        if (!append(text)) return false;
        key_ = view(request_.bytes.size() - text.size());
        state_ = State::kEntry;
        return true;
      case State::kExplicitHashKey:
        if (!append(text)) return false;
        hash_key_ = view(request_.bytes.size() - text.size());
        state_ = State::kEntry;
        return true;
      default:
        return false;
    }
  }

  bool binary(Binary& bytes) {
    if (state_ != State::kData) return false;
    if (!append({reinterpret_cast<const char*>(bytes.data()), bytes.size()})) return false;
    data_ = view(request_.bytes.size() - bytes.size());
    state_ = State::kEntry;
    return true;
  }

  bool start_object(std::size_t) {
    if (state_ == State::kStart) {
      state_ = State::kRequest;
      return true;
    }
    if (state_ != State::kRecords) return false;
    state_ = State::kEntry;
    seen_ = 0;
    data_ = key_ = hash_key_ = {};
    return true;
  }

  bool key(std::string& name) {
    uint8_t member = 0;
    if (state_ == State::kRequest) {
      if (name == "StreamName") {
        member = kStreamNameSeen;
        state_ = State::kStreamName;
      } else if (name == "StreamARN") {
        member = kStreamArnSeen;
        state_ = State::kStreamArn;
      } else if (name == "Records") {
        member = kRecordsSeen;
        state_ = State::kRecordsValue;
      } else {
        return false;  // dropped by decode_request: left to it
      }
      if ((request_seen_ & member) != 0) return false;  // repeated
      request_seen_ |= member;
      return true;
    }
    if (state_ != State::kEntry) return false;
    if (name == "Data") {
      member = kDataSeen;
      state_ = State::kData;
    } else if (name == "PartitionKey") {
      member = kPartitionKeySeen;
      state_ = State::kPartitionKey;
    } else if (name == "ExplicitHashKey") {
      member = kExplicitHashKeySeen;
      state_ = State::kExplicitHashKey;
    } else {
      return false;
    }
    if ((seen_ & member) != 0) return false;
    seen_ |= member;
    return true;
  }

  bool end_object() {
    if (state_ == State::kRequest) {
      state_ = State::kDone;
      return true;
    }
    if (state_ != State::kEntry) return false;
    if ((seen_ & (kDataSeen | kPartitionKeySeen)) != (kDataSeen | kPartitionKeySeen)) return false;
    const size_t key_length = unicode_length(key_);
    if (key_length < constraints_.min_key || key_length > constraints_.max_key) return false;
    if (data_.size() < constraints_.min_data || data_.size() > constraints_.max_data) return false;
    if ((seen_ & kExplicitHashKeySeen) != 0 && constraints_.hash_key_pattern &&
        !std::regex_match(hash_key_.begin(), hash_key_.end(), *constraints_.hash_key_pattern)) {
      return false;
    }
    if (request_.entries.size() == constraints_.max_records) return false;
    request_.entries.push_back({key_, data_, std::nullopt});
    request_.explicit_hash_keys.push_back(hash_key_);
    state_ = State::kRecords;
    return true;
  }

  bool start_array(std::size_t) {
    if (state_ != State::kRecordsValue) return false;
    saw_records_ = true;
    state_ = State::kRecords;
    return true;
  }

  bool end_array() {
    if (state_ != State::kRecords) return false;
    state_ = State::kRequest;
    return true;
  }

  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception&) {
    return false;
  }

 private:
  enum class State : uint8_t {
    kStart, kRequest, kStreamName, kStreamArn, kRecordsValue, kRecords, kEntry, kData, kPartitionKey,
    kExplicitHashKey, kDone
  };
  static constexpr uint8_t kStreamNameSeen = 1, kStreamArnSeen = 2, kRecordsSeen = 4;
  static constexpr uint8_t kDataSeen = 1, kPartitionKeySeen = 2, kExplicitHashKeySeen = 4;

  // The buffer was reserved for the whole body, which no decoded entry outgrows: views into it stay valid.
  size_t room() const { return request_.bytes.capacity() - request_.bytes.size(); }
  bool append(std::string_view bytes) {
    if (bytes.size() > room()) return false;
    request_.bytes.append(bytes);
    return true;
  }
  std::string_view view(size_t start) const {
    return std::string_view(request_.bytes).substr(start, request_.bytes.size() - start);
  }

  const EntryConstraints& constraints_;
  PutRecordsWireRequest& request_;
  State state_ = State::kStart;
  uint8_t request_seen_ = 0;
  uint8_t seen_ = 0;  // members of the current entry
  bool saw_records_ = false;
  std::string_view data_, key_, hash_key_;
};

bool parse_put_records(std::string_view body, WireFormat format, PutRecordsJsonReader json_reader,
                       PutRecordsReader& reader) {
  if (format == WireFormat::kJson) {
    if (json_reader == PutRecordsJsonReader::kPlain) {
      thread_local std::string scratch;  // each key and string in turn: its capacity is kept
      return scan_plain_json(body, reader, scratch) && reader.done();
    }
    return Json::sax_parse(body, &reader, nlohmann::detail::input_format_t::json, /*strict=*/true) && reader.done();
  }
  thread_local std::string untagged;
  untagged.clear();
  size_t offset = 0;
  if (!strip_cbor_tags(body, offset, untagged) || offset != body.size()) return false;
  auto input = nlohmann::detail::input_adapter(untagged.cbegin(), untagged.cend());
  nlohmann::detail::binary_reader<Json, decltype(input), PutRecordsReader> cbor(
      std::move(input), nlohmann::detail::input_format_t::cbor);
  return cbor.sax_parse(nlohmann::detail::input_format_t::cbor, &reader, /*strict=*/true,
                        nlohmann::detail::cbor_tag_handler_t::ignore) &&
         reader.done();
}

// The request-level members through the model's own check (one small document per request, not per record).
bool stream_members_valid(const ServiceModel& model, const PutRecordsWireRequest& request) {
  Json members = Json::object();
  if (request.has_stream_name) members["StreamName"] = request.stream_name;
  if (request.has_stream_arn) members["StreamARN"] = request.stream_arn;
  try {
    model.validate_input("PutRecords", members);
  } catch (const ServiceError&) {
    return false;
  }
  return true;
}

}  // namespace

bool decode_put_records(const ServiceModel& model, std::string_view body, WireFormat format,
                        PutRecordsWireRequest& request, PutRecordsJsonReader json_reader) {
  static const EntryConstraints constraints = read_entry_constraints(model);
  if (format == WireFormat::kJson && json_reader == PutRecordsJsonReader::kPlainFirst) {
    // The plain scanner refuses escapes and the like; nlohmann's parser reads those bodies.
    return decode_put_records(model, body, format, request, PutRecordsJsonReader::kPlain) ||
           decode_put_records(model, body, format, request, PutRecordsJsonReader::kNlohmann);
  }
  request.has_stream_name = request.has_stream_arn = false;
  request.entries.clear();
  request.explicit_hash_keys.clear();
  request.bytes.clear();
  request.bytes.reserve(body.size());  // no entry decodes longer than its text: views into it stay valid
  PutRecordsReader reader(constraints, request);
  if (body.empty() || !parse_put_records(body, format, json_reader, reader) || !reader.saw_records()) return false;
  if (request.entries.size() < constraints.min_records) return false;
  return stream_members_valid(model, request);
}

}  // namespace shmstream::cli
