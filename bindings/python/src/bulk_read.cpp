// Bulk reads for analysis: a snapshot of several shards (in the order given, parents before children) read
// with the GIL released, then turned into numpy arrays without per-record Python work where possible.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_map>
#include <vector>

#include "reader_handle.hpp"
#include "shmstream/layout/frame.hpp"

namespace shmstream::python {
namespace {


struct ReadPlan {
  std::vector<uint32_t> shards;
  IteratorStart start;
  uint64_t end_sequence_number = std::numeric_limits<uint64_t>::max();  // inclusive
  int64_t end_ns = std::numeric_limits<int64_t>::max();                 // exclusive
  uint64_t max_records = std::numeric_limits<uint64_t>::max();
};

struct OpenShard {
  std::unique_ptr<ShardReader> reader;
  uint32_t index;
  uint64_t snapshot_end;  // records at or past this position arrived after the call began
};

// Call with the GIL released. Opens every reader first so callers can size their output.
std::vector<OpenShard> open_shards(const std::shared_ptr<Stream>& stream, const ReadPlan& plan) {
  std::vector<OpenShard> open;
  for (uint32_t index : plan.shards) {
    const uint64_t end = stream->describe_shard(index).latest_position;
    open.push_back({std::make_unique<ShardReader>(stream, index, plan.start), index, end});
  }
  return open;
}

// Visits the records of the plan in order; `visit(shard_index, record)` returns false to skip a record
// without counting it. Stops each shard at its snapshot end, its bounds, or the shard's end.
template <typename Visit>
void for_each_record(std::vector<OpenShard>& shards, const ReadPlan& plan, Visit&& visit) {
  RecordBatch batch;
  uint64_t taken = 0;
  for (OpenShard& shard : shards) {
    bool shard_done = false;
    while (!shard_done && taken < plan.max_records) {
      const Status status = shard.reader->get_records(batch, kMaxGetRecordsLimit, kMaxGetRecordsBytes);
      if (!status) throw_status(status, "GetRecords on " + shard_id_text(shard.index));
      if (batch.records.empty()) break;  // caught up (or the shard ended)
      for (const RecordView& record : batch.records) {
        if (record.sequence_number >= shard.snapshot_end || record.sequence_number > plan.end_sequence_number ||
            record.arrival_ns >= plan.end_ns || taken >= plan.max_records) {
          shard_done = true;
          break;
        }
        if (visit(shard.index, record)) ++taken;
      }
    }
  }
}

template <typename T>
py::array_t<T> owning_array(std::vector<T>&& values) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule owner(owned, [](void* pointer) { delete static_cast<std::vector<T>*>(pointer); });
  return py::array_t<T>(static_cast<py::ssize_t>(owned->size()), owned->data(), owner);
}

// Fills a numpy object array; numpy zero-initialises object arrays, XDECREF covers either NULL or None.
py::array object_array(size_t size, const std::function<PyObject*(size_t)>& make) {
  py::array out(py::dtype("O"), std::vector<py::ssize_t>{static_cast<py::ssize_t>(size)});
  auto** slots = static_cast<PyObject**>(out.mutable_data());
  for (size_t i = 0; i < size; ++i) {
    PyObject* value = make(i);
    if (value == nullptr) throw py::error_already_set();
    PyObject* previous = slots[i];
    slots[i] = value;
    Py_XDECREF(previous);
  }
  return out;
}

ReadPlan make_plan(std::vector<uint32_t> shards, const std::string& iterator_type, uint64_t sequence_number,
                   int64_t timestamp_ns, uint64_t end_sequence_number, int64_t end_ns, uint64_t max_records) {
  ReadPlan plan;
  plan.shards = std::move(shards);
  plan.start = make_iterator_start(iterator_type, sequence_number, timestamp_ns);
  plan.end_sequence_number = end_sequence_number;
  plan.end_ns = end_ns;
  plan.max_records = max_records;
  return plan;
}

// Columns shard_index, sequence_number, arrival_ns (numpy, no copy after the read), partition_key and data
// (object arrays of str / bytes: one Python object per record, keys shared between equal records).
py::dict read_columns(const std::shared_ptr<Stream>& stream, const ReadPlan& plan) {
  std::vector<uint32_t> shard_column;
  std::vector<uint64_t> sequence_column;
  std::vector<int64_t> arrival_column;
  std::vector<uint64_t> ends;  // arena offsets: key ends at ends[2i], data at ends[2i+1]
  std::string arena;
  {
    py::gil_scoped_release unlocked;
    std::vector<OpenShard> shards = open_shards(stream, plan);
    // The snapshot's log bytes bound key + data bytes: reserve once instead of re-copying as we grow.
    uint64_t log_bytes = 0;
    for (const OpenShard& shard : shards) {
      const uint64_t from = shard.reader->position();
      if (shard.snapshot_end > from) log_bytes += shard.snapshot_end - from;
    }
    // Every record takes at least the smallest frame (header, a 1-byte key, aligned).
    const uint64_t most_records =
        std::min(plan.max_records, log_bytes / shmstream::layout::align_frame(shmstream::layout::kFrameHeaderSize + 1));
    arena.reserve(log_bytes);
    shard_column.reserve(most_records);
    sequence_column.reserve(most_records);
    arrival_column.reserve(most_records);
    ends.reserve(2 * most_records);
    for_each_record(shards, plan, [&](uint32_t shard_index, const RecordView& record) {
      shard_column.push_back(shard_index);
      sequence_column.push_back(record.sequence_number);
      arrival_column.push_back(record.arrival_ns);
      arena.append(record.partition_key);
      ends.push_back(arena.size());
      arena.append(record.data);
      ends.push_back(arena.size());
      return true;
    });
  }
  const size_t count = sequence_column.size();
  auto start_of = [&](size_t slot) { return slot == 0 ? uint64_t{0} : ends[slot - 1]; };
  std::unordered_map<std::string_view, PyObject*> keys;  // borrowed from the key array being filled
  std::string_view previous_key;
  PyObject* previous_text = nullptr;
  py::array key_column = object_array(count, [&](size_t i) -> PyObject* {
    const std::string_view key(arena.data() + start_of(2 * i), ends[2 * i] - start_of(2 * i));
    if (previous_text != nullptr && key == previous_key) {  // runs of one key are common: skip the hash
      Py_INCREF(previous_text);
      return previous_text;
    }
    auto [found, inserted] = keys.try_emplace(key, nullptr);
    previous_key = key;
    if (!inserted) {
      Py_INCREF(found->second);
      return previous_text = found->second;
    }
    found->second = PyUnicode_DecodeUTF8(key.data(), static_cast<Py_ssize_t>(key.size()), "surrogateescape");
    return previous_text = found->second;
  });
  py::array data_column = object_array(count, [&](size_t i) -> PyObject* {
    const uint64_t begin = start_of(2 * i + 1);
    return PyBytes_FromStringAndSize(arena.data() + begin, static_cast<Py_ssize_t>(ends[2 * i + 1] - begin));
  });
  py::dict out;
  out["shard_index"] = owning_array(std::move(shard_column));
  out["sequence_number"] = owning_array(std::move(sequence_column));
  out["arrival_ns"] = owning_array(std::move(arrival_column));
  out["partition_key"] = key_column;
  out["data"] = data_column;
  return out;
}

struct FixedLayout {
  uint64_t payload_size;
  uint64_t record_size;  // payload plus the optional metadata fields
  uint64_t payload_offset;
  int64_t sequence_offset;  // -1: not stored
  int64_t arrival_offset;
  int64_t shard_offset;
  bool strict;  // true: a payload of another size is an error; false: such records are skipped
};

// Copies each matching payload once, from the mapping straight into the buffer numpy will own.
py::array read_fixed(const std::shared_ptr<Stream>& stream, const ReadPlan& plan, const FixedLayout& layout) {
  if (layout.record_size == 0 || layout.payload_offset + layout.payload_size > layout.record_size) {
    throw Error(StatusCode::kInvalidArgument, "record layout does not fit the record size");
  }
  char* buffer = nullptr;
  uint64_t count = 0;
  {
    py::gil_scoped_release unlocked;
    std::vector<OpenShard> shards = open_shards(stream, plan);
    // Every stored record takes at least this many bytes of log, so the snapshot bounds the count.
    const uint64_t min_footprint =
        shmstream::layout::align_frame(shmstream::layout::kFrameHeaderSize + 1 + layout.payload_size);
    uint64_t capacity = 0;
    for (const OpenShard& shard : shards) {
      const uint64_t from = shard.reader->position();
      if (shard.snapshot_end > from) capacity += (shard.snapshot_end - from) / min_footprint + 1;
    }
    capacity = std::min(capacity, plan.max_records);
    // malloc: pages never written are never committed, so the over-estimate costs address space only.
    buffer = static_cast<char*>(std::malloc(std::max<uint64_t>(1, capacity * layout.record_size)));
    if (buffer == nullptr) throw std::bad_alloc();
    try {
      for_each_record(shards, plan, [&](uint32_t shard_index, const RecordView& record) {
        if (record.data.size() != layout.payload_size) {
          if (!layout.strict) return false;
          throw Error(StatusCode::kInvalidArgument,
                      "record " + std::to_string(record.sequence_number) + " in " + shard_id_text(shard_index) +
                          " has " + std::to_string(record.data.size()) + " bytes of data, the dtype needs " +
                          std::to_string(layout.payload_size));
        }
        if (count == capacity) return false;  // cannot happen while the bound holds; never overrun
        char* out = buffer + count * layout.record_size;
        std::memcpy(out + layout.payload_offset, record.data.data(), layout.payload_size);
        if (layout.sequence_offset >= 0) std::memcpy(out + layout.sequence_offset, &record.sequence_number, 8);
        if (layout.arrival_offset >= 0) std::memcpy(out + layout.arrival_offset, &record.arrival_ns, 8);
        if (layout.shard_offset >= 0) std::memcpy(out + layout.shard_offset, &shard_index, 4);
        ++count;
        return true;
      });
    } catch (...) {
      std::free(buffer);
      throw;
    }
    if (char* shrunk = static_cast<char*>(std::realloc(buffer, std::max<uint64_t>(1, count * layout.record_size)))) {
      buffer = shrunk;
    }
  }
  py::capsule owner(buffer, [](void* pointer) { std::free(pointer); });
  return py::array_t<uint8_t>(static_cast<py::ssize_t>(count * layout.record_size),
                              reinterpret_cast<uint8_t*>(buffer), owner);
}

}  // namespace

void register_bulk_read(py::module_& module) {
  module.def(
      "read_columns",
      [](const std::shared_ptr<Stream>& stream, std::vector<uint32_t> shards, const std::string& iterator_type,
         uint64_t sequence_number, int64_t timestamp_ns, uint64_t end_sequence_number, int64_t end_ns,
         uint64_t max_records) {
        return read_columns(stream, make_plan(std::move(shards), iterator_type, sequence_number, timestamp_ns,
                                              end_sequence_number, end_ns, max_records));
      },
      py::arg("stream"), py::arg("shards"), py::arg("iterator_type"), py::arg("sequence_number"),
      py::arg("timestamp_ns"), py::arg("end_sequence_number"), py::arg("end_ns"), py::arg("max_records"));
  module.def(
      "read_fixed",
      [](const std::shared_ptr<Stream>& stream, std::vector<uint32_t> shards, const std::string& iterator_type,
         uint64_t sequence_number, int64_t timestamp_ns, uint64_t end_sequence_number, int64_t end_ns,
         uint64_t max_records, uint64_t payload_size, uint64_t record_size, uint64_t payload_offset,
         int64_t sequence_offset, int64_t arrival_offset, int64_t shard_offset, bool strict) {
        const ReadPlan plan = make_plan(std::move(shards), iterator_type, sequence_number, timestamp_ns,
                                        end_sequence_number, end_ns, max_records);
        return read_fixed(stream, plan,
                          FixedLayout{payload_size, record_size, payload_offset, sequence_offset, arrival_offset,
                                      shard_offset, strict});
      },
      py::arg("stream"), py::arg("shards"), py::arg("iterator_type"), py::arg("sequence_number"),
      py::arg("timestamp_ns"), py::arg("end_sequence_number"), py::arg("end_ns"), py::arg("max_records"),
      py::arg("payload_size"), py::arg("record_size"), py::arg("payload_offset"), py::arg("sequence_offset"),
      py::arg("arrival_offset"), py::arg("shard_offset"), py::arg("strict"));
}

}  // namespace shmstream::python
