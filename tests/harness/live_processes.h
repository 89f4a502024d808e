#pragma once
// Live mode as a user runs it, for the end-to-end and differential tests: `bpsim
// platform` (the reference platform) and `bpsim serve --platform` as two real
// processes on loopback, and the report bpsim serve writes.

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
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/command.h"

namespace bpsim::testing {

namespace live_fs = std::filesystem;

inline bool PortFree(int port) {
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
inline int FreePorts(int n) {
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

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The port `bpsim platform --port-file FILE` wrote, waiting up to 5 s for it.
inline std::string WaitPortFile(const std::string& file) {
  std::string port;
  for (int i = 0; i < 200 && port.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    port = Slurp(file);
    if (!port.empty() && port.back() != '\n') port.clear();  // not completely written yet
  }
  REQUIRE_FALSE(port.empty());
  port.pop_back();
  return port;
}

struct LiveRun {
  int serve_exit = -1;
  int platform_exit = -1;
  nlohmann::json scenario;  // report.json's scenarios[0]
  nlohmann::json live;      // report.json's live (per-endpoint counts and latency)
  std::string serve_log, platform_log;
};

// A scenario's banks in world.banks order: id and dialect (obie, berlin-group, plaid).
using LiveBanks = std::vector<std::pair<std::string, std::string>>;
// One OBIE bank, then one Berlin Group bank, as in scenarios/live/two-dialects.yaml.
inline const LiveBanks kTwoDialects = {{"northbank", "obie"}, {"southbank", "berlin-group"}};

// `bpsim platform PLATFORM_ARGS` against `bpsim serve SCENARIO --time-scale SCALE`
// (the scenario's banks `banks`: bank i on the first port + i, the messenger after
// them), until serve ends; then the platform is stopped.
inline LiveRun RunLive(const std::string& name, const std::string& scenario,
                       const std::vector<std::string>& platform_options, int time_scale = 1800,
                       const LiveBanks& banks = kTwoDialects) {
  const live_fs::path dir =
      live_fs::temp_directory_path() / ("bpsim-live-" + name + "-" + std::to_string(::getpid()));
  live_fs::remove_all(dir);
  live_fs::create_directories(dir);
  const int n = static_cast<int>(banks.size());
  const int base = FreePorts(n + 1);
  const std::string host = "http://127.0.0.1:";
  std::string bank_list;
  for (int i = 0; i < n; ++i) {
    const auto& [id, dialect] = banks[std::size_t(i)];
    bank_list += (i > 0 ? "," : "") + id + "=" + dialect + ":" + host + std::to_string(base + i) +
                 (dialect == "obie" ? "/open-banking/v3.1/aisp" : "");
  }
  std::vector<std::string> platform_args = {
      "platform", "--listen", "127.0.0.1:0", "--port-file", (dir / "platform.port").string(),
      "--banks", bank_list, "--messenger", host + std::to_string(base + n)};
  platform_args.insert(platform_args.end(), platform_options.begin(), platform_options.end());
  LiveRun run;
  pid_t platform = Spawn(platform_args, (dir / "platform.log").string());
  const std::string port = WaitPortFile((dir / "platform.port").string());
  pid_t serve = Spawn({"serve", scenario, "--listen", "127.0.0.1:" + std::to_string(base),
                       "--time-scale", std::to_string(time_scale), "--platform", host + port, "--out",
                       (dir / "out").string()},
                      (dir / "serve.log").string());
  run.serve_exit = WaitExit(serve, std::chrono::seconds(180));
  ::kill(platform, SIGTERM);
  run.platform_exit = WaitExit(platform, std::chrono::seconds(20));
  run.serve_log = Slurp((dir / "serve.log").string());
  run.platform_log = Slurp((dir / "platform.log").string());
  std::string report = Slurp((dir / "out" / "report.json").string());
  INFO("serve log:\n" << run.serve_log << "\nplatform log:\n" << run.platform_log);
  REQUIRE_FALSE(report.empty());
  nlohmann::json parsed = nlohmann::json::parse(report);
  run.scenario = parsed["scenarios"][0];
  run.live = parsed.value("live", nlohmann::json::object());
  return run;
}

// The invariants with at least one violation.
inline std::set<std::string> Fired(const nlohmann::json& scenario) {
  std::set<std::string> out;
  for (const nlohmann::json& e : scenario["expectations"]) {
    if (e.value("fired", 0) > 0) out.insert(e["name"].get<std::string>());
  }
  return out;
}

}  // namespace bpsim::testing
