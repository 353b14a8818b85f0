// A downstream program, built against the installed library with nothing but pkg-config: puts ten
// records and reads them back. Exits 0 when all ten come back in order.
#include <shmstream/producer.hpp>
#include <shmstream/reader.hpp>
#include <shmstream/stream.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  shmstream::StreamOptions options;
  options.segment_size = 1 << 16;
  auto stream = shmstream::Stream::create("example", options, argv[1]);
  shmstream::Producer producer(stream);
  shmstream::PutResult put;
  for (int i = 0; i < 10; ++i) {
    if (!producer.put_record("key", "record " + std::to_string(i), put)) return 1;
  }
  shmstream::ShardReader reader(stream, 0, {shmstream::IteratorType::kTrimHorizon});
  shmstream::RecordBatch batch;
  if (!reader.get_records(batch) || batch.records.size() != 10) return 1;
  for (int i = 0; i < 10; ++i) {
    if (batch.records[static_cast<size_t>(i)].data != "record " + std::to_string(i)) return 1;
  }
  std::puts("10 records");
  return 0;
}
