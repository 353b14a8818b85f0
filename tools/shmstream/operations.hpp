// The Kinesis operations as functions of a request document: what `shmstream serve` runs for each
// X-Amz-Target (docs/HTTP.md). A request document comes from wire_protocol.hpp's decode_request (already
// checked against the service model); the response document goes back through encode_response. Errors are
// thrown as the CLI throws them: shmstream::Error (its StatusCode names the AWS exception) or ServiceError.
//
// The work itself is the CLI's: the shared builders of responses.hpp, the parsers of the CLI's flag values
// (shard filters, stream mode, metrics, tags) and the tokens of paging.hpp / iterator_token.hpp, so an
// operation answers the same over HTTP as from the command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json_output.hpp"

namespace shmstream::cli {

class Operations {
 public:
  explicit Operations(std::string root) : root_(std::move(root)) {}

  // Whether `operation` (a model name such as "PutRecords") is served; the model's other operations
  // (SubscribeToShard, resource policies, ...) are not.
  static bool supports(std::string_view operation);
  static std::vector<std::string> supported();

  // Runs `operation` on a request document; returns the response document (null for an empty response).
  Json handle(std::string_view operation, const Json& request) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace shmstream::cli
