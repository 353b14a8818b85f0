// copy_bytes and copy_short (with its key and data orders): every length from 0 to 200 (copy_short: below its limit) copies exactly its bytes and touches nothing around them (the
// destination is a frame in a shared segment: a byte written past the record would be the next frame's).
#include <gtest/gtest.h>

#include <vector>

#include "common/copy_bytes.hpp"

namespace {

using Copy = void (*)(uint8_t*, const char*, size_t);

void expect_exact_copies(Copy copy, size_t max_length) {
  for (size_t length = 0; length <= max_length; ++length) {
    for (size_t shift = 0; shift < 3; ++shift) {
      std::vector<char> source(length + 64, 'x');
      for (size_t i = 0; i < length; ++i) source[32 + shift + i] = static_cast<char>('a' + i % 26);
      std::vector<uint8_t> target(length + 64, 0xee);
      copy(target.data() + 32, source.data() + 32 + shift, length);
      for (size_t i = 0; i < target.size(); ++i) {
        const bool inside = i >= 32 && i < 32 + length;
        const uint8_t expected = inside ? static_cast<uint8_t>('a' + (i - 32) % 26) : 0xee;
        ASSERT_EQ(target[i], expected) << "length " << length << " byte " << i;
      }
    }
  }
}

}  // namespace

TEST(CopyBytes, ExactlyTheBytesOfEveryLength) {
  expect_exact_copies([](uint8_t* to, const char* from, size_t length) { shmstream::detail::copy_bytes(to, from, length); },
                      200);
}

TEST(CopyBytes, ShortCopiesExactlyTheBytesOfEveryLengthBelowItsLimit) {
  expect_exact_copies([](uint8_t* to, const char* from, size_t length) { shmstream::detail::copy_short(to, from, length); },
                      shmstream::detail::kCopyShortLimit - 1);
}

TEST(CopyBytes, ShortKeyAndDataOrdersCopyExactlyTheBytesOfEveryLengthBelowTheLimit) {
  expect_exact_copies(
      [](uint8_t* to, const char* from, size_t length) { shmstream::detail::copy_short_key(to, from, length); },
      shmstream::detail::kCopyShortLimit - 1);
  expect_exact_copies(
      [](uint8_t* to, const char* from, size_t length) { shmstream::detail::copy_short_data(to, from, length); },
      shmstream::detail::kCopyShortLimit - 1);
}
