// The library's crash and clock scenarios (docs/world.md, "Crashes and restarts",
// "Clocks"): each defect is a mistake that only its fault shows. The library file
// fails with exactly its invariants; the same world without the fault, or with a
// correct platform, fires nothing.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <variant>

#include "harness/runner.h"

namespace bpsim::harness {
namespace {

Scenario Library(const std::string& file) {
  auto s = LoadScenario(std::string(BPSIM_SOURCE_DIR) + "/scenarios/" + file);
  if (!s.ok()) FAIL(s.error().message);
  return std::move(s).value();
}

std::set<std::string> Fired(const Scenario& s) {
  reports::ScenarioResult r = RunScenario(s, RunOptions{});
  std::set<std::string> ids;
  for (const reports::Violation& v : r.violations) ids.insert(v.invariant);
  return ids;
}

Scenario WithoutCrashes(Scenario s) {
  auto& t = s.spec.timeline;
  t.erase(std::remove_if(t.begin(), t.end(),
                         [](const mocks::TimelineEntry& e) {
                           return std::holds_alternative<mocks::Crash>(e.action);
                         }),
          t.end());
  return s;
}

}  // namespace

TEST_CASE("platform.acks_revocation_before_persisting is shown by a crash and only by one",
          "[scenarios][crash]") {
  const Scenario broken = Library("consent/defect-acks-revocation-before-persisting.yaml");
  CHECK(Fired(broken) == std::set<std::string>{"revocation-honoured"});
  // No crash: the acknowledged end is only in memory, but memory is never lost.
  CHECK(Fired(WithoutCrashes(broken)).empty());
  // A correct platform writes the end before it acknowledges: the crash loses nothing.
  Scenario correct = broken;
  correct.spec.defects = mocks::DefectSet();
  CHECK(Fired(correct).empty());
}

TEST_CASE("platform.trusts_own_clock is shown by a skewed clock and only by one",
          "[scenarios][clock]") {
  const Scenario broken = Library("consent/defect-trusts-own-clock.yaml");
  CHECK(Fired(broken) == std::set<std::string>{"consent-before-access", "revocation-honoured"});
  // Exact clocks: the platform's reading is the true time, the mistake is harmless.
  Scenario exact = broken;
  exact.spec.world.platform.clock = mocks::ClockConfig{};
  for (mocks::BankConfig& b : exact.spec.world.banks) b.clock = mocks::ClockConfig{};
  CHECK(Fired(exact).empty());
  // A correct platform in the same world (the library's consent/clock-skew) passes.
  Scenario twin = broken;
  twin.spec.defects = mocks::DefectSet();
  CHECK(Fired(twin).empty());
  CHECK(Fired(Library("consent/clock-skew.yaml")).empty());
}

}  // namespace bpsim::harness
