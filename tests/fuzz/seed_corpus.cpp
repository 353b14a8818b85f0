// Writes small real streams as the fuzzer's seed corpus: meta + a 16 KiB segment with frames and padding and
// the lease table of an application that consumed it; one with tags, a consumer and throttling
// (attributes.json, throughput.state); one encrypted, its key file beside it; and a ShardIterator token
// (tokens/seed.token).
#include <stdlib.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "shmstream/iterator_token.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/stream.hpp"
#include "shmstream/worker.hpp"

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
  // A lease table with a checkpoint: one worker reads everything, checkpoints, and stops.
  struct Checkpointing : shmstream::RecordProcessor {
    void initialize(std::string_view, const shmstream::Checkpoint&) override {}
    void process_records(std::span<const shmstream::RecordView>, shmstream::Checkpointer& checkpointer,
                         int64_t) override {
      checkpointer.checkpoint();
    }
    void lease_lost() override {}
    void shard_ended(shmstream::Checkpointer& checkpointer) override { checkpointer.checkpoint(); }
    void shutdown_requested(shmstream::Checkpointer& checkpointer) override { checkpointer.checkpoint(); }
  };
  shmstream::Worker worker(stream, "seed-app", [] { return std::make_unique<Checkpointing>(); });
  std::thread run([&worker] { worker.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  worker.shutdown();
  run.join();
  // attributes.json and throughput.state, on a stream of their own: the tests that read "seed" through the
  // CLI must not be throttled.
  auto attributed = shmstream::Stream::create("seed-attributes", options, argv[1]);
  attributed->add_tags({{"team", "fuzz"}, {"env", "seed corpus"}});
  attributed->register_consumer("seed-consumer");
  attributed->set_throttling({.injected_throttle_ppm = 1, .aws_limits = true});
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
  const std::string tokens = std::string(argv[1]) + "/tokens";
  ::mkdir(tokens.c_str(), 0700);
  std::ofstream(tokens + "/seed.token") << shmstream::issue_iterator_token(*stream, 0, 64, 1'764'000'000'000'000'000);
  return 0;
}
