#pragma once
// Live mode's HTTP/1.1 server (docs/live-mode.md): an acceptor on a thread of its own
// and I/O threads, each running an io_context of its own; connections are dealt to
// them in turn and stay on one thread (no strand), keep-alive. Sessions only move
// bytes; what to answer is a pure function from request to response (HttpHandler),
// with no socket in it.
//
// Robustness contract (docs/live-mode.md, "Server limits"):
//   - a request Beast cannot parse is answered 400 with a JSON error body, then the
//     connection is closed (the stream position is unknown after a parse error);
//   - a body over body_limit_bytes is answered 413, then the connection is closed;
//   - a request's header must arrive within its read deadline, then its body within
//     a fresh one; an idle keep-alive connection waits at most one. The deadline is
//     read_timeout, or pressure_read_timeout while at least half the connection cap
//     is open (set when each wait begins);
//   - the connection cap is max_connections, and never more than the process's file
//     limit allows (ConnectionBudget(), shared by every listener of the process).
//     At the cap a newcomer is admitted and the connection that has waited longest
//     for an unfinished request (an idle keep-alive connection, a slow header or
//     body, a lingering close) is closed to make room; only when every connection
//     is being answered is the newcomer closed at once. No client can hold the
//     listener by opening connections and sending nothing, or little;
//   - a handler that throws is answered 500; an error on one connection never
//     reaches another one or the acceptor.
// Server errors use the body {"error": {"code": CODE, "message": TEXT}}; dialect
// errors (OBIE, Berlin Group) are the handler's business.
//
// Thread safety: the handler runs concurrently on up to io_threads threads; it must
// do its own locking. Start/Stop/port/stats may be called from any thread.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/status.h"

namespace bpsim::harness::live {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Thrown by a handler that must not answer at all: the server resets the connection
// (no response, a TCP reset), as a peer sees a process that crashed with its request
// on the wire. Live mode's crashed banks and messenger (docs/live-mode.md,
// "Crashes").
struct ResetConnection {};

struct ServerOptions {
  std::string address = "127.0.0.1";  // loopback unless told otherwise
  std::uint16_t port = 0;             // 0 = an ephemeral port; see HttpServer::port()
  int io_threads = 2;  // at most the CPUs the process may run on (sched_getaffinity)
  std::uint32_t body_limit_bytes = 64 * 1024;
  std::uint32_t header_limit_bytes = 16 * 1024;
  // The deadline of each wait: for a request's header (or an idle keep-alive
  // connection's next one), for its body, for writing an answer.
  std::chrono::milliseconds read_timeout{5000};
  // ... while at least half the cap (or of ConnectionBudget()) is open.
  std::chrono::milliseconds pressure_read_timeout{1000};
  std::uint32_t max_connections = 0;  // 0: as many as ConnectionBudget() allows
};

struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // at the cap with no connection to close
  std::uint64_t connections_evicted = 0;  // closed at the cap to make room
  std::uint64_t requests = 0;             // answered by the handler
  std::uint64_t bad_requests = 0;         // 400 and 413 answered by the server
  std::uint64_t timeouts = 0;
  std::uint64_t handler_failures = 0;  // handler threw: answered 500
  std::uint64_t resets = 0;            // handler threw ResetConnection: no answer
  // Open now and waiting for a request (new, kept alive or lingering after the last
  // answer): the connections a newcomer at the cap may displace. A connection
  // rejoins them when the server has finished writing its answer, which can be a
  // moment after the client has read it.
  std::uint64_t connections_waiting = 0;
};

// How many connections the process's listeners may hold together: its file limit
// (RLIMIT_NOFILE; the first call raises the soft limit to the hard one) less a
// reserve for everything else the process opens (an eighth of it, at least 128).
std::uint32_t ConnectionBudget();

// The parser each request is read with: options' body and header limits.
using HttpRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
void ConfigureRequestParser(const ServerOptions& options, HttpRequestParser* parser);

// The server's own answer to a request it could not read (`ec` from reading with a
// parser set up by ConfigureRequestParser): 413 body over the limit, 431 header
// over the limit, 400 malformed, each with Connection: close. No answer
// (std::nullopt) when the peer closed, timed out or cut the request short.
std::optional<HttpResponse> ReadErrorResponse(const ServerOptions& options,
                                              boost::beast::error_code ec);

// The server's answer to a request it read: the handler's response, or 500 with the
// server's error body if the handler throws (then *handler_failed is set); a HEAD
// response loses its body. ResetConnection passes through (no answer). This is all the server does between reading a request
// and writing the answer; the HTTP fuzz target (tests/fuzz/fuzz_http.cc) calls it too.
HttpResponse AnswerRequest(const HttpHandler& handler, const HttpRequest& request,
                           bool* handler_failed);

// The bytes Beast's serializer writes before the body of `response` (status line,
// fields, blank line), appended to *out: the session writes them and the body as two
// buffers of one gathered write, which costs less than Beast's serializer (its
// buffer-sequence adaptors were ~8 % of the server's samples per answer). Only for a
// response without Transfer-Encoding (the session uses Beast's serializer for
// others). tests/harness/live_http_server_test.cc checks the bytes against Beast's.
void AppendResponseHead(const HttpResponse& response, std::string* out);

// "HOST:PORT" (PORT 0-65535, 0 = ephemeral) into options.address and options.port;
// false if malformed. Used by --listen of bpsim serve and bpsim platform.
bool ParseListenAddress(const std::string& text, ServerOptions* options);

// A JSON response with the request's version and keep-alive.
HttpResponse MakeJsonResponse(const HttpRequest& request, unsigned status, std::string body);
// The server's own error body: {"error":{"code":CODE,"message":MESSAGE}}.
std::string ServerErrorBody(const std::string& code, const std::string& message);

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. Errors (address in use, bad address)
  // come back as values: "cannot listen on 127.0.0.1:8080: Address already in use".
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                   HttpHandler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one when options.port was 0).
  std::uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  ServerStats stats() const;
  // The connection cap in force: max_connections, at most ConnectionBudget().
  std::uint32_t max_connections() const;
  // Closes the listener and every connection and joins the I/O threads. Idempotent.
  void Stop();

  struct State;
  struct Listener;

 private:
  HttpServer() = default;
  // The acceptor's, then one per I/O thread; each run by a thread of threads_.
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::shared_ptr<State> state_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  std::mutex stop_mu_;
  std::uint16_t port_ = 0;
  std::string address_;
  bool stopped_ = false;
};

}  // namespace bpsim::harness::live
