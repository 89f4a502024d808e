#include "harness/live/http_server.h"

#include <charconv>

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

namespace bpsim::harness::live {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// One io_context per I/O thread, each run by that thread alone, and a connection
// lives on one of them: its handlers never run concurrently, so it needs no strand.
// Its socket and timer name the io_context's executor by its concrete type: a strand
// (a mutex and a shared_ptr copy per handler) and Beast's tcp_stream (a polymorphic
// any_io_executor, a timer operation per read and write) were ~15 % of the server's
// samples per answer (bench/README.md, "Issue 16, item 1").
using ConnectionExecutor = net::io_context::executor_type;
using ConnectionSocket = net::basic_stream_socket<tcp, ConnectionExecutor>;
using ConnectionTimer =
    net::basic_waitable_timer<std::chrono::steady_clock,
                              net::wait_traits<std::chrono::steady_clock>, ConnectionExecutor>;

bool ParseListenAddress(const std::string& text, ServerOptions* options) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || colon + 1 == text.size() ||
      port > 65535) {
    return false;
  }
  options->address = text.substr(0, colon);
  options->port = static_cast<std::uint16_t>(port);
  return true;
}

HttpResponse MakeJsonResponse(const HttpRequest& request, unsigned status, std::string body) {
  HttpResponse res{static_cast<http::status>(status), request.version()};
  res.set(http::field::server, "bpsim");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(request.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string ServerErrorBody(const std::string& code, const std::string& message) {
  nlohmann::ordered_json j;
  j["error"]["code"] = code;
  j["error"]["message"] = message;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void AppendResponseHead(const HttpResponse& response, std::string* out) {
  // As beast::http::basic_fields::writer: "HTTP/1.x NNN reason", then every field in
  // its order as "Name: value", each line ending CRLF, then an empty line.
  const unsigned version = response.version();
  out->append("HTTP/");
  out->push_back(char('0' + version / 10));
  out->push_back('.');
  out->push_back(char('0' + version % 10));
  out->push_back(' ');
  const unsigned status = response.result_int();
  out->push_back(char('0' + status / 100 % 10));
  out->push_back(char('0' + status / 10 % 10));
  out->push_back(char('0' + status % 10));
  out->push_back(' ');
  const boost::beast::string_view reason = response.reason();
  out->append(reason.data(), reason.size());
  out->append("\r\n");
  for (const auto& field : response) {
    const boost::beast::string_view name = field.name_string();
    const boost::beast::string_view value = field.value();
    out->append(name.data(), name.size());
    out->append(": ");
    out->append(value.data(), value.size());
    out->append("\r\n");
  }
  out->append("\r\n");
}

namespace {

HttpResponse ServerError(unsigned status, const std::string& code, const std::string& message) {
  HttpResponse res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "bpsim");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  res.keep_alive(false);
  res.body() = ServerErrorBody(code, message);
  res.prepare_payload();
  return res;
}

}  // namespace

void ConfigureRequestParser(const ServerOptions& options, HttpRequestParser* parser) {
  parser->body_limit(options.body_limit_bytes);
  parser->header_limit(options.header_limit_bytes);
}

std::optional<HttpResponse> ReadErrorResponse(const ServerOptions& options, beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return ServerError(413, "payload_too_large",
                       "request body exceeds " + std::to_string(options.body_limit_bytes) +
                           " bytes");
  }
  if (ec == http::error::header_limit) {
    return ServerError(431, "header_too_large",
                       "request header exceeds " + std::to_string(options.header_limit_bytes) +
                           " bytes");
  }
  // Cut short by the peer (or no request at all): nobody to answer.
  if (ec == http::error::partial_message || ec == http::error::end_of_stream) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return ServerError(400, "bad_request", "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;  // timeout, reset by peer, operation aborted
}

HttpResponse AnswerRequest(const HttpHandler& handler, const HttpRequest& request,
                           bool* handler_failed) {
  HttpResponse response;
  *handler_failed = false;
  try {
    response = handler(request);
  } catch (const ResetConnection&) {
    throw;
  } catch (const std::exception& e) {
    *handler_failed = true;
    response = MakeJsonResponse(request, 500, ServerErrorBody("internal_error", e.what()));
  } catch (...) {
    *handler_failed = true;
    response = MakeJsonResponse(request, 500, ServerErrorBody("internal_error", "handler failed"));
  }
  if (request.method() == http::verb::head) response.body().clear();
  return response;
}

namespace {

class Session;

// Every listener's open connections together, against ConnectionBudget().
std::atomic<std::uint32_t> g_open_connections{0};

}  // namespace

std::uint32_t ConnectionBudget() {
  static const std::uint32_t budget = [] {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::uint32_t{896};  // 1024 less 128
    if (limit.rlim_cur < limit.rlim_max) {
      rlimit raised = limit;
      // The kernel refuses more than fs.nr_open: an unlimited hard limit is tried as 2^20.
      raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_max;
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    const rlim_t files = std::min<rlim_t>(limit.rlim_cur, rlim_t{1} << 24);
    const rlim_t reserve = std::max<rlim_t>(std::min<rlim_t>(128, files / 2), files / 8);
    return static_cast<std::uint32_t>(std::max<rlim_t>(1, files - reserve));
  }();
  return budget;
}

struct HttpServer::State {
  ServerOptions options;
  HttpHandler handler;
  // No I/O object of its own: sessions on every io_context share it, and the
  // io_contexts are destroyed one after another (HttpServer::~HttpServer).
  std::uint32_t cap = 0;  // max_connections, at most ConnectionBudget()
  std::atomic<std::uint32_t> open_connections{0};
  std::atomic<std::uint64_t> accepted{0}, refused{0}, evicted{0}, requests{0}, bad_requests{0},
      timeouts{0}, handler_failures{0}, resets{0};
  // The connections waiting for a request, each list the longest waiting first:
  // [kFresh] those that have not had an answer yet (a new connection reading its
  // first request) and those lingering after their last answer; [kKeptAlive] those
  // that have had answers and wait for the next request. Intrusive lists (no
  // allocation per request), guarded by waiting_mu.
  enum Tier { kFresh = 0, kKeptAlive = 1 };
  std::mutex waiting_mu;
  Session* waiting_head[2] = {nullptr, nullptr};
  Session* waiting_tail[2] = {nullptr, nullptr};
  std::uint64_t waiting_count = 0;

  // At the cap, or the process at its budget: the point where a newcomer needs room.
  bool Full() const {
    return open_connections.load(std::memory_order_relaxed) >= cap ||
           g_open_connections.load(std::memory_order_relaxed) >= ConnectionBudget();
  }
  // Half the cap or the budget in use: read deadlines shorten.
  bool UnderPressure() const {
    return 2ull * open_connections.load(std::memory_order_relaxed) >= cap ||
           2ull * g_open_connections.load(std::memory_order_relaxed) >= ConnectionBudget();
  }
};

namespace {

using State = HttpServer::State;

// One connection: reads a request, answers it, repeats while keep-alive holds. Every
// handler of a session runs on its io_context's one thread (Run() and MakeRoom()
// reach it from the accepting thread through the waiting lists' lock and a post).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ConnectionSocket&& socket, std::shared_ptr<State> state)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), state_(std::move(state)) {}
  ~Session() {
    Unqueue();  // first: MakeRoom may be looking at this session under the lock
    state_->open_connections.fetch_sub(1);
    g_open_connections.fetch_sub(1);
  }

  // Waiting for its first request from the moment it is admitted (MakeRoom may pick
  // it before its io_context first runs it).
  void Run() {
    Queue(State::kFresh);
    net::post(socket_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // Closes the connection to make room for a newcomer (MakeRoom), unless it stopped
  // waiting since it was chosen (`wait` is the wait it was chosen in).
  void Evict(std::uint64_t wait) {
    if (wait != wait_) return;
    beast::error_code ignored;
    socket_.close(ignored);  // the pending read ends with operation_aborted
  }

  // Takes the longest-waiting connection off the listener's waiting lists (a fresh
  // or lingering one first, else a kept-alive one) and closes it on its own thread;
  // false if no connection is waiting.
  static bool MakeRoom(State& state) {
    std::shared_ptr<Session> victim;
    std::uint64_t wait = 0;
    {
      std::lock_guard<std::mutex> lock(state.waiting_mu);
      for (int tier = State::kFresh; tier <= State::kKeptAlive && !victim;) {
        Session* s = state.waiting_head[tier];
        if (s == nullptr) {
          ++tier;
          continue;
        }
        // Null if its last owner is gone (its destructor waits for the lock to unlink
        // it): then the next one.
        victim = s->weak_from_this().lock();
        wait = s->wait_;
        s->UnlinkLocked();
      }
    }
    if (!victim) return false;
    ConnectionExecutor executor = victim->socket_.get_executor();
    net::post(executor, [victim = std::move(victim), wait] { victim->Evict(wait); });
    return true;
  }

 private:
  // The waiting lists (State::waiting_head): a session joins one at the tail when
  // it starts waiting for a request (or lingers after its last answer) and leaves
  // it when the request is read. Each change starts a new wait (wait_), so an
  // eviction decided during one wait never closes the connection in a later one.
  void Queue(State::Tier tier) {
    std::lock_guard<std::mutex> lock(state_->waiting_mu);
    ++wait_;
    if (queued_) UnlinkLocked();
    tier_ = tier;
    prev_ = state_->waiting_tail[tier];
    next_ = nullptr;
    (prev_ != nullptr ? prev_->next_ : state_->waiting_head[tier]) = this;
    state_->waiting_tail[tier] = this;
    queued_ = true;
    ++state_->waiting_count;
  }
  void Unqueue() {
    std::lock_guard<std::mutex> lock(state_->waiting_mu);
    ++wait_;
    if (queued_) UnlinkLocked();
  }
  void UnlinkLocked() {
    (prev_ != nullptr ? prev_->next_ : state_->waiting_head[tier_]) = next_;
    (next_ != nullptr ? next_->prev_ : state_->waiting_tail[tier_]) = prev_;
    prev_ = next_ = nullptr;
    queued_ = false;
    --state_->waiting_count;
  }

  // The deadline of the wait that starts now.
  std::chrono::milliseconds Deadline() const {
    const ServerOptions& o = state_->options;
    return state_->UnderPressure() ? std::min(o.read_timeout, o.pressure_read_timeout)
                                   : o.read_timeout;
  }

  // Deadlines: the wait that starts now (a header, a body, a write, a lingering
  // close) must end within `limit`, or the socket is closed and the pending
  // operation ends with operation_aborted (timed_out_ set). Setting one is a store;
  // the timer is armed only when nothing earlier is pending, and when it fires
  // before the current deadline it waits again for that one. So a busy keep-alive
  // connection touches its timer about once per read_timeout, not twice per answer.
  void ExpiresAfter(std::chrono::milliseconds limit) {
    deadline_ = std::chrono::steady_clock::now() + limit;
    if (timer_armed_ && timer_.expiry() <= deadline_) return;  // fires first; waits on then
    ArmTimer();
  }
  void ArmTimer() {
    timer_armed_ = true;
    timer_.expires_at(deadline_);  // a pending wait (a later expiry) ends, ignored
    // A weak reference: the timer alone does not keep a finished connection open.
    timer_.async_wait([weak = weak_from_this(), arming = ++timer_armings_](beast::error_code ec) {
      std::shared_ptr<Session> self = weak.lock();
      if (!self || arming != self->timer_armings_) return;  // gone, or re-armed since
      self->timer_armed_ = false;
      if (ec) return;
      if (std::chrono::steady_clock::now() < self->deadline_) return self->ArmTimer();
      self->timed_out_ = true;
      beast::error_code ignored;
      self->socket_.close(ignored);
    });
  }

  // The header first, then (if there is one) the body, each within its deadline.
  void DoRead() {
    parser_.emplace();
    ConfigureRequestParser(state_->options, &*parser_);
    if (answered_) Queue(State::kKeptAlive);  // the first wait began in Run()
    ExpiresAfter(Deadline());
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec || parser_->is_done()) return OnRead(ec);
    ExpiresAfter(Deadline());
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    Unqueue();
    if (timed_out_) {
      state_->timeouts.fetch_add(1);
      return;  // the socket is already closed
    }
    if (ec == http::error::end_of_stream) return DoClose();
    if (ec) {
      if (auto error = ReadErrorResponse(state_->options, ec)) {
        state_->bad_requests.fetch_add(1);
        return Send(std::move(*error), true);
      }
      if (ec == http::error::partial_message) return DoClose();
      return;  // reset by peer, operation aborted (evicted): nothing to answer
    }
    HttpRequest request = parser_->release();
    bool failed = false;
    HttpResponse response;
    try {
      response = AnswerRequest(state_->handler, request, &failed);
    } catch (const ResetConnection&) {
      state_->resets.fetch_add(1);
      return Reset();
    }
    if (failed) {
      state_->handler_failures.fetch_add(1);
    } else {
      state_->requests.fetch_add(1);
    }
    const bool close = !response.keep_alive();
    Send(std::move(response), close);
  }

  // One response in flight per connection (requests are read one at a time), so the
  // session owns it and its head's bytes: no allocation per response once head_ has
  // grown. The head and the body go out in one gathered write (AppendResponseHead);
  // a response with Transfer-Encoding (chunked among them), which no handler makes
  // today, through Beast's serializer.
  void Send(HttpResponse&& response, bool close) {
    response_ = std::move(response);
    ExpiresAfter(Deadline());
    auto done = [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
      self->OnWrite(close, ec);
    };
    if (response_.count(http::field::transfer_encoding) != 0) {
      http::async_write(socket_, response_, std::move(done));
      return;
    }
    head_.clear();
    AppendResponseHead(response_, &head_);
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_),
                                                    net::buffer(response_.body())};
    net::async_write(socket_, buffers, std::move(done));
  }

  void OnWrite(bool close, beast::error_code ec) {
    if (ec) return;
    answered_ = true;
    if (close) return DoClose();
    DoRead();
  }

  // No answer: closes with a TCP reset (SO_LINGER 0), as the kernel of a crashed
  // process would.
  void Reset() {
    beast::error_code ignored;
    socket_.set_option(net::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  // Lingering close: after our last byte, read and discard what the peer still
  // sends (e.g. the rest of an oversized body) until it closes, for at most
  // kLingerTime and kLingerBytes. Closing with unread input would make the kernel
  // send a reset, which can destroy the error response before the peer reads it.
  // A lingering connection is on the waiting list: at the cap it makes room first.
  void DoClose() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    Queue(State::kFresh);
    ExpiresAfter(kLingerTime);
    DoDrain();
  }

  void DoDrain() {
    socket_.async_read_some(
        net::buffer(drain_),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          self->drained_bytes_ += n;
          if (ec || self->drained_bytes_ > kLingerBytes) return;
          self->DoDrain();
        });
  }

  static constexpr std::chrono::milliseconds kLingerTime{1000};
  static constexpr std::size_t kLingerBytes = 1 << 20;
  char drain_[4096];
  std::size_t drained_bytes_ = 0;

  ConnectionSocket socket_;
  ConnectionTimer timer_;
  std::chrono::steady_clock::time_point deadline_;  // of the current wait
  std::uint64_t timer_armings_ = 0;  // the timer's current wait is the one with this number
  bool timer_armed_ = false;
  bool timed_out_ = false;  // the timer closed the socket
  beast::flat_buffer buffer_;
  std::optional<HttpRequestParser> parser_;
  HttpResponse response_;
  std::string head_;  // response_'s status line and fields, as written
  std::shared_ptr<State> state_;
  bool answered_ = false;  // an answer has been written
  // The waiting lists; guarded by state_->waiting_mu. wait_ is also read without it
  // on the session's thread (Evict): it is written only in Run(), before the
  // session's io_context first runs it, and on that thread.
  Session* prev_ = nullptr;
  Session* next_ = nullptr;
  State::Tier tier_ = State::kFresh;
  bool queued_ = false;
  std::uint64_t wait_ = 0;
};

int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1 << 16;  // unknown: no limit
  return std::max(1, CPU_COUNT(&set));
}

// A new connection: admitted, at the cap by closing the longest-waiting one, or,
// when every connection is being answered, closed at once.
void Admit(const std::shared_ptr<State>& state, ConnectionSocket socket) {
  if (state->Full()) {
    if (!Session::MakeRoom(*state)) {
      state->refused.fetch_add(1);
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    state->evicted.fetch_add(1);
  }
  state->accepted.fetch_add(1);
  state->open_connections.fetch_add(1);
  g_open_connections.fetch_add(1);
  std::make_shared<Session>(std::move(socket), state)->Run();
}

bool OutOfFiles(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory || ec == beast::errc::too_many_files_open_in_system;
}

}  // namespace

// The acceptor, on an io_context and a thread of its own (a handler that blocks its
// I/O thread never holds up admitting, evicting or refusing a newcomer), and the
// I/O threads' io_contexts new connections are dealt to in turn. Only accept
// handlers own it (and the HttpServer): no session does, so the acceptor's
// io_context can go before the others (~HttpServer).
struct HttpServer::Listener {
  Listener(net::io_context& accepting, std::shared_ptr<State> s)
      : acceptor(accepting), accept_retry(accepting), state(std::move(s)) {}
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;  // out of file descriptors: accept again shortly
  std::shared_ptr<State> state;
  std::vector<net::io_context*> contexts;  // the I/O threads'; owned by the HttpServer
  std::size_t next = 0;                    // the io_context of the next connection
};

namespace {

void DoAccept(std::shared_ptr<HttpServer::Listener> listener) {
  HttpServer::Listener& l = *listener;
  net::io_context& context = *l.contexts[l.next];
  l.next = (l.next + 1) % l.contexts.size();
  l.acceptor.async_accept(
      context.get_executor(),
      [listener = std::move(listener)](beast::error_code ec, ConnectionSocket socket) mutable {
        HttpServer::Listener& l = *listener;
        if (ec == net::error::operation_aborted || !l.acceptor.is_open()) return;
        if (OutOfFiles(ec)) {
          // The process (or the system) is out of descriptors: the pending
          // connection stays in the backlog. Make room and accept again a little
          // later, rather than spin on the failing accept.
          Session::MakeRoom(*l.state);
          l.accept_retry.expires_after(std::chrono::milliseconds(10));
          l.accept_retry.async_wait([listener](beast::error_code wait_ec) {
            if (!wait_ec) DoAccept(listener);
          });
          return;
        }
        if (!ec) Admit(l.state, std::move(socket));
        DoAccept(std::move(listener));
      });
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                      HttpHandler handler) {
  // More I/O threads than CPUs this process may run on (taskset, cgroup cpusets)
  // only add context switches: a server pinned to one core runs one I/O thread.
  const int threads = std::max(1, std::min(options.io_threads, UsableCpus()));
  // The acceptor's first, then one per I/O thread. Concurrency hint 1: each is run
  // by one thread (handlers it posts to itself skip the lock); posts from other
  // threads (a new connection, an eviction) still lock.
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (int i = 0; i <= threads; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
  auto state = std::make_shared<State>();
  state->options = options;
  state->handler = std::move(handler);
  state->cap = options.max_connections == 0
                   ? ConnectionBudget()
                   : std::min(options.max_connections, ConnectionBudget());
  auto listener = std::make_shared<Listener>(*contexts[0], state);
  for (std::size_t i = 1; i < contexts.size(); ++i) listener->contexts.push_back(contexts[i].get());
  const std::string where = options.address + ":" + std::to_string(options.port);
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options.address, ec);
  if (ec) return Error{"cannot listen on " + where + ": invalid address"};
  tcp::endpoint endpoint{address, options.port};
  tcp::acceptor& acceptor = listener->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error{"cannot listen on " + where + ": " + ec.message()};

  std::unique_ptr<HttpServer> server(new HttpServer());
  server->port_ = acceptor.local_endpoint().port();
  server->address_ = options.address;
  server->state_ = state;
  server->listener_ = listener;
  DoAccept(std::move(listener));
  for (const auto& context : contexts) {
    server->threads_.emplace_back([c = context.get(), s = state.get()] {
      // Runs until Stop(), even while no connection is on this io_context.
      const auto work = net::make_work_guard(*c);
      // A fault in one handler invocation must not end the I/O thread.
      for (;;) {
        try {
          c->run();
          return;
        } catch (...) {
          s->handler_failures.fetch_add(1);
        }
      }
    });
  }
  server->contexts_ = std::move(contexts);
  return server;
}

HttpServer::~HttpServer() {
  Stop();
  // Destroying an io_context destroys its pending handlers, which own its sessions
  // (each holds a reference to the state, none to the listener). The acceptor's
  // goes first: its pending accept names an I/O thread's io_context, and no handler
  // of those owns the listener.
  listener_.reset();
  for (auto& context : contexts_) context.reset();
  state_.reset();
}

void HttpServer::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_ || !state_) return;
  stopped_ = true;
  for (auto& context : contexts_) context->stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  beast::error_code ec;
  listener_->acceptor.close(ec);
}

std::uint32_t HttpServer::max_connections() const { return state_->cap; }

ServerStats HttpServer::stats() const {
  ServerStats s;
  s.connections_accepted = state_->accepted.load();
  s.connections_refused = state_->refused.load();
  s.connections_evicted = state_->evicted.load();
  s.resets = state_->resets.load();
  s.requests = state_->requests.load();
  s.bad_requests = state_->bad_requests.load();
  s.timeouts = state_->timeouts.load();
  s.handler_failures = state_->handler_failures.load();
  std::lock_guard<std::mutex> lock(state_->waiting_mu);
  s.connections_waiting = state_->waiting_count;
  return s;
}

}  // namespace bpsim::harness::live
