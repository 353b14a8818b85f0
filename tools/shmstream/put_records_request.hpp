// A PutRecords body decoded straight into the library's PutRecordsEntry list, without a request document: the
// hot request of `shmstream serve` (docs/PERFORMANCE.md "HTTP endpoint"; record_wire.hpp runs it).
//
// A SAX handler reads the body (JSON 1.1 through plain_json_scanner.hpp or nlohmann's parser; CBOR 1.1 through
// nlohmann's reader after strip_cbor_tags) with a state machine over {"StreamName"|"StreamARN": text,
// "Records": [{"Data", "PartitionKey", "ExplicitHashKey"}, ...]};
// blobs are decoded into one buffer the thread reuses, and each entry is checked against the service model's
// constraints (read from the model once) as it ends. A body that is anything else — malformed, a member of
// another type, null, an unknown or repeated member, a broken constraint — is not taken: the caller decodes it
// again with decode_request, which refuses it with the service's own error or accepts it. So the errors and
// their messages are those of the one decoder, and a request taken here is one decode_request takes with the
// same members (tests/fuzz/fuzz_http_request.cpp checks both).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "service_model.hpp"
#include "shmstream/producer.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {

// A decoded PutRecords request. Reused by a thread from request to request, so its vectors and buffer keep
// their capacity.
struct PutRecordsWireRequest {
  std::string stream_name;  // when has_stream_name
  std::string stream_arn;   // when has_stream_arn
  bool has_stream_name = false;
  bool has_stream_arn = false;
  std::vector<PutRecordsEntry> entries;              // views into `bytes`; explicit_hash_key not yet parsed
  std::vector<std::string_view> explicit_hash_keys;  // each entry's ExplicitHashKey text, "" when absent
  std::string bytes;                                 // the partition keys, data and hash key texts
};

// Which reader a JSON body goes through: plain_json_scanner.hpp (which refuses escapes, numbers and the like),
// nlohmann's parser, or the plain one and then nlohmann's for a body it refused. (CBOR: nlohmann's reader.)
enum class PutRecordsJsonReader { kPlainFirst, kPlain, kNlohmann };

// Whether `body` is a PutRecords request this decoder takes (see above); on true, `request` holds it.
bool decode_put_records(const ServiceModel& model, std::string_view body, WireFormat format,
                        PutRecordsWireRequest& request,
                        PutRecordsJsonReader json_reader = PutRecordsJsonReader::kPlainFirst);

}  // namespace shmstream::cli
