// Producer: put / put_records. One native producer per Python thread is the intended use (the package
// keeps them in a threading.local); a mutex still makes sharing one safe.
#include <pybind11/stl.h>

#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "byte_view.hpp"
#include "native.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::python {
namespace {

std::optional<HashKey> hash_key_argument(const py::handle& text) {
  if (text.is_none()) return std::nullopt;
  const auto decimal = py::cast<std::string>(text);
  std::optional<HashKey> key = parse_hash_key(decimal);
  if (!key) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + decimal +
                                                  "' at 'explicitHashKey' must be a decimal in [0, 2^128)");
  }
  return key;
}

class ProducerHandle {
 public:
  ProducerHandle(std::shared_ptr<Stream> stream, bool exclusive, bool exact_arrival_times)
      : producer_(std::move(stream), ProducerOptions{.exclusive = exclusive, .exact_arrival_times = exact_arrival_times}) {}

  // Single puts keep the GIL: the append costs less than releasing and re-taking it.
  py::tuple put(const py::handle& key, const py::handle& data, const py::handle& explicit_hash_key) {
    const ByteView key_bytes(key);
    const ByteView data_bytes(data);
    const std::optional<HashKey> hash_key = hash_key_argument(explicit_hash_key);
    PutResult result;
    Status status;
    {
      std::lock_guard lock(mutex_);
      status = producer_.put_record(key_bytes.view(), data_bytes.view(), result, hash_key ? &*hash_key : nullptr);
    }
    if (!status) throw_status(status, "PutRecord");
    return py::make_tuple(result.shard_index, result.sequence_number);
  }

  // entries: sequence of (key, data, explicit_hash_key or None). Returns (failed_count, results) where each
  // result is (shard_index, sequence_number, error_code_name or None, error_message or None).
  py::tuple put_records(const py::sequence& entries) {
    const size_t count = entries.size();
    std::deque<ByteView> views;  // deque: ByteView is neither copyable nor movable
    std::vector<PutRecordsEntry> requests(count);
    for (size_t i = 0; i < count; ++i) {
      const py::sequence entry = entries[i];
      if (entry.size() != 3) throw py::value_error("put_records entries are (key, data, explicit_hash_key)");
      const ByteView& key = views.emplace_back(entry[0]);
      const ByteView& data = views.emplace_back(entry[1]);
      requests[i] = PutRecordsEntry{key.view(), data.view(), hash_key_argument(entry[2])};
    }
    std::vector<PutRecordsResultEntry> results(count);
    Status request_status;
    uint32_t failed = 0;
    {
      // A batch may roll a segment (file creation, pre-faulting): let other Python threads run.
      py::gil_scoped_release unlocked;
      std::lock_guard lock(mutex_);
      failed = producer_.put_records(requests, results, request_status);
      // Python producers live as long as their thread: publish IncomingRecords/Bytes per batch, not
      // only on a segment roll, so describe() counts what was written.
      producer_.flush_metrics();
    }
    if (!request_status) throw_status(request_status, "PutRecords");
    py::list out;
    for (const PutRecordsResultEntry& entry : results) {
      if (entry.status) {
        out.append(py::make_tuple(entry.result.shard_index, entry.result.sequence_number, py::none(), py::none()));
      } else {
        out.append(py::make_tuple(py::none(), py::none(), exception_name(entry.status.code()),
                                  entry.status.detail()));
      }
    }
    return py::make_tuple(failed, out);
  }

  uint32_t route(const py::handle& key, const py::handle& explicit_hash_key) {
    const ByteView key_bytes(key);
    const std::optional<HashKey> hash_key = hash_key_argument(explicit_hash_key);
    uint32_t shard_index = 0;
    std::lock_guard lock(mutex_);
    const Status status = producer_.route(key_bytes.view(), hash_key ? &*hash_key : nullptr, shard_index);
    if (!status) throw_status(status, "route");
    return shard_index;
  }

  void flush_metrics() {
    std::lock_guard lock(mutex_);
    producer_.flush_metrics();
  }

 private:
  std::mutex mutex_;
  Producer producer_;
};

}  // namespace

void register_producer(py::module_& module) {
  py::class_<ProducerHandle>(module, "NativeProducer")
      .def(py::init<std::shared_ptr<Stream>, bool, bool>(), py::arg("stream"), py::arg("exclusive") = false,
           py::arg("exact_arrival_times") = false)
      .def("put", &ProducerHandle::put, py::arg("key"), py::arg("data"), py::arg("explicit_hash_key") = py::none())
      .def("put_records", &ProducerHandle::put_records, py::arg("entries"))
      .def("route", &ProducerHandle::route, py::arg("key"), py::arg("explicit_hash_key") = py::none())
      .def("flush_metrics", &ProducerHandle::flush_metrics);
}

}  // namespace shmstream::python
