// The Kinesis service model (botocore's service-2.json, embedded at build time by embed_service_model.py) and
// the checks the service makes against it before anything else: lengths (in Unicode characters), patterns,
// ranges and enums of every input member. A request that breaks one is answered with ValidationException,
// listing every violation in the service's words.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "json_output.hpp"

namespace shmstream::cli {

class ServiceModel {
 public:
  static const ServiceModel& kinesis();

  bool has_operation(std::string_view operation) const;
  // The input member an aws-CLI flag stands for ("--exclusive-start-shard-id" -> "ExclusiveStartShardId").
  std::optional<std::string> member_for_flag(std::string_view operation, std::string_view flag) const;
  // The type of an input member's shape: "string", "integer", "structure", "list", "blob", ...
  std::string member_type(std::string_view operation, std::string_view member) const;
  // The type of a list member's items ("string", "structure", ...); empty when the member is not a list.
  std::string list_item_type(std::string_view operation, std::string_view member) const;
  // Throws ServiceError("ValidationException", ...) naming every constraint `request` breaks.
  void validate_input(std::string_view operation, const Json& request) const;

  const Json& document() const { return model_; }
  // A shape by name in constant time (the document's objects keep their order, so their lookups are linear).
  const Json& shape(const std::string& name) const { return *shape_index_.at(name); }

 private:
  ServiceModel();
  const Json& input_shape(std::string_view operation) const;
  Json model_;
  std::unordered_map<std::string, const Json*> shape_index_;
};

// "StreamARN" -> "stream-arn", "ExclusiveStartShardId" -> "exclusive-start-shard-id": the aws CLI's rule.
std::string kebab_case(std::string_view member);
// Length in Unicode code points, as the service measures string constraints (bytes when not UTF-8).
size_t unicode_length(std::string_view text);

}  // namespace shmstream::cli
