// libFuzzer target over the request decoder of `shmstream serve` (tools/shmstream/wire_protocol.hpp) and its
// SigV4 Authorization parser (sigv4.hpp): the first byte picks an operation of the service model and the wire
// format (JSON 1.1 or CBOR 1.1), the rest is the body. A request must be decoded or refused with an AWS error
// (ServiceError / shmstream::Error), never crash or leak; what decodes is encoded back as a response of the
// same operation, through the shape walk that writes blobs and tagged timestamps.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli_errors.hpp"
#include "service_model.hpp"
#include "shmstream/status.hpp"
#include "sigv4.hpp"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shmstream::cli;
  if (size < 1) return 0;
  const auto& names = operation_names();
  const std::string& operation = names[(data[0] >> 1) % names.size()];
  const WireFormat format = (data[0] & 1) != 0 ? WireFormat::kCbor : WireFormat::kJson;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
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
