// `shmstream serve`'s connections (docs/HTTP.md): Boost.Beast over Boost.Asio, one io_context run by a small
// pool of threads, one strand per connection. HTTP/1.1 keep-alive; each request is read whole (up to
// max_request_bytes, else 413), answered by Endpoint, written back. A connection that sends nothing for
// idle_timeout is closed; one that starts a request and does not finish it within read_timeout gets a 408
// with an AWS error body and is closed. stop() (also on SIGINT/SIGTERM) closes the listener and the idle
// connections, lets the requests in progress finish, and returns from run().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "endpoint.hpp"

namespace shmstream::cli {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4567;  // 0: any free port (port() tells which)
  unsigned threads = 0;  // 0: one per core, at most 8
  // The largest valid request is a PutRecords of 5 MiB of records, base64 in JSON (4/3), plus 500 partition
  // keys, hash keys and JSON punctuation.
  size_t max_request_bytes = size_t{8} << 20;
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
};

class HttpServer {
 public:
  HttpServer(const ServerOptions& options, std::shared_ptr<const Endpoint> endpoint);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address, after construction (which binds and listens).
  uint16_t port() const;
  std::string host() const;

  // Serves until stop() or SIGINT/SIGTERM; then waits for the requests in progress (at most read_timeout).
  void run();
  // Thread-safe; also from a signal handler's context through Asio's signal_set.
  void stop();

  class State;  // the io_context, listener and open connections (http_server.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace shmstream::cli
