// libFuzzer target over the request decoder of `shmstream serve` (tools/shmstream/wire_protocol.hpp) and its
// SigV4 Authorization parser (sigv4.hpp): the first byte picks an operation of the service model and the wire
// format (JSON 1.1 or CBOR 1.1), the rest is the body. A request must be decoded or refused with an AWS error
// (ServiceError / shmstream::Error), never crash or leak; what decodes is encoded back as a response of the
// same operation, through the shape walk that writes blobs and tagged timestamps.
//
// Differential checks (a mismatch aborts): a PutRecords body the direct decoder (put_records_request.hpp) takes
// must be one decode_request takes with the same members, and one the plain JSON scanner takes must be read
// alike by nlohmann's parser; the direct JSON writers of strings and timestamps
// must write what nlohmann's dump() writes.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cli_errors.hpp"
#include "put_records_request.hpp"
#include "service_model.hpp"
#include "shmstream/status.hpp"
#include "sigv4.hpp"
#include "text_codecs.hpp"
#include "wire_protocol.hpp"

namespace {

const std::vector<std::string>& operation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const auto& [name, operation] : shmstream::cli::ServiceModel::kinesis().document()["operations"].items()) {
      all.push_back(name);
    }
    return all;
  }();
  return names;
}

using shmstream::cli::Json;

void check(bool condition) {
  if (!condition) std::abort();
}

std::string_view bytes_of(const Json& blob) {
  return {reinterpret_cast<const char*>(blob.get_binary().data()), blob.get_binary().size()};
}

bool same_request(const shmstream::cli::PutRecordsWireRequest& a, const shmstream::cli::PutRecordsWireRequest& b) {
  if (a.has_stream_name != b.has_stream_name || a.has_stream_arn != b.has_stream_arn) return false;
  if ((a.has_stream_name && a.stream_name != b.stream_name) || (a.has_stream_arn && a.stream_arn != b.stream_arn)) {
    return false;
  }
  if (a.entries.size() != b.entries.size()) return false;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    if (a.entries[i].partition_key != b.entries[i].partition_key || a.entries[i].data != b.entries[i].data ||
        a.explicit_hash_keys[i] != b.explicit_hash_keys[i]) {
      return false;
    }
  }
  return true;
}

// What the direct decoder takes equals what decode_request makes of the same body; the plain JSON scanner
// takes only what nlohmann's parser reads alike.
void check_put_records_decoders(std::string_view body, shmstream::cli::WireFormat format) {
  using namespace shmstream::cli;
  thread_local PutRecordsWireRequest plain, direct;
  const bool plain_taken =
      format == WireFormat::kJson &&
      decode_put_records(ServiceModel::kinesis(), body, format, plain, PutRecordsJsonReader::kPlain);
  const bool taken = decode_put_records(ServiceModel::kinesis(), body, format, direct, PutRecordsJsonReader::kNlohmann);
  check(!plain_taken || (taken && same_request(plain, direct)));
  if (!taken) return;
  const Json request = decode_request(ServiceModel::kinesis(), "PutRecords", body, format);  // must not throw
  check(request.contains("StreamName") == direct.has_stream_name);
  check(!direct.has_stream_name || request["StreamName"] == direct.stream_name);
  check(request.contains("StreamARN") == direct.has_stream_arn);
  check(!direct.has_stream_arn || request["StreamARN"] == direct.stream_arn);
  const Json& records = request.at("Records");
  check(records.size() == direct.entries.size());
  for (size_t i = 0; i < records.size(); ++i) {
    check(records[i].at("PartitionKey") == direct.entries[i].partition_key);
    check(bytes_of(records[i].at("Data")) == direct.entries[i].data);
    const auto hash_key = records[i].find("ExplicitHashKey");
    check((hash_key == records[i].end() && direct.explicit_hash_keys[i].empty()) ||
          (hash_key != records[i].end() && *hash_key == direct.explicit_hash_keys[i]));
  }
}

void check_json_writers(std::string_view bytes) {
  using namespace shmstream::cli;
  if (is_utf8(bytes)) {
    std::string direct;
    append_json_string(bytes, direct);
    check(direct == Json(std::string(bytes)).dump());
  }
  int64_t ns = 0;
  std::memcpy(&ns, bytes.data(), std::min(bytes.size(), sizeof ns));
  ns /= 4;  // within the range wire_timestamp's millisecond arithmetic covers
  std::string timestamp;
  append_json_timestamp(ns, timestamp);
  check(timestamp == wire_timestamp(ns).dump());
  // A timestamp read back from what we write is its millisecond exactly (AT_TIMESTAMP with a record's own
  // ApproximateArrivalTimestamp finds that record), and so is a microsecond value as an SDK sends it.
  const int64_t millis = ns / 1'000'000 - (ns % 1'000'000 < 0 ? 1 : 0);
  check(timestamp_ns(Json::parse(timestamp)) == millis * 1'000'000);
  const int64_t micros = ns / 1000;
  check(timestamp_ns(Json(static_cast<double>(micros) / 1e6)) == micros * 1000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shmstream::cli;
  if (size < 1) return 0;
  const auto& names = operation_names();
  const std::string& operation = names[(data[0] >> 1) % names.size()];
  const WireFormat format = (data[0] & 1) != 0 ? WireFormat::kCbor : WireFormat::kJson;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  check_json_writers(body);
  try {
    if (operation == "PutRecords") check_put_records_decoders(body, format);
    const Json request = decode_request(ServiceModel::kinesis(), operation, body, format);
    (void)encode_response(ServiceModel::kinesis(), operation, request, format);
  } catch (const ServiceError&) {
    // refused with an AWS error: what a bad request must get
  } catch (const shmstream::Error&) {
  } catch (const nlohmann::json::exception&) {
    // a decoded request is not a response of the operation: the encoder may refuse it
  }
  SignedRequest signed_request;
  signed_request.method = "POST";
  signed_request.target = "/";
  signed_request.headers = {{"Host", "localhost"},
                            {"X-Amz-Date", "20261128T080000Z"},
                            {"Authorization", std::string(body.substr(0, 512))}};
  signed_request.body = body;
  (void)verify_signature(signed_request, {{"AKID", "secret"}}, 1'795'852'800);
  return 0;
}
