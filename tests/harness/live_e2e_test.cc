// The end-to-end test of live mode (issue 5): `bpsim serve --platform` and `bpsim
// platform` as two real processes on loopback, one bank per dialect, through
// scenarios/live/two-dialects.yaml (revocations through both channels, a bank
// outage, a messenger outage, fraud waves). A correct platform breaks no invariant;
// with a defect switched on in the platform process, exactly that defect's
// invariant fails, caught through the canaries in what reaches the messenger.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/command.h"

namespace {

using bpsim::testing::Spawn;
using bpsim::testing::WaitExit;
namespace fs = std::filesystem;
using Json = nlohmann::json;

bool PortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A first port of `n` consecutive free loopback ports.
int FreePorts(int n) {
  std::mt19937 rng(static_cast<unsigned>(::getpid()) ^
                   static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    int base = 20000 + static_cast<int>(rng() % 30000);
    bool all = true;
    for (int i = 0; i < n && all; ++i) all = PortFree(base + i);
    if (all) return base;
  }
  FAIL("no free loopback ports");
  return 0;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct LiveRun {
  int serve_exit = -1;
  int platform_exit = -1;
  Json scenario;  // report.json's scenarios[0]
  Json live;      // report.json's live (per-endpoint counts and latency)
  std::string serve_log, platform_log;
};

// `bpsim platform` runs with its default options (polls every 10 wall seconds): a
// shorter poll period once hid an alert that waited for the next poll.
LiveRun RunLive(const std::string& name, const std::vector<std::string>& defects,
                int time_scale = 1800) {
  const fs::path dir = fs::temp_directory_path() / ("bpsim-e2e-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int base = FreePorts(3);
  const std::string host = "http://127.0.0.1:";
  std::vector<std::string> platform_args = {
      "platform", "--listen", "127.0.0.1:0", "--port-file", (dir / "platform.port").string(),
      "--banks",
      "northbank=obie:" + host + std::to_string(base) + "/open-banking/v3.1/aisp,"
      "southbank=berlin-group:" + host + std::to_string(base + 1),
      "--messenger", host + std::to_string(base + 2)};
  for (const std::string& d : defects) {
    platform_args.push_back("--defect");
    platform_args.push_back(d);
  }
  LiveRun run;
  pid_t platform = Spawn(platform_args, (dir / "platform.log").string());
  std::string port;
  for (int i = 0; i < 200 && port.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    port = Slurp((dir / "platform.port").string());
    if (!port.empty() && port.back() != '\n') port.clear();  // not completely written yet
  }
  REQUIRE_FALSE(port.empty());
  port.pop_back();
  pid_t serve = Spawn({"serve", BPSIM_SOURCE_DIR "/scenarios/live/two-dialects.yaml", "--listen",
                       "127.0.0.1:" + std::to_string(base), "--time-scale", std::to_string(time_scale),
                       "--platform", host + port, "--out", (dir / "out").string()},
                      (dir / "serve.log").string());
  run.serve_exit = WaitExit(serve, std::chrono::seconds(180));
  ::kill(platform, SIGTERM);
  run.platform_exit = WaitExit(platform, std::chrono::seconds(20));
  run.serve_log = Slurp((dir / "serve.log").string());
  run.platform_log = Slurp((dir / "platform.log").string());
  std::string report = Slurp((dir / "out" / "report.json").string());
  INFO("serve log:\n" << run.serve_log << "\nplatform log:\n" << run.platform_log);
  REQUIRE_FALSE(report.empty());
  Json parsed = Json::parse(report);
  run.scenario = parsed["scenarios"][0];
  run.live = parsed.value("live", Json::object());
  return run;
}

// The invariants with at least one violation.
std::set<std::string> Fired(const Json& scenario) {
  std::set<std::string> out;
  for (const Json& e : scenario["expectations"]) {
    if (e.value("fired", 0) > 0) out.insert(e["name"].get<std::string>());
  }
  return out;
}

void CheckClean(const LiveRun& run) {
  INFO("serve log:\n" << run.serve_log << "\nplatform log:\n" << run.platform_log
                      << "\nreport: " << run.scenario.dump(1).substr(0, 6000));
  CHECK(run.serve_exit == 0);
  CHECK(run.platform_exit == 0);
  CHECK(run.scenario["verdict"] == "pass");
  CHECK(Fired(run.scenario).empty());
  const Json& m = run.scenario["metrics"];
  // The path was really exercised: consents over both dialects, data requested over
  // HTTP, revocations, labelled flows into the messenger, balance replies and fraud
  // alerts shown through the messenger, and every contract call answered.
  CHECK(m["consents_granted"].get<double>() >= 100);
  CHECK(m["consents_revoked"].get<double>() >= 5);
  CHECK(m["api_requests"].get<double>() >= 100);
  CHECK(m["balance_answered"].get<double>() >= 20);
  CHECK(m["fraud_alerts_displayed"].get<double>() >= 5);
  CHECK(m["alerts_lost"].get<double>() == 0);
  std::set<std::string> listeners, platform_routes;
  for (const Json& e : run.live["endpoints"]) {
    listeners.insert(e["listener"].get<std::string>());
    if (e["listener"] == "platform") {
      platform_routes.insert(e["route"].get<std::string>());
      CHECK(e["failed"].get<double>() == 0);
    }
  }
  CHECK(listeners == std::set<std::string>{"northbank", "southbank", "messenger", "platform"});
  // The status metrics are the banks' answers, as their /metrics counters show them
  // for the data routes (GET .../accounts...). Berlin Group answers a consent the
  // bank refuses with 401 where the trace keeps the bank's 403: compare 401 + 403.
  std::map<std::string, double> http;
  for (const Json& e : run.live["endpoints"]) {
    const std::string route = e["route"];
    const bool data_route = route.rfind("GET /accounts", 0) == 0 ||
                            route.rfind("GET /v1/accounts", 0) == 0;
    if (e["listener"] == "messenger" || e["listener"] == "platform" || !data_route) continue;
    for (const auto& [status, n] : e["statuses"].items()) http[status] += n.get<double>();
  }
  CHECK(http["200"] > 100);
  CHECK(m["api_ok_200"].get<double>() == http["200"]);
  CHECK(m["api_denied_401"].get<double>() + m["api_denied_403"].get<double>() ==
        http["401"] + http["403"]);
  CHECK(m["api_throttled_429"].get<double>() == http["429"]);
  CHECK(m["api_errors_500"].get<double>() == http["500"]);
  CHECK(m["api_unavailable_503"].get<double>() == http["503"]);
  CHECK(platform_routes == std::set<std::string>{"POST /v1/links", "POST /v1/link-callback",
                                                 "POST /v1/balance-requests",
                                                 "POST /v1/revocations", "POST /v1/webhooks"});
}

}  // namespace

// The same world at two time scales: a simulated hour is two wall seconds, then six.
TEST_CASE("live end to end: a correct platform process breaks no invariant (time scale 1800)",
          "[live][e2e]") {
  CheckClean(RunLive("clean1800", {}, 1800));
}

TEST_CASE("live end to end: a correct platform process breaks no invariant (time scale 600)",
          "[live][e2e]") {
  CheckClean(RunLive("clean600", {}, 600));
}

TEST_CASE("live end to end: platform.shares_with_partner is caught through canaries", "[live][e2e]") {
  LiveRun run = RunLive("partner", {"platform.shares_with_partner"});
  INFO("serve log:\n" << run.serve_log << "\nplatform log:\n" << run.platform_log);
  CHECK(run.serve_exit == 1);
  CHECK(Fired(run.scenario) == std::set<std::string>{"no-third-party-sharing"});
}

TEST_CASE("live end to end: platform.group_chat_leak is caught through canaries", "[live][e2e]") {
  LiveRun run = RunLive("group", {"platform.group_chat_leak"});
  INFO("serve log:\n" << run.serve_log << "\nplatform log:\n" << run.platform_log);
  CHECK(run.serve_exit == 1);
  CHECK(Fired(run.scenario) == std::set<std::string>{"subject-isolation"});
}
