// The composed GCM (ECB key stream + PCLMUL GHASH) against OpenSSL's EVP GCM: byte-identical frames and tags,
// and each opens the other's. GHASH also against SP 800-38D Algorithm 1 done bit by bit.
#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "crypto/frame_cipher.hpp"
#include "crypto/ghash.hpp"

namespace shmstream::detail {
namespace {

// SP 800-38D §6.3 Algorithm 1: X * Y in GF(2^128), bit 0 the leftmost bit of byte 0.
void reference_multiply(const uint8_t (&x)[16], const uint8_t (&y)[16], uint8_t (&out)[16]) {
  uint8_t z[16] = {};
  uint8_t v[16];
  std::memcpy(v, y, 16);
  for (int i = 0; i < 128; ++i) {
    if ((x[i / 8] >> (7 - i % 8)) & 1) {
      for (int b = 0; b < 16; ++b) z[b] ^= v[b];
    }
    const bool lsb = v[15] & 1;
    for (int b = 15; b > 0; --b) v[b] = static_cast<uint8_t>((v[b] >> 1) | (v[b - 1] << 7));
    v[0] >>= 1;
    if (lsb) v[0] ^= 0xe1;  // R = 11100001 || 0^120
  }
  std::memcpy(out, z, 16);
}

// SP 800-38D §6.4 GHASH over A || 0-pad || C || 0-pad || len(A) || len(C).
void reference_ghash(const uint8_t (&h)[16], const std::vector<uint8_t>& a, const std::vector<uint8_t>& c,
                     uint8_t (&out)[16]) {
  uint8_t y[16] = {};
  const auto absorb = [&](const std::vector<uint8_t>& bytes) {
    for (size_t at = 0; at < bytes.size(); at += 16) {
      uint8_t block[16] = {};
      std::memcpy(block, bytes.data() + at, std::min<size_t>(16, bytes.size() - at));
      for (int b = 0; b < 16; ++b) block[b] ^= y[b];
      reference_multiply(block, h, y);
    }
  };
  absorb(a);
  absorb(c);
  std::vector<uint8_t> lengths(16);
  const uint64_t a_bits = a.size() * 8;
  const uint64_t c_bits = c.size() * 8;
  for (int b = 0; b < 8; ++b) {
    lengths[b] = static_cast<uint8_t>(a_bits >> (56 - 8 * b));
    lengths[8 + b] = static_cast<uint8_t>(c_bits >> (56 - 8 * b));
  }
  absorb(lengths);
  std::memcpy(out, y, 16);
}

std::vector<uint8_t> random_bytes(std::mt19937_64& random, size_t length) {
  std::vector<uint8_t> bytes(length);
  for (auto& byte : bytes) byte = static_cast<uint8_t>(random());
  return bytes;
}

// Bytes that end where an inaccessible page starts: a read past them faults.
class GuardedBytes {
 public:
  explicit GuardedBytes(const std::vector<uint8_t>& bytes) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    mapped_ = (bytes.size() + page - 1) / page * page + page;
    base_ = static_cast<uint8_t*>(::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED || ::mprotect(base_ + mapped_ - page, page, PROT_NONE) != 0) std::abort();
    data_ = base_ + mapped_ - page - bytes.size();
    if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
  }
  ~GuardedBytes() { ::munmap(base_, mapped_); }
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  const uint8_t* data() const { return data_; }

 private:
  uint8_t* base_;
  size_t mapped_;
  uint8_t* data_;
};

std::vector<ghash::Width> widths_here() {
  std::vector<ghash::Width> widths{ghash::Width::k128};
  if (ghash::widest_width() == ghash::Width::k512) widths.push_back(ghash::Width::k512);
  return widths;
}

std::vector<size_t> text_lengths(std::mt19937_64& random) {
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 2000; ++n) lengths.push_back(n);
  for (size_t n : {4079, 4080, 4081, 4095, 4096, 4097, 8191, 8192, 20000, 65543}) lengths.push_back(n);
  for (int extra = 0; extra < 20; ++extra) lengths.push_back(random() % 30000);
  return lengths;
}

// Each width, every text length 0..2000 and long ones, the AAD 0..40 bytes, absorbed at once or in pieces of
// whole blocks (as FrameCipher's key-stream chunks are), against SP 800-38D done bit by bit.
TEST(Ghash, MatchesTheBitwiseDefinition) {
  if (!ghash::cpu_has_carryless_multiply()) GTEST_SKIP() << "no PCLMULQDQ: EVP GCM only";
  for (const ghash::Width width : widths_here()) {
    std::mt19937_64 random(18);
    for (const size_t length : text_lengths(random)) {
      uint8_t h[16];
      const auto h_bytes = random_bytes(random, 16);
      std::memcpy(h, h_bytes.data(), 16);
      if (length == 0) std::memset(h, 0xff, 16);
      const auto a = random_bytes(random, random() % 41);
      const auto c = random_bytes(random, length);
      ghash::HashKey key;
      ghash::make_hash_key(h, key, width);
      ghash::State state;
      ghash::reset(state);
      ghash::absorb(key, state, a.data(), nullptr, a.size());
      const size_t whole_blocks = 16 * (random() % (length / 16 + 1));
      ghash::absorb(key, state, c.data(), nullptr, whole_blocks);
      uint8_t got[16];
      ghash::absorb_and_finish(key, state, c.data() + whole_blocks, nullptr, c.size() - whole_blocks, a.size(),
                               c.size(), got);
      uint8_t want[16];
      reference_ghash(h, a, c, want);
      ASSERT_EQ(0, std::memcmp(got, want, 16))
          << "width " << static_cast<int>(width) << " aad " << a.size() << " text " << c.size();
      uint8_t finished_apart[16];
      ghash::reset(state);
      ghash::absorb(key, state, a.data(), nullptr, a.size());
      ghash::absorb(key, state, c.data(), nullptr, c.size());
      ghash::finish(key, state, a.size(), c.size(), finished_apart);
      ASSERT_EQ(0, std::memcmp(finished_apart, want, 16)) << "text " << c.size();
    }
  }
}

// crypt(): text = head || tail XOR key stream into `out`, hashing the result (seal) or the text (open), the
// AAD as 64-bit words, for each width and every split of short texts; tail and key stream end at an
// inaccessible page, so a read past the text faults.
TEST(Ghash, CryptIsXorThenTheHashOfTheCiphertext) {
  if (!ghash::cpu_has_carryless_multiply()) GTEST_SKIP() << "no PCLMULQDQ: EVP GCM only";
  for (const ghash::Width width : widths_here()) {
    std::mt19937_64 random(1818);
    for (const size_t length : text_lengths(random)) {
      uint8_t h[16];
      const auto h_bytes = random_bytes(random, 16);
      std::memcpy(h, h_bytes.data(), 16);
      ghash::HashKey key;
      ghash::make_hash_key(h, key, width);
      const size_t aad_words = random() % 5;
      std::vector<uint64_t> words(aad_words);
      for (auto& word : words) word = random();
      std::vector<uint8_t> aad(8 * aad_words);
      if (aad_words != 0) std::memcpy(aad.data(), words.data(), aad.size());
      const auto text = random_bytes(random, length);
      const auto stream_bytes = random_bytes(random, length);
      const GuardedBytes stream(stream_bytes);  // the key stream ends with the text: nothing past it is read
      std::vector<uint8_t> want_result(length);
      for (size_t i = 0; i < length; ++i) want_result[i] = text[i] ^ stream_bytes[i];
      const size_t head_length = length <= 300 ? length * (random() % 2) : random() % (length + 1);
      for (const bool sealing : {true, false}) {
        // Short texts: every split of head and tail; the tail is its own allocation.
        const size_t first_split = length <= 80 ? 0 : head_length;
        const size_t last_split = length <= 80 ? length : head_length;
        for (size_t split = first_split; split <= last_split; ++split) {
          const std::vector<uint8_t> head(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(split));
          const GuardedBytes tail(std::vector<uint8_t>(text.begin() + static_cast<std::ptrdiff_t>(split), text.end()));
          std::vector<uint8_t> out(length + 64, 0xa5);
          ghash::CryptPass pass;
          pass.head = head.data();
          pass.head_length = split;
          pass.tail = tail.data();
          pass.length = length;
          pass.key_stream = stream.data();
          pass.out = out.data();
          pass.hash_result = sealing;
          pass.aad_words = words.data();
          pass.aad_word_count = aad_words;
          pass.finish = true;
          pass.aad_bytes = aad.size();
          pass.text_bytes = length;
          ghash::State state;
          ghash::reset(state);
          uint8_t got[16];
          ghash::crypt(key, state, pass, got);
          ASSERT_TRUE(std::equal(want_result.begin(), want_result.end(), out.begin())) << "length " << length;
          ASSERT_EQ(out[length], 0xa5) << "wrote past the text, length " << length;
          uint8_t want[16];
          reference_ghash(h, aad, sealing ? want_result : text, want);
          ASSERT_EQ(0, std::memcmp(got, want, 16))
              << "width " << static_cast<int>(width) << " length " << length << " split " << split;
        }
      }
    }
  }
}

void expect_identical_to_evp_gcm(FrameCipher::Engine engine) {
  FrameCipher composed_seal(FrameCipher::Direction::kSeal, engine);
  FrameCipher evp_seal(FrameCipher::Direction::kSeal, FrameCipher::Engine::kEvpGcm);
  FrameCipher composed_open(FrameCipher::Direction::kOpen, engine);
  FrameCipher evp_open(FrameCipher::Direction::kOpen, FrameCipher::Engine::kEvpGcm);
  if (!composed_seal.composed()) GTEST_SKIP() << "no PCLMULQDQ: EVP GCM only";
  EXPECT_FALSE(evp_seal.composed());
  std::mt19937_64 random(1818);
  for (uint32_t generation = 1; generation <= 3; ++generation) {
    uint8_t data_key[kDataKeyBytes];
    ASSERT_EQ(1, RAND_bytes(data_key, sizeof data_key));
    for (FrameCipher* cipher : {&composed_seal, &evp_seal, &composed_open, &evp_open}) {
      cipher->set_data_key(generation, data_key);
    }
  }
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 2000; ++n) lengths.push_back(n);
  for (size_t n : {255, 256, 257, 1023, 1024, 1025, 4079, 4080, 4081, 4095, 4096, 4097, 8175, 8176, 8177, 20000}) {
    lengths.push_back(n);
  }
  for (int extra = 0; extra < 200; ++extra) lengths.push_back(random() % 9000);
  for (const size_t length : lengths) {
    const uint32_t slot = 1 + static_cast<uint32_t>(random() % 3);
    const size_t key_length = length == 0 ? 0 : random() % std::min<size_t>(length + 1, 257);
    const auto text = random_bytes(random, length);
    const uint32_t shard = static_cast<uint32_t>(random());
    const uint64_t position = random();
    const uint64_t committed = random();
    const auto arrival = static_cast<int64_t>(random());
    std::vector<uint8_t> fast(length), reference(length);
    uint8_t fast_tag[kTagBytes], reference_tag[kTagBytes];
    ASSERT_TRUE(composed_seal.seal(slot, shard, position, committed, arrival, text.data(), key_length,
                                   text.data() + key_length, length - key_length, fast.data(), fast_tag));
    ASSERT_TRUE(evp_seal.seal(slot, shard, position, committed, arrival, text.data(), key_length,
                              text.data() + key_length, length - key_length, reference.data(), reference_tag));
    ASSERT_EQ(fast, reference) << "length " << length;
    ASSERT_EQ(0, std::memcmp(fast_tag, reference_tag, kTagBytes)) << "length " << length;
    std::vector<uint8_t> opened(length);
    ASSERT_TRUE(composed_open.open(slot, shard, position, committed, arrival, reference.data(), length,
                                   reference_tag, opened.data()));
    ASSERT_EQ(opened, text);
    ASSERT_TRUE(evp_open.open(slot, shard, position, committed, arrival, fast.data(), length, fast_tag,
                              opened.data()));
    ASSERT_EQ(opened, text);
    // A flipped bit of the text, tag or any authenticated field fails, and leaves no plaintext behind.
    if (length != 0) {
      auto damaged = fast;
      damaged[random() % length] ^= static_cast<uint8_t>(1u << (random() % 8));
      std::vector<uint8_t> out(length, 0);
      EXPECT_FALSE(composed_open.open(slot, shard, position, committed, arrival, damaged.data(), length, fast_tag,
                                      out.data()));
      EXPECT_EQ(out, std::vector<uint8_t>(length, 0));
    }
    uint8_t bad_tag[kTagBytes];
    std::memcpy(bad_tag, fast_tag, kTagBytes);
    bad_tag[random() % kTagBytes] ^= 0x80;
    EXPECT_FALSE(composed_open.open(slot, shard, position, committed, arrival, fast.data(), length, bad_tag,
                                    opened.data()));
    EXPECT_FALSE(composed_open.open(slot, shard, position + 1, committed, arrival, fast.data(), length, fast_tag,
                                    opened.data()));
    EXPECT_FALSE(composed_open.open(slot, shard ^ 1, position, committed, arrival, fast.data(), length, fast_tag,
                                    opened.data()));
    EXPECT_FALSE(composed_open.open(slot, shard, position, committed ^ 4, arrival, fast.data(), length, fast_tag,
                                    opened.data()));
    EXPECT_FALSE(composed_open.open(slot, shard, position, committed, arrival - 1, fast.data(), length, fast_tag,
                                    opened.data()));
    EXPECT_FALSE(composed_open.open(slot % 3 + 1, shard, position, committed, arrival, fast.data(), length,
                                    fast_tag, opened.data()));
  }
}

// The engine as wide as this CPU allows (VPCLMULQDQ on AVX-512 here, where available).
TEST(FrameCipher, ComposedGcmIsByteIdenticalToEvpGcm) { expect_identical_to_evp_gcm(FrameCipher::Engine::kFastest); }

// The 128-bit engine that CPUs without AVX-512 run.
TEST(FrameCipher, Composed128GcmIsByteIdenticalToEvpGcm) {
  expect_identical_to_evp_gcm(FrameCipher::Engine::kComposed128);
}

TEST(FrameCipher, OpenWithoutTheGenerationsKeyFails) {
  FrameCipher opener(FrameCipher::Direction::kOpen);
  uint8_t ciphertext[8] = {};
  uint8_t tag[kTagBytes] = {};
  uint8_t plaintext[8];
  EXPECT_FALSE(opener.open(5, 0, 0, 0, 0, ciphertext, sizeof ciphertext, tag, plaintext));
}

}  // namespace
}  // namespace shmstream::detail
