// The Kinesis wire protocol between an SDK and `shmstream serve` (docs/HTTP.md): request bodies in JSON 1.1
// or CBOR 1.1 decoded into request documents, response documents encoded back, errors as AWS error bodies.
//
// A request document is what the operation layer (operations.hpp) takes, whatever the wire format was: the
// members of the operation's input shape, with blobs as JSON binary values (their bytes) and timestamps as
// epoch seconds (a number, fractions allowed). A response document is what the operation layer returns: the
// output shape's members with blobs as binary values or base64 text and timestamps as epoch seconds numbers or
// ISO 8601 text (the form the CLI's builders produce). The encoder walks the output shape, so each member
// leaves in the form its format wants:
//
//   member      JSON 1.1                         CBOR 1.1 (Java SDK v1/v2, KCL)
//   blob        base64 text                      byte string
//   timestamp   epoch seconds (number)           tag 1 + epoch milliseconds (integer), as the Java SDKs write
//                                                and read it
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json_output.hpp"
#include "service_model.hpp"

namespace shmstream::cli {

enum class WireFormat { kJson, kCbor };

// "application/x-amz-json-1.1" (also 1.0 and application/json), "application/x-amz-cbor-1.1"; nullopt for any
// other content type. Parameters after ';' are ignored.
std::optional<WireFormat> wire_format_from_content_type(std::string_view content_type);
const char* content_type_of(WireFormat format);

// The request document of `operation` from a request body. Throws ServiceError:
//  - SerializationException for a body that is not one JSON / CBOR value, a value that is not an object, or a
//    member whose type is not its shape's (a number for a string, text that is not base64 for a blob, ...);
//  - ValidationException naming every required member that is missing ("Member must not be null"),
//    then ServiceModel::validate_input's constraints.
// Members the input shape does not have are dropped, as the service ignores them (a newer SDK may send some).
Json decode_request(const ServiceModel& model, std::string_view operation, std::string_view body, WireFormat format);

// The response body of `operation` for a response document (see above).
std::string encode_response(const ServiceModel& model, std::string_view operation, const Json& response,
                            WireFormat format);

// {"__type": "<exception>", "message": "..."} in `format`.
std::string encode_error(std::string_view exception, std::string_view message, WireFormat format);

// The encoded form of `value` as a member of shape `shape_name` (blobs and timestamps per the table above),
// appended to `out`: for responses written without a whole document (record_wire.hpp).
void append_wire_value(const ServiceModel& model, const std::string& shape_name, const Json& value,
                       WireFormat format, std::string& out);

// For readers of request bodies that drive nlohmann's SAX interface themselves (record_wire.cpp): the deepest
// nesting a request body may have, and the CBOR tag stripper (nlohmann's CBOR reader refuses tags 0..5, and
// the Java SDKs send timestamps under tag 1): copies one data item of `in` from `offset` to `out` without its
// tag heads; false when the structure is truncated, nests past kMaxRequestNesting or uses a reserved head.
inline constexpr size_t kMaxRequestNesting = 32;
// CBOR's head: major type in the top 3 bits, then the argument in the shortest form (as nlohmann writes it).
void append_cbor_head(uint8_t major, uint64_t argument, std::string& out);
bool strip_cbor_tags(std::string_view in, size_t& offset, std::string& out, size_t depth = 0);

// "text" as dump() writes a string (nlohmann's escapes, no ensure_ascii), for UTF-8 text.
void append_json_string(std::string_view text, std::string& out);
// A timestamp as wire_timestamp(ns).dump() writes it: epoch seconds, millisecond precision.
void append_json_timestamp(int64_t ns_since_epoch, std::string& out);

// Epoch seconds as a number with millisecond precision (what Kinesis returns), for a response document.
Json wire_timestamp(int64_t ns_since_epoch);
// A request document's timestamp (epoch seconds) in ns since the epoch.
int64_t timestamp_ns(const Json& epoch_seconds);

}  // namespace shmstream::cli
