// shmstream.Worker: the C++ Worker with Python record processors. The worker's threads call into Python with
// the GIL acquired for each call only; run() waits with the GIL released, and checkpoints (flock and pwrite)
// release it too. A Python exception in a processor restarts its shard, as any processor failure does.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <chrono>
#include <stdexcept>

#include "native.hpp"
#include "shmstream/stream.hpp"
#include "shmstream/worker.hpp"

namespace shmstream::python {
namespace {

PyObject* shutdown_exception = nullptr;
PyObject* invalid_state_exception = nullptr;

// A Python object owned by C++ code that may drop it on a thread without the GIL.
struct GilObject {
  py::object object;
  explicit GilObject(py::object held) : object(std::move(held)) {}
  GilObject(const GilObject&) = delete;
  GilObject& operator=(const GilObject&) = delete;
  ~GilObject() {
    py::gil_scoped_acquire gil;
    object = py::object();
  }
};

// The Checkpointer handed to Python for the length of one call: using it after the call returns raises.
struct CheckpointerHandle {
  Checkpointer* target = nullptr;

  Checkpointer& get() const {
    if (target == nullptr) {
      throw InvalidStateException(StatusCode::kInvalidArgument,
                                  "InvalidStateException: this checkpointer belongs to a call that has returned");
    }
    return *target;
  }
};

struct ScopedCheckpointer {
  py::object handle;
  explicit ScopedCheckpointer(Checkpointer& checkpointer) : handle(py::cast(CheckpointerHandle{&checkpointer})) {}
  ~ScopedCheckpointer() { handle.cast<CheckpointerHandle&>().target = nullptr; }
};

class PythonProcessor : public RecordProcessor {
 public:
  explicit PythonProcessor(py::object processor) : processor_(std::move(processor)) {}

  void initialize(std::string_view shard_id, const Checkpoint& starting_checkpoint) override {
    call([&] {
      shard_id_ = py::str(std::string(shard_id));
      processor_.object.attr("initialize")(shard_id_, starting_checkpoint.text());
    });
  }
  void process_records(std::span<const RecordView> records, Checkpointer& checkpointer,
                       int64_t millis_behind_latest) override {
    call([&] {
      py::list batch(records.size());
      for (size_t i = 0; i < records.size(); ++i) batch[i] = make_record(shard_id_, records[i]);
      ScopedCheckpointer scoped(checkpointer);
      processor_.object.attr("process_records")(batch, scoped.handle, millis_behind_latest);
    });
  }
  void lease_lost() override {
    call([&] { processor_.object.attr("lease_lost")(); });
  }
  void shard_ended(Checkpointer& checkpointer) override {
    call([&] {
      ScopedCheckpointer scoped(checkpointer);
      processor_.object.attr("shard_ended")(scoped.handle);
    });
  }
  void shutdown_requested(Checkpointer& checkpointer) override {
    call([&] {
      ScopedCheckpointer scoped(checkpointer);
      processor_.object.attr("shutdown_requested")(scoped.handle);
    });
  }

 private:
  // A Python exception must not leave the GIL's scope (its destructor needs the GIL): it becomes a C++ one
  // carrying the Python text, which the worker reports before restarting the shard.
  template <class Body>
  void call(Body&& body) {
    py::gil_scoped_acquire gil;
    try {
      body();
    } catch (py::error_already_set& error) {
      throw std::runtime_error(error.what());
    }
  }

  GilObject processor_;
  py::str shard_id_;
};

void checkpoint(const CheckpointerHandle& handle, std::optional<uint64_t> sequence_number, bool prepare) {
  Checkpointer& checkpointer = handle.get();
  py::gil_scoped_release unlocked;
  if (sequence_number) {
    prepare ? checkpointer.prepare_checkpoint(*sequence_number) : checkpointer.checkpoint(*sequence_number);
  } else {
    prepare ? checkpointer.prepare_checkpoint() : checkpointer.checkpoint();
  }
}

// Deleting a Worker waits for its threads, which may need the GIL to finish a Python call.
struct ReleasingDeleter {
  void operator()(Worker* worker) const {
    py::gil_scoped_release unlocked;
    delete worker;
  }
};

}  // namespace

void register_worker(py::module_& module) {
  shutdown_exception = PyErr_NewExceptionWithDoc(
      "shmstream.ShutdownException", "A checkpoint of a lease this worker no longer holds (the KCL's name).",
      module.attr("Error").ptr(), nullptr);
  invalid_state_exception = PyErr_NewExceptionWithDoc(
      "shmstream.InvalidStateException",
      "The application's lease table is gone or damaged, or a checkpoint is not valid now (the KCL's name).",
      module.attr("Error").ptr(), nullptr);
  module.add_object("ShutdownException", py::handle(shutdown_exception));
  module.add_object("InvalidStateException", py::handle(invalid_state_exception));
  // Registered after the Error translator, so tried first.
  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const ShutdownException& error) {
      PyErr_SetString(shutdown_exception, error.what());
    } catch (const InvalidStateException& error) {
      PyErr_SetString(invalid_state_exception, error.what());
    }
  });

  py::class_<CheckpointerHandle>(module, "NativeCheckpointer")
      .def("checkpoint", [](const CheckpointerHandle& handle, std::optional<uint64_t> sequence_number) {
             checkpoint(handle, sequence_number, false);
           }, py::arg("sequence_number") = py::none())
      .def("prepare_checkpoint", [](const CheckpointerHandle& handle, std::optional<uint64_t> sequence_number) {
             checkpoint(handle, sequence_number, true);
           }, py::arg("sequence_number") = py::none())
      .def_property_readonly("current", [](const CheckpointerHandle& handle) { return handle.get().current().text(); });

  py::class_<Worker, std::unique_ptr<Worker, ReleasingDeleter>>(module, "NativeWorker")
      .def(py::init([](std::shared_ptr<Stream> stream, const std::string& application, py::object factory,
                       const std::string& initial_position, int64_t initial_timestamp_ns, const std::string& worker_id,
                       double failover_seconds, double lease_pass_seconds, uint32_t max_records) {
             WorkerOptions options;
             const auto position = parse_initial_position(initial_position);
             if (!position) {
               throw Error(StatusCode::kInvalidArgument,
                           "initial_position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, not '" + initial_position + "'");
             }
             options.initial_position = *position;
             options.initial_timestamp_ns = initial_timestamp_ns;
             options.worker_id = worker_id;
             options.failover_time = std::chrono::milliseconds(static_cast<int64_t>(failover_seconds * 1000));
             options.lease_pass_interval = std::chrono::milliseconds(static_cast<int64_t>(lease_pass_seconds * 1000));
             options.max_records = max_records;
             auto held_factory = std::make_shared<GilObject>(std::move(factory));
             RecordProcessorFactory make = [held_factory]() -> std::unique_ptr<RecordProcessor> {
               py::gil_scoped_acquire gil;
               try {
                 return std::make_unique<PythonProcessor>(held_factory->object());
               } catch (py::error_already_set& error) {
                 throw std::runtime_error(error.what());
               }
             };
             return std::unique_ptr<Worker, ReleasingDeleter>(new Worker(std::move(stream), application, make, options));
           }),
           py::arg("stream"), py::arg("application"), py::arg("processor_factory"), py::arg("initial_position"),
           py::arg("initial_timestamp_ns"), py::arg("worker_id"), py::arg("failover_seconds"),
           py::arg("lease_pass_seconds"), py::arg("max_records"))
      .def("run", &Worker::run, py::call_guard<py::gil_scoped_release>())
      .def("shutdown", &Worker::shutdown, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("worker_id", &Worker::worker_id)
      .def_property_readonly("held_shards", &Worker::held_shards);
}

}  // namespace shmstream::python
