#include "reports/baseline.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "tests/reports/fixture.h"

using namespace bpsim;
using namespace bpsim::reports;
using bpsim::reports::testing::MakeFixtureReport;

namespace {

void SetMetric(RunReport& report, const std::string& scenario, const std::string& metric,
               double value) {
  for (ScenarioResult& s : report.scenarios) {
    if (s.id != scenario) continue;
    for (auto& [name, v] : s.metrics) {
      if (name == metric) {
        v = value;
        return;
      }
    }
    s.metrics.emplace_back(metric, value);
  }
}

const char* const kLeak = "data-sharing/partner-leak";

}  // namespace

TEST_CASE("CompareWithBaseline finds nothing when nothing changed", "[reports][baseline]") {
  auto r = CompareWithBaseline(MakeFixtureReport(), MakeFixtureReport(), 0.1);
  REQUIRE(r.ok());
  CHECK(r->regressions.empty());
}

TEST_CASE("CompareWithBaseline ignores improvements", "[reports][baseline]") {
  RunReport current = MakeFixtureReport();
  SetMetric(current, kLeak, "fraud_alert_latency_p99", 5);  // was 38.5: better
  SetMetric(current, kLeak, "balance_answered", 9000);      // was 8890: better
  SetMetric(current, kLeak, "violations", 0);               // was 4: better
  auto r = CompareWithBaseline(current, MakeFixtureReport(), 0);
  REQUIRE(r.ok());
  CHECK(r->regressions.empty());
}

TEST_CASE("CompareWithBaseline reports a regression beyond the tolerance", "[reports][baseline]") {
  RunReport current = MakeFixtureReport();
  SetMetric(current, kLeak, "fraud_alert_latency_p99", 50);  // +29.9% over 38.5
  SetMetric(current, kLeak, "balance_answered", 7000);       // -21.3% under 8890
  auto r = CompareWithBaseline(current, MakeFixtureReport(), 0.1);
  REQUIRE(r.ok());
  REQUIRE(r->regressions.size() == 2);
  CHECK(r->regressions[0].scenario == kLeak);
  CHECK(r->regressions[0].metric == "balance_answered");
  CHECK(r->regressions[0].baseline == 8890);
  CHECK(r->regressions[0].current == 7000);
  CHECK(r->regressions[1].metric == "fraud_alert_latency_p99");
  CHECK(r->regressions[1].change_fraction == Approx(11.5 / 38.5));
  CHECK(DescribeRegressions(r->regressions, 0.1) ==
        "data-sharing/partner-leak: balance_answered fell from 8890 to 7000 (-21.3%, tolerance "
        "10.0%)\n"
        "data-sharing/partner-leak: fraud_alert_latency_p99 rose from 38.5s to 50s (+29.9%, "
        "tolerance 10.0%)\n");
}

TEST_CASE("CompareWithBaseline accepts a worsening within the tolerance", "[reports][baseline]") {
  RunReport current = MakeFixtureReport();
  SetMetric(current, kLeak, "fraud_alert_latency_p99", 42);  // +9.1%
  SetMetric(current, kLeak, "api_timeouts", 45);             // +9.8% over 41
  auto r = CompareWithBaseline(current, MakeFixtureReport(), 0.1);
  REQUIRE(r.ok());
  CHECK(r->regressions.empty());
}

TEST_CASE("CompareWithBaseline treats 0 to more than 0 as a regression whatever the tolerance",
          "[reports][baseline]") {
  RunReport current = MakeFixtureReport();
  SetMetric(current, "consent/grant-and-read", "violations", 1);
  auto r = CompareWithBaseline(current, MakeFixtureReport(), 10.0);
  REQUIRE(r.ok());
  REQUIRE(r->regressions.size() == 1);
  CHECK(r->regressions[0].metric == "violations");
  CHECK(std::isinf(r->regressions[0].change_fraction));
  CHECK(DescribeRegressions(r->regressions, 10.0) ==
        "consent/grant-and-read: violations rose from 0 to 1 (from zero, tolerance 1000.0%)\n");
}

TEST_CASE("CompareWithBaseline skips metrics and scenarios missing on either side",
          "[reports][baseline]") {
  RunReport current = MakeFixtureReport();
  RunReport baseline = MakeFixtureReport();
  SetMetric(current, kLeak, "api_denied_401", 500);  // not in the baseline
  for (auto& s : baseline.scenarios) {
    if (s.id == kLeak)
      std::erase_if(s.metrics, [](const auto& m) { return m.first == "alerts_lost"; });
  }
  SetMetric(current, kLeak, "alerts_lost", 300);  // baseline lacks it now
  current.scenarios.push_back(current.scenarios[0]);
  current.scenarios.back().id = "new/scenario";
  auto r = CompareWithBaseline(current, baseline, 0.1);
  REQUIRE(r.ok());
  CHECK(r->regressions.empty());
  // ... but says which scenarios it could not compare.
  CHECK(r->compared == baseline.scenarios.size());
  CHECK(r->not_in_baseline == std::vector<std::string>{"new/scenario"});
  CHECK(r->not_in_run.empty());
  CHECK(r->passed());
}

TEST_CASE("The baseline gate lists unmatched scenarios on both sides; strict fails on them",
          "[reports][baseline]") {
  RunReport current = MakeFixtureReport();
  RunReport baseline = MakeFixtureReport();
  for (auto& s : baseline.scenarios) s.id = "old/" + s.id;
  auto lax = CompareWithBaseline(current, baseline, 0.1);
  REQUIRE(lax.ok());
  CHECK(lax->compared == 0);
  CHECK(lax->not_in_baseline.size() == current.scenarios.size());
  CHECK(lax->not_in_run.size() == baseline.scenarios.size());
  CHECK(lax->not_in_run[0] == "old/" + current.scenarios[0].id);
  CHECK(lax->passed());
  BaselineGate gate = *lax;
  gate.file = "old/report.json";
  CHECK(DescribeGate(gate) == "No scenario of this run is in old/report.json: nothing was compared.");
  auto compared = CompareWithBaseline(current, baseline, 0.1, true);
  REQUIRE(compared.ok());
  BaselineGate strict = *compared;
  CHECK_FALSE(strict.passed());
  strict.file = "old/report.json";
  CHECK(DescribeGate(strict) ==
        "No scenario of this run is in old/report.json: nothing was compared (a failure with "
        "--baseline-strict).");
  // A run's verdict follows the gate.
  for (ScenarioResult& s : current.scenarios) {
    s.passed = true;
    s.error.clear();
    s.incomplete = false;
  }
  current.incomplete = false;
  current.baseline = *lax;
  CHECK(VerdictOf(current) == RunVerdict::kPass);
  current.baseline = strict;
  CHECK(VerdictOf(current) == RunVerdict::kFail);
}

TEST_CASE("CompareWithBaseline does not gate wall time or informational metrics",
          "[reports][baseline]") {
  RunReport current = MakeFixtureReport();
  for (auto& s : current.scenarios) s.wall_seconds *= 100;
  SetMetric(current, kLeak, "wall_seconds", 1e6);
  SetMetric(current, kLeak, "events", 1e9);
  auto r = CompareWithBaseline(current, MakeFixtureReport(), 0);
  REQUIRE(r.ok());
  CHECK(r->regressions.empty());
  CHECK(DirectionOf("wall_seconds") == MetricDirection::kNotGated);
  CHECK(DirectionOf("fraud_alert_latency_max") == MetricDirection::kHigherIsWorse);
  CHECK(DirectionOf("api_denied_403") == MetricDirection::kHigherIsWorse);
  CHECK(DirectionOf("fraud_alerts_displayed") == MetricDirection::kLowerIsWorse);
}

TEST_CASE("CompareWithBaseline rejects a negative tolerance", "[reports][baseline]") {
  auto r = CompareWithBaseline(MakeFixtureReport(), MakeFixtureReport(), -0.5);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "tolerance must be a non-negative fraction, got -0.5");
}

TEST_CASE("ParseTolerance reads fractions and percentages", "[reports][baseline]") {
  CHECK(ParseTolerance("10%").value() == Approx(0.1));
  CHECK(ParseTolerance("0.1").value() == Approx(0.1));
  CHECK(ParseTolerance("0").value() == 0);
  CHECK(ParseTolerance("2.5%").value() == Approx(0.025));
  CHECK(ParseTolerance("1").value() == 1);
  CHECK(ParseTolerance("150%").value() == Approx(1.5));
  for (const char* bad : {"", "%", "ten", "-5%", "10 %", "0.1x", "+3"}) {
    auto r = ParseTolerance(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "invalid tolerance \"" + std::string(bad) +
              "\": expected a fraction such as 0.1 or a percentage such as 10%");
  }
}

TEST_CASE("ParseTolerance refuses a bare number above 1, naming both readings",
          "[reports][baseline]") {
  auto five = ParseTolerance("5");
  REQUIRE_FALSE(five.ok());
  CHECK(five.error().message ==
        "ambiguous tolerance \"5\": a bare number is a fraction, so 5 means 500%; write 5% for 5 "
        "percent, or 500% if that is meant");
  auto one_and_a_half = ParseTolerance("1.5");
  REQUIRE_FALSE(one_and_a_half.ok());
  CHECK(one_and_a_half.error().message ==
        "ambiguous tolerance \"1.5\": a bare number is a fraction, so 1.5 means 150%; write 1.5% "
        "for 1.5 percent, or 150% if that is meant");
}
