#include "router/md5_hasher.hpp"

#include <openssl/evp.h>

#include "shmstream/status.hpp"

namespace shmstream::detail {

Md5Hasher::Md5Hasher() {
  md5_ = EVP_MD_fetch(nullptr, "MD5", nullptr);
  context_ = EVP_MD_CTX_new();
  if (md5_ == nullptr || context_ == nullptr) {
    EVP_MD_free(md5_);
    EVP_MD_CTX_free(context_);
    throw Error(StatusCode::kInternalFailure, "OpenSSL provides no MD5 digest (FIPS-only provider?)");
  }
}

Md5Hasher::~Md5Hasher() {
  EVP_MD_CTX_free(context_);
  EVP_MD_free(md5_);
}

HashKey Md5Hasher::hash(std::string_view partition_key) noexcept {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  // With an explicitly fetched digest, re-initialising a context allocates nothing.
  EVP_DigestInit_ex2(context_, md5_, nullptr);
  EVP_DigestUpdate(context_, partition_key.data(), partition_key.size());
  EVP_DigestFinal_ex(context_, digest, &digest_length);
  HashKey key = 0;
  for (unsigned i = 0; i < 16; ++i) key = (key << 8) | digest[i];
  return key;
}

HashKey md5_hash_key(std::string_view partition_key) {
  Md5Hasher hasher;
  return hasher.hash(partition_key);
}

}  // namespace shmstream::detail
