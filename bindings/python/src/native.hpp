// Declarations shared by the translation units of the _shmstream extension module.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "shmstream/record.hpp"
#include "shmstream/status.hpp"

namespace shmstream::python {

namespace py = pybind11;

// Each part of the module registers its classes and functions here; module.cpp calls them in order.
void register_errors(py::module_& module);
void register_stream(py::module_& module);
void register_producer(py::module_& module);
void register_reader(py::module_& module);
void register_bulk_read(py::module_& module);
void register_worker(py::module_& module);

// A shmstream.Record with its data copied into bytes (GIL held).
py::object make_record(const py::str& shard_id, const shmstream::RecordView& view);

// Raises the Python exception named after status.code() (GIL must be held by the caller's caller:
// pybind11 translates the C++ Error when the call returns to Python).
void throw_status(Status status, const std::string& context);

}  // namespace shmstream::python
