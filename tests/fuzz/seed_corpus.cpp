// Writes small real streams (meta + a 16 KiB segment with frames and padding; one of them encrypted, its
// key file beside it) as the fuzzer's seed corpus.
#include <stdlib.h>

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
  // Plain records, then sealed ones: the segment holds both kinds of DATA frame.
  ::setenv("SHMSTREAM_KEY_DIR", (std::string(argv[1]) + "/keys").c_str(), 1);
  options.checksums = true;
  auto encrypted = shmstream::Stream::create("sealed", options, argv[1]);
  shmstream::Producer sealer(encrypted);
  for (int i = 0; i < 200; ++i) {
    if (i == 50) encrypted->start_encryption("KMS", "alias/aws/kinesis");
    shmstream::PutResult result;
    if (!sealer.put_record("key" + std::to_string(i % 5), std::string(static_cast<size_t>(i % 90), 'y'), result)) return 1;
  }
  return 0;
}
