#include "operations.hpp"

#include <algorithm>
#include <map>

#include "cli_errors.hpp"
#include "operation_requests.hpp"

namespace shmstream::cli {
namespace {

const std::map<std::string, OperationHandler, std::less<>>& handlers() {
  static const std::map<std::string, OperationHandler, std::less<>> table = [] {
    std::map<std::string, OperationHandler, std::less<>> all;
    for (const auto& entries : {stream_operations(), attribute_operations()}) {
      for (const OperationEntry& entry : entries) all.emplace(entry.name, entry.handler);
    }
    return all;
  }();
  return table;
}

}  // namespace

bool Operations::supports(std::string_view operation) { return handlers().count(operation) > 0; }

std::vector<std::string> Operations::supported() {
  std::vector<std::string> names;
  for (const auto& [name, handler] : handlers()) names.push_back(name);
  return names;
}

Json Operations::handle(std::string_view operation, const Json& request) const {
  const auto found = handlers().find(operation);
  if (found == handlers().end()) {
    throw ServiceError("UnknownOperationException", "Operation " + std::string(operation) + " is not supported");
  }
  return found->second(*this, request);
}

}  // namespace shmstream::cli
