#include "crypto/key_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/aws_names.hpp"
#include "common/file_descriptor.hpp"
#include "common/system_error.hpp"
#include "shmstream/clock.hpp"

namespace shmstream::detail {
namespace {

constexpr std::string_view kAliasPrefix = "alias/";
constexpr std::string_view kAliasDirectory = "aliases";
constexpr const char* kDefaultKeyDescription = "Default key that protects my Kinesis data when no other key is defined";

std::string arn_prefix() { return std::string("arn:aws:kms:") + aws::kRegion + ":" + aws::kAccountId + ":"; }

[[noreturn]] void not_found(std::string_view key_id) {
  throw Error(StatusCode::kKmsNotFound, "Key '" + std::string(key_id) + "' does not exist");
}

// AWS AliasNameType: 1..256 of [a-zA-Z0-9:/_-], and "alias/" first.
bool valid_alias_name(std::string_view name) noexcept {
  if (name.size() <= kAliasPrefix.size() || name.size() > 256 || !name.starts_with(kAliasPrefix)) return false;
  return std::all_of(name.begin() + kAliasPrefix.size(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
           c == '-';
  });
}

std::string alias_file_name(std::string_view alias_name) {
  std::string name(alias_name.substr(kAliasPrefix.size()));
  std::replace(name.begin(), name.end(), '/', '%');
  return name;
}

std::string alias_arn(std::string_view alias_name) { return arn_prefix() + std::string(alias_name); }

int64_t file_time_ns(const struct stat& status) {
  return int64_t{status.st_mtim.tv_sec} * 1'000'000'000 + status.st_mtim.tv_nsec;
}

Status read_small_file(const std::string& path, size_t limit, std::vector<uint8_t>& bytes, int& error) {
  error = 0;
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (file.fd < 0) {
    error = errno;
    return Status(status_from_errno(error), "cannot open");
  }
  bytes.resize(limit + 1);
  size_t done = 0;
  for (;;) {
    const ssize_t n = ::read(file.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      return Status(status_from_errno(error), "cannot read");
    }
    if (n == 0 || done + static_cast<size_t>(n) == bytes.size()) {
      done += static_cast<size_t>(n);
      break;
    }
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return Status::ok();
}

// Writes `bytes` to a new file `path` (mode 0600 whatever the umask) through a temporary name, so nobody
// sees it half written. EEXIST when `path` exists and `replace` is false.
void write_new_file(const std::string& path, std::span<const uint8_t> bytes, bool replace) {
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (file.fd < 0) throw_errno(errno, "cannot create " + temporary);
  if (::fchmod(file.fd, 0600) != 0 || ::write(file.fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
      ::fsync(file.fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw_errno(error, "cannot write " + temporary);
  }
  const int result = replace ? ::rename(temporary.c_str(), path.c_str())
                             : ::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  if (result != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    if (error == EEXIST) throw Error(StatusCode::kAlreadyExists, path + " exists");
    throw_errno(error, "cannot publish " + path);
  }
}

KeyMetadata metadata_of(const MasterKey& key) {
  KeyMetadata metadata;
  metadata.key_id = uuid_text(key.uuid);
  metadata.arn = key_arn(key.uuid);
  metadata.creation_ns = key.creation_ns;
  metadata.enabled = key.state == KeyState::kEnabled;
  metadata.description = key.description;
  metadata.aws_managed = key.manager == KeyManager::kAws;
  return metadata;
}

}  // namespace

std::string default_key_directory() {
  if (const char* directory = std::getenv("SHMSTREAM_KEY_DIR"); directory != nullptr && *directory != '\0') {
    return directory;
  }
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config != nullptr && *config == '/') {
    return std::string(config) + "/shmstream/keys";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    throw Error(StatusCode::kKmsNotFound, "no key directory: set SHMSTREAM_KEY_DIR (or HOME / XDG_CONFIG_HOME)");
  }
  return std::string(home) + "/.config/shmstream/keys";
}

std::string key_arn(const KeyUuid& uuid) { return arn_prefix() + "key/" + uuid_text(uuid); }

std::string key_file_path(const std::string& directory, const KeyUuid& uuid) {
  return directory + "/" + uuid_text(uuid) + ".key";
}

Status read_master_key(const std::string& directory, const KeyUuid& uuid, MasterKey& key, std::string& message) {
  const std::string path = key_file_path(directory, uuid);
  std::vector<uint8_t> bytes;
  int error = 0;
  Status status = read_small_file(path, kKeyFileFixedSize + kMaxKeyDescriptionBytes, bytes, error);
  if (!status) {
    if (error == ENOENT || error == ENOTDIR) {
      message = "KMS key " + uuid_text(uuid) + " is not in " + directory + " (no file " + path + ")";
      return Status(StatusCode::kKmsNotFound, "key file not found");
    }
    if (error == EACCES || error == EPERM) {
      message = "this user may not read the key file " + path + " of KMS key " + uuid_text(uuid) +
                " (permission to read the key file is permission to use the key)";
      return Status(StatusCode::kKmsAccessDenied, "no permission to read the key file");
    }
    message = "cannot read the key file " + path + ": " + std::strerror(error);
    return Status(StatusCode::kInternalFailure, "cannot read the key file");
  }
  status = parse_key_file(bytes, key);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (!status) {
    message = "key file " + path + " is damaged: " + status.detail();
    return status;
  }
  if (key.uuid != uuid) {
    message = "key file " + path + " holds another key (" + uuid_text(key.uuid) + ")";
    return Status(StatusCode::kCorrupted, "key file holds another key");
  }
  return Status::ok();
}

KeyStore::KeyStore(std::string directory) : directory_(std::move(directory)) {}

void KeyStore::ensure_directory() const {
  // mkdir -p with 0700 for what we make: the key directory is private unless its owner opens it up.
  for (size_t slash = 1; slash <= directory_.size(); ++slash) {
    if (slash != directory_.size() && directory_[slash] != '/') continue;
    const std::string prefix = directory_.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) throw_errno(errno, "cannot create " + prefix);
  }
  const std::string aliases = directory_ + "/" + std::string(kAliasDirectory);
  if (::mkdir(aliases.c_str(), 0700) != 0 && errno != EEXIST) throw_errno(errno, "cannot create " + aliases);
}

KeyMetadata KeyStore::create_key(std::string_view description) { return make_key(description, KeyManager::kCustomer); }

KeyMetadata KeyStore::make_key(std::string_view description, KeyManager manager) {
  if (description.size() > kMaxKeyDescriptionBytes) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value at 'description' failed to satisfy "
                                              "constraint: Member must have length less than or equal to 8192");
  }
  ensure_directory();
  MasterKey key;
  if (RAND_bytes(key.uuid.data(), static_cast<int>(key.uuid.size())) != 1 ||
      RAND_bytes(key.material.data(), static_cast<int>(key.material.size())) != 1) {
    throw Error(StatusCode::kInternalFailure, "OpenSSL RAND_bytes failed");
  }
  key.uuid[6] = static_cast<uint8_t>((key.uuid[6] & 0x0f) | 0x40);  // version 4
  key.uuid[8] = static_cast<uint8_t>((key.uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
  key.creation_ns = now_ns();
  key.manager = manager;
  key.description = std::string(description);
  std::vector<uint8_t> bytes = serialize_key_file(key);
  write_new_file(key_file_path(directory_, key.uuid), bytes, false);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return metadata_of(key);
}

MasterKey KeyStore::load(const KeyUuid& uuid) const {
  MasterKey key;
  std::string message;
  if (Status status = read_master_key(directory_, uuid, key, message); !status) throw Error(status.code(), message);
  return key;
}

bool KeyStore::alias_target(std::string_view alias_name, KeyUuid& uuid) const {
  const std::string path = directory_ + "/" + std::string(kAliasDirectory) + "/" + alias_file_name(alias_name);
  std::vector<uint8_t> bytes;
  int error = 0;
  if (!read_small_file(path, 64, bytes, error)) {
    if (error == ENOENT || error == ENOTDIR) return false;
    throw_errno(error, "cannot read alias " + std::string(alias_name));
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.size() != 37 || text.back() != '\n' || !parse_uuid(text.substr(0, 36), uuid)) {
    throw Error(StatusCode::kCorrupted, "alias file " + path + " is damaged");
  }
  return true;
}

void KeyStore::write_alias(std::string_view alias_name, const KeyUuid& uuid, bool replace) {
  const std::string text = uuid_text(uuid) + "\n";
  const std::string path = directory_ + "/" + std::string(kAliasDirectory) + "/" + alias_file_name(alias_name);
  write_new_file(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), replace);
}

void KeyStore::create_alias(std::string_view alias_name, std::string_view target_key_id) {
  if (!valid_alias_name(alias_name)) {
    throw Error(StatusCode::kInvalidArgument, "1 validation error detected: Value '" + std::string(alias_name) +
                                                  "' at 'aliasName' failed to satisfy constraint: Member must satisfy "
                                                  "regular expression pattern: alias/[a-zA-Z0-9/_-]+");
  }
  if (alias_name.starts_with("alias/aws/")) {
    throw Error(StatusCode::kInvalidArgument, "Alias names that begin with alias/aws/ are reserved");
  }
  KeyUuid uuid;
  if (!parse_uuid(target_key_id, uuid)) {
    const std::string prefix = arn_prefix() + "key/";
    if (!target_key_id.starts_with(prefix) || !parse_uuid(target_key_id.substr(prefix.size()), uuid)) {
      not_found(target_key_id);  // an alias cannot name an alias, as in KMS
    }
  }
  (void)load(uuid);
  ensure_directory();
  try {
    write_alias(alias_name, uuid, false);
  } catch (const Error& error) {
    if (error.code() != StatusCode::kAlreadyExists) throw;
    throw Error(StatusCode::kAlreadyExists, "An alias with the name " + alias_arn(alias_name) + " already exists");
  }
}

std::vector<KeyMetadata> KeyStore::list_keys() const {
  std::vector<KeyMetadata> keys;
  DIR* directory = ::opendir(directory_.c_str());
  if (directory == nullptr) {
    if (errno == ENOENT) return keys;
    throw_errno(errno, "cannot list " + directory_);
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(directory)) {
    const std::string_view name = entry->d_name;
    KeyUuid uuid;
    if (name.size() == 40 && name.ends_with(".key") && parse_uuid(name.substr(0, 36), uuid)) names.emplace_back(name);
  }
  ::closedir(directory);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    KeyUuid uuid;
    (void)parse_uuid(std::string_view(name).substr(0, 36), uuid);
    MasterKey key;
    std::string message;
    if (read_master_key(directory_, uuid, key, message)) {
      keys.push_back(metadata_of(key));
    } else {
      KeyMetadata metadata;  // unreadable to this user: listed by id, as KMS lists keys one may not use
      metadata.key_id = uuid_text(uuid);
      metadata.arn = key_arn(uuid);
      keys.push_back(metadata);
    }
  }
  return keys;
}

std::vector<AliasEntry> KeyStore::list_aliases() const {
  std::vector<AliasEntry> aliases;
  const std::string path = directory_ + "/" + std::string(kAliasDirectory);
  DIR* directory = ::opendir(path.c_str());
  if (directory == nullptr) {
    if (errno == ENOENT) return aliases;
    throw_errno(errno, "cannot list " + path);
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(directory)) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || name.find(".tmp-") != std::string::npos) continue;
    std::replace(name.begin(), name.end(), '%', '/');
    names.push_back(std::string(kAliasPrefix) + name);
  }
  ::closedir(directory);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (!valid_alias_name(name)) continue;
    KeyUuid uuid;
    if (!alias_target(name, uuid)) continue;  // removed meanwhile
    struct stat status {};
    if (::stat((path + "/" + alias_file_name(name)).c_str(), &status) != 0) continue;
    aliases.push_back(AliasEntry{name, alias_arn(name), uuid_text(uuid), file_time_ns(status), file_time_ns(status)});
  }
  return aliases;
}

KeyUuid KeyStore::resolve(std::string_view key_id) {
  std::string_view rest = key_id;
  if (key_id.starts_with("arn:")) {
    const std::string prefix = arn_prefix();
    if (!key_id.starts_with(prefix)) not_found(key_id);  // another region or account
    rest = key_id.substr(prefix.size());
    if (rest.starts_with("key/")) {
      KeyUuid uuid;
      if (!parse_uuid(rest.substr(4), uuid)) not_found(key_id);
      return uuid;
    }
    if (!rest.starts_with(kAliasPrefix)) not_found(key_id);
  }
  KeyUuid uuid;
  if (rest.starts_with(kAliasPrefix)) {
    if (alias_target(rest, uuid)) return uuid;
    if (rest != kDefaultKinesisAlias) not_found(key_id);
    // The Kinesis default key, made on first use. Two makers race on the alias: the loser drops its key.
    const KeyMetadata made = make_key(kDefaultKeyDescription, KeyManager::kAws);
    KeyUuid made_uuid;
    (void)parse_uuid(made.key_id, made_uuid);
    try {
      write_alias(rest, made_uuid, false);
      return made_uuid;
    } catch (const Error& error) {
      if (error.code() != StatusCode::kAlreadyExists) throw;
      ::unlink(key_file_path(directory_, made_uuid).c_str());
      if (alias_target(rest, uuid)) return uuid;
      not_found(key_id);
    }
  }
  if (!parse_uuid(rest, uuid)) not_found(key_id);
  return uuid;
}

KeyMetadata KeyStore::describe_key(std::string_view key_id) { return metadata_of(load(resolve(key_id))); }

void KeyStore::set_enabled(std::string_view key_id, bool enabled) {
  const KeyUuid uuid = resolve(key_id);
  (void)load(uuid);
  const std::string path = key_file_path(directory_, uuid);
  FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (file.fd < 0) {
    if (errno == EACCES || errno == EPERM) {
      throw Error(StatusCode::kKmsAccessDenied, "this user may not change the key file " + path);
    }
    throw_errno(errno, "cannot open " + path);
  }
  // One aligned 2-byte write: readers see the old or the new state, never a mix.
  const uint16_t state = static_cast<uint16_t>(enabled ? KeyState::kEnabled : KeyState::kDisabled);
  if (::pwrite(file.fd, &state, sizeof state, kStateOffset) != sizeof state || ::fsync(file.fd) != 0) {
    throw_errno(errno, "cannot write " + path);
  }
}

MasterKey KeyStore::usable_key(std::string_view key_id, KeyUuid& uuid) {
  uuid = resolve(key_id);
  MasterKey key = load(uuid);
  if (key.state != KeyState::kEnabled) {
    throw Error(StatusCode::kKmsDisabled, "KMS key " + key_arn(uuid) + " is disabled");
  }
  return key;
}

}  // namespace shmstream::detail
