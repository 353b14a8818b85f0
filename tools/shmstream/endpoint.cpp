#include "endpoint.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <new>

#include "cli_errors.hpp"
#include "service_model.hpp"
#include "shmstream/clock.hpp"
#include "sigv4.hpp"

namespace shmstream::cli {
namespace {

// x-amzn-RequestId: unique per response of this process (the SDKs log it; nothing parses it).
std::string request_id() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t started = static_cast<uint64_t>(now_ns());
  // relaxed: only uniqueness matters, no other memory is published through the counter.
  const uint64_t sequence = counter.fetch_add(1, std::memory_order_relaxed);
  char text[48];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(started >> 32),
                static_cast<unsigned>((started >> 16) & 0xFFFF), static_cast<unsigned>(started & 0xFFFF),
                static_cast<unsigned>(sequence >> 48), static_cast<unsigned long long>(sequence & 0xFFFFFFFFFFFFull));
  return text;
}

HttpResponse make_response(http::status status, std::string body, WireFormat format, unsigned version,
                           bool keep_alive) {
  HttpResponse response{status, version};
  response.set(http::field::server, "shmstream");
  response.set(http::field::content_type, content_type_of(format));
  response.set("x-amzn-RequestId", request_id());
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

SignedRequest signed_view(const HttpRequest& request) {
  SignedRequest view;
  view.method = std::string(request.method_string());
  view.target = std::string(request.target());
  for (const auto& field : request) view.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  view.body = request.body();
  return view;
}

}  // namespace

http::status status_of(std::string_view exception) {
  if (exception == "InternalFailure" || exception == "CorruptedDataException" ||
      exception == "IncompatibleLayoutException" || exception == "StorageFullException") {
    return http::status::internal_server_error;
  }
  if (exception == "MissingAuthenticationTokenException") return http::status::forbidden;
  return http::status::bad_request;
}

Endpoint::Endpoint(Operations operations, std::optional<std::map<std::string, std::string>> secrets)
    : operations_(std::move(operations)), secrets_(std::move(secrets)) {}

HttpResponse Endpoint::error_response(http::status status, std::string_view exception, std::string_view message,
                                      WireFormat format, unsigned version, bool keep_alive) {
  return make_response(status, encode_error(exception, message, format), format, version, keep_alive);
}

HttpResponse Endpoint::respond(const HttpRequest& request) const {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const auto content_type = request.find(http::field::content_type);
  // The format of the request, and of the reply (JSON when the request's content type is unknown).
  const std::optional<WireFormat> given =
      content_type == request.end() ? std::nullopt : wire_format_from_content_type(as_std(content_type->value()));
  const bool known_format = given.has_value();
  const WireFormat wire = known_format ? *given : WireFormat::kJson;
  const WireFormat reply_format = wire;
  const auto fail = [&](std::string_view exception, std::string_view message) {
    return error_response(status_of(exception), exception, message, reply_format, version, keep_alive);
  };

  if (request.method() != http::verb::post) {
    return fail("UnknownOperationException", "The Kinesis API is served by POST requests only");
  }
  const auto target_field = request.find("X-Amz-Target");
  const std::string_view target = target_field == request.end() ? std::string_view() : as_std(target_field->value());
  if (target.substr(0, kTargetPrefix.size()) != kTargetPrefix) {
    return fail("UnknownOperationException", target.empty() ? "Missing X-Amz-Target header"
                                                            : "Unknown X-Amz-Target " + std::string(target));
  }
  const std::string operation(target.substr(kTargetPrefix.size()));
  const ServiceModel& model = ServiceModel::kinesis();
  if (!model.has_operation(operation) || !Operations::supports(operation)) {
    return fail("UnknownOperationException",
                model.has_operation(operation) ? operation + " is not supported by shmstream serve"
                                               : "Unknown operation " + operation);
  }
  if (!known_format) {
    return fail("SerializationException",
                "Content-Type must be application/x-amz-json-1.1 or application/x-amz-cbor-1.1, not " +
                    (content_type == request.end() ? std::string("missing") : std::string(content_type->value())));
  }
  if (secrets_) {
    const SignatureCheck check = verify_signature(signed_view(request), *secrets_, now_ns() / 1'000'000'000);
    if (!check.ok) return fail(check.exception, check.message);
  }

  try {
    if (std::string body; operations_.respond_to_body(operation, request.body(), wire, body)) {
      return make_response(http::status::ok, std::move(body), wire, version, keep_alive);
    }
    const Json input = decode_request(model, operation, request.body(), wire);
    return make_response(http::status::ok, operations_.respond(operation, input, wire), wire, version, keep_alive);
  } catch (const ServiceError& error) {
    return fail(error.exception_name(), error.what());
  } catch (const Error& error) {
    return fail(error.exception_name(), error.what());
  } catch (const std::bad_alloc&) {
    return fail("InternalFailure", "out of memory");
  } catch (const std::exception& error) {
    return fail("InternalFailure", error.what());
  }
}

}  // namespace shmstream::cli
