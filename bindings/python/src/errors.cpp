// Kinesis-named exception classes, all subclasses of shmstream.Error, and the translation of the C++
// library's Error into them.
#include <array>
#include <utility>

#include "native.hpp"

namespace shmstream::python {
namespace {

constexpr std::array kAllCodes = {
    StatusCode::kInvalidArgument, StatusCode::kResourceNotFound, StatusCode::kResourceInUse,
    StatusCode::kLimitExceeded,   StatusCode::kExpiredIterator,  StatusCode::kAborted,
    StatusCode::kShardClosed,     StatusCode::kStorageFull,      StatusCode::kAccessDenied,
    StatusCode::kCorrupted,       StatusCode::kIncompatibleLayout, StatusCode::kTimeout,
    StatusCode::kInternalFailure, StatusCode::kThroughputExceeded,
};

// Indexed by StatusCode; filled once at import, alive as long as the module (owned by its dict).
std::array<PyObject*, 16> exception_classes{};
PyObject* base_error = nullptr;

// A builtin base that lets callers catch these the Python way as well (`except ValueError`).
PyObject* builtin_base_for(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return PyExc_ValueError;
    case StatusCode::kTimeout: return PyExc_TimeoutError;
    case StatusCode::kAccessDenied: return PyExc_PermissionError;
    default: return nullptr;
  }
}

PyObject* make_class(const std::string& qualified_name, PyObject* bases) {
  PyObject* type = PyErr_NewException(qualified_name.c_str(), bases, nullptr);
  if (type == nullptr) throw py::error_already_set();
  return type;
}

}  // namespace

void throw_status(Status status, const std::string& context) {
  throw Error(status.code(), context + ": " + status.detail());
}

void register_errors(py::module_& module) {
  // Named as seen from the public package, so tracebacks say shmstream.ResourceNotFoundException.
  base_error = make_class("shmstream.Error", PyExc_Exception);
  module.add_object("Error", py::handle(base_error));
  for (StatusCode code : kAllCodes) {
    const std::string name = exception_name(code);
    PyObject* builtin = builtin_base_for(code);
    py::tuple bases = builtin != nullptr ? py::make_tuple(py::handle(base_error), py::handle(builtin))
                                         : py::make_tuple(py::handle(base_error));
    PyObject* type = make_class("shmstream." + name, bases.ptr());
    exception_classes[static_cast<size_t>(code)] = type;
    module.add_object(name.c_str(), py::handle(type));
  }
  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const Error& error) {
      PyObject* type = exception_classes[static_cast<size_t>(error.code())];
      PyErr_SetString(type != nullptr ? type : base_error, error.what());
    }
  });
}

}  // namespace shmstream::python
