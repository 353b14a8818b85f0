// Encrypted vs plain puts and reads of 64 B and 1 KiB records, in the same run (docs/PERFORMANCE.md
// "Encryption"). One producer thread puts N records into a fresh one-shard stream, then one reader reads them
// all back; plain and encrypted streams alternate, best of R rounds each, so both see the same machine state.
// Usage: encryption_throughput [records per round, default 2000000] [rounds, default 5]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

using namespace shmstream;

namespace {

struct Rates {
  double put_per_second = 0;
  double read_per_second = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Rates run(const std::string& root, size_t record_bytes, uint64_t records, bool encrypted, int round) {
  StreamOptions options;
  options.segment_size = uint64_t{64} << 20;
  options.retention_bytes = uint64_t{4} << 30;
  options.checksums = false;
  const std::string name = std::string(encrypted ? "sealed" : "plain") + std::to_string(record_bytes) + "-" +
                           std::to_string(round);
  auto stream = Stream::create(name, options, root);
  if (encrypted) stream->start_encryption("KMS", "alias/aws/kinesis");
  const std::string key = "partition-key-1";
  const std::string data(record_bytes - key.size(), 'd');
  Rates rates;
  {
    Producer producer(stream);
    PutResult result;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < records; ++i) {
      if (!producer.put_record(key, data, result)) std::abort();
    }
    rates.put_per_second = static_cast<double>(records) / seconds_since(start);
  }
  ShardReader reader(stream, 0, {IteratorType::kTrimHorizon});
  RecordBatch batch;
  uint64_t read = 0;
  const auto start = std::chrono::steady_clock::now();
  while (read < records) {
    if (!reader.get_records(batch) || batch.records.empty()) std::abort();
    read += batch.records.size();
  }
  rates.read_per_second = static_cast<double>(records) / seconds_since(start);
  Stream::remove(name, root);
  return rates;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t records = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  char pattern[] = "/dev/shm/shmstream-enc-bench-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return 1;
  const std::string place = pattern;
  ::setenv("SHMSTREAM_KEY_DIR", (place + "/keys").c_str(), 1);
  const std::string root = place + "/root";
  std::printf("%-8s %-6s %14s %14s\n", "record", "mode", "puts/s", "reads/s");
  for (size_t bytes : {size_t{64}, size_t{1024}}) {
    Rates best[2];
    for (int round = 0; round < rounds; ++round) {
      for (int encrypted = 0; encrypted < 2; ++encrypted) {
        const Rates rates = run(root, bytes, records, encrypted != 0, round);
        best[encrypted].put_per_second = std::max(best[encrypted].put_per_second, rates.put_per_second);
        best[encrypted].read_per_second = std::max(best[encrypted].read_per_second, rates.read_per_second);
      }
    }
    for (int encrypted = 0; encrypted < 2; ++encrypted) {
      std::printf("%-8zu %-6s %14.0f %14.0f\n", bytes, encrypted ? "sealed" : "plain", best[encrypted].put_per_second,
                  best[encrypted].read_per_second);
    }
    std::printf("%-8zu %-6s %14.2f %14.2f\n", bytes, "ratio", best[1].put_per_second / best[0].put_per_second,
                best[1].read_per_second / best[0].read_per_second);
  }
  std::filesystem::remove_all(place);
  return 0;
}
