// copy_bytes: every length from 0 to 200 copies exactly its bytes and touches nothing around them (the
// destination is a frame in a shared segment: a byte written past the record would be the next frame's).
#include <gtest/gtest.h>

#include <vector>

#include "common/copy_bytes.hpp"

TEST(CopyBytes, ExactlyTheBytesOfEveryLength) {
  for (size_t length = 0; length <= 200; ++length) {
    for (size_t shift = 0; shift < 3; ++shift) {
      std::vector<char> source(length + 64, 'x');
      for (size_t i = 0; i < length; ++i) source[32 + shift + i] = static_cast<char>('a' + i % 26);
      std::vector<uint8_t> target(length + 64, 0xee);
      shmstream::detail::copy_bytes(target.data() + 32, source.data() + 32 + shift, length);
      for (size_t i = 0; i < target.size(); ++i) {
        const bool inside = i >= 32 && i < 32 + length;
        const uint8_t expected = inside ? static_cast<uint8_t>('a' + (i - 32) % 26) : 0xee;
        ASSERT_EQ(target[i], expected) << "length " << length << " byte " << i;
      }
    }
  }
}
