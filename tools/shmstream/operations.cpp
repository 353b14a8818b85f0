#include "operations.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "cli_errors.hpp"
#include "operation_requests.hpp"

namespace shmstream::cli {
namespace {

const std::map<std::string, OperationEntry, std::less<>>& handlers() {
  static const std::map<std::string, OperationEntry, std::less<>> table = [] {
    std::map<std::string, OperationEntry, std::less<>> all;
    for (const auto& entries : {stream_operations(), attribute_operations()}) {
      for (const OperationEntry& entry : entries) all.emplace(entry.name, entry);
    }
    return all;
  }();
  return table;
}

const OperationEntry& entry_of(std::string_view operation) {
  const auto found = handlers().find(operation);
  if (found == handlers().end()) {
    throw ServiceError("UnknownOperationException", "Operation " + std::string(operation) + " is not supported");
  }
  return found->second;
}

}  // namespace

bool Operations::supports(std::string_view operation) { return handlers().count(operation) > 0; }

std::shared_ptr<Stream> Operations::open_stream(const std::string& name) const {
  struct stat meta {};
  const bool exists = is_valid_stream_name(name) &&
                      ::stat((root_ + "/" + name + "/stream.meta").c_str(), &meta) == 0;
  if (exists) {
    std::shared_lock lock(cache_->mutex);
    const auto found = cache_->streams.find(name);
    if (found != cache_->streams.end() && found->second.device == static_cast<uint64_t>(meta.st_dev) &&
        found->second.inode == static_cast<uint64_t>(meta.st_ino)) {
      return found->second.stream;
    }
  }
  std::shared_ptr<Stream> stream = Stream::open(name, root_);  // throws ResourceNotFound when it is gone
  std::unique_lock lock(cache_->mutex);
  if (exists) {
    cache_->streams[name] = CachedStream{stream, static_cast<uint64_t>(meta.st_dev), static_cast<uint64_t>(meta.st_ino)};
  }
  return stream;
}

void Operations::forget_stream(const std::string& name) const {
  std::unique_lock lock(cache_->mutex);
  cache_->streams.erase(name);
}

Json Operations::handle(std::string_view operation, const Json& request) const {
  const OperationEntry& entry = entry_of(operation);
  if (entry.handler == nullptr) {
    throw ServiceError("InternalFailure", std::string(operation) + " answers with a response body, not a document");
  }
  return entry.handler(*this, request);
}

bool Operations::respond_to_body(std::string_view operation, std::string_view body, WireFormat format,
                                 std::string& response) const {
  const OperationEntry& entry = entry_of(operation);
  return entry.from_body != nullptr && entry.from_body(*this, body, format, response);
}

std::string Operations::respond(std::string_view operation, const Json& request, WireFormat format) const {
  const OperationEntry& entry = entry_of(operation);
  if (entry.body != nullptr) return entry.body(*this, request, format);
  return encode_response(ServiceModel::kinesis(), operation, entry.handler(*this, request), format);
}

}  // namespace shmstream::cli
