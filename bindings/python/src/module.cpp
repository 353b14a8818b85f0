// The _shmstream extension: thin bindings over the C++ library. The pythonic surface lives in the pure
// Python package `shmstream`, which is the only intended importer of this module.
#include "native.hpp"

PYBIND11_MODULE(_shmstream, module) {
  using namespace shmstream::python;
  module.doc() = "Native core of the shmstream package (use `import shmstream`).";
  register_errors(module);
  register_stream(module);
  register_producer(module);
  register_reader(module);
  register_bulk_read(module);
  register_worker(module);
}
