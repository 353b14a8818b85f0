#include "http_server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace shmstream::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

constexpr size_t kMaxHeaderBytes = 64 * 1024;

bool is_http_parse_error(const beast::error_code& error) {
  return error.category() == http::make_error_code(http::error::bad_target).category();
}

}  // namespace

class Session;

class HttpServer::State : public std::enable_shared_from_this<State> {
 public:
  State(const ServerOptions& options, std::shared_ptr<const Endpoint> endpoint)
      : options(options),
        endpoint(std::move(endpoint)),
        acceptor(io),
        signals(io, SIGINT, SIGTERM),
        retry(io),
        stop_deadline(io) {}

  void listen() {
    const tcp::endpoint address(net::ip::make_address(options.host), options.port);
    acceptor.open(address.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(address);
    acceptor.listen(net::socket_base::max_listen_connections);
  }

  void accept();
  void begin_stop();
  void wait_for_connections_to_close();

  ServerOptions options;
  std::shared_ptr<const Endpoint> endpoint;
  net::io_context io;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer retry;  // after a failed accept (EMFILE): try again shortly instead of spinning
  // After a stop, polls for the last connection to close; those still open at stop_until are cut, so the
  // stop takes at most read_timeout.
  net::steady_timer stop_deadline;
  std::chrono::steady_clock::time_point stop_until;
  // relaxed: a count polled by the stop; nothing else is read through it.
  std::atomic<size_t> open_sessions{0};
  // relaxed loads/stores: a late-seen stop only lets one more request of a connection through.
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;  // connection open/close only, never per request
  std::vector<std::weak_ptr<Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::State> server)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), server_(std::move(server)) {
    server_->open_sessions.fetch_add(1, std::memory_order_relaxed);
  }

  ~Session() { server_->open_sessions.fetch_sub(1, std::memory_order_relaxed); }

  void start() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // On stop: a connection between requests is closed; one inside a request finishes it first.
  void close_if_idle() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

 private:
  // Starts a timer for the current step; a step that completes first disarms it (the generation tells a
  // timer that fired late from the current one).
  void arm(std::chrono::milliseconds timeout) {
    const uint64_t generation = ++generation_;
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this(), generation](const beast::error_code& error) {
      if (error || generation != self->generation_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->socket_.cancel(ignored);
    });
  }

  void disarm() {
    ++generation_;
    timer_.cancel();
  }

  // Between requests the idle timeout applies; once a byte of the next request is here, the read timeout.
  void wait_for_request() {
    if (server_->stopping.load(std::memory_order_relaxed)) return close();
    parser_.emplace();
    parser_->body_limit(server_->options.max_request_bytes);
    parser_->header_limit(kMaxHeaderBytes);
    if (buffer_.size() > 0) return read_request();  // pipelined: the next request has begun
    idle_ = true;
    arm(server_->options.idle_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const beast::error_code& error) {
      self->idle_ = false;
      if (error) return self->close();  // idle timeout, stop, or the peer went away
      self->read_request();
    });
  }

  void read_request() {
    idle_ = false;
    arm(server_->options.read_timeout);
    http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](const beast::error_code& error, size_t) {
      self->on_request(error);
    });
  }

  void on_request(const beast::error_code& error) {
    const bool timed_out = timed_out_;
    disarm();
    if (error) return on_read_error(error, timed_out);
    HttpResponse response = server_->endpoint->respond(parser_->get());
    if (server_->stopping.load(std::memory_order_relaxed)) response.keep_alive(false);
    write(std::move(response));
  }

  WireFormat request_format() const {
    if (!parser_ || !parser_->is_header_done()) return WireFormat::kJson;
    const auto field = parser_->get().find(http::field::content_type);
    if (field == parser_->get().end()) return WireFormat::kJson;
    return wire_format_from_content_type(as_std(field->value())).value_or(WireFormat::kJson);
  }

  void on_read_error(const beast::error_code& error, bool timed_out) {
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    if (timed_out) {
      if (parser_ && (parser_->got_some() || buffer_.size() > 0)) {
        return write(Endpoint::error_response(
            http::status::request_timeout, "RequestTimeoutException",
            "The request was not received within " + std::to_string(server_->options.read_timeout.count()) + " ms",
            request_format(), version, false));
      }
      return close();
    }
    if (error == http::error::body_limit) {
      return write(Endpoint::error_response(
          http::status::payload_too_large, "RequestEntityTooLargeException",
          "The request body is larger than " + std::to_string(server_->options.max_request_bytes) + " bytes",
          request_format(), version, false));
    }
    if (error == http::error::header_limit) {
      return write(Endpoint::error_response(http::status::request_header_fields_too_large, "SerializationException",
                                            "The request headers are larger than " + std::to_string(kMaxHeaderBytes) +
                                                " bytes",
                                            request_format(), version, false));
    }
    if (error != http::error::end_of_stream && is_http_parse_error(error)) {
      return write(Endpoint::error_response(http::status::bad_request, "SerializationException",
                                            "Malformed HTTP request: " + error.message(), request_format(), version,
                                            false));
    }
    close();  // end of stream, reset, or cancelled by stop
  }

  void write(HttpResponse response) {
    auto message = std::make_shared<HttpResponse>(std::move(response));
    arm(server_->options.read_timeout);  // a client that does not take its response is not waited for
    http::async_write(socket_, *message,
                      [self = shared_from_this(), message](const beast::error_code& error, size_t) {
                        self->disarm();
                        if (error || !message->keep_alive()) return self->close();
                        self->wait_for_request();
                      });
  }

  void close() {
    disarm();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  std::shared_ptr<HttpServer::State> server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  uint64_t generation_ = 0;
  bool timed_out_ = false;
  bool idle_ = false;
};

void HttpServer::State::accept() {
  acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](const beast::error_code& error,
                                                                          tcp::socket socket) {
    if (self->stopping.load(std::memory_order_relaxed)) return;
    if (error) {
      self->retry.expires_after(std::chrono::milliseconds(50));
      self->retry.async_wait([self](const beast::error_code& cancelled) {
        if (!cancelled) self->accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(std::move(socket), self);
    {
      std::lock_guard lock(self->sessions_mutex);
      self->sessions.erase(std::remove_if(self->sessions.begin(), self->sessions.end(),
                                          [](const std::weak_ptr<Session>& entry) { return entry.expired(); }),
                           self->sessions.end());
      self->sessions.push_back(session);
    }
    session->start();
    self->accept();
  });
}

void HttpServer::State::begin_stop() {
  if (stopping.exchange(true, std::memory_order_relaxed)) return;
  net::post(io, [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor.close(ignored);
    self->signals.cancel(ignored);
    self->retry.cancel();
    std::vector<std::shared_ptr<Session>> open;
    {
      std::lock_guard lock(self->sessions_mutex);
      for (const auto& entry : self->sessions) {
        if (auto session = entry.lock()) open.push_back(std::move(session));
      }
    }
    for (const auto& session : open) session->close_if_idle();
    self->stop_until = std::chrono::steady_clock::now() + self->options.read_timeout;
    self->wait_for_connections_to_close();
  });
}

// Polled rather than signalled by the last connection, so no close can slip between a check and the wait.
void HttpServer::State::wait_for_connections_to_close() {
  const size_t open = open_sessions.load(std::memory_order_relaxed);
  if (open == 0) return;  // nothing left to wait for: io.run() returns once the handlers are done
  if (std::chrono::steady_clock::now() >= stop_until) {
    std::fprintf(stderr, "shmstream serve: %zu connection(s) still open at the stop deadline: cut\n", open);
    io.stop();
    return;
  }
  stop_deadline.expires_after(std::chrono::milliseconds(20));
  stop_deadline.async_wait([self = shared_from_this()](const beast::error_code& error) {
    if (!error) self->wait_for_connections_to_close();
  });
}

HttpServer::HttpServer(const ServerOptions& options, std::shared_ptr<const Endpoint> endpoint)
    : state_(std::make_shared<State>(options, std::move(endpoint))) {
  state_->listen();
}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const { return state_->acceptor.local_endpoint().port(); }

std::string HttpServer::host() const { return state_->acceptor.local_endpoint().address().to_string(); }

void HttpServer::run() {
  state_->signals.async_wait([state = state_](const beast::error_code& error, int) {
    if (!error) state->begin_stop();
  });
  state_->accept();
  unsigned threads = state_->options.threads;
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([this] { state_->io.run(); });
  state_->io.run();
  for (std::thread& thread : pool) thread.join();
}

void HttpServer::stop() { state_->begin_stop(); }

}  // namespace shmstream::cli
