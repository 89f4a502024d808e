// The sweep summary (reports/sweep_summary.h) and how report.json and summary.md
// carry it (docs/report-format.md, "sweep").

#include "reports/sweep_summary.h"

#include <catch2/catch.hpp>

#include "reports/json_report.h"
#include "reports/summary.h"

namespace bpsim::reports {
namespace {

RunReport SweepReport() {
  RunReport report;
  report.bpsim_version = "test";
  report.sweep = SweepInfo{"load/busy", "busy.yaml", 1, 10, true, 1, 2};
  for (std::uint64_t seed = 2; seed <= 10; seed += 2) {
    ScenarioResult r;
    r.id = "load/busy@seed=" + std::to_string(seed);
    r.file = "busy.yaml";
    r.seed = seed;
    r.passed = seed != 4 && seed != 8;
    r.repro = "bpsim sweep busy.yaml --seeds " + std::to_string(seed) + ".." +
              std::to_string(seed) + " --swarm";
    r.metrics = {{"events", double(seed * 100)}, {"violations", seed == 4 ? 2.0 : 0.0}};
    if (seed == 10) r.metrics.emplace_back("customers", 7);
    report.scenarios.push_back(r);
  }
  return report;
}

}  // namespace

TEST_CASE("A sweep summary counts verdicts and spreads each metric over the seeds", "[sweep]") {
  const SweepSummary s = SummarizeSweep(SweepReport().scenarios);
  CHECK(s.runs == 5);
  CHECK(s.passed == 3);
  CHECK(s.failed == 2);
  REQUIRE(s.metrics.size() == 3);
  CHECK(s.metrics[0].name == "events");
  CHECK(s.metrics[0].runs == 5);
  CHECK(s.metrics[0].min == 200);
  CHECK(s.metrics[0].p50 == 600);
  CHECK(s.metrics[0].p90 == 1000);
  CHECK(s.metrics[0].max == 1000);
  CHECK(s.metrics[2].name == "customers");
  CHECK(s.metrics[2].runs == 1);
  REQUIRE(s.first_failures.size() == 2);
  CHECK(s.first_failures[0].seed == 4);
  CHECK(s.first_failures[1].repro == "bpsim sweep busy.yaml --seeds 8..8 --swarm");
}

TEST_CASE("A sweep summary lists every failed check of every seed and counts the seeds",
          "[sweep]") {
  RunReport report = SweepReport();
  for (ScenarioResult& r : report.scenarios) {
    if (r.seed == 4) {
      r.checks = {{"no-third-party-sharing", false, "2 violations", 2},
                  {"metric:alerts_lost", false, "measured 3, max 0", 0},
                  {"audit-complete", true, "no violations", 0}};
    } else if (r.seed == 8) {
      r.checks = {{"metric:alerts_lost", false, "measured 1, max 0", 0}};
      r.error = "internal error: boom";
    }
  }
  const SweepSummary s = SummarizeSweep(report.scenarios);
  REQUIRE(s.failed_checks.size() == 3);
  CHECK(s.failed_checks[0].name == "metric:alerts_lost");  // two seeds: first
  CHECK(s.failed_checks[0].seeds == 2);
  CHECK(s.failed_checks[1].name == "no-third-party-sharing");
  CHECK(s.failed_checks[1].seeds == 1);
  CHECK(s.failed_checks[2].name == "error");
  CHECK(s.failed_checks[2].seeds == 1);
  CHECK(FailedCheckNames(report.scenarios[1]) == "no-third-party-sharing, metric:alerts_lost");
  CHECK(FailedCheckNames(report.scenarios[3]) == "error, metric:alerts_lost");
  CHECK(RenderJsonReport(report).find("\"failed_checks\": {\n      \"metric:alerts_lost\": 2,\n"
                                      "      \"no-third-party-sharing\": 1,\n      \"error\": 1\n"
                                      "    }") != std::string::npos);
  CHECK(RenderSummaryMarkdown(report).find("| Failed check | Seeds |\n|---|---:|\n"
                                           "| `metric:alerts_lost` | 2 |\n"
                                           "| `no-third-party-sharing` | 1 |\n| `error` | 1 |\n") !=
        std::string::npos);
}

TEST_CASE("report.json carries the sweep and reads its range back", "[sweep][json]") {
  const RunReport report = SweepReport();
  const std::string json = RenderJsonReport(report);
  CHECK(json.find("\"sweep\": {\n    \"scenario\": \"load/busy\",\n    \"file\": \"busy.yaml\",\n"
                  "    \"first_seed\": 1,\n    \"last_seed\": 10,\n    \"swarm\": true,\n"
                  "    \"shard_index\": 1,\n    \"shard_count\": 2,\n    \"invariants_only\": false,\n"
                  "    \"runs\": 5,\n"
                  "    \"passed\": 3,\n    \"failed\": 2,") != std::string::npos);
  CHECK(json.find("\"events\": {\n        \"seeds\": 5,\n        \"min\": 200.0,\n"
                  "        \"p50\": 600.0,\n        \"p90\": 1000.0,\n        \"p99\": 1000.0,\n"
                  "        \"max\": 1000.0\n      }") != std::string::npos);
  auto parsed = ParseJsonReport(json);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->sweep.has_value());
  CHECK(parsed->sweep->scenario == "load/busy");
  CHECK(parsed->sweep->first_seed == 1);
  CHECK(parsed->sweep->last_seed == 10);
  CHECK(parsed->sweep->swarm);
  CHECK(parsed->sweep->shard_index == 1);
  CHECK(parsed->sweep->shard_count == 2);
  CHECK(RenderJsonReport(*parsed) == json);
  // A plain run report has no "sweep".
  RunReport plain = report;
  plain.sweep.reset();
  CHECK(RenderJsonReport(plain).find("\"sweep\"") == std::string::npos);
}

TEST_CASE("report.json with a bad sweep shard is not read", "[sweep][json]") {
  RunReport report = SweepReport();
  report.sweep->shard_index = 2;
  auto parsed = ParseJsonReport(RenderJsonReport(report));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message ==
        "not a bpsim report: sweep: shard_index must be below shard_count");
}

TEST_CASE("summary.md shows the sweep: counts, percentiles and failing seeds", "[sweep][summary]") {
  const std::string md = RenderSummaryMarkdown(SweepReport());
  CHECK(md.find("### Sweep of `load/busy`, seeds 1..10 (swarm), shard 1/2\n\n"
                "5 runs: 3 passed, 2 failed.\n\n"
                "| Metric | Seeds | min | p50 | p90 | p99 | max |\n"
                "|---|---:|---:|---:|---:|---:|---:|\n"
                "| `events` | 5 | 200 | 600 | 1000 | 1000 | 1000 |\n") != std::string::npos);
  CHECK(md.find("First failing seeds:\n\n- seed 4: `bpsim sweep busy.yaml --seeds 4..4 --swarm`\n"
                "- seed 8: `bpsim sweep busy.yaml --seeds 8..8 --swarm`\n") != std::string::npos);
}

}  // namespace bpsim::reports

namespace bpsim::reports {

TEST_CASE("summary.md of a long sweep lists only the failed seeds in its table",
          "[sweep][summary]") {
  RunReport report;
  report.bpsim_version = "test";
  report.sweep = SweepInfo{"load/busy", "busy.yaml", 1, 60, false, 0, 1};
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    ScenarioResult r;
    r.id = "load/busy@seed=" + std::to_string(seed);
    r.seed = seed;
    r.passed = seed != 33;
    report.scenarios.push_back(r);
  }
  const std::string md = RenderSummaryMarkdown(report);
  CHECK(md.find("| `load/busy@seed=33` | **FAIL** |") != std::string::npos);
  CHECK(md.find("| `load/busy@seed=32` |") == std::string::npos);
  CHECK(md.find("\nThe table lists 1 of 60 seeds (failed ones only, at most 50); every seed is "
                "in report.json.\n") != std::string::npos);
}

}  // namespace bpsim::reports
