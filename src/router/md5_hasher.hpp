// MD5 of a partition key through OpenSSL EVP, read as a big-endian unsigned 128-bit hash key (as Kinesis).
// One hasher per producer: the digest context is allocated once, reused for every key.
#pragma once

#include <string_view>

#include "shmstream/hash_key.hpp"

struct evp_md_ctx_st;
struct evp_md_st;

namespace shmstream::detail {

class Md5Hasher {
 public:
  Md5Hasher();  // throws Error if OpenSSL has no MD5 (e.g. a FIPS-only provider)
  ~Md5Hasher();
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;

  HashKey hash(std::string_view partition_key) noexcept;

 private:
  evp_md_ctx_st* context_ = nullptr;
  evp_md_st* md5_ = nullptr;
};

// One-shot convenience for cold paths and tests.
HashKey md5_hash_key(std::string_view partition_key);

}  // namespace shmstream::detail
