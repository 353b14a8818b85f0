// One HTTP request of the Kinesis wire protocol in, its HTTP response out (docs/HTTP.md): the target and
// content type are checked, the signature verified when credentials are configured, the body decoded against
// the service model, the operation run, and the response or the AWS error encoded in the request's format.
// No I/O: http_server.hpp reads and writes the connections.
#pragma once

#include <boost/beast/http.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "operations.hpp"
#include "wire_protocol.hpp"

namespace shmstream::cli {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// Beast's string_view (Boost's in Boost 1.74) as the standard one.
inline std::string_view as_std(boost::beast::string_view text) { return {text.data(), text.size()}; }

inline constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";

class Endpoint {
 public:
  // `secrets` (access key id -> secret key) turns on SigV4 verification; without it any signature is accepted.
  Endpoint(Operations operations, std::optional<std::map<std::string, std::string>> secrets);

  HttpResponse respond(const HttpRequest& request) const;

  // An AWS error response outside any operation (body too large, request too slow, malformed HTTP).
  static HttpResponse error_response(http::status status, std::string_view exception, std::string_view message,
                                     WireFormat format, unsigned version, bool keep_alive);

 private:
  Operations operations_;
  std::optional<std::map<std::string, std::string>> secrets_;
};

// The HTTP status of an AWS exception: 500 for the service's own failures, 400 for everything else.
http::status status_of(std::string_view exception);

}  // namespace shmstream::cli
