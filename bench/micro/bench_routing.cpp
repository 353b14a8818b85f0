// Routing cost: MD5 of the partition key (OpenSSL EVP) against the producer's key cache (XXH3 + compare).
#include <benchmark/benchmark.h>

#include "micro_support.hpp"
#include "router/md5_hasher.hpp"
#include "shmstream/producer.hpp"

namespace {

void md5_hasher(benchmark::State& state) {
  shmstream::detail::Md5Hasher hasher;
  const auto keys = micro::distinct_keys(1024, static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(hasher.hash(keys[i++ & 1023]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(md5_hasher)->Arg(8)->Arg(16)->Arg(64)->Arg(256);

// `range(0)` distinct keys cycled: 16 stay in the cache (hits); 1M never do (MD5 + a cache fill every time).
void producer_route(benchmark::State& state) {
  auto stream = micro::fresh_stream(64, 1 << 20, 0);
  shmstream::Producer producer(stream);
  const auto keys = micro::distinct_keys(static_cast<size_t>(state.range(0)), 16);
  size_t i = 0;
  uint32_t shard = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(producer.route(keys[i], nullptr, shard));
    if (++i == keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  // 16 keys all hit; 1000 keys collide in the 1024-slot direct-mapped cache (~60 % misses); 1M keys always miss.
  state.SetLabel(state.range(0) == 16 ? "16 keys: cache hits" : state.range(0) == 1000 ? "1000 keys: slot conflicts" : "1M keys: MD5 every time");
}
BENCHMARK(producer_route)->Arg(16)->Arg(1000)->Arg(1 << 20);

void producer_route_explicit_hash_key(benchmark::State& state) {
  auto stream = micro::fresh_stream(64, 1 << 20, 0);
  shmstream::Producer producer(stream);
  shmstream::HashKey hash_key = 12345;
  uint32_t shard = 0;
  for (auto _ : state) {
    hash_key = hash_key * 6364136223846793005ull + 1;
    benchmark::DoNotOptimize(producer.route("k", &hash_key, shard));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(producer_route_explicit_hash_key);

}  // namespace
