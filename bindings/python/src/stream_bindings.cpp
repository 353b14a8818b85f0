// Control path: create / open / list / delete / describe. describe returns raw snake_case dicts; the
// Python package shapes them like the Kinesis DescribeStream response.
#include <pybind11/stl.h>

#include <chrono>

#include "native.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::python {
namespace {

const char* shard_status_name(layout::ShardStatus status) {
  switch (status) {
    case layout::ShardStatus::kOpen: return "OPEN";
    case layout::ShardStatus::kClosed: return "CLOSED";
    case layout::ShardStatus::kExpired: return "EXPIRED";
    case layout::ShardStatus::kUnused: break;
  }
  return "UNUSED";
}

py::object optional_int(const std::optional<uint64_t>& value) {
  return value ? py::object(py::int_(*value)) : py::object(py::none());
}

py::object optional_index(const std::optional<uint32_t>& value) {
  return value ? py::object(py::int_(*value)) : py::object(py::none());
}

py::dict shard_to_dict(const ShardInfo& shard) {
  py::dict out;
  out["index"] = shard.index;
  out["shard_id"] = shard.shard_id;
  // Decimal text: 128-bit values, and the text form is what Kinesis returns.
  out["starting_hash_key"] = format_hash_key(shard.starting_hash_key);
  out["ending_hash_key"] = format_hash_key(shard.ending_hash_key);
  out["parent_index"] = optional_index(shard.parent_index);
  out["adjacent_parent_index"] = optional_index(shard.adjacent_parent_index);
  out["starting_sequence_number"] = shard.starting_sequence_number;
  out["ending_sequence_number"] = optional_int(shard.ending_sequence_number);
  out["state"] = shard_status_name(shard.status);
  out["created_ns"] = shard.created_ns;
  out["closed_ns"] = shard.closed_ns;
  out["trim_horizon"] = shard.trim_horizon;
  out["latest_position"] = shard.latest_position;
  out["incoming_records"] = shard.incoming_records;
  out["incoming_bytes"] = shard.incoming_bytes;
  out["put_errors"] = shard.put_errors;
  out["unblocked_frames"] = shard.unblocked_frames;
  out["trimmed_segments"] = shard.trimmed_segments;
  out["aborted_puts"] = shard.aborted_puts;
  out["writes_throttled"] = shard.writes_throttled;
  out["reads_throttled"] = shard.reads_throttled;
  return out;
}

py::dict stream_to_dict(const StreamInfo& info) {
  py::dict out;
  out["name"] = info.name;
  out["arn"] = info.arn;
  out["status"] = info.status;
  out["uuid"] = info.uuid;
  out["creation_ns"] = info.creation_ns;
  out["retention_ns"] = info.retention_ns;
  out["retention_bytes"] = info.retention_bytes;
  out["segment_size"] = info.segment_size;
  out["checksums"] = info.checksums;
  out["open_shard_count"] = info.open_shard_count;
  out["encryption_type"] = info.encryption_type;
  out["unblock_timeout_ns"] = info.unblock_timeout_ns;
  out["stream_mode"] = stream_mode_name(info.stream_mode);
  out["shard_level_metrics"] = shard_level_metric_names(info.shard_level_metrics);
  out["key_id"] = info.key_id;
  py::list shards;
  for (const ShardInfo& shard : info.shards) shards.append(shard_to_dict(shard));
  out["shards"] = shards;
  return out;
}

StreamMode stream_mode_from(const std::string& name) {
  const std::optional<StreamMode> mode = parse_stream_mode(name);
  if (!mode) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + name +
                                                  "' at 'streamModeDetails.streamMode' failed to satisfy constraint: "
                                                  "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]");
  }
  return *mode;
}

uint32_t metrics_mask(const std::vector<std::string>& names) {
  if (names.empty() || names.size() > 7) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value at 'shardLevelMetrics' failed to "
                                              "satisfy constraint: Member must have length between 1 and 7");
  }
  uint32_t mask = 0;
  for (const std::string& name : names) {
    const std::optional<uint32_t> bits = shard_level_metric_bits(name);
    if (!bits) throw Error(StatusCode::kInvalidArgument, "unknown ShardLevelMetrics name " + name);
    mask |= *bits;
  }
  return mask;
}

py::dict consumer_to_dict(const ConsumerInfo& consumer) {
  py::dict out;
  out["name"] = consumer.name;
  out["arn"] = consumer.arn;
  out["status"] = consumer.status;
  out["creation_ns"] = consumer.creation_ns;
  return out;
}

ShardFilter shard_filter_from(const std::string& type, uint32_t shard_index, int64_t timestamp_ns) {
  static const std::pair<const char*, ShardFilterType> kTypes[] = {
      {"AFTER_SHARD_ID", ShardFilterType::kAfterShardId},   {"AT_TRIM_HORIZON", ShardFilterType::kAtTrimHorizon},
      {"FROM_TRIM_HORIZON", ShardFilterType::kFromTrimHorizon}, {"AT_LATEST", ShardFilterType::kAtLatest},
      {"AT_TIMESTAMP", ShardFilterType::kAtTimestamp},     {"FROM_TIMESTAMP", ShardFilterType::kFromTimestamp}};
  ShardFilter filter;
  filter.shard_index = shard_index;
  filter.timestamp_ns = timestamp_ns;
  if (type.empty()) return filter;
  for (const auto& [name, value] : kTypes) {
    if (type == name) {
      filter.type = value;
      return filter;
    }
  }
  throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + type +
                                                "' at 'shardFilter.type' failed to satisfy constraint: Member must "
                                                "satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, "
                                                "FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]");
}

std::shared_ptr<Stream> create_stream(const std::string& name, uint32_t shard_count, uint64_t segment_size,
                                      int64_t retention_ns, uint64_t retention_bytes, uint32_t file_mode,
                                      const std::string& root, std::optional<bool> checksums,
                                      const std::string& stream_mode) {
  StreamOptions options;
  options.stream_mode = stream_mode_from(stream_mode);
  options.shard_count = shard_count;
  options.segment_size = segment_size;
  options.retention = std::chrono::nanoseconds(retention_ns);
  options.retention_bytes = retention_bytes;
  options.file_mode = file_mode;
  options.checksums = checksums;  // None: the root's default (on for a persistent filesystem, off on tmpfs)
  // Creating pre-allocates segment files: let other Python threads run meanwhile.
  py::gil_scoped_release unlocked;
  return Stream::create(name, options, root);
}

void split_shard(Stream& stream, uint32_t shard_index, const std::string& new_starting_hash_key) {
  const std::optional<HashKey> key = parse_hash_key(new_starting_hash_key);
  if (!key) throw Error(StatusCode::kInvalidArgument, "NewStartingHashKey must be a decimal in [0, 2^128)");
  py::gil_scoped_release unlocked;
  stream.split_shard(shard_index, *key);
}

}  // namespace

void register_stream(py::module_& module) {
  module.def("default_root", &default_root);
  module.def("shard_id_text", &shard_id_text, py::arg("index"));
  module.def("parse_shard_id", &parse_shard_id, py::arg("text"));
  module.def("now_ns", &now_ns);
  module.attr("DEFAULT_SEGMENT_SIZE") = kDefaultSegmentSize;
  module.attr("MAX_RECORD_BYTES") = kMaxRecordBytes;
  module.attr("MAX_PARTITION_KEY_BYTES") = kMaxPartitionKeyBytes;
  module.attr("MAX_PARTITION_KEY_CHARACTERS") = kMaxPartitionKeyCharacters;
  module.attr("MAX_PUT_RECORDS_ENTRIES") = kMaxPutRecordsEntries;
  module.attr("MAX_GET_RECORDS_LIMIT") = kMaxGetRecordsLimit;
  module.attr("MAX_SHARDS_PER_STREAM") = kMaxShardsPerStream;
  module.attr("ON_DEMAND_INITIAL_SHARD_COUNT") = kOnDemandInitialShardCount;
  module.attr("DEFAULT_RETENTION_NS") =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kDefaultRetention).count();

  py::class_<Stream, std::shared_ptr<Stream>>(module, "NativeStream")
      .def_static("create", &create_stream, py::arg("name"), py::arg("shard_count"), py::arg("segment_size"),
                  py::arg("retention_ns"), py::arg("retention_bytes"), py::arg("file_mode"), py::arg("root"),
                  py::arg("checksums") = py::none(), py::arg("stream_mode") = "PROVISIONED")
      .def_static("open", [](const std::string& name, const std::string& root) {
            py::gil_scoped_release unlocked;
            return Stream::open(name, root);
          }, py::arg("name"), py::arg("root"))
      .def_static("list", [](const std::string& root) { return Stream::list(root); }, py::arg("root"))
      .def_static("remove", [](const std::string& name, const std::string& root) {
            py::gil_scoped_release unlocked;
            Stream::remove(name, root);
          }, py::arg("name"), py::arg("root"))
      .def_property_readonly("name", &Stream::name)
      .def_property_readonly("directory", &Stream::directory)
      .def("describe", [](const Stream& stream) { return stream_to_dict(stream.describe()); })
      .def("describe_shard", [](const Stream& stream, uint32_t index) {
            return shard_to_dict(stream.describe_shard(index));
          }, py::arg("index"))
      .def("open_shards", &Stream::open_shards)
      .def("split_shard", &split_shard, py::arg("shard_index"), py::arg("new_starting_hash_key"))
      .def("merge_shards", &Stream::merge_shards, py::arg("shard_index"), py::arg("adjacent_shard_index"),
           py::call_guard<py::gil_scoped_release>())
      .def("update_shard_count", &Stream::update_shard_count, py::arg("target_shard_count"),
           py::call_guard<py::gil_scoped_release>())
      .def("list_shards", [](const Stream& stream, const std::string& type, uint32_t shard_index, int64_t timestamp_ns) {
            py::list shards;
            for (const ShardInfo& shard : stream.list_shards(shard_filter_from(type, shard_index, timestamp_ns))) {
              shards.append(shard_to_dict(shard));
            }
            return shards;
          }, py::arg("filter_type") = "", py::arg("shard_index") = 0, py::arg("timestamp_ns") = 0)
      // Retention (Kinesis whole hours, and shmstream's finer settings).
      .def("increase_retention_period", &Stream::increase_retention_period, py::arg("hours"))
      .def("decrease_retention_period", &Stream::decrease_retention_period, py::arg("hours"))
      .def("set_retention", [](Stream& stream, int64_t ns) { stream.set_retention(std::chrono::nanoseconds(ns)); },
           py::arg("retention_ns"))
      .def("set_retention_bytes", &Stream::set_retention_bytes, py::arg("bytes"))
      .def("set_unblock_timeout",
           [](Stream& stream, int64_t ns) { stream.set_unblock_timeout(std::chrono::nanoseconds(ns)); },
           py::arg("timeout_ns"))
      // Limits, tags, stream mode, enhanced monitoring, consumers, throttling.
      .def_static("describe_limits", [](const std::string& root) {
            const StreamLimits limits = Stream::describe_limits(root);
            py::dict out;
            out["shard_limit"] = limits.shard_limit;
            out["open_shard_count"] = limits.open_shard_count;
            out["on_demand_stream_count"] = limits.on_demand_stream_count;
            out["on_demand_stream_count_limit"] = limits.on_demand_stream_count_limit;
            return out;
          }, py::arg("root"))
      .def("add_tags", [](Stream& stream, const std::vector<std::pair<std::string, std::string>>& tags) {
            std::vector<Tag> converted;
            for (const auto& [key, value] : tags) converted.push_back(Tag{key, value});
            stream.add_tags(converted);
          }, py::arg("tags"))
      .def("remove_tags", &Stream::remove_tags, py::arg("keys"))
      .def("list_tags", [](const Stream& stream, const std::string& exclusive_start_key, uint32_t limit) {
            const TagPage page = stream.list_tags(exclusive_start_key, limit);
            std::vector<std::pair<std::string, std::string>> tags;
            for (const Tag& tag : page.tags) tags.emplace_back(tag.key, tag.value);
            return py::make_tuple(tags, page.has_more);
          }, py::arg("exclusive_start_key"), py::arg("limit"))
      .def("update_stream_mode", [](Stream& stream, const std::string& mode) {
            stream.update_stream_mode(stream_mode_from(mode));
          }, py::arg("mode"))
      .def("enable_enhanced_monitoring", [](Stream& stream, const std::vector<std::string>& names) {
            const uint32_t mask = metrics_mask(names);
            const uint32_t current = stream.enable_enhanced_monitoring(mask);
            return py::make_tuple(shard_level_metric_names(current), shard_level_metric_names(current | mask));
          }, py::arg("metrics"))
      .def("disable_enhanced_monitoring", [](Stream& stream, const std::vector<std::string>& names) {
            const uint32_t mask = metrics_mask(names);
            const uint32_t current = stream.disable_enhanced_monitoring(mask);
            return py::make_tuple(shard_level_metric_names(current), shard_level_metric_names(current & ~mask));
          }, py::arg("metrics"))
      .def("register_consumer", [](Stream& stream, const std::string& name) {
            return consumer_to_dict(stream.register_consumer(name));
          }, py::arg("name"))
      .def("deregister_consumer", &Stream::deregister_consumer, py::arg("name"))
      .def("describe_consumer", [](const Stream& stream, const std::string& name) {
            return consumer_to_dict(stream.describe_consumer(name));
          }, py::arg("name"))
      .def("consumer_count", [](const Stream& stream) { return stream.list_consumers().size(); })
      .def("list_consumers", [](const Stream& stream) {
            py::list consumers;
            for (const ConsumerInfo& consumer : stream.list_consumers()) consumers.append(consumer_to_dict(consumer));
            return consumers;
          })
      .def("set_throttling", [](Stream& stream, uint32_t injected_throttle_ppm, bool aws_limits) {
            stream.set_throttling(ThrottleSettings{injected_throttle_ppm, aws_limits});
          }, py::arg("injected_throttle_ppm"), py::arg("aws_limits"))
      .def("throttling", [](const Stream& stream) {
            const ThrottleSettings settings = stream.throttling();
            return py::make_tuple(settings.injected_throttle_ppm, settings.aws_limits);
          })
      .def("start_encryption", &Stream::start_encryption, py::arg("encryption_type"), py::arg("key_id"))
      .def("stop_encryption", &Stream::stop_encryption, py::arg("encryption_type"), py::arg("key_id"));
}

}  // namespace shmstream::python
