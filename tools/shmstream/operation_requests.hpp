// Reading the members of a request document (operations.hpp) and the operations of each file.
#pragma once

#include <optional>
#include <string>

#include "json_output.hpp"
#include "operations.hpp"
#include "shmstream/iterator_token.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {

// A string member, or "" when absent.
inline std::string text_member(const Json& request, const char* member) {
  const auto found = request.find(member);
  return found == request.end() ? std::string() : found->get<std::string>();
}

inline std::optional<std::string> optional_text(const Json& request, const char* member) {
  const auto found = request.find(member);
  if (found == request.end()) return std::nullopt;
  return found->get<std::string>();
}

inline std::optional<long long> integer_member(const Json& request, const char* member) {
  const auto found = request.find(member);
  if (found == request.end()) return std::nullopt;
  return found->get<long long>();
}

inline std::string_view blob_member(const Json& request, const char* member) {
  const auto& bytes = request.at(member).get_binary();
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The stream a request names by StreamName or StreamARN (stream_target.hpp's rules and errors).
std::string requested_stream(const Json& request);

// A GetRecords request checked as the operation checks it: Limit in range, the iterator decoded (and not
// expired), a StreamARN that names the iterator's stream.
struct GetRecordsCall {
  IteratorToken token;
  uint32_t limit = 0;
};
GetRecordsCall get_records_call(const Json& request);

// An operation answers with a response document, or writes its response body itself (GetRecords: the
// records go straight from the shard into the body, record_wire.hpp). An operation may also take the request
// body directly (PutRecords: straight into the library's entries), declining the bodies it does not take.
using OperationHandler = Json (*)(const Operations& operations, const Json& request);
using BodyHandler = std::string (*)(const Operations& operations, const Json& request, WireFormat format);
using RequestBodyHandler = bool (*)(const Operations& operations, std::string_view body, WireFormat format,
                                    std::string& response);
struct OperationEntry {
  const char* name;
  OperationHandler handler = nullptr;
  BodyHandler body = nullptr;
  RequestBodyHandler from_body = nullptr;
};

// The handlers of operation_streams.cpp (streams, shards, records) and operation_attributes.cpp (tags,
// consumers, monitoring, stream mode, limits, encryption).
std::vector<OperationEntry> stream_operations();
std::vector<OperationEntry> attribute_operations();

}  // namespace shmstream::cli
