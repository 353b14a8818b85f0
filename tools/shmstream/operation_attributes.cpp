// Tags, consumers, enhanced monitoring, stream mode, limits and encryption over the wire: the operations of
// the CLI's attribute and encryption commands, on a request document (operations.hpp).

#include "attribute_parsers.hpp"
#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "operation_requests.hpp"
#include "consumer_responses.hpp"
#include "shmstream/limits.hpp"
#include "stream_target.hpp"
#include "text_codecs.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {

std::string requested_stream(const Json& request) {
  StreamTarget target{text_member(request, "StreamName"), text_member(request, "StreamARN")};
  return target.resolve();
}

namespace {

Json add_tags(const Operations& operations, const Json& request) {
  const std::vector<Tag> tags = parse_tag_map("Tags", request.at("Tags").dump());
  operations.open_stream(requested_stream(request))->add_tags(tags);
  return nullptr;
}

Json remove_tags(const Operations& operations, const Json& request) {
  operations.open_stream(requested_stream(request))
      ->remove_tags(request.at("TagKeys").get<std::vector<std::string>>());
  return nullptr;
}

Json list_tags(const Operations& operations, const Json& request) {
  const long long limit = integer_member(request, "Limit").value_or(kMaxTagsPerStream);
  check_range("limit", limit, 1, kMaxTagsPerStream);
  const TagPage page = operations.open_stream(requested_stream(request))
                           ->list_tags(text_member(request, "ExclusiveStartTagKey"), static_cast<uint32_t>(limit));
  Json tags = Json::array();
  for (const Tag& tag : page.tags) tags.push_back(Json{{"Key", tag.key}, {"Value", tag.value}});
  return Json{{"Tags", tags}, {"HasMoreTags", page.has_more}};
}

// The consumer of a Describe/DeregisterStreamConsumer: StreamARN with ConsumerName, or ConsumerARN alone. An
// ARN must carry the consumer's creation second, so the ARN of a consumer registered again names nothing.
std::pair<std::shared_ptr<Stream>, ConsumerInfo> requested_consumer(const Operations& operations, const Json& request) {
  if (const auto consumer_arn = optional_text(request, "ConsumerARN")) {
    if (request.contains("ConsumerName") || request.contains("StreamARN") || request.contains("StreamName")) {
      throw_invalid_argument("ConsumerARN cannot be provided together with StreamARN or ConsumerName.");
    }
    return consumer_by_arn(*consumer_arn, [&operations](const std::string& name) {
      return operations.open_stream(name);
    });
  }
  if (!request.contains("ConsumerName")) {
    throw_invalid_argument("Either ConsumerARN or StreamARN and ConsumerName should be provided.");
  }
  const auto stream = operations.open_stream(requested_stream(request));
  return {stream, stream->describe_consumer(text_member(request, "ConsumerName"))};
}

Json register_consumer(const Operations& operations, const Json& request) {
  const ConsumerInfo consumer = operations.open_stream(requested_stream(request))
                                    ->register_consumer(text_member(request, "ConsumerName"));
  return Json{{"Consumer", consumer_json(consumer, DocumentForm::kWire)}};
}

Json deregister_consumer(const Operations& operations, const Json& request) {
  auto [stream, consumer] = requested_consumer(operations, request);
  stream->deregister_consumer(consumer.name);
  return nullptr;
}

Json describe_consumer(const Operations& operations, const Json& request) {
  auto [stream, consumer] = requested_consumer(operations, request);
  Json description = consumer_json(consumer, DocumentForm::kWire);
  description["StreamARN"] = stream->describe().arn;
  return Json{{"ConsumerDescription", description}};
}

Json list_consumers(const Operations& operations, const Json& request) {
  const long long max_results = integer_member(request, "MaxResults").value_or(100);
  check_range("maxResults", max_results, 1, 10000);
  const auto stream = operations.open_stream(requested_stream(request));
  const StreamInfo info = stream->describe();
  if (request.contains("StreamCreationTimestamp") &&
      timestamp_ns(request["StreamCreationTimestamp"]) / 1'000'000'000 != info.creation_ns / 1'000'000'000) {
    throw Error(StatusCode::kResourceNotFound, "Stream " + info.name + " created at " +
                                                   request["StreamCreationTimestamp"].dump() + " not found.");
  }
  return list_stream_consumers_response(*stream, static_cast<size_t>(max_results), optional_text(request, "NextToken"),
                                        DocumentForm::kWire);
}

Json monitoring(const Operations& operations, const Json& request, bool enable) {
  const uint32_t mask =
      parse_shard_level_metrics("ShardLevelMetrics", request.at("ShardLevelMetrics").dump());
  const auto stream = operations.open_stream(requested_stream(request));
  const uint32_t current = enable ? stream->enable_enhanced_monitoring(mask) : stream->disable_enhanced_monitoring(mask);
  const uint32_t desired = enable ? (current | mask) : (current & ~mask);
  return Json{{"StreamName", stream->name()},
              {"CurrentShardLevelMetrics", shard_level_metric_names(current)},
              {"DesiredShardLevelMetrics", shard_level_metric_names(desired)},
              {"StreamARN", detail::aws::stream_arn(stream->name())}};
}

Json enable_monitoring(const Operations& operations, const Json& request) { return monitoring(operations, request, true); }
Json disable_monitoring(const Operations& operations, const Json& request) { return monitoring(operations, request, false); }

Json update_stream_mode(const Operations& operations, const Json& request) {
  const StreamMode mode = parse_stream_mode_details("StreamModeDetails", request.at("StreamModeDetails").dump());
  operations.open_stream(requested_stream(request))->update_stream_mode(mode);
  return nullptr;
}

Json describe_limits(const Operations& operations, const Json&) {
  const StreamLimits limits = Stream::describe_limits(operations.root());
  return Json{{"ShardLimit", limits.shard_limit},
              {"OpenShardCount", limits.open_shard_count},
              {"OnDemandStreamCount", limits.on_demand_stream_count},
              {"OnDemandStreamCountLimit", limits.on_demand_stream_count_limit}};
}

Json start_encryption(const Operations& operations, const Json& request) {
  operations.open_stream(requested_stream(request))
      ->start_encryption(text_member(request, "EncryptionType"), text_member(request, "KeyId"));
  return nullptr;
}

Json stop_encryption(const Operations& operations, const Json& request) {
  operations.open_stream(requested_stream(request))
      ->stop_encryption(text_member(request, "EncryptionType"), text_member(request, "KeyId"));
  return nullptr;
}

}  // namespace

std::vector<OperationEntry> attribute_operations() {
  return {{"AddTagsToStream", add_tags},
          {"RemoveTagsFromStream", remove_tags},
          {"ListTagsForStream", list_tags},
          {"RegisterStreamConsumer", register_consumer},
          {"DeregisterStreamConsumer", deregister_consumer},
          {"DescribeStreamConsumer", describe_consumer},
          {"ListStreamConsumers", list_consumers},
          {"EnableEnhancedMonitoring", enable_monitoring},
          {"DisableEnhancedMonitoring", disable_monitoring},
          {"UpdateStreamMode", update_stream_mode},
          {"DescribeLimits", describe_limits},
          {"StartStreamEncryption", start_encryption},
          {"StopStreamEncryption", stop_encryption}};
}

}  // namespace shmstream::cli
