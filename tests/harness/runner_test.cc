// The runner judges each kind of expectation (docs/scenario-reference.md, README.md): verdict, violations,
// metric bounds and sometimes-situations, each as its own check.

#include <catch2/catch.hpp>

#include <atomic>

#include "harness/runner.h"
#include "../mocks/world_test_util.h"

using namespace bpsim;

namespace {

const reports::Check* FindCheck(const reports::ScenarioResult& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

reports::ScenarioResult Run(const std::string& expect) {
  harness::Scenario s = testing::ScenarioFromYaml(R"(
seed: 3
duration: 1d
world:
  customers: {count: 200, consent: {opt_in: 0.5}}
)" + expect);
  return harness::RunScenario(s, harness::RunOptions{});
}

}  // namespace

TEST_CASE("Without an expect block a clean run passes with one check per invariant",
          "[harness][runner]") {
  auto r = Run("");
  CHECK(r.passed);
  CHECK(r.checks.size() == 9 + 1);  // nine invariants and the verdict
  REQUIRE(FindCheck(r, "verdict") != nullptr);
  CHECK(FindCheck(r, "verdict")->detail == "expected pass, got pass");
  CHECK(r.repro == "bpsim replay test.yaml --seed 3");
}

TEST_CASE("A metric bound that the run misses fails its check and the run", "[harness][runner]") {
  auto r = Run("expect:\n  metrics:\n    api_requests: {min: 1000000000}\n    customers: {max: 200}\n");
  CHECK_FALSE(r.passed);
  const reports::Check* missed = FindCheck(r, "metric:api_requests");
  REQUIRE(missed != nullptr);
  CHECK_FALSE(missed->passed);
  CHECK(missed->detail.rfind("measured ", 0) == 0);
  CHECK(missed->detail.find(", min 1000000000") != std::string::npos);
  const reports::Check* met = FindCheck(r, "metric:customers");
  REQUIRE(met != nullptr);
  CHECK(met->passed);
}

TEST_CASE("A duration metric bound is judged in seconds", "[harness][runner]") {
  auto r = Run("expect:\n  metrics:\n    fraud_alert_latency_max: {max: 1h}\n");
  const reports::Check* c = FindCheck(r, "metric:fraud_alert_latency_max");
  REQUIRE(c != nullptr);
  CHECK(c->passed);
  CHECK(c->detail.find(", max 1h") != std::string::npos);  // as people read time
}

TEST_CASE("A situation that never occurs fails its sometimes check", "[harness][runner]") {
  auto r = Run("expect:\n  sometimes:\n    - consent_rejected\n    - request_throttled_429\n"
               "    - {consent.authorised: {}}\n");
  CHECK_FALSE(r.passed);
  const reports::Check* never = FindCheck(r, "sometimes:request_throttled_429");
  REQUIRE(never != nullptr);
  CHECK_FALSE(never->passed);
  CHECK(never->detail == "never occurred in this run");
  const reports::Check* pattern = FindCheck(r, "sometimes:{consent.authorised}");
  REQUIRE(pattern != nullptr);
  CHECK(pattern->passed);
}

TEST_CASE("An expected violation that does not fire fails both its check and the verdict",
          "[harness][runner]") {
  auto r = Run("expect:\n  violations: [subject-isolation]\n");
  CHECK_FALSE(r.passed);
  CHECK_FALSE(FindCheck(r, "subject-isolation")->passed);
  CHECK(FindCheck(r, "subject-isolation")->detail ==
        "expected subject-isolation to fire, but it found no violation");
  CHECK_FALSE(FindCheck(r, "verdict")->passed);
  CHECK(FindCheck(r, "verdict")->detail == "expected fail, got pass");
}

TEST_CASE("A defect whose invariant is expected to fire passes", "[harness][runner]") {
  auto r = Run("defects: [bank.skips_audit]\nexpect:\n  violations: [audit-complete]\n");
  CHECK(r.passed);
  const reports::Check* c = FindCheck(r, "audit-complete");
  REQUIRE(c != nullptr);
  CHECK(c->fired > 0);
  CHECK_FALSE(r.violations.empty());
  CHECK(r.violations[0].invariant == "audit-complete");
  CHECK_FALSE(r.violations[0].evidence.empty());
}

// Two runs of one scenario agree on the trace and every metric but the wall clock.
void CheckSameTraceAndMetrics(const reports::ScenarioResult& a, const reports::ScenarioResult& b) {
  CHECK(a.trace_hash == b.trace_hash);
  REQUIRE(a.metrics.size() == b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    if (a.metrics[i].first == "wall_seconds") continue;
    INFO(a.metrics[i].first);
    CHECK(a.metrics[i].second == b.metrics[i].second);
  }
}

TEST_CASE("Judging inline gives the same result as judging on a second thread",
          "[harness][runner]") {
  harness::Scenario s = testing::ScenarioFromYaml(R"(
seed: 5
duration: 1d
world:
  customers: {count: 300, consent: {opt_in: 0.6}}
defects: [bank.skips_audit]
expect:
  violations: [audit-complete]
)");
  harness::RunOptions async_options, inline_options;
  inline_options.async_judging = false;
  auto a = harness::RunScenario(s, async_options);
  auto b = harness::RunScenario(s, inline_options);
  CHECK(a.passed);
  CHECK(b.passed);
  CheckSameTraceAndMetrics(a, b);
  REQUIRE(a.violations.size() == b.violations.size());
  REQUIRE_FALSE(a.violations.empty());
  CHECK(a.violations[0].message == b.violations[0].message);
}

TEST_CASE("Drawing customer days ahead gives the same run as drawing them inline",
          "[harness][runner][prefetch]") {
  // Enough customers for the world to start the worker (World::kPrefetchMinCustomers),
  // a fraud wave and a drain longer than a day, so that a drawn-ahead day is dropped.
  harness::Scenario s = testing::ScenarioFromYaml(R"(
seed: 11
duration: 2d
drain: 30h
world:
  banks: [{id: northbank}, {id: southbank}]
  customers: {count: 20000, consent: {opt_in: 0.3}, fraud: {compromise_rate_per_year: 5}}
timeline:
  - {at: 20h, fraud_wave: {bank: northbank, cards: 50}}
)");
  harness::RunOptions ahead, inline_days;
  ahead.monitors = inline_days.monitors = false;
  ahead.prefetch_days = true;
  inline_days.prefetch_days = false;
  auto a = harness::RunScenario(s, ahead);
  auto b = harness::RunScenario(s, inline_days);
  CHECK(a.error.empty());
  CheckSameTraceAndMetrics(a, b);
}

TEST_CASE("An interrupted run stops the worker drawing customer days ahead",
          "[harness][runner][prefetch]") {
  harness::Scenario s = testing::ScenarioFromYaml(R"(
duration: 5d
world:
  customers: {count: 20000}
)");
  std::atomic<bool> interrupted{true};  // as if SIGINT came during the first slice
  harness::RunOptions o;
  o.monitors = false;
  o.prefetch_days = true;
  o.interrupted = &interrupted;
  auto r = harness::RunScenario(s, o);
  CHECK(r.incomplete);
  CHECK_FALSE(r.passed);
}
