// docs/report-format.md shows real output: each example between
// "<!-- generated: NAME -->" and "<!-- end -->" is what the bpsim binary writes for
// tests/docs/example.yaml (run against a baseline, swept, served), shortened and with
// the wall-clock figures fixed by the rules below. This test generates the examples
// again and compares; BPSIM_UPDATE_DOCS=1 writes them into the document instead.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/command.h"
#include "tests/harness/live_client.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using bpsim::testing::Bpsim;
using bpsim::testing::CommandResult;

// What the examples replace every wall-clock figure with.
constexpr double kWall = 1.25;
constexpr std::size_t kArrayShown = 3;  // arrays are shortened to their first elements

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Arrays keep their first kArrayShown elements, recursively.
Json Shorten(const Json& j) {
  if (j.is_array()) {
    Json out = Json::array();
    for (std::size_t i = 0; i < j.size() && i < kArrayShown; ++i) out.push_back(Shorten(j[i]));
    return out;
  }
  if (j.is_object()) {
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = Shorten(it.value());
    return out;
  }
  return j;
}

// The wall-clock fields of report.json set to kWall.
Json FixWallClock(Json report) {
  if (report.contains("wall_clock")) report["wall_clock"]["seconds"] = kWall;
  for (Json& s : report["scenarios"]) s["metrics"]["wall_seconds"] = kWall;
  if (report.contains("live")) {
    for (Json& e : report["live"]["endpoints"]) {
      for (const char* k : {"p50_seconds", "p90_seconds", "p99_seconds"}) e[k] = kWall / 1000;
    }
  }
  return report;
}

std::string Fenced(const std::string& language, const std::string& text) {
  return "```" + language + "\n" + text + (text.empty() || text.back() == '\n' ? "" : "\n") +
         "```\n";
}

// Runs `bpsim ARGS` in `dir`.
CommandResult BpsimIn(const fs::path& dir, const std::string& args) {
  return bpsim::testing::RunCommand("cd " + dir.string() + " && " + BPSIM_BINARY + " " + args);
}

// The examples, by name.
std::map<std::string, std::string> GenerateExamples() {
  const fs::path dir = fs::temp_directory_path() / ("bpsim-docs-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "scenarios" / "docs");
  fs::copy_file(fs::path(BPSIM_SOURCE_DIR) / "tests" / "docs" / "example.yaml",
                dir / "scenarios" / "docs" / "example.yaml");
  const std::string scenario = "scenarios/docs/example.yaml";
  std::map<std::string, std::string> out;

  // A run against an older baseline that had fewer violations.
  REQUIRE(BpsimIn(dir, "run " + scenario + " --out old").exit_code == 0);
  Json old = Json::parse(Slurp(dir / "old" / "report.json"));
  old["scenarios"][0]["metrics"]["violations"] = 8;
  std::ofstream(dir / "old" / "report.json") << old.dump(2);
  CommandResult run = BpsimIn(dir, "run " + scenario + " --out out --baseline old/report.json");
  INFO(run.output);
  REQUIRE(run.exit_code == 1);
  const Json report = FixWallClock(Json::parse(Slurp(dir / "out" / "report.json")));
  out["report.json"] = Fenced("json", Shorten(report).dump(2));
  std::string junit = Slurp(dir / "out" / "junit.xml");
  junit = std::regex_replace(junit, std::regex(R"re(time="\d+\.\d+")re"), "time=\"1.250\"");
  out["junit.xml"] = Fenced("xml", junit);
  std::string summary = Slurp(dir / "out" / "summary.md");
  summary = std::regex_replace(summary, std::regex(R"(\| (?:\d+m )?\d+(?:\.\d+)?(?:ms|us|s) \|\n)"),
                               "| 1.25s |\n");
  out["summary.md"] = Fenced("markdown", summary);

  // A sweep of three seeds.
  REQUIRE(BpsimIn(dir, "sweep " + scenario + " --seeds 1..3 --jobs 2 --invariants-only --out sweep")
              .exit_code == 0);
  const Json sweep = Json::parse(Slurp(dir / "sweep" / "report.json"));
  out["sweep"] = Fenced("json", "\"sweep\": " + Shorten(sweep["sweep"]).dump(2));

  // Live: the banks served over HTTP for about two wall seconds, asked twice.
  const std::string log = (dir / "serve.log").string();
  pid_t serve = bpsim::testing::Spawn({"serve", scenario, "--listen", "127.0.0.1:0",
                                       "--time-scale", "45000", "--out", "live"},
                                      log, dir.string());
  std::smatch port;
  std::string printed;  // outlives the loop: `port` points into it
  for (int i = 0; i < 100; ++i) {
    printed = Slurp(log);
    if (std::regex_search(printed, port, std::regex(R"(bank northbank \(obie\): http://127\.0\.0\.1:(\d+))"))) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(port.size() == 2);
  bpsim::harness::live::testing::Client client(static_cast<std::uint16_t>(std::stoi(port[1])));
  CHECK(client.Get("/open-banking/v3.1/aisp/accounts").status == 401);
  CHECK(client.Get("/open-banking/v3.1/aisp/accounts").status == 401);
  REQUIRE(bpsim::testing::WaitExit(serve, std::chrono::seconds(60)) == 0);
  const Json live = FixWallClock(Json::parse(Slurp(dir / "live" / "report.json")));
  out["live"] = Fenced("json", "\"live\": " + live["live"].dump(2));
  fs::remove_all(dir);
  return out;
}

}  // namespace

TEST_CASE("docs/report-format.md shows the reports bpsim really writes", "[reports][docs]") {
  const fs::path doc_path = fs::path(BPSIM_SOURCE_DIR) / "docs" / "report-format.md";
  std::string doc = Slurp(doc_path);
  const std::map<std::string, std::string> examples = GenerateExamples();
  const bool update = std::getenv("BPSIM_UPDATE_DOCS") != nullptr;
  for (const auto& [name, text] : examples) {
    INFO("example " << name << " of docs/report-format.md; after a change to what bpsim writes, "
                                "BPSIM_UPDATE_DOCS=1 rewrites the examples (review the diff)");
    const std::string open = "<!-- generated: " + name + " -->\n";
    const std::size_t start = doc.find(open);
    REQUIRE(start != std::string::npos);
    const std::size_t body = start + open.size();
    const std::size_t end = doc.find("<!-- end -->", body);
    REQUIRE(end != std::string::npos);
    if (update) {
      doc.replace(body, end - body, text);
    } else {
      CHECK(doc.substr(body, end - body) == text);
    }
  }
  if (update) std::ofstream(doc_path, std::ios::binary) << doc;
}
