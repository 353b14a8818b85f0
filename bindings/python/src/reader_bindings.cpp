// Shard iterators: get_records into Record objects (data as bytes) or ZeroCopyRecord objects (data as a
// memoryview into the shared mapping, zero_copy.hpp), ShardIterator tokens (shmstream/iterator_token.hpp),
// and blocking waits with the GIL released.
#include <pybind11/stl.h>

#include <chrono>
#include <sched.h>
#include <thread>
#include <type_traits>

#include "reader_handle.hpp"
#include "shmstream/clock.hpp"
#include "shmstream/iterator_token.hpp"
#include "zero_copy.hpp"

namespace shmstream::python {
namespace {

struct Record {
  py::object shard_id;
  uint64_t sequence_number = 0;
  int64_t arrival_ns = 0;
  py::object partition_key;
  py::object data;  // bytes
};

// The same fields with data as a memoryview lent from the mapping: a type of its own, so Record.data is
// always bytes.
struct ZeroCopyRecord : Record {};

py::object utc_datetime(int64_t ns) {
  // datetime carries microseconds; arrival_ns keeps the exact value.
  // Leaked on purpose: destroying Python objects after interpreter shutdown would crash.
  static const auto* from_timestamp =
      new py::object(py::module_::import("datetime").attr("datetime").attr("fromtimestamp"));
  static const auto* utc = new py::object(py::module_::import("datetime").attr("timezone").attr("utc"));
  const int64_t seconds = ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000);
  const int64_t micros = (ns - seconds * 1'000'000'000) / 1000;
  return (*from_timestamp)(seconds, *utc).attr("replace")(py::arg("microsecond") = micros);
}

// Partition keys are text in Kinesis; bytes that are not UTF-8 survive as surrogate escapes.
py::object key_text(std::string_view key) {
  PyObject* text = PyUnicode_DecodeUTF8(key.data(), static_cast<Py_ssize_t>(key.size()), "surrogateescape");
  if (text == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(text);
}

py::tuple get_records(py::object self, uint32_t limit, uint64_t max_bytes, bool zero_copy) {
  ReaderHandle& handle = self.cast<ReaderHandle&>();
  auto claim = handle.claim();
  end_lease(handle);
  Status status;
  {
    py::gil_scoped_release unlocked;
    status = handle.reader().get_records(handle.batch(), limit, max_bytes);
  }
  if (!status) throw_status(status, "GetRecords on " + handle.shard_id());
  const RecordBatch& batch = handle.batch();
  py::str shard_id(handle.shard_id());
  py::list records(batch.records.size());
  size_t i = 0;
  for (const RecordView& view : batch.records) {
    if (zero_copy) {
      ZeroCopyRecord record;
      static_cast<Record&>(record) = Record{shard_id, view.sequence_number, view.arrival_ns,
                                            key_text(view.partition_key), lend(handle, self, view.data)};
      records[i++] = py::cast(std::move(record));
    } else {
      records[i++] = py::cast(Record{shard_id, view.sequence_number, view.arrival_ns, key_text(view.partition_key),
                                     py::bytes(view.data.data(), view.data.size())});
    }
  }
  return py::make_tuple(records, batch.next_position, batch.millis_behind_latest, batch.shard_ended,
                        batch.child_shards);
}

bool wait_for_data(ReaderHandle& handle, int64_t timeout_ns, const std::string& strategy_name) {
  WaitStrategy strategy = WaitStrategy::kBlock;
  if (strategy_name == "spin") strategy = WaitStrategy::kBusySpin;
  else if (strategy_name == "yield") strategy = WaitStrategy::kYield;
  else if (strategy_name == "backoff") strategy = WaitStrategy::kBackoff;
  else if (strategy_name != "block") throw Error(StatusCode::kInvalidArgument, "unknown wait strategy " + strategy_name);
  auto claim = handle.claim();
  py::gil_scoped_release unlocked;
  const Status status = handle.reader().wait(strategy, std::chrono::nanoseconds(timeout_ns));
  if (status.code() == StatusCode::kTimeout) return false;
  if (!status) throw_status(status, "wait on " + handle.shard_id());
  return true;
}

// The index of a reader with data, or -1 after the timeout. Shards have one eventcount each and there is
// no way to block on several, so this polls with a growing pause (at most 200 us) between rounds.
int wait_any(std::vector<ReaderHandle*> handles, int64_t timeout_ns) {
  std::vector<std::unique_lock<std::mutex>> claims;
  for (ReaderHandle* handle : handles) claims.push_back(handle->claim());
  py::gil_scoped_release unlocked;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  for (uint32_t round = 0;; ++round) {
    for (size_t i = 0; i < handles.size(); ++i) {
      if (handles[i]->reader().has_data()) return static_cast<int>(i);
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    if (round < 16) sched_yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(std::min<uint32_t>(200, round * 2)));
  }
}

}  // namespace

py::object make_record(const py::str& shard_id, const RecordView& view) {
  return py::cast(Record{shard_id, view.sequence_number, view.arrival_ns, key_text(view.partition_key),
                         py::bytes(view.data.data(), view.data.size())});
}

IteratorStart make_iterator_start(const std::string& iterator_type, uint64_t sequence_number, int64_t timestamp_ns) {
  IteratorStart start;
  if (!parse_iterator_type(iterator_type, start.type)) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + iterator_type +
                                                  "' at 'shardIteratorType' failed to satisfy constraint: Member "
                                                  "must satisfy enum value set: [AT_SEQUENCE_NUMBER, "
                                                  "AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]");
  }
  start.sequence_number = sequence_number;
  start.timestamp_ns = timestamp_ns;
  return start;
}

namespace {

template <typename RecordType>
void register_record(py::module_& module, const char* name, const char* doc, const char* data_doc) {
  py::class_<RecordType>(module, name, doc)
      .def_readonly("shard_id", &RecordType::shard_id, "ShardId of the shard holding the record")
      .def_readonly("sequence_number", &RecordType::sequence_number,
                    "SequenceNumber: the record's position in its shard's log (int)")
      .def_readonly("arrival_ns", &RecordType::arrival_ns, "ApproximateArrivalTimestamp as ns since the Unix epoch")
      .def_readonly("partition_key", &RecordType::partition_key, "PartitionKey (str)")
      .def_readonly("data", &RecordType::data, data_doc)
      .def_property_readonly(
          "arrival_time", [](const RecordType& record) { return utc_datetime(record.arrival_ns); },
          "ApproximateArrivalTimestamp as a timezone-aware datetime (UTC)")
      .def("__repr__", [name](const RecordType& record) {
        return py::str("{}(shard_id={!r}, sequence_number={}, arrival_ns={}, partition_key={!r}, data={!r})")
            .format(name, record.shard_id, record.sequence_number, record.arrival_ns, record.partition_key,
                    record.data);
      });
}

// A reader at the position a ShardIterator token holds, after checking the token's age, stream and shard.
std::unique_ptr<ReaderHandle> reader_from_token(std::shared_ptr<Stream> stream, const std::string& text,
                                                bool skip_expired, bool verify_checksums) {
  const IteratorToken token = decode_iterator_token(text, now_ns());
  verify_iterator_token(*stream, token);
  ReaderOptions options;
  options.skip_to_trim_horizon_when_expired = skip_expired;
  options.verify_checksums = verify_checksums;
  auto handle = std::make_unique<ReaderHandle>(std::move(stream), token.shard_index,
                                               IteratorStart{IteratorType::kTrimHorizon}, options);
  const Status status = handle->reader().seek(token.position);
  if (!status) throw_status(status, "ShardIterator of " + handle->shard_id());
  return handle;
}

}  // namespace

void register_reader(py::module_& module) {
  register_zero_copy(module);
  register_record<Record>(module, "Record", "One record as GetRecords returns it, its data copied.",
                          "Data (bytes)");
  register_record<ZeroCopyRecord>(
      module, "ZeroCopyRecord", "One record as GetRecords returns it with zero_copy=True.",
      "Data: a read-only memoryview of the shared mapping, valid until the next get_records or seek on the "
      "iterator that returned it (released then: using it raises ValueError)");

  py::class_<ReaderHandle>(module, "NativeShardReader")
      .def(py::init([](std::shared_ptr<Stream> stream, uint32_t shard_index, const std::string& iterator_type,
                       uint64_t sequence_number, int64_t timestamp_ns, bool skip_expired, bool verify_checksums) {
             ReaderOptions options;
             options.skip_to_trim_horizon_when_expired = skip_expired;
             options.verify_checksums = verify_checksums;
             const IteratorStart start = make_iterator_start(iterator_type, sequence_number, timestamp_ns);
             return std::make_unique<ReaderHandle>(std::move(stream), shard_index, start, options);
           }),
           py::arg("stream"), py::arg("shard_index"), py::arg("iterator_type"), py::arg("sequence_number") = 0,
           py::arg("timestamp_ns") = 0, py::arg("skip_expired") = false, py::arg("verify_checksums") = true)
      .def("get_records", &get_records, py::arg("limit") = ShardReader::kDefaultLimit,
           py::arg("max_bytes") = ShardReader::kDefaultMaxBytes, py::arg("zero_copy") = false)
      .def("wait", &wait_for_data, py::arg("timeout_ns"), py::arg("strategy") = "block")
      .def("has_data", [](ReaderHandle& handle) {
        auto claim = handle.claim();
        return handle.reader().has_data();
      })
      .def_property_readonly("position", [](ReaderHandle& handle) { return handle.reader().position(); })
      .def_static("from_token", &reader_from_token, py::arg("stream"), py::arg("token"),
                  py::arg("skip_expired") = false, py::arg("verify_checksums") = true)
      .def("token", [](ReaderHandle& handle, std::optional<uint64_t> position) {
        return issue_iterator_token(handle.stream(), handle.reader().shard_index(),
                                    position.value_or(handle.reader().position()), now_ns());
      }, py::arg("position") = py::none())
      .def("seek", [](ReaderHandle& handle, uint64_t position) {
        auto claim = handle.claim();
        end_lease(handle);
        ShardReader& reader = handle.reader();
        const Status status = reader.seek(position);
        if (!status) throw_status(status, "seek on " + handle.shard_id());
      }, py::arg("position"))
      .def_property_readonly("shard_index", [](ReaderHandle& handle) { return handle.reader().shard_index(); })
      .def_property_readonly("shard_id", &ReaderHandle::shard_id);

  module.def("wait_any", &wait_any, py::arg("readers"), py::arg("timeout_ns"));
  module.def("parse_iterator_token", [](const std::string& text) -> py::object {
    const std::optional<IteratorToken> token = parse_iterator_token(text);
    if (!token) return py::none();
    py::dict fields;
    fields["stream_name"] = token->stream_name;
    fields["shard_index"] = token->shard_index;
    fields["position"] = token->position;
    fields["created_ns"] = token->created_ns;
    return fields;
  }, py::arg("token"));

}

}  // namespace shmstream::python
