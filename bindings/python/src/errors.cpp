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
    StatusCode::kInternalFailure, StatusCode::kThroughputExceeded, StatusCode::kKmsNotFound,
    StatusCode::kKmsDisabled,     StatusCode::kKmsAccessDenied,    StatusCode::kAlreadyExists,
};

// Indexed by StatusCode; filled once at import, alive as long as the module (owned by its dict).
std::array<PyObject*, 32> exception_classes{};
PyObject* base_error = nullptr;

// A builtin base that lets callers catch these the Python way as well (`except ValueError`).
PyObject* builtin_base_for(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return PyExc_ValueError;
    case StatusCode::kTimeout: return PyExc_TimeoutError;
    case StatusCode::kAccessDenied: return PyExc_PermissionError;
    case StatusCode::kKmsAccessDenied: return PyExc_PermissionError;
    default: return nullptr;
  }
}

// What help() says of each class: when Kinesis (or shmstream) raises it.
const char* doc_for(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return "A request or argument is not valid (also a ValueError).";
    case StatusCode::kResourceNotFound: return "The stream, shard, key or application does not exist.";
    case StatusCode::kResourceInUse: return "The stream exists already, or is in use (e.g. has registered consumers).";
    case StatusCode::kLimitExceeded: return "A limit of the stream or the host is reached (shards, tags, consumers).";
    case StatusCode::kExpiredIterator: return "The iterator's position was trimmed by retention, or the iterator is too old.";
    case StatusCode::kAborted: return "The record was not written (its frame could not be completed).";
    case StatusCode::kShardClosed: return "The shard was closed by a reshard; route to its children.";
    case StatusCode::kStorageFull: return "The filesystem under the root is full; nothing was written.";
    case StatusCode::kAccessDenied: return "This Unix user may not use the stream's files (also a PermissionError).";
    case StatusCode::kCorrupted: return "Damaged data: a frame, segment or stream file failed its checks.";
    case StatusCode::kIncompatibleLayout: return "The stream was written by a release with another layout version.";
    case StatusCode::kTimeout: return "A wait ended without data (also a TimeoutError).";
    case StatusCode::kInternalFailure: return "An unexpected failure inside the library.";
    case StatusCode::kThroughputExceeded: return "Throttled: fault injection or the AWS-limits mode refused the request.";
    case StatusCode::kKmsNotFound: return "The encryption key does not exist.";
    case StatusCode::kKmsDisabled: return "The encryption key is disabled.";
    case StatusCode::kKmsAccessDenied: return "This Unix user cannot read the key file (also a PermissionError).";
    case StatusCode::kAlreadyExists: return "A key alias of that name exists.";
    default: return "A shmstream error.";
  }
}

PyObject* make_class(const std::string& qualified_name, PyObject* bases, const char* doc) {
  PyObject* type = PyErr_NewExceptionWithDoc(qualified_name.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw py::error_already_set();
  return type;
}

}  // namespace

void throw_status(Status status, const std::string& context) {
  throw Error(status.code(), context + ": " + status.detail());
}

void register_errors(py::module_& module) {
  // Named as seen from the public package, so tracebacks say shmstream.ResourceNotFoundException.
  base_error = make_class("shmstream.Error", PyExc_Exception,
                          "Base of every shmstream error; the subclasses are named after the Kinesis exceptions.");
  module.add_object("Error", py::handle(base_error));
  for (StatusCode code : kAllCodes) {
    const std::string name = exception_name(code);
    PyObject* builtin = builtin_base_for(code);
    py::tuple bases = builtin != nullptr ? py::make_tuple(py::handle(base_error), py::handle(builtin))
                                         : py::make_tuple(py::handle(base_error));
    PyObject* type = make_class("shmstream." + name, bases.ptr(), doc_for(code));
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
