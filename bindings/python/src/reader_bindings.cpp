// Shard iterators: get_records into Record objects (bytes, or memoryviews into the shared mapping), and
// blocking waits with the GIL released.
#include <pybind11/stl.h>

#include <chrono>
#include <sched.h>
#include <thread>
#include <type_traits>

#include "reader_handle.hpp"

namespace shmstream::python {
namespace {

struct Record {
  py::object shard_id;
  uint64_t sequence_number = 0;
  int64_t arrival_ns = 0;
  py::object partition_key;
  py::object data;
};

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

py::object data_object(std::string_view data, bool zero_copy) {
  if (zero_copy) {
    // Read-only view of the mapping; valid until the next get_records on this iterator.
    PyObject* view = PyMemoryView_FromMemory(const_cast<char*>(data.data()), static_cast<Py_ssize_t>(data.size()),
                                             PyBUF_READ);
    if (view == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(view);
  }
  return py::bytes(data.data(), data.size());
}

py::tuple get_records(ReaderHandle& handle, uint32_t limit, uint64_t max_bytes, bool zero_copy) {
  auto claim = handle.claim();
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
    records[i++] = py::cast(Record{shard_id, view.sequence_number, view.arrival_ns, key_text(view.partition_key),
                                   data_object(view.data, zero_copy)});
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
                         data_object(view.data, false)});
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

void register_reader(py::module_& module) {
  py::class_<Record>(module, "Record", "One record as GetRecords returns it.")
      .def_readonly("shard_id", &Record::shard_id, "ShardId of the shard holding the record")
      .def_readonly("sequence_number", &Record::sequence_number,
                    "SequenceNumber: the record's position in its shard's log (int)")
      .def_readonly("arrival_ns", &Record::arrival_ns, "ApproximateArrivalTimestamp as ns since the Unix epoch")
      .def_readonly("partition_key", &Record::partition_key, "PartitionKey (str)")
      .def_readonly("data", &Record::data, "Data: bytes, or a memoryview of the shared mapping with zero_copy=True")
      .def_property_readonly(
          "arrival_time", [](const Record& record) { return utc_datetime(record.arrival_ns); },
          "ApproximateArrivalTimestamp as a timezone-aware datetime (UTC)")
      .def("__repr__", [](const Record& record) {
        return py::str("Record(shard_id={!r}, sequence_number={}, arrival_ns={}, partition_key={!r}, data={!r})")
            .format(record.shard_id, record.sequence_number, record.arrival_ns, record.partition_key, record.data);
      });

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
      .def("seek", [](ReaderHandle& handle, uint64_t position) {
        auto claim = handle.claim();
        ShardReader& reader = handle.reader();
        const Status status = reader.seek(position);
        if (!status) throw_status(status, "seek on " + handle.shard_id());
      }, py::arg("position"))
      .def_property_readonly("shard_index", [](ReaderHandle& handle) { return handle.reader().shard_index(); })
      .def_property_readonly("shard_id", &ReaderHandle::shard_id);

  module.def("wait_any", &wait_any, py::arg("readers"), py::arg("timeout_ns"));
}

}  // namespace shmstream::python
