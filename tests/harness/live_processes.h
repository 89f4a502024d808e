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

struct LiveRun {
  int serve_exit = -1;
  int platform_exit = -1;
  nlohmann::json scenario;  // report.json's scenarios[0]
  nlohmann::json live;      // report.json's live (per-endpoint counts and latency)
  std::string serve_log, platform_log;
};

// `bpsim platform PLATFORM_ARGS` against `bpsim serve SCENARIO --time-scale SCALE`
// (one OBIE bank, then one Berlin Group bank, as in scenarios/live/), until serve
// ends; then the platform is stopped.
inline LiveRun RunLive(const std::string& name, const std::string& scenario,
                       const std::vector<std::string>& platform_options, int time_scale = 1800) {
  const live_fs::path dir =
      live_fs::temp_directory_path() / ("bpsim-live-" + name + "-" + std::to_string(::getpid()));
  live_fs::remove_all(dir);
  live_fs::create_directories(dir);
  const int base = FreePorts(3);
  const std::string host = "http://127.0.0.1:";
  std::vector<std::string> platform_args = {
      "platform", "--listen", "127.0.0.1:0", "--port-file", (dir / "platform.port").string(),
      "--banks",
      "northbank=obie:" + host + std::to_string(base) + "/open-banking/v3.1/aisp,"
      "southbank=berlin-group:" + host + std::to_string(base + 1),
      "--messenger", host + std::to_string(base + 2)};
  platform_args.insert(platform_args.end(), platform_options.begin(), platform_options.end());
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
