// The local key service (key files, aliases, key ids in the four Kinesis forms) and the frame cipher.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "crypto/frame_cipher.hpp"
#include "crypto/key_file.hpp"
#include "crypto/key_store.hpp"
#include "test_support.hpp"

using namespace shmstream;
using namespace shmstream::detail;

namespace {

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

KeyUuid uuid_of(const KeyMetadata& key) {
  KeyUuid uuid{};
  EXPECT_TRUE(parse_uuid(key.key_id, uuid));
  return uuid;
}

}  // namespace

TEST(KeyStore, CreateKeyWritesAPrivateVersionedKeyFile) {
  test::TempRoot root;
  KeyStore keys(root.path() + "/deep/keys");
  const KeyMetadata key = keys.create_key("orders");
  EXPECT_EQ(key.arn, "arn:aws:kms:local:000000000000:key/" + key.key_id);
  EXPECT_TRUE(key.enabled);
  EXPECT_EQ(key.description, "orders");
  const std::string path = key_file_path(keys.directory(), uuid_of(key));
  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat(keys.directory().c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0700u);
  const auto bytes = file_bytes(path);
  ASSERT_EQ(bytes.size(), kKeyFileFixedSize + 6);
  EXPECT_EQ(std::memcmp(bytes.data(), "SKEY", 4), 0);
  EXPECT_EQ(bytes[4], 1);  // version 1
  EXPECT_EQ(bytes[6], 1);  // Enabled
  MasterKey parsed;
  ASSERT_TRUE(parse_key_file(bytes, parsed).is_ok());
  EXPECT_EQ(parsed.uuid, uuid_of(key));
  EXPECT_EQ(parsed.description, "orders");
  // Two keys never share material.
  MasterKey other;
  std::string message;
  ASSERT_TRUE(read_master_key(keys.directory(), uuid_of(keys.create_key("")), other, message).is_ok());
  EXPECT_NE(parsed.material, other.material);
}

TEST(KeyStore, KeyFileParserRejectsDamage) {
  MasterKey key;
  key.description = "d";
  const std::vector<uint8_t> good = serialize_key_file(key);
  MasterKey parsed;
  ASSERT_TRUE(parse_key_file(good, parsed).is_ok());
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_FALSE(parse_key_file(std::span(good.data(), length), parsed).is_ok()) << length;
  }
  for (size_t offset : {0u, 4u, 6u, 64u, 68u, 69u}) {
    std::vector<uint8_t> bad = good;
    bad[offset] ^= 0x40;
    EXPECT_FALSE(parse_key_file(bad, parsed).is_ok()) << offset;
  }
}

TEST(KeyStore, KeyIdsInEveryKinesisForm) {
  test::TempRoot root;
  KeyStore keys(root.path() + "/keys");
  const KeyMetadata key = keys.create_key("");
  keys.create_alias("alias/team/orders", key.key_id);
  const KeyUuid uuid = uuid_of(key);
  EXPECT_EQ(keys.resolve(key.key_id), uuid);
  EXPECT_EQ(keys.resolve(key.arn), uuid);
  EXPECT_EQ(keys.resolve("alias/team/orders"), uuid);
  EXPECT_EQ(keys.resolve("arn:aws:kms:local:000000000000:alias/team/orders"), uuid);
  EXPECT_EQ(test::code_of([&] { keys.resolve("alias/nope"); }), StatusCode::kKmsNotFound);
  EXPECT_EQ(test::code_of([&] { keys.resolve("arn:aws:kms:us-east-1:123456789012:key/" + key.key_id); }),
            StatusCode::kKmsNotFound);
  EXPECT_EQ(test::code_of([&] { keys.resolve("not-a-key"); }), StatusCode::kKmsNotFound);
  EXPECT_EQ(test::code_of([&] { keys.describe_key("11111111-2222-4333-8444-555555555555"); }),
            StatusCode::kKmsNotFound);
  const auto aliases = keys.list_aliases();
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0].alias_name, "alias/team/orders");
  EXPECT_EQ(aliases[0].target_key_id, key.key_id);
  EXPECT_EQ(aliases[0].alias_arn, "arn:aws:kms:local:000000000000:alias/team/orders");
}

TEST(KeyStore, AliasRules) {
  test::TempRoot root;
  KeyStore keys(root.path() + "/keys");
  const KeyMetadata key = keys.create_key("");
  keys.create_alias("alias/a", key.key_id);
  EXPECT_EQ(test::code_of([&] { keys.create_alias("alias/a", key.key_id); }), StatusCode::kAlreadyExists);
  EXPECT_EQ(test::code_of([&] { keys.create_alias("orders", key.key_id); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(test::code_of([&] { keys.create_alias("alias/a b", key.key_id); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(test::code_of([&] { keys.create_alias("alias/aws/x", key.key_id); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(test::code_of([&] { keys.create_alias("alias/b", "alias/a"); }), StatusCode::kKmsNotFound);
  EXPECT_EQ(test::code_of([&] { keys.create_alias("alias/c", "11111111-2222-4333-8444-555555555555"); }),
            StatusCode::kKmsNotFound);
}

TEST(KeyStore, DefaultKinesisKeyIsMadeOnFirstUseOnce) {
  test::TempRoot root;
  KeyStore keys(root.path() + "/keys");
  EXPECT_TRUE(keys.list_keys().empty());
  const KeyUuid first = keys.resolve("alias/aws/kinesis");
  EXPECT_EQ(keys.resolve("alias/aws/kinesis"), first);
  const auto listed = keys.list_keys();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].aws_managed);
}

TEST(KeyStore, DisabledKeyIsNotUsable) {
  test::TempRoot root;
  KeyStore keys(root.path() + "/keys");
  const KeyMetadata key = keys.create_key("");
  KeyUuid uuid;
  keys.set_enabled(key.key_id, false);
  EXPECT_FALSE(keys.describe_key(key.key_id).enabled);
  EXPECT_EQ(test::code_of([&] { keys.usable_key(key.key_id, uuid); }), StatusCode::kKmsDisabled);
  keys.set_enabled(key.arn, true);
  EXPECT_TRUE(keys.describe_key(key.key_id).enabled);
  EXPECT_EQ(test::code_of([&] { keys.usable_key(key.key_id, uuid); }), StatusCode::kOk);
}

TEST(FrameCipher, SealsAndOpensAndAuthenticatesTheHeader) {
  uint8_t master[kMasterKeyBytes] = {1, 2, 3};
  uint8_t stream_uuid[16] = {9};
  uint8_t data_key[kDataKeyBytes];
  ASSERT_TRUE(derive_data_key(master, stream_uuid, 1, data_key));
  uint8_t other_key[kDataKeyBytes];
  ASSERT_TRUE(derive_data_key(master, stream_uuid, 2, other_key));
  EXPECT_NE(std::memcmp(data_key, other_key, kDataKeyBytes), 0);

  FrameCipher sealer(FrameCipher::Direction::kSeal);
  FrameCipher opener(FrameCipher::Direction::kOpen);
  sealer.set_data_key(1, data_key);
  opener.set_data_key(1, data_key);
  const std::string key = "partition", data = "the record's data";
  std::vector<uint8_t> ciphertext(key.size() + data.size());
  uint8_t tag[kTagBytes];
  ASSERT_TRUE(sealer.seal(1, 3, 4096, 0x1234, 77, reinterpret_cast<const uint8_t*>(key.data()), key.size(),
                          reinterpret_cast<const uint8_t*>(data.data()), data.size(), ciphertext.data(), tag));
  EXPECT_EQ(std::search(ciphertext.begin(), ciphertext.end(), data.begin(), data.end()), ciphertext.end());
  std::vector<uint8_t> plain(ciphertext.size());
  ASSERT_TRUE(opener.open(1, 3, 4096, 0x1234, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  EXPECT_EQ(std::string(plain.begin(), plain.end()), key + data);
  // Any other shard, position, state word or arrival time (a moved, replayed or edited frame) fails.
  EXPECT_FALSE(opener.open(1, 4, 4096, 0x1234, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  EXPECT_FALSE(opener.open(1, 3, 4112, 0x1234, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  EXPECT_FALSE(opener.open(1, 3, 4096, 0x1235, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  EXPECT_FALSE(opener.open(1, 3, 4096, 0x1234, 78, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  ciphertext[5] ^= 1;
  EXPECT_FALSE(opener.open(1, 3, 4096, 0x1234, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  ciphertext[5] ^= 1;
  tag[0] ^= 0x80;
  EXPECT_FALSE(opener.open(1, 3, 4096, 0x1234, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  tag[0] ^= 0x80;
  EXPECT_TRUE(opener.open(1, 3, 4096, 0x1234, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
  // A record larger than the cipher's scratch is sealed in two calls: the same format.
  const std::string large(10000, 'L');
  std::vector<uint8_t> large_ciphertext(key.size() + large.size()), large_plain(key.size() + large.size());
  ASSERT_TRUE(sealer.seal(1, 3, 8192, 0x99, 5, reinterpret_cast<const uint8_t*>(key.data()), key.size(),
                          reinterpret_cast<const uint8_t*>(large.data()), large.size(), large_ciphertext.data(), tag));
  ASSERT_TRUE(opener.open(1, 3, 8192, 0x99, 5, large_ciphertext.data(), large_ciphertext.size(), tag,
                          large_plain.data()));
  EXPECT_EQ(std::string(large_plain.begin(), large_plain.end()), key + large);
  // A slot with no key opens nothing.
  EXPECT_FALSE(opener.open(2, 3, 4096, 0x1234, 77, ciphertext.data(), ciphertext.size(), tag, plain.data()));
}
