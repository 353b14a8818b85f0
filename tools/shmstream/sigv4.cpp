#include "sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <stdexcept>

namespace shmstream::cli {
namespace {

constexpr int64_t kMaxClockSkewSeconds = 15 * 60;

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

std::string hex(const unsigned char* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    text.push_back(kDigits[bytes[i] >> 4]);
    text.push_back(kDigits[bytes[i] & 0xF]);
  }
  return text;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  return hex(digest, length);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw std::runtime_error("OpenSSL has no HMAC");
  EVP_MAC_CTX* context = EVP_MAC_CTX_new(mac);
  char digest_name[] = "SHA256";
  const OSSL_PARAM parameters[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  const bool ok = context != nullptr &&
                  EVP_MAC_init(context, reinterpret_cast<const unsigned char*>(key.data()), key.size(), parameters) == 1 &&
                  EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
                  EVP_MAC_final(context, out, &length, sizeof out) == 1;
  EVP_MAC_CTX_free(context);
  EVP_MAC_free(mac);
  if (!ok) throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), length);
}

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

// The path as botocore signs it for every service but S3: each byte outside the unreserved set and '/'
// percent-encoded (so an encoded path is encoded again).
std::string canonical_uri(std::string_view path) {
  if (path.empty()) return "/";
  static const char kDigits[] = "0123456789ABCDEF";
  std::string uri;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (unreserved(byte) || c == '/') {
      uri.push_back(c);
    } else {
      uri += {'%', kDigits[byte >> 4], kDigits[byte & 0xF]};
    }
  }
  return uri;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t equals = pair.find('=');
    if (!pair.empty()) {
      pairs.emplace_back(std::string(pair.substr(0, equals)),
                         equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  std::sort(pairs.begin(), pairs.end());
  std::string text;
  for (const auto& [key, value] : pairs) text += (text.empty() ? "" : "&") + key + "=" + value;
  return text;
}

// Header value as signed: trimmed, runs of spaces made one.
std::string canonical_value(std::string_view value) {
  std::string result;
  bool space = false;
  for (const char c : trim(value)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !result.empty()) result.push_back(' ');
    space = false;
    result.push_back(c);
  }
  return result;
}

std::string header_value(const SignedRequest& request, std::string_view name) {
  std::string value;
  bool found = false;
  for (const auto& [key, item] : request.headers) {
    if (lower(key) == name) {
      value += (found ? "," : "") + canonical_value(item);
      found = true;
    }
  }
  return value;
}

bool has_header(const SignedRequest& request, std::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return lower(header.first) == name; });
}

// "20261128T100000Z" -> epoch seconds; -1 when malformed.
int64_t parse_amz_date(std::string_view text) {
  std::tm time{};
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return -1;
  const std::string value(text);
  if (::strptime(value.c_str(), "%Y%m%dT%H%M%SZ", &time) == nullptr) return -1;
  return static_cast<int64_t>(::timegm(&time));
}

SignatureCheck refuse(std::string exception, std::string message) {
  return SignatureCheck{false, std::move(exception), std::move(message)};
}

}  // namespace

std::map<std::string, std::string> load_credentials(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read the credentials file " + path);
  std::map<std::string, std::string> secrets;
  std::string line, key_id, secret;
  int number = 0;
  const auto finish_section = [&] {
    if (key_id.empty() != secret.empty()) {
      throw std::runtime_error(path + ": a section has aws_access_key_id without aws_secret_access_key or the reverse");
    }
    if (!key_id.empty()) secrets[key_id] = secret;
    key_id.clear();
    secret.clear();
  };
  while (std::getline(file, line)) {
    ++number;
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      finish_section();
      continue;
    }
    const size_t equals = text.find('=');
    if (equals == std::string::npos) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": expected name = value");
    }
    const std::string name = lower(trim(text.substr(0, equals)));
    const std::string value = trim(text.substr(equals + 1));
    if (name == "aws_access_key_id") key_id = value;
    if (name == "aws_secret_access_key") secret = value;
  }
  finish_section();
  if (secrets.empty()) throw std::runtime_error(path + " has no aws_access_key_id / aws_secret_access_key pair");
  return secrets;
}

std::string sigv4_signature(const SignedRequest& request, const std::string& secret, std::string_view amz_date,
                            std::string_view scope, const std::vector<std::string>& signed_headers) {
  const size_t question = request.target.find('?');
  const std::string_view target(request.target);
  std::string canonical = request.method + "\n" + canonical_uri(target.substr(0, question)) + "\n" +
                          canonical_query(question == std::string::npos ? "" : target.substr(question + 1)) + "\n";
  std::string names;
  for (const std::string& name : signed_headers) {
    canonical += name + ":" + header_value(request, name) + "\n";
    names += (names.empty() ? "" : ";") + name;
  }
  canonical += "\n" + names + "\n" + sha256_hex(request.body);
  const std::string string_to_sign =
      "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" + sha256_hex(canonical);

  // scope: <date>/<region>/<service>/aws4_request
  std::string key = "AWS4" + secret;
  std::string_view rest = scope;
  for (int part = 0; part < 4; ++part) {
    const size_t slash = rest.find('/');
    key = hmac_sha256(key, rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  const std::string signature = hmac_sha256(key, string_to_sign);
  return hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

SignatureCheck verify_signature(const SignedRequest& request, const std::map<std::string, std::string>& secrets,
                                int64_t now_seconds) {
  if (!has_header(request, "authorization")) {
    return refuse("MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const std::string authorization = header_value(request, "authorization");
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
  if (authorization.rfind(kAlgorithm, 0) != 0) {
    return refuse("IncompleteSignatureException", "Authorization header requires the AWS4-HMAC-SHA256 algorithm");
  }
  std::map<std::string, std::string> fields;
  std::string_view rest = std::string_view(authorization).substr(kAlgorithm.size());
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string field = trim(rest.substr(0, comma));
    const size_t equals = field.find('=');
    if (equals != std::string::npos) fields[field.substr(0, equals)] = field.substr(equals + 1);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  for (const char* required : {"Credential", "SignedHeaders", "Signature"}) {
    if (!fields.count(required)) {
      return refuse("IncompleteSignatureException",
                    std::string("Authorization header requires '") + required + "' parameter");
    }
  }
  const std::string& credential = fields["Credential"];
  const size_t slash = credential.find('/');
  if (slash == std::string::npos || std::count(credential.begin(), credential.end(), '/') != 4 ||
      credential.substr(credential.rfind('/') + 1) != "aws4_request") {
    return refuse("IncompleteSignatureException",
                  "Credential should be scoped to a valid region and service: " + credential);
  }
  const std::string key_id = credential.substr(0, slash);
  const std::string scope = credential.substr(slash + 1);
  const auto secret = secrets.find(key_id);
  if (secret == secrets.end()) {
    return refuse("UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  const std::string amz_date = header_value(request, "x-amz-date");
  const int64_t signed_at = parse_amz_date(amz_date);
  if (signed_at < 0) return refuse("IncompleteSignatureException", "X-Amz-Date is missing or malformed: " + amz_date);
  if (amz_date.substr(0, 8) != scope.substr(0, 8)) {
    return refuse("InvalidSignatureException", "The credential date " + scope.substr(0, 8) +
                                                   " does not match X-Amz-Date " + amz_date);
  }
  if (std::llabs(now_seconds - signed_at) > kMaxClockSkewSeconds) {
    return refuse("InvalidSignatureException",
                  "Signature expired: " + amz_date + " is more than 15 minutes from the server's time");
  }
  std::vector<std::string> signed_headers;
  std::string_view names = fields["SignedHeaders"];
  while (!names.empty()) {
    const size_t semicolon = names.find(';');
    signed_headers.push_back(lower(names.substr(0, semicolon)));
    if (semicolon == std::string_view::npos) break;
    names.remove_prefix(semicolon + 1);
  }
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end()) {
    return refuse("InvalidSignatureException", "The Host header must be signed");
  }
  const std::string expected = sigv4_signature(request, secret->second, amz_date, scope, signed_headers);
  const std::string& given = fields["Signature"];
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return refuse("InvalidSignatureException",
                  "The request signature we calculated does not match the signature you provided. Check your AWS "
                  "Secret Access Key and signing method.");
  }
  return SignatureCheck{true, "", ""};
}

}  // namespace shmstream::cli
