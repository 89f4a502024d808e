#pragma once
// Shared by the sweep tests: a small scenario (a few hundred customers, one day) so
// that a sweep of a few seeds takes seconds, and report comparison without the
// wall-clock fields.

#include <catch2/catch.hpp>
#include <string>

#include "harness/scenario/scenario.h"
#include "reports/json_report.h"
#include "reports/result.h"

namespace bpsim::testing {

// outages/messenger-down from the library, shrunk. `metric_bound` is put under
// expect.metrics, e.g. "consents_granted: {min: 70}".
inline std::string SmallSweepScenarioText(const std::string& metric_bound = "") {
  std::string text =
      "scenario: sweep/small\n"
      "description: messenger-down from the library, shrunk for sweep tests.\n"
      "seed: 5\n"
      "duration: 1d\n"
      "world:\n"
      "  banks: [{id: northbank}, {id: southbank}]\n"
      "  customers:\n"
      "    count: 150\n"
      "    consent: {opt_in: 0.5}\n"
      "    fraud: {compromise_rate_per_year: 20}\n"
      "timeline:\n"
      "  - at: 6h\n"
      "    outage: {target: messenger, for: 1h, mode: unavailable}\n"
      "  - at: 12h\n"
      "    revoke_consents: {fraction: 0.2}\n"
      "  - at: 18h\n"
      "    outage: {target: northbank, for: 30m, mode: errors}\n";
  if (!metric_bound.empty()) text += "expect:\n  metrics:\n    " + metric_bound + "\n";
  return text;
}

inline harness::Scenario SmallSweepScenario(const std::string& metric_bound = "") {
  auto s = harness::ParseScenario(SmallSweepScenarioText(metric_bound), "sweep-small.yaml");
  REQUIRE(s.ok());
  return std::move(s).value();
}

// report.json without what may differ between equal sweeps: wall-clock figures and
// the command line.
inline std::string Deterministic(reports::RunReport report) {
  report.wall_seconds = 0;
  report.command.clear();
  for (reports::ScenarioResult& r : report.scenarios) r.wall_seconds = 0;
  return reports::RenderJsonReport(report);
}

}  // namespace bpsim::testing
