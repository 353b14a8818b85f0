// Encrypted vs plain puts and reads of 64 B and 1 KiB records, in the same run (docs/PERFORMANCE.md
// "Encryption"). One producer thread puts N records into a fresh one-shard stream, then one reader reads them
// all back; plain and encrypted streams alternate, best of R rounds each, so both see the same machine state
// (and the put ratio of each round, its two runs back to back). A third run per round puts plain records and
// seals each beside its put, into a private buffer that advances like the log: the seal's cost next to a put
// without being part of it.
// Then the crypto of one record alone, to explain the ratios: OpenSSL's AES-256-ECB call over the record's
// counter blocks (the AES floor through EVP), and FrameCipher's seal with each engine, best of R rounds.
// Usage: encryption_throughput [records per round, default 2000000] [rounds, default 5]
#include <openssl/evp.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "crypto/frame_cipher.hpp"
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

enum class Mode : int { kPlain, kSealed, kSealAside };

Rates run(const std::string& root, size_t record_bytes, uint64_t records, Mode mode, int round) {
  const bool encrypted = mode == Mode::kSealed;
  StreamOptions options;
  options.segment_size = uint64_t{64} << 20;
  options.retention_bytes = uint64_t{4} << 30;
  options.checksums = false;
  const std::string name = "mode" + std::to_string(static_cast<int>(mode)) + "-" + std::to_string(record_bytes) +
                           "-" + std::to_string(round);
  auto stream = Stream::create(name, options, root);
  if (encrypted) stream->start_encryption("KMS", "alias/aws/kinesis");
  const std::string key = "partition-key-1";
  const std::string data(record_bytes - key.size(), 'd');
  Rates rates;
  {
    Producer producer(stream);
    PutResult result;
    detail::FrameCipher aside(detail::FrameCipher::Direction::kSeal);
    const uint8_t data_key[detail::kDataKeyBytes] = {1};
    aside.set_data_key(1, data_key);
    static uint8_t aside_log[uint64_t{1} << 22];
    uint8_t tag[detail::kTagBytes];
    const uint64_t footprint = (16 + record_bytes + detail::kTagBytes + 15) / 16 * 16;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < records; ++i) {
      if (!producer.put_record(key, data, result)) std::abort();
      if (mode == Mode::kSealAside) {
        const uint64_t position = i * footprint;
        if (!aside.seal(1, 0, position, 7, 9, reinterpret_cast<const uint8_t*>(key.data()), key.size(),
                        reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                        aside_log + position % (sizeof aside_log - footprint), tag)) {
          std::abort();
        }
      }
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

// Best nanoseconds per call of `call` over `rounds` rounds of `calls` calls.
template <typename Call>
double best_ns(int rounds, int calls, Call&& call) {
  double best = 1e18;
  for (int round = 0; round < rounds * 20; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) call(i);
    best = std::min(best, seconds_since(start) * 1e9 / calls);
  }
  return best;
}

void print_crypto_per_record(int rounds) {
  using detail::FrameCipher;
  static uint8_t text[1024];
  static uint8_t ciphertext[1024];
  static uint8_t blocks[16 * 65];
  uint8_t tag[detail::kTagBytes];
  uint8_t data_key[detail::kDataKeyBytes] = {1};
  EVP_CIPHER* ecb = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  if (ecb == nullptr || context == nullptr || EVP_CipherInit_ex2(context, ecb, data_key, nullptr, 1, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(context, 0) != 1) {
    std::abort();
  }
  std::printf("\ncrypto of one record (ns, best of %d x 20 runs)\n", rounds);
  std::printf("%-8s %14s %14s %14s %14s\n", "record", "EVP ECB call", "seal widest", "seal 128-bit", "seal EVP GCM");
  FrameCipher widest(FrameCipher::Direction::kSeal, FrameCipher::Engine::kFastest);
  FrameCipher narrow(FrameCipher::Direction::kSeal, FrameCipher::Engine::kComposed128);
  FrameCipher evp_gcm(FrameCipher::Direction::kSeal, FrameCipher::Engine::kEvpGcm);
  for (FrameCipher* cipher : {&widest, &narrow, &evp_gcm}) cipher->set_data_key(1, data_key);
  const auto seal_ns = [&](FrameCipher& cipher, size_t bytes) {
    return best_ns(rounds, 5000, [&](int i) {
      if (!cipher.seal(1, 0, static_cast<uint64_t>(i), 7, 9, text, 15, text + 15, bytes - 15, ciphertext, tag)) {
        std::abort();
      }
    });
  };
  for (size_t bytes : {size_t{64}, size_t{1024}}) {
    const int ecb_bytes = static_cast<int>(16 * (1 + (bytes + 15) / 16));  // J0 and the text's blocks
    const double ecb_ns = best_ns(rounds, 5000, [&](int) {
      if (EVP_Cipher(context, blocks, blocks, static_cast<unsigned>(ecb_bytes)) <= 0) std::abort();
    });
    // One after the other in this order (as arguments, the compiler would pick the order): EVP GCM last, because
    // what runs after OpenSSL's GCM code measured up to 1.5x slower here.
    const double widest_ns = seal_ns(widest, bytes);
    const double narrow_ns = seal_ns(narrow, bytes);
    const double evp_gcm_ns = seal_ns(evp_gcm, bytes);
    std::printf("%-8zu %14.1f %14.1f %14.1f %14.1f\n", bytes, ecb_ns, widest_ns, narrow_ns, evp_gcm_ns);
  }
  EVP_CIPHER_CTX_free(context);
  EVP_CIPHER_free(ecb);
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
    Rates best[3];
    std::string round_ratios;  // encrypted/plain puts of each round: the two ran back to back
    for (int round = 0; round < rounds; ++round) {
      Rates of_round[3];
      for (int mode = 0; mode < 3; ++mode) {
        of_round[mode] = run(root, bytes, records, static_cast<Mode>(mode), round);
        best[mode].put_per_second = std::max(best[mode].put_per_second, of_round[mode].put_per_second);
        best[mode].read_per_second = std::max(best[mode].read_per_second, of_round[mode].read_per_second);
      }
      char ratio[16];
      std::snprintf(ratio, sizeof ratio, " %.2f", of_round[1].put_per_second / of_round[0].put_per_second);
      round_ratios += ratio;
    }
    for (int encrypted = 0; encrypted < 2; ++encrypted) {
      std::printf("%-8zu %-6s %14.0f %14.0f\n", bytes, encrypted ? "sealed" : "plain", best[encrypted].put_per_second,
                  best[encrypted].read_per_second);
    }
    std::printf("%-8zu %-6s %14.2f %14.2f   put ratio per round:%s\n", bytes, "ratio",
                best[1].put_per_second / best[0].put_per_second, best[1].read_per_second / best[0].read_per_second,
                round_ratios.c_str());
    std::printf("%-8zu %-6s %14.0f %14s   (plain puts, each record also sealed beside its put)\n", bytes, "aside",
                best[2].put_per_second, "");
  }
  std::filesystem::remove_all(place);
  print_crypto_per_record(rounds);
  return 0;
}
