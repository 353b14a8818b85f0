// serve: the Kinesis HTTP endpoint for boto3, the aws CLI, the AWS SDKs and the KCL (docs/HTTP.md).
#include <iostream>

#include "command_helpers.hpp"
#include "command_table.hpp"
#include "http_server.hpp"
#include "sigv4.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

std::chrono::milliseconds timeout_flag(std::string_view flag, const std::string& text) {
  const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(flag, text));
  if (duration < std::chrono::milliseconds(10) || duration > std::chrono::hours(24)) {
    throw_invalid_argument(std::string(flag) + " must be between 10ms and 24h, not " + text);
  }
  return duration;
}

}  // namespace

void add_serve_command(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "serve", "Serve",
                               "Serve the Kinesis API over HTTP (JSON and CBOR) for boto3, the aws CLI, SDKs and the KCL");
  CLI::App& sub = *command.subcommand;
  struct Flags {
    std::string host = "127.0.0.1";
    long long port = 4567;
    long long threads = 0;
    std::string credentials, max_request_bytes, read_timeout = "30s", idle_timeout = "60s";
  };
  auto flags = std::make_shared<Flags>();
  sub.add_option("--host", flags->host, "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)");
  integer_as_given(sub.add_option("--port", flags->port, "TCP port (default 4567; 0 picks a free one)"));
  integer_as_given(sub.add_option("--threads", flags->threads, "Worker threads (default one per core, at most 8)"));
  sub.add_option("--credentials", flags->credentials,
                 "Verify SigV4 signatures against the keys of this file (aws credentials format); default: accept "
                 "any signature");
  sub.add_option("--max-request-bytes", flags->max_request_bytes,
                 "Largest request body, e.g. 8MiB (the default: a full PutRecords in base64)");
  sub.add_option("--read-timeout", flags->read_timeout, "Time a started request has to arrive whole (default 30s)");
  sub.add_option("--idle-timeout", flags->idle_timeout, "Time a keep-alive connection may wait idle (default 60s)");

  command.run = [flags, &global] {
    check_range("--port", flags->port, 0, 65535);
    check_range("--threads", flags->threads, 0, 256);
    ServerOptions options;
    options.host = flags->host;
    options.port = static_cast<uint16_t>(flags->port);
    options.threads = static_cast<unsigned>(flags->threads);
    if (!flags->max_request_bytes.empty()) {
      options.max_request_bytes = parse_byte_size("--max-request-bytes", flags->max_request_bytes);
      if (options.max_request_bytes < 1024) throw_invalid_argument("--max-request-bytes must be at least 1KiB");
    }
    options.read_timeout = timeout_flag("--read-timeout", flags->read_timeout);
    options.idle_timeout = timeout_flag("--idle-timeout", flags->idle_timeout);
    std::optional<std::map<std::string, std::string>> secrets;
    if (!flags->credentials.empty()) {
      try {
        secrets = load_credentials(flags->credentials);
      } catch (const std::runtime_error& error) {
        throw_invalid_argument(error.what());
      }
    }
    auto endpoint = std::make_shared<const Endpoint>(Operations(global.resolved_root()), std::move(secrets));
    std::unique_ptr<HttpServer> server;
    try {
      server = std::make_unique<HttpServer>(options, endpoint);
    } catch (const boost::system::system_error& error) {
      throw_invalid_argument("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                             error.code().message());
    }
    // Scripts and tests read the address from this line (with --port 0 it is the only way to learn the port).
    std::cout << "shmstream serve: listening on http://" << server->host() << ":" << server->port() << " (root "
              << global.resolved_root() << (flags->credentials.empty() ? ", any signature" : ", SigV4 verified")
              << ")" << std::endl;
    server->run();
    std::cout << "shmstream serve: stopped" << std::endl;
    return kExitSuccess;
  };
}

}  // namespace shmstream::cli
