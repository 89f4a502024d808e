// What a person reads, pinned: the console of `bpsim run` and summary.md for two small
// scenarios (tests/docs/example.yaml, a world with a leak, an outage and fraud; and
// tests/golden/quiet.yaml, a world without a single fraud alert), and the evidence
// `bpsim replay` prints. Time is written one way everywhere (DescribeDuration: "4h 30m
// 10.05s", "350ms"), and a latency percentile of no alerts is never printed. The
// wall-clock figures are fixed to 1.25s before comparing. After a deliberate change
// of these formats, BPSIM_UPDATE_GOLDEN=1 rewrites tests/golden/*.txt and *.md
// (review the diff).

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "tests/command.h"

namespace {

namespace fs = std::filesystem;
using bpsim::testing::CommandResult;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The wall-clock figures of console and summary.md text set to 1.25s: the last
// column of a scenario line or table row, and the total.
std::string FixWallClock(std::string text) {
  const std::string wall = R"((?:\d+m )?\d+(?:\.\d+)?(?:ms|us|s))";
  // "$01" is group 1 (two digits, so the "1" of 1.25s is not read as part of it).
  text = std::regex_replace(text, std::regex("((?:PASS|FAIL|ERROR)  .*  )" + wall + "\n"),
                            "$011.25s\n");
  text = std::regex_replace(text, std::regex(" in " + wall + "; "), " in 1.25s; ");
  text = std::regex_replace(text, std::regex(R"(\| )" + wall + R"( \|\n)"), "| 1.25s |\n");
  return text;
}

// Compares `actual` with tests/golden/NAME, or rewrites it under BPSIM_UPDATE_GOLDEN.
void CheckGolden(const std::string& name, const std::string& actual) {
  const fs::path path = fs::path(BPSIM_SOURCE_DIR) / "tests" / "golden" / name;
  if (std::getenv("BPSIM_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  INFO("tests/golden/" << name << "; after a deliberate change, BPSIM_UPDATE_GOLDEN=1 "
                                  "rewrites it (review the diff)");
  CHECK(Slurp(path) == actual);
}

// A directory holding scenarios/golden/{example,quiet}.yaml, so that the paths the
// output shows are the same on every machine.
fs::path Workspace() {
  const fs::path dir = fs::temp_directory_path() / ("bpsim-golden-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "scenarios" / "golden");
  const fs::path source(BPSIM_SOURCE_DIR);
  fs::copy_file(source / "tests" / "docs" / "example.yaml", dir / "scenarios" / "golden" / "example.yaml");
  fs::copy_file(source / "tests" / "golden" / "quiet.yaml", dir / "scenarios" / "golden" / "quiet.yaml");
  return dir;
}

CommandResult BpsimIn(const fs::path& dir, const std::string& args) {
  return bpsim::testing::RunCommand("cd " + dir.string() + " && " + BPSIM_BINARY + " " + args);
}

}  // namespace

TEST_CASE("The console and summary.md of a run read the same, golden", "[cli][golden]") {
  const fs::path dir = Workspace();
  const CommandResult run =
      BpsimIn(dir, "run scenarios/golden/example.yaml scenarios/golden/quiet.yaml --out out");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  const std::string console = FixWallClock(run.output);
  CheckGolden("run-console.txt", console);
  CheckGolden("run-summary.md", FixWallClock(Slurp(dir / "out" / "summary.md")));
  // No percentile of zero samples, nowhere a person looks.
  CHECK(console.find("golden/quiet") != std::string::npos);
  CHECK(console.find("alerts 0  ") != std::string::npos);
  CHECK(console.find("p99 0") == std::string::npos);
  // The HTML report writes time the same way.
  const std::string html = Slurp(dir / "out" / "report.html");
  CHECK(html.find("<dd>1d 1h</dd>") != std::string::npos);  // simulated: duration + drain
  CHECK(html.find(" s</td>") == std::string::npos);          // no "19034.08 s"
  // Per bank too: the example's southbank displayed no alert, so its percentiles have
  // no samples; northbank's have (All metrics, "NAME@BANK").
  auto listed = [&html](const std::string& metric) {
    const std::string head = "<span class=\"mono\">" + metric + "</span><span>";
    const std::size_t at = html.find(head);
    if (at == std::string::npos) return std::string("(not listed)");
    const std::size_t from = at + head.size();
    return html.substr(from, html.find("</span>", from) - from);
  };
  CHECK(listed("fraud_alerts_displayed@southbank") == "0");
  CHECK(listed("fraud_alert_latency_p50@southbank") == "-");
  CHECK(listed("fraud_alert_latency_p99@southbank") == "-");
  CHECK(listed("fraud_alerts_displayed@northbank") == "6");
  CHECK(listed("fraud_alert_latency_p99@northbank") == "405.161ms");  // as in run-console.txt
  fs::remove_all(dir);
}

TEST_CASE("replay prints each violation's evidence with the same times, golden", "[cli][golden]") {
  const fs::path dir = Workspace();
  const CommandResult replay = BpsimIn(dir, "replay scenarios/golden/example.yaml --out out");
  INFO(replay.output);
  CHECK(replay.exit_code == 0);
  CheckGolden("replay-console.txt", FixWallClock(replay.output));
  fs::remove_all(dir);
}
