// Writes a small real stream (meta + a 16 KiB segment with frames and padding, and the lease table of an
// application that consumed it) and a second one with tags, a consumer and throttling (attributes.json,
// throughput.state) as the fuzzer's seed corpus.
#include <cstdio>
#include <thread>

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
  return 0;
}
