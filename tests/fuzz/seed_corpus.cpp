// Writes a small real stream (meta + a 16 KiB segment with frames and padding) as the fuzzer's seed corpus.
#include <cstdio>

#include "shmstream/producer.hpp"
#include "shmstream/stream.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  shmstream::StreamOptions options;
  options.segment_size = 16384;
  auto stream = shmstream::Stream::create("seed", options, argv[1]);
  shmstream::Producer producer(stream);
  for (int i = 0; i < 400; ++i) {
    shmstream::PutResult result;
    if (!producer.put_record("key" + std::to_string(i % 5), std::string(static_cast<size_t>(i % 90), 'x'), result)) return 1;
  }
  // attributes.json and throughput.state
  stream->add_tags({{"team", "fuzz"}, {"env", "seed corpus"}});
  stream->register_consumer("seed-consumer");
  stream->set_throttling({.injected_throttle_ppm = 1, .aws_limits = true});
  return 0;
}
