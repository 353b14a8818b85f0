// Borrowed bytes of a Python argument without copying: str (its cached UTF-8) or any contiguous buffer
// (bytes, bytearray, memoryview, numpy array). Holds the buffer export until destroyed.
#pragma once

#include <pybind11/pybind11.h>

#include <string_view>

namespace shmstream::python {

class ByteView {
 public:
  explicit ByteView(pybind11::handle object) {
    if (PyUnicode_Check(object.ptr())) {
      Py_ssize_t size = 0;
      const char* text = PyUnicode_AsUTF8AndSize(object.ptr(), &size);
      if (text == nullptr) throw pybind11::error_already_set();
      view_ = {text, static_cast<size_t>(size)};
      return;
    }
    if (PyObject_GetBuffer(object.ptr(), &buffer_, PyBUF_SIMPLE) != 0) throw pybind11::error_already_set();
    exported_ = true;
    view_ = {static_cast<const char*>(buffer_.buf), static_cast<size_t>(buffer_.len)};
  }
  ~ByteView() {
    if (exported_) PyBuffer_Release(&buffer_);
  }
  ByteView(const ByteView&) = delete;
  ByteView& operator=(const ByteView&) = delete;

  std::string_view view() const noexcept { return view_; }

 private:
  Py_buffer buffer_{};
  bool exported_ = false;
  std::string_view view_;
};

}  // namespace shmstream::python
