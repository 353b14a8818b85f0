// PutRecords and GetRecords between the library and the wire without response documents: the hot operations
// of `shmstream serve` (docs/HTTP.md, docs/PERFORMANCE.md "HTTP endpoint"). The responses are written into
// one output string, byte for byte what encode_response writes for the response document. GetRecords is only
// this (its entry in the operation table names get_records_wire); a PutRecords body that
// put_records_request.hpp does not take, and every other operation, go through the documents.
#pragma once

#include <string>

#include "json_output.hpp"
#include "operations.hpp"
#include "put_records_request.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {

// Runs a decoded PutRecords and returns the response body in `format`. Throws as the operation does: an
// ExplicitHashKey out of range, an unknown stream, a failed request.
std::string put_records_wire(const Operations& operations, PutRecordsWireRequest& request, WireFormat format);

// PutRecords straight from the request body: false when put_records_request.hpp does not take the body (the
// caller then decodes the document and runs the operation on it); else runs it and writes the response body.
bool put_records_from_body(const Operations& operations, std::string_view body, WireFormat format,
                           std::string& response);

// Runs GetRecords on a decoded request document and returns the response body in `format`.
std::string get_records_wire(const Operations& operations, const Json& request, WireFormat format);

}  // namespace shmstream::cli
