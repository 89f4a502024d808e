#pragma once
// The attacks of the [live] robustness tests (live_hostile_test.cc, live_starve_test.cc):
// malformed requests of many kinds and slow-loris connections, over real sockets on
// loopback.

#include <catch2/catch.hpp>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/live/canary.h"
#include "tests/harness/live_client.h"

namespace bpsim::harness::live::testing {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline const std::string kBase = "/open-banking/v3.1/aisp";

// One kind of bad request and what the server must answer to it: the status line's
// code ("400"), or "" for "closes without an answer" (a request the peer cut short).
struct Kind {
  std::string name;
  std::string expected;  // "400", "413", "431", "" or "400|" (either)
  std::function<std::string(std::mt19937&)> bytes;
};

inline std::vector<Kind> HostileKinds(std::uint32_t body_limit) {
  const std::string get = "GET " + kBase + "/accounts HTTP/1.1\r\nHost: a\r\n";
  auto fixed = [](std::string s) { return [s](std::mt19937&) { return s; }; };
  return {
      {"bad request line", "400", fixed("GARBAGE\r\n\r\n")},
      {"bad method", "400", fixed("G(T / HTTP/1.1\r\nHost: a\r\n\r\n")},
      {"bad version", "400", fixed("GET / HTTP/9.9\r\nHost: a\r\n\r\n")},
      {"control byte in target", "400", fixed("GET /\x01\x02 HTTP/1.1\r\nHost: a\r\n\r\n")},
      {"header without colon", "400", fixed(get + "Authorization Bearer x\r\n\r\n")},
      {"space in header name", "400", fixed(get + "Bad Header: x\r\n\r\n")},
      {"bare LF line ends", "400", fixed("GET / HTTP/1.1\nHost: a\n\n")},
      {"truncated header", "", fixed(get + "Authorization: Bea")},
      {"truncated body", "",
       fixed("POST " + kBase + "/account-access-consents HTTP/1.1\r\nHost: a\r\n"
             "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"Data\":")},
      {"bad chunk size", "400",
       fixed("POST /v1/consents HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
             "zz\r\nabc\r\n0\r\n\r\n")},
      {"chunk longer than its size", "400",
       fixed("POST /v1/consents HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
             "2\r\nabcdef\r\n0\r\n\r\n")},
      {"truncated chunked body", "",
       fixed("POST /v1/consents HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
             "10\r\nabc")},
      {"non-numeric Content-Length", "400", fixed(get + "Content-Length: abc\r\n\r\n")},
      {"negative Content-Length", "400", fixed(get + "Content-Length: -5\r\n\r\n")},
      {"two Content-Lengths", "400",
       fixed(get + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab")},
      {"body over the limit", "413",
       fixed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body_limit + 1) +
             "\r\n\r\n" + std::string(body_limit + 1, 'x'))},
      {"Content-Length far over the limit", "413",
       fixed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n")},
      {"chunked body over the limit", "413",
       fixed("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
             [&] {
               std::ostringstream hex;
               hex << std::hex << body_limit + 1;
               return hex.str();
             }() +
             "\r\n" + std::string(body_limit + 1, 'x') + "\r\n0\r\n\r\n")},
      {"oversized header", "431", fixed(get + "X-Big: " + std::string(20000, 'a') + "\r\n\r\n")},
      {"oversized target", "431", fixed("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n")},
      {"NUL bytes", "400", fixed(std::string("\0\0\0\0\r\n\r\n", 8))},
      {"binary garbage", "400|",
       [](std::mt19937& rng) {
         std::string s(1 + rng() % 600, '\0');
         for (char& c : s) c = static_cast<char>(rng() & 0xff);
         return s;
       }},
  };
}

// Sends `bytes` on a fresh connection, half-closes, and returns the code of the
// status line the server answered ("" for none: closed, reset or refused).
inline std::string SendBad(std::uint16_t port, const std::string& bytes) {
  try {
    std::string reply = testing::SendRaw(port, bytes);
    if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return reply.empty() ? "" : "?";
    return reply.substr(9, 3);
  } catch (const std::exception&) {
    return "";  // refused or reset before we finished writing
  }
}

// A connection that trickles a request header one byte every `gap`, far slower than
// the server's read timeout allows, and notes when the server cut it off.
class SlowLoris : public std::enable_shared_from_this<SlowLoris> {
 public:
  SlowLoris(net::io_context& ioc, milliseconds gap) : socket_(ioc), timer_(ioc), gap_(gap) {}

  void Start(std::uint16_t port, std::function<void(SlowLoris&)> on_closed) {
    on_closed_ = std::move(on_closed);
    started_ = Clock::now();
    boost::system::error_code ec;
    socket_.connect({net::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) return Closed();
    connected_ = true;
    socket_.async_read_some(net::buffer(buf_), [self = shared_from_this()](boost::system::error_code, std::size_t n) {
      self->answered_bytes_ += n;
      self->Closed();  // any answer or error: the server has given up on us
    });
    Trickle();
  }
  double seconds() const { return std::chrono::duration<double>(closed_ - started_).count(); }
  std::size_t sent() const { return sent_; }
  std::size_t answered_bytes() const { return answered_bytes_; }
  bool connected() const { return connected_; }

 private:
  void Trickle() {
    if (done_) return;
    if (sent_ >= header_.size()) sent_ = header_.size() - 4;  // never finish the header
    boost::system::error_code ec;
    socket_.write_some(net::buffer(&header_[sent_], 1), ec);
    if (ec) return;  // the read handler sees the closure
    ++sent_;
    timer_.expires_after(gap_);
    timer_.async_wait([self = shared_from_this()](auto ec) {
      if (!ec) self->Trickle();
    });
  }
  void Closed() {
    if (done_) return;
    done_ = true;
    closed_ = Clock::now();
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    on_closed_(*this);
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  milliseconds gap_;
  std::string header_ = "GET " + kBase + "/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " +
                        std::string(200, 'z') + "\r\n\r\n";
  std::size_t sent_ = 0, answered_bytes_ = 0;
  char buf_[256];
  bool done_ = false, connected_ = false;
  Clock::time_point started_, closed_;
  std::function<void(SlowLoris&)> on_closed_;
};

// `total` malformed or truncated requests of every kind of HostileKinds in turn,
// sent from `threads` threads, each on a connection of its own; `on_thread` runs
// first on each thread. A request that is due an answer and got none (refused, or
// its connection closed to make room during a flood) is sent again, up to 200 times.
class BadRequests {
 public:
  BadRequests(std::uint16_t port, std::uint32_t body_limit, int total, int threads,
              std::function<void()> on_thread = [] {})
      : kinds_(HostileKinds(body_limit)), total_(total) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, port, t, on_thread] {
        on_thread();
        std::mt19937 rng(1000 + t);
        std::map<std::string, std::map<std::string, int>> mine;
        for (int i; (i = next_.fetch_add(1)) < total_;) {
          const Kind& kind = kinds_[i % kinds_.size()];
          const std::string bytes = kind.bytes(rng);
          std::string code = SendBad(port, bytes);
          const bool answer_due = !kind.expected.empty() && kind.expected != "400|";
          for (int retry = 0; code.empty() && answer_due && retry < 200; ++retry) {
            retries_.fetch_add(1);
            std::this_thread::sleep_for(milliseconds(5));
            code = SendBad(port, bytes);
          }
          ++mine[kind.name][code];
        }
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [k, codes] : mine) {
          for (auto& [code, n] : codes) answers_[k][code] += n;
        }
      });
    }
  }
  ~BadRequests() { Join(); }
  // Every request has been taken by a sender (the last ones may still be in flight).
  bool all_taken() const { return next_.load() >= total_; }
  void Join() {
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // After Join: checks that every request got its kind's answer (a request cut short
  // got none) and returns how many were answered.
  int CheckAnswers() {
    int answered = 0;
    for (const Kind& kind : kinds_) {
      int sent = 0;
      for (const auto& [code, n] : answers_[kind.name]) {
        sent += n;
        bool ok = kind.expected == "400|" ? (code == "400" || code.empty()) : code == kind.expected;
        INFO(kind.name << ": answered '" << code << "' " << n << " times");
        CHECK(ok);
        if (ok && !code.empty()) answered += n;
      }
      CHECK(sent >= total_ / int(kinds_.size()));
    }
    INFO(answered << " bad requests answered; " << retries_.load() << " resent");
    CHECK(answered > total_ * 3 / 4);
    return answered;
  }

 private:
  const std::vector<Kind> kinds_;
  const int total_;
  std::atomic<int> next_{0}, retries_{0};
  std::mutex mu_;
  std::map<std::string, std::map<std::string, int>> answers_;  // kind -> code -> count
  std::vector<std::thread> threads_;
};

// The request of a well-behaved client of `w`'s OBIE bank: the balances of a
// customer's checking account with an authorised consent's token, and the answer
// it gets before any attack.
struct BalanceQuery {
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
};

inline BalanceQuery AuthorisedBalances(LiveWorld& w, Client& client) {
  auto [alice, bob] = w.Customers(0);
  (void)bob;
  auto created = client.Post(kBase + "/account-access-consents",
                             R"({"Data":{"Permissions":["ReadBalances"]},"Risk":{}})",
                             {{"x-bpsim-psu-id", std::to_string(alice)},
                              {"Authorization", "Bearer " + ClientToken(client)}});
  REQUIRE(created.status == 201);
  std::string id = created.json()["Data"]["ConsentId"];
  std::string token =
      client.Post("/__bpsim/consents/" + id + "/authorise", "").json()["access_token"];
  BalanceQuery q;
  q.target = kBase + "/accounts/" + AccountId("northbank", alice, AccountKind::kChecking) +
             "/balances";
  q.headers = {{"Authorization", "Bearer " + token}};
  auto first = client.Get(q.target, q.headers);
  REQUIRE(first.status == 200);
  REQUIRE(first.body.find("\"Amount\"") != std::string::npos);
  q.body = first.body;
  return q;
}

}  // namespace bpsim::harness::live::testing
