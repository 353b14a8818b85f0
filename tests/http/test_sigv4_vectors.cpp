// SigV4 (tools/shmstream/sigv4.hpp) against the AWS Signature Version 4 test suite's published "get-vanilla"
// example: GET / with Host example.amazonaws.com and X-Amz-Date 20150830T123600Z, signed by AKIDEXAMPLE for
// us-east-1/service. test_sigv4_vectors.py checks the same expected signature with botocore's own signer.
#include <gtest/gtest.h>

#include <string>

#include "sigv4.hpp"

namespace {

using shmstream::cli::SignedRequest;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kAmzDate = "20150830T123600Z";
constexpr const char* kScope = "20150830/us-east-1/service/aws4_request";
constexpr const char* kSignature = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
constexpr int64_t kSignedAt = 1440938160;  // 2015-08-30T12:36:00Z

SignedRequest get_vanilla(const std::string& signature) {
  SignedRequest request;
  request.method = "GET";
  request.target = "/";
  request.headers = {{"Host", "example.amazonaws.com"},
                     {"X-Amz-Date", kAmzDate},
                     {"Authorization", std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") + kScope +
                                           ", SignedHeaders=host;x-amz-date, Signature=" + signature}};
  return request;
}

TEST(SigV4, GetVanillaSignatureIsThePublishedOne) {
  EXPECT_EQ(shmstream::cli::sigv4_signature(get_vanilla(""), kSecret, kAmzDate, kScope, {"host", "x-amz-date"}),
            kSignature);
}

TEST(SigV4, GetVanillaRequestIsAcceptedAsSigned) {
  const auto check = shmstream::cli::verify_signature(get_vanilla(kSignature), {{"AKIDEXAMPLE", kSecret}}, kSignedAt);
  EXPECT_TRUE(check.ok) << check.exception << ": " << check.message;
}

TEST(SigV4, GetVanillaIsRefusedWhenAnythingDiffers) {
  const std::map<std::string, std::string> secrets{{"AKIDEXAMPLE", kSecret}};
  std::string wrong = kSignature;
  wrong.back() = wrong.back() == '1' ? '2' : '1';
  EXPECT_EQ(shmstream::cli::verify_signature(get_vanilla(wrong), secrets, kSignedAt).exception,
            "InvalidSignatureException");
  SignedRequest other_host = get_vanilla(kSignature);
  other_host.headers[0].second = "example.amazonaws.org";
  EXPECT_EQ(shmstream::cli::verify_signature(other_host, secrets, kSignedAt).exception, "InvalidSignatureException");
  SignedRequest with_body = get_vanilla(kSignature);
  with_body.body = "x";
  EXPECT_EQ(shmstream::cli::verify_signature(with_body, secrets, kSignedAt).exception, "InvalidSignatureException");
  // 15 minutes of clock skew are allowed, not more.
  EXPECT_TRUE(shmstream::cli::verify_signature(get_vanilla(kSignature), secrets, kSignedAt + 15 * 60).ok);
  EXPECT_EQ(shmstream::cli::verify_signature(get_vanilla(kSignature), secrets, kSignedAt + 15 * 60 + 1).exception,
            "InvalidSignatureException");
  EXPECT_EQ(shmstream::cli::verify_signature(get_vanilla(kSignature), {{"AKIDOTHER", kSecret}}, kSignedAt).exception,
            "UnrecognizedClientException");
}

}  // namespace
