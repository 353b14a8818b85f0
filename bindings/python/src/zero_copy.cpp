#include "zero_copy.hpp"

#include <vector>

#include "reader_handle.hpp"

namespace shmstream::python {

struct BatchLease {
  bool ended = false;
  Py_ssize_t exports = 0;           // buffers exported by this batch's RecordBuffers, not yet released
  std::vector<py::object> views;    // weak references to the memoryviews handed out
};

namespace {

// The exporter under each zero-copy memoryview: one record's bytes, the batch's lease, and the reader.
struct RecordBuffer {
  PyObject_HEAD
  const char* data;
  Py_ssize_t size;
  std::shared_ptr<BatchLease>* lease;  // owned
  PyObject* reader;                    // strong: the batch's segments stay mapped while a view lives
};

PyTypeObject* record_buffer_type = nullptr;

int record_buffer_get(PyObject* object, Py_buffer* view, int flags) {
  auto* self = reinterpret_cast<RecordBuffer*>(object);
  if ((*self->lease)->ended) {
    PyErr_SetString(PyExc_ValueError,
                    "zero-copy record data is valid only until the next get_records or seek on its iterator; "
                    "copy with bytes() what you keep");
    return -1;
  }
  if (PyBuffer_FillInfo(view, object, const_cast<char*>(self->data), self->size, 1, flags) != 0) return -1;
  ++(*self->lease)->exports;
  return 0;
}

void record_buffer_release(PyObject* object, Py_buffer*) {
  --(*reinterpret_cast<RecordBuffer*>(object)->lease)->exports;
}

void record_buffer_dealloc(PyObject* object) {
  auto* self = reinterpret_cast<RecordBuffer*>(object);
  PyTypeObject* type = Py_TYPE(object);
  delete self->lease;
  Py_XDECREF(self->reader);
  type->tp_free(object);
  Py_DECREF(type);  // a heap type: each instance holds a reference to it
}

PyType_Slot record_buffer_slots[] = {
    {Py_bf_getbuffer, reinterpret_cast<void*>(record_buffer_get)},
    {Py_bf_releasebuffer, reinterpret_cast<void*>(record_buffer_release)},
    {Py_tp_dealloc, reinterpret_cast<void*>(record_buffer_dealloc)},
    {Py_tp_doc, const_cast<char*>("The bytes of one record in the shared mapping, lent to a memoryview.")},
    {0, nullptr},
};

PyType_Spec record_buffer_spec = {"shmstream._shmstream.RecordBuffer", sizeof(RecordBuffer), 0,
                                  Py_TPFLAGS_DEFAULT, record_buffer_slots};

}  // namespace

void end_lease(ReaderHandle& handle) {
  std::shared_ptr<BatchLease>& lease = handle.lease();
  if (!lease) return;
  lease->ended = true;
  for (const py::object& reference : lease->views) {
    PyObject* view = PyWeakref_GetObject(reference.ptr());  // borrowed; Py_None once collected
    if (view == Py_None) continue;
    PyObject* result = PyObject_CallMethod(view, "release", nullptr);
    if (result == nullptr) PyErr_Clear();  // BufferError: something exported from it; counted below
    Py_XDECREF(result);
  }
  lease->views.clear();
  if (lease->exports > 0) {
    PyErr_Format(PyExc_BufferError,
                 "%zd buffer(s) made from the previous zero-copy batch of %s are still in use (numpy arrays or "
                 "memoryview slices of Record.data): release them, or copy with bytes(), before the next "
                 "get_records or seek",
                 lease->exports, handle.shard_id().c_str());
    throw py::error_already_set();
  }
  lease.reset();
}

py::object lend(ReaderHandle& handle, py::handle reader_object, std::string_view data) {
  std::shared_ptr<BatchLease>& lease = handle.lease();
  if (!lease) lease = std::make_shared<BatchLease>();
  auto* buffer = PyObject_New(RecordBuffer, record_buffer_type);
  if (buffer == nullptr) throw py::error_already_set();
  buffer->data = data.data();
  buffer->size = static_cast<Py_ssize_t>(data.size());
  buffer->lease = new std::shared_ptr<BatchLease>(lease);
  buffer->reader = reader_object.inc_ref().ptr();
  const py::object exporter = py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(buffer));
  PyObject* view = PyMemoryView_FromObject(exporter.ptr());
  if (view == nullptr) throw py::error_already_set();
  py::object owned = py::reinterpret_steal<py::object>(view);
  PyObject* reference = PyWeakref_NewRef(view, nullptr);
  if (reference == nullptr) throw py::error_already_set();
  lease->views.push_back(py::reinterpret_steal<py::object>(reference));
  return owned;
}

void register_zero_copy(py::module_& module) {
  record_buffer_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&record_buffer_spec));
  if (record_buffer_type == nullptr) throw py::error_already_set();
  module.add_object("RecordBuffer", py::handle(reinterpret_cast<PyObject*>(record_buffer_type)));
}

}  // namespace shmstream::python
