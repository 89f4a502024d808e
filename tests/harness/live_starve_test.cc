// No client can starve the server (issue 16): 2,000 slow-loris connections and
// 10,000 malformed requests against a bank's listener (bpsim serve's, in this
// process) and against `bpsim platform` (its own process), while a well-behaved
// client gets every answer within 100 ms, on its keep-alive connection and on new
// ones. Both listeners are below the lorises' number: the bank's through
// ServerOptions::max_connections, the platform's through its file limit (the
// process is started with 1,024 open files, so its cap is 896): the server must
// close the connections that have waited longest for an unfinished request to make
// room, and shorten its read deadlines under pressure. Real sockets on loopback.
//
// The attackers run at a lower priority (nice 10) on their threads: on the two
// cores they share with the server they stand in for clients on other machines,
// and what is judged is the server's scheduling of its connections, not the test's
// share of the CPU. The well-behaved client runs at normal priority.

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <thread>
#include <vector>

#include "tests/command.h"
#include "tests/harness/live_attack.h"
#include "tests/harness/live_client.h"
#include "tests/harness/live_processes.h"

namespace bpsim::harness::live {
namespace {

using testing::Client;
using testing::Clock;
using testing::milliseconds;
using testing::SlowLoris;
namespace net = testing::net;

constexpr int kLorises = 2000;
constexpr int kBadRequests = 10000;
// Seconds, every answer of the good client: 100 ms, the issue's bound, in the
// Release build. AddressSanitizer makes the server several times slower, and on two
// shared cores (load average 8-10) its worst answer was 118-496 ms, p99 6-7 ms:
// there the bound is 1 s, which still tells a starved client (refused, or waiting
// for a read deadline) from a served one.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kAnswerWithin = 1.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr double kAnswerWithin = 1.0;
#else
constexpr double kAnswerWithin = 0.100;
#endif
#else
constexpr double kAnswerWithin = 0.100;
#endif
constexpr double kAtLeast = 3.0;         // seconds the attack lasts, at the least

void AttackerPriority() {
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
}

// kLorises slow-loris connections kept open at all times: each trickles a header
// byte every 250 ms and never finishes it; when the server closes one (its read
// deadline, or to make room), another takes its place 250 ms later.
class LorisHorde {
 public:
  explicit LorisHorde(std::uint16_t port) : port_(port) {
    thread_ = std::thread([this] {
      AttackerPriority();
      for (int i = 0; i < kLorises; ++i) Start();
      ioc_.run();
    });
  }
  ~LorisHorde() { Stop(); }
  void Stop() {
    over_ = true;
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int most_open() const { return most_open_.load(); }
  int connections() const { return connections_.load(); }
  int answered() const { return answered_.load(); }

 private:
  void Start() {
    auto loris = std::make_shared<SlowLoris>(ioc_, milliseconds(250));
    loris->Start(port_, [this](SlowLoris& l) { Closed(l); });
    if (!loris->connected()) return;
    connections_.fetch_add(1);
    const int now = open_.fetch_add(1) + 1;
    if (now > most_open_.load()) most_open_.store(now);
  }
  void Closed(SlowLoris& l) {
    if (l.connected()) open_.fetch_sub(1);
    if (l.answered_bytes() > 0) answered_.fetch_add(1);
    if (over_.load()) return;
    auto wait = std::make_shared<net::steady_timer>(ioc_, milliseconds(250));
    wait->async_wait([this, wait](boost::system::error_code) { Start(); });
  }

  const std::uint16_t port_;
  net::io_context ioc_;
  std::atomic<bool> over_{false};
  std::atomic<int> open_{0}, most_open_{0}, connections_{0}, answered_{0};
  std::thread thread_;
};

// How the well-behaved client fared.
struct Latencies {
  std::vector<double> kept_alive, fresh;  // seconds per answer
  static double Worst(const std::vector<double>& v) {
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
  }
  double worst() const { return std::max(Worst(kept_alive), Worst(fresh)); }
  double percentile(double p) const {
    std::vector<double> all = kept_alive;
    all.insert(all.end(), fresh.begin(), fresh.end());
    if (all.empty()) return 0;
    std::sort(all.begin(), all.end());
    return all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))];
  }
};

// The attack on `port` (kLorises slow-loris connections and kBadRequests malformed
// requests, for at least kAtLeast seconds) while the well-behaved client asks
// `ask` on its keep-alive connection, and every 20th time on a new connection
// (connecting included in the time). `ask` checks the answer (REQUIRE).
Latencies Starve(std::uint16_t port, std::uint32_t body_limit,
                 const std::function<void(Client&)>& ask) {
  Client good(port);
  ask(good);  // before the attack
  Latencies lat;
  LorisHorde horde(port);
  testing::BadRequests bad(port, body_limit, kBadRequests, 3, AttackerPriority);
  const auto start = Clock::now();
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  for (int i = 1; !bad.all_taken() || seconds_since(start) < kAtLeast; ++i) {
    const auto t = Clock::now();
    if (i % 20 == 0) {
      Client fresh(port);
      ask(fresh);
      lat.fresh.push_back(seconds_since(t));
    } else {
      ask(good);
      lat.kept_alive.push_back(seconds_since(t));
    }
  }
  const double attack_seconds = seconds_since(start);
  bad.Join();
  INFO("attack lasted " << attack_seconds << " s; the lorises held up to "
                        << horde.most_open() << " connections at once, "
                        << horde.connections() << " in all");
  CHECK(horde.most_open() == kLorises);
  CHECK(horde.connections() >= kLorises);
  CHECK(horde.answered() == 0);  // a slow request is never answered, only closed
  horde.Stop();
  bad.CheckAnswers();
  // The server is still whole.
  Client after(port);
  ask(after);
  return lat;
}

void CheckLatencies(const Latencies& lat) {
  INFO("good client: " << lat.kept_alive.size() << " answers kept alive, " << lat.fresh.size()
                       << " on new connections; p50 " << lat.percentile(0.5) * 1000 << " ms, p99 "
                       << lat.percentile(0.99) * 1000 << " ms, worst "
                       << Latencies::Worst(lat.kept_alive) * 1000 << " ms kept alive, "
                       << Latencies::Worst(lat.fresh) * 1000 << " ms new");
  CHECK(lat.kept_alive.size() >= 200);
  CHECK(lat.fresh.size() >= 10);
  CHECK(lat.worst() < kAnswerWithin);
}

TEST_CASE("2,000 slow-loris connections and 10,000 bad requests do not starve a bank's client",
          "[live][starve]") {
  ServerOptions options;
  options.max_connections = 1500;
  testing::LiveWorld w(0, 0, options);
  // The test holds both ends of every connection.
  rlimit files{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  INFO("open files allowed: " << files.rlim_cur);
  REQUIRE(files.rlim_cur >= rlim_t{kLorises + options.max_connections + 1000});

  Client setup(w.obie_port);
  const testing::BalanceQuery balances = testing::AuthorisedBalances(w, setup);
  const Latencies lat = Starve(w.obie_port, options.body_limit_bytes, [&](Client& c) {
    auto r = c.Get(balances.target, balances.headers);
    REQUIRE(r.status == 200);
    REQUIRE(r.body == balances.body);
  });
  CheckLatencies(lat);

  // Past its cap the server made room rather than refuse, and refused nobody.
  const ServerStats stats = w.service->server_stats(0);
  INFO("accepted " << stats.connections_accepted << ", evicted " << stats.connections_evicted
                   << ", refused " << stats.connections_refused << ", timeouts "
                   << stats.timeouts);
  CHECK(stats.connections_evicted >= std::uint64_t(kLorises - options.max_connections));
  CHECK(stats.connections_refused == 0);
  CHECK(stats.handler_failures == 0);
}

TEST_CASE("2,000 slow-loris connections and 10,000 bad requests do not starve bpsim platform",
          "[live][platform][starve]") {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("bpsim-starve-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Banks and messenger that are never called: no customer links.
  const pid_t pid = bpsim::testing::Spawn(
      {"platform", "--listen", "127.0.0.1:0", "--port-file", (dir / "port").string(), "--banks",
       "northbank=obie:http://127.0.0.1:9/open-banking/v3.1/aisp", "--messenger",
       "http://127.0.0.1:9", "--poll-every", "0", "--segment-every", "0"},
      (dir / "platform.log").string(), "", 1024);
  const std::uint16_t port =
      static_cast<std::uint16_t>(std::stoi(bpsim::testing::WaitPortFile((dir / "port").string())));

  const Latencies lat = Starve(port, ServerOptions{}.body_limit_bytes, [](Client& c) {
    auto r = c.Get("/healthz");
    REQUIRE(r.status == 200);
    REQUIRE(r.body == R"({"status":"ok"})");
  });
  CheckLatencies(lat);

  ::kill(pid, SIGTERM);
  CHECK(bpsim::testing::WaitExit(pid, std::chrono::seconds(20)) == 0);
  const std::string log = bpsim::testing::Slurp((dir / "platform.log").string());
  INFO(log);
  // 1,024 open files less the reserve of 128.
  CHECK(log.find("(up to 896 connections)") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(log, m,
                            std::regex("platform: ([0-9]+) connections accepted, ([0-9]+) closed "
                                       "to make room at the cap, ([0-9]+) refused")));
  CHECK(std::stoull(m[2]) >= std::uint64_t(kLorises - 896));
  CHECK(m[3] == "0");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bpsim::harness::live
