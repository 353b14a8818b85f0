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
  out["key_id"] = info.key_id;
  py::list shards;
  for (const ShardInfo& shard : info.shards) shards.append(shard_to_dict(shard));
  out["shards"] = shards;
  return out;
}

std::shared_ptr<Stream> create_stream(const std::string& name, uint32_t shard_count, uint64_t segment_size,
                                      int64_t retention_ns, uint64_t retention_bytes, uint32_t file_mode,
                                      const std::string& root, std::optional<bool> checksums) {
  StreamOptions options;
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
  module.attr("MAX_PUT_RECORDS_ENTRIES") = kMaxPutRecordsEntries;
  module.attr("MAX_GET_RECORDS_LIMIT") = kMaxGetRecordsLimit;
  module.attr("DEFAULT_RETENTION_NS") =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kDefaultRetention).count();

  py::class_<Stream, std::shared_ptr<Stream>>(module, "NativeStream")
      .def_static("create", &create_stream, py::arg("name"), py::arg("shard_count"), py::arg("segment_size"),
                  py::arg("retention_ns"), py::arg("retention_bytes"), py::arg("file_mode"), py::arg("root"),
                  py::arg("checksums") = py::none())
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
      .def("start_encryption", &Stream::start_encryption, py::arg("encryption_type"), py::arg("key_id"))
      .def("stop_encryption", &Stream::stop_encryption, py::arg("encryption_type"), py::arg("key_id"));
}

}  // namespace shmstream::python
