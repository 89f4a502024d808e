// Live mode under attack (issue 5): 10,000 malformed or truncated requests, slow-loris
// connections and connection-limit floods against one bank's listener, while a
// well-behaved keep-alive client checks every answer it gets. Real sockets on
// loopback; the server's timeouts are shortened through ServerOptions so that the
// whole attack takes a few seconds even in Debug.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "harness/live/canary.h"
#include "tests/harness/live_attack.h"
#include "tests/harness/live_client.h"

namespace bpsim::harness::live {
namespace {

using testing::Client;
using testing::kBase;
using testing::LiveWorld;
using testing::SlowLoris;
namespace net = testing::net;
using tcp = testing::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST_CASE("10,000 bad requests, slow-loris and connection floods never disturb a keep-alive client",
          "[live][hostile]") {
  ServerOptions options;
  options.read_timeout = milliseconds(300);
  options.max_connections = 64;
  options.body_limit_bytes = 4096;
  LiveWorld w(0, 0, options);
  const std::uint16_t port = w.obie_port;

  // The well-behaved client: an authorised consent and one keep-alive connection.
  Client good(port);
  const testing::BalanceQuery balances = testing::AuthorisedBalances(w, good);

  std::atomic<bool> attack_over{false};
  const auto attack_start = Clock::now();

  // 1. 10,000 malformed or truncated requests from 6 threads, one connection each.
  constexpr int kBadRequests = 10000;
  testing::BadRequests bad(port, options.body_limit_bytes, kBadRequests, 6);

  // 2. Slow-loris: 16 connections at all times trickling one header byte every 40 ms
  // (the header needs > 10 s); each must be cut off by the 300 ms read timeout.
  constexpr int kLorises = 16;
  net::io_context loris_ioc;
  std::vector<double> cut_after;  // seconds from connect to the server's close
  int loris_refused = 0, loris_answered = 0;
  std::function<void(SlowLoris&)> on_closed;
  auto start_loris = [&] {
    std::make_shared<SlowLoris>(loris_ioc, milliseconds(40))->Start(port, on_closed);
  };
  on_closed = [&](SlowLoris& l) {
    if (l.answered_bytes() > 0) ++loris_answered;
    // Closed before the timeout could have fired: closed at the connection limit to
    // make room for a newcomer (a flood below fills every slot for a moment).
    if (l.seconds() < 0.2) {
      ++loris_refused;
    } else {
      cut_after.push_back(l.seconds());
    }
    if (attack_over.load()) return;
    // A loris closed early waits a little, so as not to spin while a flood lasts.
    auto wait = std::make_shared<net::steady_timer>(loris_ioc, milliseconds(25));
    wait->async_wait([wait, &start_loris](boost::system::error_code) { start_loris(); });
  };
  for (int i = 0; i < kLorises; ++i) start_loris();
  std::thread loris_thread([&] { loris_ioc.run(); });

  // 3. Connection-limit floods: about every second, open max_connections + 32 idle
  // connections at once; past its limit the server closes the connections that have
  // waited longest for a request to make room, and reclaims the others through its
  // read timeout.
  std::atomic<int> floods{0}, flood_connections{0};
  std::thread flooder([&] {
    while (!attack_over.load()) {
      net::io_context ioc;
      std::vector<tcp::socket> held;
      for (std::uint32_t i = 0; i < options.max_connections + 32; ++i) {
        held.emplace_back(ioc);
        boost::system::error_code ec;
        held.back().connect({net::ip::make_address("127.0.0.1"), port}, ec);
        if (!ec) flood_connections.fetch_add(1);
      }
      floods.fetch_add(1);
      std::this_thread::sleep_for(milliseconds(150));
      held.clear();
      for (int i = 0; i < 85 && !attack_over.load(); ++i) {
        std::this_thread::sleep_for(milliseconds(10));
      }
    }
  });

  // 4. Meanwhile the good client keeps asking for its balances on its one connection
  // and checks every answer.
  std::vector<double> good_at;  // seconds since the attack began
  while (!bad.all_taken()) {
    auto r = good.Get(balances.target, balances.headers);
    REQUIRE(r.status == 200);
    REQUIRE(r.body == balances.body);
    good_at.push_back(std::chrono::duration<double>(Clock::now() - attack_start).count());
  }
  bad.Join();
  const double attack_seconds =
      std::chrono::duration<double>(Clock::now() - attack_start).count();
  attack_over = true;
  flooder.join();
  loris_thread.join();  // the last lorises end by the server's timeout

  // The good client was answered throughout: many requests, no long silence.
  INFO("attack lasted " << attack_seconds << " s; good answers " << good_at.size());
  CHECK(good_at.size() >= 100);
  double longest_gap = good_at.empty() ? attack_seconds : good_at.front();
  for (std::size_t i = 1; i < good_at.size(); ++i) {
    longest_gap = std::max(longest_gap, good_at[i] - good_at[i - 1]);
  }
  CHECK(longest_gap < 2.0);

  // Every bad request got its proper answer (those refused during a flood were sent
  // again until they got in); a request cut short got none.
  const int answered = bad.CheckAnswers();

  // Slow-loris connections were cut off by the read timeout (or closed to make room
  // during a flood), and not much after it (slack for a loaded Debug build).
  INFO("slow-loris: " << cut_after.size() << " cut off, " << loris_refused << " refused");
  CHECK(cut_after.size() >= std::size_t(kLorises));
  CHECK(loris_answered == 0);
  for (double s : cut_after) {
    CHECK(s >= 0.2);
    CHECK(s < 3.0);
  }
  CHECK(floods.load() >= 1);

  // The server's own counts agree: it timed the lorises (and the idle flood
  // connections) out or closed them to make room at its limit, refused no newcomer
  // (there was always a connection waiting), answered the bad requests.
  const ServerStats stats = w.service->server_stats(0);
  CHECK(stats.timeouts + stats.connections_evicted >= cut_after.size());
  CHECK(stats.connections_evicted >= 1);
  CHECK(stats.connections_refused == 0);
  CHECK(stats.bad_requests >= std::uint64_t(answered));
  CHECK(stats.handler_failures == 0);
  CHECK(stats.requests >= good_at.size());
  // The server is still whole: a fresh connection is served.
  Client after(port);
  auto r = after.Get(balances.target, balances.headers);
  CHECK(r.status == 200);
  CHECK(r.body == balances.body);
}

// Found by fuzz_http: a request byte that is not UTF-8, echoed in a dialect's error
// message, made nlohmann's dump() throw, and the answer was the server's 500.
TEST_CASE("bytes that are not UTF-8 in a path or header get the dialect's answer, not a 500",
          "[live]") {
  LiveWorld w;
  auto [alice, bob] = w.Customers(0);
  (void)bob;
  auto body_of = [](const std::string& reply) { return reply.substr(reply.find("\r\n\r\n") + 4); };

  // OBIE: the customer header is echoed in the 400's Message.
  const std::string consent = R"({"Data":{"Permissions":["ReadBalances"]},"Risk":{}})";
  Client tpp(w.obie_port);
  std::string reply = testing::SendRaw(
      w.obie_port, "POST " + kBase + "/account-access-consents HTTP/1.1\r\nHost: a\r\n"
                   "Authorization: Bearer " + testing::ClientToken(tpp) + "\r\n"
                   "x-bpsim-psu-id: 1\xC3" "C\r\nContent-Type: application/json\r\n"
                   "Content-Length: " + std::to_string(consent.size()) + "\r\n\r\n" + consent);
  INFO(reply);
  REQUIRE(reply.rfind("HTTP/1.1 400 ", 0) == 0);
  auto obie = testing::Json::parse(body_of(reply));
  CHECK(obie["Errors"][0]["ErrorCode"] == "UK.OBIE.Header.Invalid");
  CHECK(obie["Message"].get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD

  // Berlin Group: the account id of the path is echoed in the 404's text.
  auto [carol, dave] = w.Customers(1);
  (void)dave;
  Client bg(w.bg_port);
  auto created = bg.Post("/v1/consents",
                         R"({"access":{"allPsd2":"allAccounts"},"recurringIndicator":false,)"
                         R"("frequencyPerDay":4,"validUntil":"2025-02-01","combinedServiceIndicator":false})",
                         {{"PSU-ID", std::to_string(carol)}});
  REQUIRE(created.status == 201);
  std::string id = created.json()["consentId"];
  std::string token = bg.Post("/__bpsim/consents/" + id + "/authorise", "").json()["access_token"];
  reply = testing::SendRaw(w.bg_port,
                           "GET /v1/accounts/X\xC3" "C/transactions?bookingStatus=booked HTTP/1.1\r\n"
                           "Host: a\r\nX-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\r\n"
                           "Authorization: Bearer " + token + "\r\nConsent-ID: " + id +
                               "\r\nConnection: close\r\n\r\n");
  INFO(reply);
  REQUIRE(reply.rfind("HTTP/1.1 404 ", 0) == 0);
  auto bgj = testing::Json::parse(body_of(reply));
  CHECK(bgj["tppMessages"][0]["code"] == "RESOURCE_UNKNOWN");
}

// Found by fuzz_http: a date far in the future overflowed simulated time (signed
// 64-bit nanoseconds) in ParseDateTime (undefined behaviour; caught by UBSan).
TEST_CASE("dates past 2200 are read as 2200-01-01, without overflow", "[live]") {
  const auto cap = ParseDateTime("2200-01-01");
  REQUIRE(cap.has_value());
  CHECK(ParseDateTime("9999-12-31") == cap);
  CHECK(ParseDateTime("4050-02-01T10:00:00Z") == cap);
  CHECK(ParseDateTime("2199-12-31") < cap);
  CHECK(FormatDateTime(*cap) == "2200-01-01T00:00:00+00:00");

  // Berlin Group's customary "until further notice" and a far OBIE booking window.
  LiveWorld w;
  auto [carol, dave] = w.Customers(1);
  (void)dave;
  Client bg(w.bg_port);
  auto created = bg.Post("/v1/consents",
                         R"({"access":{"balances":[]},"recurringIndicator":true,)"
                         R"("validUntil":"9999-12-31","frequencyPerDay":4,"combinedServiceIndicator":false})",
                         {{"PSU-ID", std::to_string(carol)}});
  CHECK(created.status == 201);
  auto [alice, bob] = w.Customers(0);
  (void)bob;
  Client obie(w.obie_port);
  auto consent = obie.Post(kBase + "/account-access-consents",
                           R"({"Data":{"Permissions":["ReadTransactionsDetail"],)"
                           R"("ExpirationDateTime":"9999-12-31T00:00:00Z"},"Risk":{}})",
                           {{"x-bpsim-psu-id", std::to_string(alice)},
                            {"Authorization", "Bearer " + testing::ClientToken(obie)}});
  REQUIRE(consent.status == 201);
  // Read without overflow, then clamped to the bank's maximum consent life.
  CHECK(consent.json()["Data"]["ExpirationDateTime"] == "2025-06-30T01:00:00+00:00");
  std::string id = consent.json()["Data"]["ConsentId"];
  std::string token =
      obie.Post("/__bpsim/consents/" + id + "/authorise", "").json()["access_token"];
  auto r = obie.Get(kBase + "/accounts/" + AccountId("northbank", alice, AccountKind::kCard) +
                        "/transactions?fromBookingDateTime=2025-01-01&toBookingDateTime=4050-02-01",
                    {{"Authorization", "Bearer " + token}});
  CHECK(r.status == 200);
}

}  // namespace
}  // namespace bpsim::harness::live
