// The local key service, shaped like AWS KMS (docs/DESIGN.md §8): master keys in key files of one key
// directory, aliases beside them, key ids as UUID, key ARN, alias name or alias ARN. Cold path only: the
// data path loads a key once per key generation (stream_keys.hpp).
//
// Directory layout: <dir>/<uuid>.key (key_file.hpp; 0600 unless shared), <dir>/aliases/<name> (the alias name
// after "alias/", '/' written as '%'; content: the target key's uuid and a newline). The directory is 0700
// when this service makes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_file.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

inline constexpr std::string_view kDefaultKinesisAlias = "alias/aws/kinesis";

struct KeyMetadata {
  std::string key_id;  // uuid text
  std::string arn;     // arn:aws:kms:<region>:<account>:key/<uuid>
  int64_t creation_ns = 0;
  bool enabled = true;
  std::string description;
  bool aws_managed = false;  // the default key of alias/aws/kinesis
};

struct AliasEntry {
  std::string alias_name;  // alias/NAME
  std::string alias_arn;
  std::string target_key_id;
  int64_t creation_ns = 0;
  int64_t last_updated_ns = 0;
};

// $SHMSTREAM_KEY_DIR, else $XDG_CONFIG_HOME/shmstream/keys, else $HOME/.config/shmstream/keys.
std::string default_key_directory();
std::string key_arn(const KeyUuid& uuid);
std::string key_file_path(const std::string& directory, const KeyUuid& uuid);

// Reads the key file of `uuid` in `directory` (cold; no exception). kKmsNotFound (no such file),
// kKmsAccessDenied (this user may not read it), kCorrupted; `message` says which file and why.
Status read_master_key(const std::string& directory, const KeyUuid& uuid, MasterKey& key, std::string& message);

class KeyStore {
 public:
  explicit KeyStore(std::string directory = default_key_directory());
  const std::string& directory() const noexcept { return directory_; }

  // Throw Error: kKmsNotFound, kKmsAccessDenied, kAlreadyExists, kInvalidArgument, kCorrupted.
  KeyMetadata create_key(std::string_view description);
  void create_alias(std::string_view alias_name, std::string_view target_key_id);
  std::vector<KeyMetadata> list_keys() const;
  std::vector<AliasEntry> list_aliases() const;
  KeyMetadata describe_key(std::string_view key_id);
  void set_enabled(std::string_view key_id, bool enabled);
  // The uuid a key id names. alias/aws/kinesis (or its ARN) makes the default key on first use.
  KeyUuid resolve(std::string_view key_id);
  // Reads the key `key_id` names and checks it is enabled: what StartStreamEncryption requires.
  MasterKey usable_key(std::string_view key_id, KeyUuid& uuid);

 private:
  void ensure_directory() const;
  KeyMetadata make_key(std::string_view description, KeyManager manager);
  MasterKey load(const KeyUuid& uuid) const;
  bool alias_target(std::string_view alias_name, KeyUuid& uuid) const;
  void write_alias(std::string_view alias_name, const KeyUuid& uuid, bool replace);

  std::string directory_;
};

}  // namespace shmstream::detail
