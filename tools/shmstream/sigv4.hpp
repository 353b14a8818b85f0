// AWS Signature Version 4 verification for `shmstream serve --credentials FILE` (docs/HTTP.md "Signatures"):
// the canonical request, string to sign and HMAC-SHA256 key derivation of the AWS SigV4 specification, with
// OpenSSL's EVP interfaces. Without --credentials the endpoint accepts any signature, as kinesalite does.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace shmstream::cli {

// Secret keys by access key id, from a file in the aws CLI's credentials format:
//   [default]
//   aws_access_key_id = AKIDEXAMPLE
//   aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
// (any number of sections). Throws std::runtime_error naming the file and line on anything else.
std::map<std::string, std::string> load_credentials(const std::string& path);

// What the verifier needs of a request.
struct SignedRequest {
  std::string method;
  std::string target;  // path and query as sent ("/", "/?a=b")
  std::vector<std::pair<std::string, std::string>> headers;  // names in any case, in the order received
  std::string_view body;
};

struct SignatureCheck {
  bool ok = false;
  std::string exception;  // MissingAuthenticationTokenException, IncompleteSignatureException,
                          // UnrecognizedClientException, InvalidSignatureException
  std::string message;
};

// Checks the Authorization header of `request` against `secrets` at time `now_seconds` (the request's
// X-Amz-Date must be within 15 minutes of it, as AWS requires).
SignatureCheck verify_signature(const SignedRequest& request, const std::map<std::string, std::string>& secrets,
                                int64_t now_seconds);

// The SigV4 signature (lower-case hex) of `request` for `secret`, with the credential scope and the signed
// header names the Authorization header gave; exposed for the unit test against the specification's example.
std::string sigv4_signature(const SignedRequest& request, const std::string& secret, std::string_view amz_date,
                            std::string_view scope, const std::vector<std::string>& signed_headers);

}  // namespace shmstream::cli
