// Data-plane writes: put-record and put-records. Every flag is decoded and validated before the stream is
// touched, so a bad request writes nothing.
#include <nlohmann/json.hpp>

#include "command_helpers.hpp"
#include "common/aws_names.hpp"
#include "command_table.hpp"
#include "json_output.hpp"
#include "responses.hpp"
#include "shmstream/producer.hpp"
#include "text_codecs.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

std::string decode_base64_flag(std::string_view member, const std::string& text) {
  auto bytes = base64_decode(text);
  if (!bytes) {
    throw_invalid_argument("Invalid base64 in '" + std::string(member) + "': " + text.substr(0, 64) +
                           (text.size() > 64 ? "..." : ""));
  }
  return std::move(*bytes);
}

// A blob argument as AWS CLI v2 reads it: fileb:// is the file's bytes; anything else (inline or file://) is
// base64 text, or the raw text itself with --cli-binary-format raw-in-base64-out.
std::string blob_from_flag(std::string_view flag, const std::string& value, const std::string& binary_format) {
  const std::string text = load_parameter_value(flag, value);
  if (value.rfind("fileb://", 0) == 0 || binary_format == "raw-in-base64-out") return text;
  return decode_base64_flag(flag.substr(2), text);
}

void add_put_record(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "put-record", "PutRecord", "Write one record");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, partition_key, data, data_base64, explicit_hash_key, binary_format, ordering;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  sub.add_option("--partition-key", flags->partition_key, "Partition key, 1..256 Unicode characters")->required();
  CLI::Option* data = sub.add_option(
      "--data", flags->data,
      "Record data in base64 as in AWS CLI v2 (raw text with --cli-binary-format raw-in-base64-out; "
      "file://path reads the text, fileb://path the bytes)");
  CLI::Option* data_base64 = sub.add_option("--data-base64", flags->data_base64,
                                            "Record data in base64 whatever --cli-binary-format says");
  sub.add_option("--explicit-hash-key", flags->explicit_hash_key,
                 "Decimal hash key < 2^128 overriding the MD5 routing");
  sub.add_option("--cli-binary-format", flags->binary_format,
                 "base64 (default, as AWS CLI v2: --data is base64) or raw-in-base64-out (--data is the raw text)")
      ->check(CLI::IsMember({"raw-in-base64-out", "base64"}));
  sub.add_option("--sequence-number-for-ordering", flags->ordering,
                 "Accepted for compatibility: records of a shard are always in order");

  command.run = [flags, data, data_base64, &global] {
    if (data->count() > 0 && data_base64->count() > 0) {
      throw_invalid_argument("--data and --data-base64 cannot be used together");
    }
    if (data->count() == 0 && data_base64->count() == 0) {
      throw_invalid_argument("one of --data or --data-base64 is required");
    }
    std::string bytes;
    if (data_base64->count() > 0) {
      bytes = decode_base64_flag("data", load_parameter_value("--data-base64", flags->data_base64));
    } else {
      bytes = blob_from_flag("--data", flags->data, flags->binary_format);
    }
    std::optional<HashKey> hash_key;
    if (!flags->explicit_hash_key.empty()) hash_key = explicit_hash_key_from_text(flags->explicit_hash_key);

    Producer producer(Stream::open(flags->stream_name, global.resolved_root()));
    print_json(put_record_response(producer, flags->partition_key, bytes, hash_key ? &*hash_key : nullptr));
    return kExitSuccess;
  };
}

// The decoded form of one --records entry; owns the bytes PutRecordsEntry views point into.
struct DecodedRecord {
  std::string partition_key;
  std::string data;
  std::optional<HashKey> explicit_hash_key;
};

std::vector<DecodedRecord> decode_records_json(const std::string& text, const std::string& binary_format) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    throw_invalid_argument(std::string("Error parsing parameter '--records': Invalid JSON: ") + error.what());
  }
  if (!document.is_array()) throw_invalid_argument("Error parsing parameter '--records': expected a JSON list");
  std::vector<DecodedRecord> records;
  records.reserve(document.size());
  for (size_t i = 0; i < document.size(); ++i) {
    const nlohmann::json& entry = document[i];
    const std::string where = "records." + std::to_string(i + 1);
    if (!entry.is_object())
      throw_invalid_argument("Error parsing parameter '--records': " + where + " is not an object");
    for (const auto& [key, value] : entry.items()) {
      if (key != "Data" && key != "PartitionKey" && key != "ExplicitHashKey") {
        throw_invalid_argument("Parameter validation failed: Unknown parameter in " + where + ": \"" + key +
                               "\", must be one of: Data, PartitionKey, ExplicitHashKey");
      }
      if (!value.is_string()) {
        throw_invalid_argument("Parameter validation failed: Invalid type for parameter " + where + "." + key +
                               ", value: " + value.dump() + ", valid types: string");
      }
    }
    if (!entry.contains("Data") || !entry.contains("PartitionKey")) {
      throw_invalid_argument("Parameter validation failed: Missing required parameter in " + where +
                             ": \"Data\" and \"PartitionKey\" are required");
    }
    DecodedRecord record;
    record.data = binary_format == "raw-in-base64-out"
                      ? entry["Data"].get<std::string>()
                      : decode_base64_flag(where + ".Data", entry["Data"].get<std::string>());
    record.partition_key = entry["PartitionKey"].get<std::string>();
    if (entry.contains("ExplicitHashKey")) {
      record.explicit_hash_key = explicit_hash_key_from_text(entry["ExplicitHashKey"].get<std::string>());
    }
    records.push_back(std::move(record));
  }
  return records;
}

void add_put_records(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "put-records", "PutRecords", "Write up to 500 records in one request");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string stream_name, records, binary_format;
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  sub.add_option("--records", flags->records,
                 "JSON list of {\"Data\": base64, \"PartitionKey\": key, \"ExplicitHashKey\"?: decimal}, inline "
                 "or file://path.json")
      ->required();
  sub.add_option("--cli-binary-format", flags->binary_format,
                 "base64 (default): Data is base64; raw-in-base64-out: Data is the raw text, as in AWS CLI v2")
      ->check(CLI::IsMember({"raw-in-base64-out", "base64"}));

  command.run = [flags, &global] {
    const std::vector<DecodedRecord> records = decode_records_json(load_parameter_value("--records", flags->records), flags->binary_format);
    std::vector<PutRecordsEntry> entries;
    entries.reserve(records.size());
    for (const DecodedRecord& record : records) {
      entries.push_back({record.partition_key, record.data, record.explicit_hash_key});
    }
    Producer producer(Stream::open(flags->stream_name, global.resolved_root()));
    print_json(put_records_response(producer, entries));
    return kExitSuccess;
  };
}

}  // namespace

void add_record_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_put_record(app, table, global);
  add_put_records(app, table, global);
}

}  // namespace shmstream::cli
