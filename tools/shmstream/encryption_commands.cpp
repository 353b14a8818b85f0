// Stream encryption: the local key service as `shmstream kms ...` (the commands and JSON of `aws kms`) and
// the Kinesis start-/stop-stream-encryption. `--key-dir` (any command) names the key directory; it sets
// $SHMSTREAM_KEY_DIR for the library, so every read and put path of this process uses the same keys.
#include <cstdlib>

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "common/aws_names.hpp"
#include "crypto/key_store.hpp"
#include "json_output.hpp"
#include "operation_command.hpp"
#include "stream_target.hpp"

namespace shmstream::cli {
namespace {

using detail::KeyMetadata;
using detail::KeyStore;

// KMS names its errors without the KMS prefix Kinesis gives them.
const char* kms_exception_name(StatusCode code) {
  switch (code) {
    case StatusCode::kKmsNotFound: return "NotFoundException";
    case StatusCode::kKmsDisabled: return "DisabledException";
    case StatusCode::kKmsAccessDenied:
    case StatusCode::kAccessDenied: return "AccessDeniedException";
    case StatusCode::kInvalidArgument: return "ValidationException";
    default: return exception_name(code);
  }
}

Json key_metadata_json(const KeyMetadata& key) {
  Json metadata;
  metadata["AWSAccountId"] = detail::aws::kAccountId;
  metadata["KeyId"] = key.key_id;
  metadata["Arn"] = key.arn;
  metadata["CreationDate"] = aws_timestamp(key.creation_ns);
  metadata["Enabled"] = key.enabled;
  metadata["Description"] = key.description;
  metadata["KeyUsage"] = "ENCRYPT_DECRYPT";
  metadata["KeyState"] = key.enabled ? "Enabled" : "Disabled";
  metadata["Origin"] = "AWS_KMS";
  metadata["KeyManager"] = key.aws_managed ? "AWS" : "CUSTOMER";
  metadata["CustomerMasterKeySpec"] = "SYMMETRIC_DEFAULT";
  metadata["KeySpec"] = "SYMMETRIC_DEFAULT";
  metadata["EncryptionAlgorithms"] = Json::array({"SYMMETRIC_DEFAULT"});
  metadata["MultiRegion"] = false;
  return Json{{"KeyMetadata", metadata}};
}

// Adds `kms <name>`; `body` runs with KMS error names.
void add_kms_command(CLI::App& kms, CommandTable& table, const std::string& name, const std::string& operation,
                     const std::string& description, const std::function<void(CLI::App&, Command&)>& setup,
                     std::function<void()> body) {
  Command& command = table.add(kms, name, operation, description);
  setup(*command.subcommand, command);
  command.run = [operation, body = std::move(body)] {
    try {
      body();
    } catch (const Error& error) {
      print_service_error(operation, kms_exception_name(error.code()), error.what());
      return kExitServiceError;
    }
    return kExitSuccess;
  };
}

void add_kms_commands(CLI::App& app, CommandTable& table) {
  CLI::App& kms = *app.add_subcommand("kms", "The local key service (the commands and JSON of `aws kms`)");
  kms.require_subcommand(1, 1);
  const auto none = [](CLI::App&, Command&) {};

  auto description = std::make_shared<std::string>();
  add_kms_command(
      kms, table, "create-key", "CreateKey", "Make a 256-bit master key in the key directory",
      [description](CLI::App& sub, Command&) { sub.add_option("--description", *description, "Description"); },
      [description] { print_json(key_metadata_json(KeyStore().create_key(*description))); });

  auto alias = std::make_shared<std::pair<std::string, std::string>>();
  add_kms_command(
      kms, table, "create-alias", "CreateAlias", "Name a key alias/NAME",
      [alias](CLI::App& sub, Command&) {
        sub.add_option("--alias-name", alias->first, "alias/NAME")->required();
        sub.add_option("--target-key-id", alias->second, "Key id or key ARN")->required();
      },
      [alias] { KeyStore().create_alias(alias->first, alias->second); });

  add_kms_command(kms, table, "list-keys", "ListKeys", "List the keys of the key directory", none, [] {
    Json keys = Json::array();
    for (const KeyMetadata& key : KeyStore().list_keys()) keys.push_back(Json{{"KeyId", key.key_id}, {"KeyArn", key.arn}});
    print_json(Json{{"Keys", keys}, {"Truncated", false}});
  });

  add_kms_command(kms, table, "list-aliases", "ListAliases", "List the aliases of the key directory", none, [] {
    Json aliases = Json::array();
    for (const detail::AliasEntry& entry : KeyStore().list_aliases()) {
      aliases.push_back(Json{{"AliasName", entry.alias_name},
                             {"AliasArn", entry.alias_arn},
                             {"TargetKeyId", entry.target_key_id},
                             {"CreationDate", aws_timestamp(entry.creation_ns)},
                             {"LastUpdatedDate", aws_timestamp(entry.last_updated_ns)}});
    }
    print_json(Json{{"Aliases", aliases}, {"Truncated", false}});
  });

  for (const auto& [name, operation, text] :
       {std::tuple<std::string, std::string, std::string>{"describe-key", "DescribeKey", "Describe a key"},
        {"disable-key", "DisableKey", "Disable a key: no stream can encrypt or decrypt with it until enabled"},
        {"enable-key", "EnableKey", "Enable a disabled key"}}) {
    auto key_id = std::make_shared<std::string>();
    const std::string command_name = name;
    add_kms_command(
        kms, table, name, operation, text,
        [key_id](CLI::App& sub, Command&) {
          sub.add_option("--key-id", *key_id, "Key id, key ARN, alias name or alias ARN")->required();
        },
        [key_id, command_name] {
          KeyStore keys;
          if (command_name == "describe-key") {
            print_json(key_metadata_json(keys.describe_key(*key_id)));
          } else {
            keys.set_enabled(*key_id, command_name == "enable-key");
          }
        });
  }
}

void add_stream_encryption_command(CLI::App& app, CommandTable& table, const GlobalOptions& global, bool start) {
  Command& command = start ? table.add(app, "start-stream-encryption", "StartStreamEncryption",
                                       "Encrypt the records put from now on with a KMS key")
                           : table.add(app, "stop-stream-encryption", "StopStreamEncryption",
                                       "Put records unencrypted from now on");
  CLI::App& sub = *command.subcommand;
  add_stream_target_flags(sub);
  sub.add_option("--encryption-type", "KMS")->required();
  sub.add_option("--key-id", "Key id, key ARN, alias name, alias ARN, or alias/aws/kinesis")->required();
  run_as_operation(command, global);
}

}  // namespace

void add_encryption_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  app.add_option_function<std::string>(
         "--key-dir",
         [](const std::string& directory) { ::setenv("SHMSTREAM_KEY_DIR", directory.c_str(), 1); },
         "Key directory (default $SHMSTREAM_KEY_DIR, else $XDG_CONFIG_HOME/shmstream/keys)");
  add_kms_commands(app, table);
  add_stream_encryption_command(app, table, global, true);
  add_stream_encryption_command(app, table, global, false);
}

}  // namespace shmstream::cli
