// bpsim shrink on the library's single-defect scenarios: each shrinks to at most 10
// customers, and the written file loads and, run as is, fires exactly the same ids.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "harness/runner.h"
#include "harness/scenario/writer.h"
#include "harness/shrink.h"

namespace bpsim::harness {
namespace {

std::vector<std::string> DefectScenarios() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           std::string(BPSIM_SOURCE_DIR) + "/scenarios")) {
    std::string name = e.path().filename().string();
    if (name.rfind("defect-", 0) == 0 && e.path().extension() == ".yaml") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> FiredIds(const reports::ScenarioResult& r) {
  std::vector<std::string> ids;
  for (const reports::Violation& v : r.violations) ids.push_back(v.invariant);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

TEST_CASE("Each single-defect library scenario shrinks to at most 10 customers and still fails "
          "the same way",
          "[shrink]") {
  std::vector<std::string> files = DefectScenarios();
  REQUIRE(files.size() == 14);
  for (const std::string& file : files) {
    INFO(file);
    auto original = LoadScenario(file);
    REQUIRE(original.ok());
    ShrinkOptions options;
    options.seed = original->spec.seed;
    auto shrunk = ShrinkScenario(*original, options);
    REQUIRE(shrunk.ok());
    CHECK_FALSE(shrunk->budget_exhausted);
    CHECK(shrunk->runs <= options.max_runs);
    // The failure kept is the one the library file expects.
    std::vector<std::string> expected = original->expect.violations;
    std::sort(expected.begin(), expected.end());
    CHECK(shrunk->fired == expected);
    CHECK(shrunk->minimal.spec.world.customers.count <= 10);
    CHECK(shrunk->minimal.spec.duration <= original->spec.duration);

    std::string text = MinimalScenarioFile(*shrunk, file, "min.yaml");
    CHECK(text.rfind("# Minimised by `bpsim shrink " + file + " --seed " +
                         std::to_string(options.seed) + "`", 0) == 0);
    CHECK(text.find("# reproduces:  bpsim run min.yaml\n") != std::string::npos);
    auto reloaded = ParseScenario(text, "min.yaml");
    if (!reloaded.ok()) FAIL(reloaded.error().message);
    CHECK(reloaded->expect.violations == shrunk->fired);
    reports::ScenarioResult run = RunScenario(*reloaded, RunOptions{});
    CHECK(run.seed == options.seed);
    CHECK(FiredIds(run) == shrunk->fired);
    CHECK(run.passed);  // expect.violations holds exactly the fired ids
  }
}

TEST_CASE("Shrinking a scenario that fires nothing is an error that says so", "[shrink]") {
  auto s = ParseScenario("duration: 1d\nworld: {customers: {count: 20}}\n", "quiet.yaml");
  REQUIRE(s.ok());
  ShrinkOptions options;
  options.seed = 3;
  auto shrunk = ShrinkScenario(*s, options);
  REQUIRE_FALSE(shrunk.ok());
  CHECK(shrunk.error().message == "quiet.yaml: fires no invariant or rule with seed 3; nothing to shrink");
}

TEST_CASE("Shrinking stops at the run budget and keeps the best scenario so far", "[shrink]") {
  auto s = LoadScenario(std::string(BPSIM_SOURCE_DIR) + "/scenarios/data-sharing/defect-group-chat-leak.yaml");
  REQUIRE(s.ok());
  ShrinkOptions options;
  options.seed = s->spec.seed;
  options.max_runs = 3;
  auto shrunk = ShrinkScenario(*s, options);
  REQUIRE(shrunk.ok());
  CHECK(shrunk->budget_exhausted);
  CHECK(shrunk->runs == 3);
  CHECK(MinimalScenarioFile(*shrunk, "x.yaml", "m.yaml").find("stopped by the run/time budget") !=
        std::string::npos);
}

}  // namespace
}  // namespace bpsim::harness
