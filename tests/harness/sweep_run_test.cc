// Sweeps that run worlds (harness/sweep.h, `bpsim sweep` / `bpsim merge`): the
// report does not depend on the number of workers, merged shards equal the
// single-machine sweep, and a swarm seed reproduces from the seed alone.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/sweep.h"
#include "mocks/perturb.h"
#include "reports/json_report.h"
#include "reports/sweep_summary.h"
#include "tests/command.h"
#include "tests/harness/sweep_test_util.h"

namespace bpsim::harness {
namespace {

SweepOptions Options(SeedRange seeds, unsigned jobs, bool swarm = false, Shard shard = {}) {
  SweepOptions o;
  o.seeds = seeds;
  o.jobs = jobs;
  o.swarm = swarm;
  o.shard = shard;
  return o;
}

using Output = testing::CommandResult;
using testing::Bpsim;

reports::RunReport ReadReport(const std::string& dir) {
  std::ifstream in(dir + "/report.json", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = reports::ParseJsonReport(text.str());
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

std::string TempDir(const std::string& name) {
  const std::string dir = "/tmp/bpsim-sweep-test-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("A sweep's report is the same on one worker and on two", "[sweep]") {
  const Scenario scenario = testing::SmallSweepScenario("consents_granted: {min: 40}");
  const reports::RunReport one = RunSweep(scenario, Options({1, 6}, 1));
  const reports::RunReport two = RunSweep(scenario, Options({1, 6}, 2));
  REQUIRE(one.scenarios.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(one.scenarios[i].seed == i + 1);
    CHECK(one.scenarios[i].id == "sweep/small@seed=" + std::to_string(i + 1));
    CHECK(one.scenarios[i].repro ==
          "bpsim replay sweep-small.yaml --seed " + std::to_string(i + 1));
  }
  CHECK(testing::Deterministic(one) == testing::Deterministic(two));
  // Different seeds make different worlds.
  CHECK(one.scenarios[0].trace_hash != one.scenarios[1].trace_hash);
}

TEST_CASE("Merged shards equal the single-machine sweep", "[sweep]") {
  const Scenario scenario = testing::SmallSweepScenario("consents_granted: {min: 40}");
  const reports::RunReport whole = RunSweep(scenario, Options({3, 9}, 2));
  std::vector<reports::RunReport> parts;
  for (std::uint32_t i = 0; i < 3; ++i) {
    reports::RunReport part = RunSweep(scenario, Options({3, 9}, 1, false, {i, 3}));
    CHECK(part.sweep->shard_index == i);
    // Through report.json, as `bpsim merge` reads it.
    auto parsed = reports::ParseJsonReport(reports::RenderJsonReport(part));
    REQUIRE(parsed.ok());
    parts.push_back(std::move(parsed).value());
  }
  CHECK(parts[0].scenarios.size() == 3);  // seeds 3, 6, 9
  auto merged = MergeSweepReports(parts, {"0", "1", "2"});
  REQUIRE(merged.ok());
  CHECK(testing::Deterministic(*merged) == testing::Deterministic(whole));
}

TEST_CASE("A swarm seed reproduces alone, with what it drew in its description", "[sweep]") {
  const Scenario scenario = testing::SmallSweepScenario();
  const reports::RunReport sweep = RunSweep(scenario, Options({20, 23}, 2, true));
  REQUIRE(sweep.scenarios.size() == 4);
  const reports::ScenarioResult& third = sweep.scenarios[2];
  CHECK(third.seed == 22);
  CHECK(third.repro == "bpsim replay sweep-small.yaml --seed 22 --swarm");
  std::string drawn;
  const Scenario variant = SwarmVariant(scenario, 22, &drawn);
  mocks::WorldConfig world = variant.spec.world;
  const std::string knobs = mocks::PerturbKnobs(&world, 22);
  mocks::WorldSpec spec = variant.spec;
  const std::string crashes = mocks::PerturbCrashes(&spec, 22);
  CHECK(crashes.rfind("crashes: ", 0) == 0);
  CHECK(third.description ==
        "messenger-down from the library, shrunk for sweep tests. [perturbed: same-instant "
        "order drawn from the seed; " + knobs + "; " + crashes + "] [" + drawn + "]");
  const reports::RunReport alone = RunSweep(scenario, Options({22, 22}, 1, true));
  REQUIRE(alone.scenarios.size() == 1);
  reports::ScenarioResult a = alone.scenarios[0], b = third;
  a.wall_seconds = b.wall_seconds = 0;
  reports::RunReport ra, rb;
  ra.scenarios = {a};
  rb.scenarios = {b};
  CHECK(reports::RenderJsonReport(ra) == reports::RenderJsonReport(rb));
  // Swarm changes the world: the customer count is the drawn one.
  CHECK(*third.FindMetric("customers") ==
        double(SwarmVariant(scenario, 22, nullptr).spec.world.customers.count));
}

TEST_CASE("bpsim sweep and merge: shards on the command line equal one sweep", "[sweep][cli]") {
  const std::string dir = TempDir("cli");
  const std::string file = dir + "/small.yaml";
  std::ofstream(file) << testing::SmallSweepScenarioText("consents_granted: {max: 0}");
  Output whole = Bpsim("sweep " + file + " --seeds 1..4 --jobs 2 --out " + dir + "/whole");
  CHECK(whole.exit_code == 1);
  CHECK(whole.output.find("First failing seeds:\n  seed 1: bpsim replay " + file + " --seed 1\n") !=
        std::string::npos);
  CHECK(whole.output.find("Sweep sweep/small: 4 seeds, 0 passed, 4 failed in ") != std::string::npos);
  for (int i = 0; i < 2; ++i) {
    Output shard = Bpsim("sweep " + file + " --seeds 1..4 --jobs 1 --shard " + std::to_string(i) +
                         "/2 --out " + dir + "/shard-" + std::to_string(i));
    CHECK(shard.exit_code == 1);
  }
  Output merge = Bpsim("merge " + dir + "/shard-1 " + dir + "/shard-0 --out " + dir + "/merged");
  CHECK(merge.exit_code == 1);
  CHECK(merge.output.find("Sweep sweep/small: 4 seeds, 0 passed, 4 failed in ") != std::string::npos);
  CHECK(testing::Deterministic(ReadReport(dir + "/merged")) ==
        testing::Deterministic(ReadReport(dir + "/whole")));

  std::ifstream summary(dir + "/merged/summary.md");
  std::stringstream md;
  md << summary.rdbuf();
  CHECK(md.str().find("### Sweep of `sweep/small`, seeds 1..4\n\n4 runs: 0 passed, 4 failed.\n") !=
        std::string::npos);
  CHECK(md.str().find("- seed 2: `bpsim replay " + file + " --seed 2`\n") != std::string::npos);

  Output missing = Bpsim("merge " + dir + "/shard-0 --out " + dir + "/partial");
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("bpsim: warning: merged 2 of the 4 seeds 1..4 (a shard missing?)") !=
        std::string::npos);
  Output twice = Bpsim("merge " + dir + "/shard-0 " + dir + "/shard-0 --out " + dir + "/twice");
  CHECK(twice.exit_code == 2);
  CHECK(twice.output.find("bpsim: seed 1 is in both " + dir + "/shard-0 and " + dir + "/shard-0") !=
        std::string::npos);
}

TEST_CASE("bpsim sweep --check-determinism compares every seed on one worker and on two",
          "[sweep][cli]") {
  const std::string dir = TempDir("determinism");
  const std::string file = dir + "/small.yaml";
  std::ofstream(file) << testing::SmallSweepScenarioText("consents_granted: {min: 40}");
  Output run = Bpsim("sweep " + file + " --seeds 1..3 --jobs 2 --check-determinism --out " + dir +
                     "/out");
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("determinism: 3 of 3 seeds gave the same trace with --jobs 2 and --jobs 1") !=
        std::string::npos);
  const reports::RunReport report = ReadReport(dir + "/out");
  REQUIRE(report.scenarios.size() == 3);
  for (const reports::ScenarioResult& r : report.scenarios) {
    auto check = std::find_if(r.checks.begin(), r.checks.end(),
                              [](const reports::Check& c) { return c.name == "determinism"; });
    REQUIRE(check != r.checks.end());
    CHECK(check->passed);
    CHECK(check->detail.rfind("same trace hash: ", 0) == 0);
  }
}

TEST_CASE("bpsim sweep usage errors exit 2 with the reason", "[sweep][cli]") {
  const std::string dir = TempDir("usage");
  const std::string file = dir + "/small.yaml";
  std::ofstream(file) << testing::SmallSweepScenarioText();
  Output no_seeds = Bpsim("sweep " + file);
  CHECK(no_seeds.exit_code == 2);
  CHECK(no_seeds.output.rfind("bpsim: sweep needs --seeds A..B\n", 0) == 0);
  Output bad_shard = Bpsim("sweep " + file + " --seeds 1..3 --shard 2/2");
  CHECK(bad_shard.exit_code == 2);
  CHECK(bad_shard.output.rfind("bpsim: --shard expects I/N with 0 <= I < N, got '2/2'\n", 0) == 0);
  Output bad_jobs = Bpsim("sweep " + file + " --seeds 1..3 --jobs 0");
  CHECK(bad_jobs.exit_code == 2);
  CHECK(bad_jobs.output.rfind("bpsim: --jobs expects a number from 1 to 9999, got '0'\n", 0) == 0);
  Output help = Bpsim("sweep --help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.rfind("usage: bpsim sweep PATH --seeds A..B", 0) == 0);
  Output merge_help = Bpsim("merge --help");
  CHECK(merge_help.exit_code == 0);
  CHECK(merge_help.output.rfind("usage: bpsim merge DIR...", 0) == 0);
  Output not_sweep = Bpsim("merge " + dir);
  CHECK(not_sweep.exit_code == 2);
  CHECK(not_sweep.output.find("/report.json: cannot read: No such file or directory") !=
        std::string::npos);
}


TEST_CASE("A swarm seed that draws crashes widens the alert latency bound by exactly what they "
          "can hold an alert back",
          "[sweep][crash]") {
  auto base = LoadScenario(std::string(BPSIM_SOURCE_DIR) + "/scenarios/fraud/wave.yaml");
  REQUIRE(base.ok());
  const SimTime written = 2 * kMinute;  // the file's fraud-alert-delivery p99
  const SimTime retry = 10 * kMinute;   // its banks' longest webhook_retry.max (default)
  int widened = 0, kept = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::string drawn;
    const Scenario variant = SwarmVariant(*base, seed, &drawn);
    mocks::WorldSpec spec = variant.spec;
    spec.timeline.clear();
    mocks::PerturbCrashes(&spec, seed);
    SimTime down = 0;
    for (const mocks::TimelineEntry& e : spec.timeline) down += std::get<mocks::Crash>(e.action).down;
    for (const InvariantConfig& inv : variant.invariants) {
      if (inv.id != "fraud-alert-delivery") continue;
      INFO("seed " << seed << ": " << drawn);
      if (down == 0) {
        CHECK(inv.p99 == written);
        CHECK(drawn.find("fraud-alert-delivery p99") == std::string::npos);
        ++kept;
      } else {
        CHECK(inv.p99 == written + down + retry);
        CHECK(drawn.find("fraud-alert-delivery p99 2m -> " + DescribeDuration(inv.p99) +
                         " for the crashes") != std::string::npos);
        ++widened;
      }
    }
  }
  CHECK(widened > 10);
  CHECK(widened + kept == 20);
}

}  // namespace bpsim::harness
