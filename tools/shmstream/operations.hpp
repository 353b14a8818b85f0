// The Kinesis operations as functions of a request document: what `shmstream serve` runs for each
// X-Amz-Target (docs/HTTP.md). A request document comes from wire_protocol.hpp's decode_request (already
// checked against the service model); the response document goes back through encode_response. Errors are
// thrown as the CLI throws them: shmstream::Error (its StatusCode names the AWS exception) or ServiceError.
//
// The work itself is the CLI's: the shared builders of responses.hpp, the parsers of the CLI's flag values
// (shard filters, stream mode, metrics, tags) and the tokens of paging.hpp / iterator_token.hpp, so an
// operation answers the same over HTTP as from the command line.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "json_output.hpp"
#include "shmstream/stream.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {

class Operations {
 public:
  explicit Operations(std::string root) : root_(std::move(root)), cache_(std::make_shared<StreamCache>()) {}

  // Whether `operation` (a model name such as "PutRecords") is served; the model's other operations
  // (SubscribeToShard, resource policies, ...) are not.
  static bool supports(std::string_view operation);

  // Runs `operation` on a request document; returns the response document (null for an empty response).
  // Throws InternalFailure for an operation that only writes bodies (GetRecords).
  Json handle(std::string_view operation, const Json& request) const;
  // Runs `operation` on a request document; returns the response body in `format`.
  std::string respond(std::string_view operation, const Json& request, WireFormat format) const;
  // Runs `operation` straight from its request body, if it takes bodies directly and this one (false: decode
  // the document and respond() to it). Writes the response body in `format` to `response`.
  bool respond_to_body(std::string_view operation, std::string_view body, WireFormat format,
                       std::string& response) const;

  const std::string& root() const { return root_; }

  // The stream of that name, opened once and shared by every request (opening maps its files: milliseconds).
  // A cached stream is used only while its stream.meta is the same file (same device and inode): a stream
  // deleted, or deleted and created again under the same name, is opened afresh (or is not found).
  std::shared_ptr<Stream> open_stream(const std::string& name) const;
  // Drops the cached handle (DeleteStream), so the deleted files are not kept mapped.
  void forget_stream(const std::string& name) const;

 private:
  struct CachedStream {
    std::shared_ptr<Stream> stream;
    uint64_t device = 0, inode = 0;
  };
  struct StreamCache {
    std::shared_mutex mutex;  // request level, never inside the library's put or read paths
    std::unordered_map<std::string, CachedStream> streams;
  };
  std::string root_;
  std::shared_ptr<StreamCache> cache_;
};

}  // namespace shmstream::cli
