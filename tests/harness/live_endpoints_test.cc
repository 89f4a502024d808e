// Ephemeral ports for the live pair (docs/live-mode.md, "Ephemeral ports"): `bpsim
// serve --listen 127.0.0.1:0` writes live.endpoints once its listeners are up, and
// `bpsim platform --endpoints FILE` (itself on an ephemeral port, learnt from
// --port-file) reads the banks and the messenger from it. Two real processes on
// loopback; no port is chosen by the test.

#include <catch2/catch.hpp>
#include <string>

#include "harness/live/endpoints.h"
#include "tests/command.h"
#include "tests/harness/live_processes.h"

namespace bpsim::testing {
namespace {

const std::string kScenario = BPSIM_SOURCE_DIR "/scenarios/live/two-dialects.yaml";

}  // namespace

TEST_CASE("serve and platform on ephemeral ports find each other through live.endpoints",
          "[live][e2e]") {
  const live_fs::path dir =
      live_fs::temp_directory_path() / ("bpsim-live-endpoints-" + std::to_string(::getpid()));
  live_fs::remove_all(dir);
  live_fs::create_directories(dir);
  const std::string endpoints = (dir / "out" / "live.endpoints").string();
  pid_t platform = Spawn({"platform", "--listen", "127.0.0.1:0", "--port-file",
                          (dir / "platform.port").string(), "--endpoints", endpoints, "--poll-every",
                          "2", "--segment-every", "5"},
                         (dir / "platform.log").string());
  const std::string port = WaitPortFile((dir / "platform.port").string());
  pid_t serve = Spawn({"serve", kScenario, "--listen", "127.0.0.1:0", "--time-scale", "3600",
                       "--platform", "http://127.0.0.1:" + port, "--out", (dir / "out").string()},
                      (dir / "serve.log").string());
  // The file appears whole once every listener is up, and lists what serve printed.
  std::string text;
  for (int i = 0; i < 400 && text.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    text = Slurp(endpoints);
  }
  REQUIRE_FALSE(text.empty());
  auto parsed = harness::live::ParseLiveEndpoints(text, endpoints);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->banks.size() == 2);
  CHECK(parsed->banks[0].id == "northbank");
  CHECK(parsed->banks[0].dialect == mocks::Dialect::kObie);
  CHECK(parsed->banks[1].id == "southbank");
  CHECK(parsed->banks[1].dialect == mocks::Dialect::kBerlinGroup);
  const int serve_exit = WaitExit(serve, std::chrono::seconds(120));
  const std::string serve_log = Slurp((dir / "serve.log").string());
  ::kill(platform, SIGTERM);
  const int platform_exit = WaitExit(platform, std::chrono::seconds(20));
  const std::string platform_log = Slurp((dir / "platform.log").string());
  INFO("serve log:\n" << serve_log << "\nplatform log:\n" << platform_log);
  CHECK(serve_exit == 0);
  CHECK(platform_exit == 0);
  CHECK(serve_log.find("bank northbank (obie): " + parsed->banks[0].url + "\n") != std::string::npos);
  CHECK(serve_log.find("bank southbank (berlin-group): " + parsed->banks[1].url + "\n") !=
        std::string::npos);
  CHECK(serve_log.find("messenger: " + parsed->messenger + "\n") != std::string::npos);
  CHECK(serve_log.find("listeners: " + endpoints + "\n") != std::string::npos);
  CHECK(platform_log.find("platform: waiting for " + endpoints +
                          " (bpsim serve writes it once its banks listen)\n") != std::string::npos);
  CHECK(platform_log.find("platform: banks from " + endpoints + ": northbank (obie) " +
                          parsed->banks[0].url + ", southbank (berlin-group) " +
                          parsed->banks[1].url + "; messenger " + parsed->messenger + "\n") !=
        std::string::npos);
  // The pair did the work: the platform linked customers and answered in chats.
  const auto report = nlohmann::json::parse(Slurp((dir / "out" / "report.json").string()));
  CHECK(report["scenarios"][0]["verdict"] == "pass");
  double links = 0, failed = 0;
  for (const auto& e : report["live"]["endpoints"]) {
    if (e["listener"] != "platform") continue;
    if (e["route"] == "POST /v1/links") links += e["count"].get<double>();
    failed += e["failed"].get<double>();
  }
  CHECK(links > 10);
  CHECK(failed == 0);
  // Gone with the listeners.
  CHECK_FALSE(live_fs::exists(endpoints));
  live_fs::remove_all(dir);
}

TEST_CASE("live.endpoints is read strictly: the errors name file and line", "[live]") {
  using harness::live::ParseLiveEndpoints;
  auto error = [](const std::string& text) {
    auto r = ParseLiveEndpoints(text, "e");
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(error("bank a obie\n") ==
        "e:1: expected 'bank ID DIALECT URL' or 'messenger URL', got 'bank a obie'");
  CHECK(error("# x\nbank a swift http://h:1\n") ==
        "e:2: unknown dialect 'swift' (obie, berlin-group or plaid)");
  CHECK(error("bank a obie http://h:1") == "e:1: incomplete (no final newline)");
  CHECK(error("messenger http://h:2\n") == "e: no bank line");
  CHECK(error("bank a obie http://h:1\nmessenger http://h:2\nmessenger http://h:3\n") ==
        "e:3: a second messenger line");
  auto ok = ParseLiveEndpoints(
      harness::live::FormatLiveEndpoints(
          {{{"a", mocks::Dialect::kPlaid, "http://h:1"}, {"b", mocks::Dialect::kObie, "http://h:2/x"}},
           "http://h:3"}),
      "e");
  REQUIRE(ok.ok());
  CHECK(ok->banks[0].dialect == mocks::Dialect::kPlaid);
  CHECK(ok->banks[1].url == "http://h:2/x");
  CHECK(ok->messenger == "http://h:3");
}

}  // namespace bpsim::testing
