// Zero-copy record data: a read-only memoryview straight into the shared mapping. The library keeps a
// batch's views valid until the next call on its reader (docs/DESIGN.md §3.3, G5), so the Python side makes
// that rule safe instead of trusting it:
//  - each record's memoryview is made over a small exporter object that holds the reader, so the reader (and
//    the segments its batch pins) lives as long as any view of the batch;
//  - the next get_records or seek on the reader ends the batch's lease: every memoryview it handed out is
//    released (any use then raises ValueError, "operation forbidden on released memoryview object"), and if
//    buffers made from them are still exported (a numpy array, a memoryview slice) that call raises
//    BufferError and reads nothing, so no live buffer ever points at memory the reader moved past.
#pragma once

#include <memory>
#include <string_view>

#include "native.hpp"

namespace shmstream::python {

class ReaderHandle;
struct BatchLease;

// Ends the reader's current lease (GIL held); raises BufferError (nothing read, cursor unchanged) while
// buffers derived from the batch's views are still alive.
void end_lease(ReaderHandle& handle);

// The zero-copy `data` of one record of the reader's current batch. `reader_object` is the Python object
// owning `handle` (kept alive by the view).
py::object lend(ReaderHandle& handle, py::handle reader_object, std::string_view data);

void register_zero_copy(py::module_& module);

}  // namespace shmstream::python
