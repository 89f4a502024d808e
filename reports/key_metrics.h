#pragma once
// The few metrics that the summary table and the HTML verdict table show per
// scenario, with their labels and units. Shared so both reports agree.

#include <cstdint>
#include <string>

#include "reports/result.h"

namespace bpsim::reports {

struct KeyMetric {
  const char* name;   // metric name in ScenarioResult::metrics
  const char* label;  // column header
  bool is_seconds;    // printed with a unit ("2.35 s")
};

inline constexpr KeyMetric kKeyMetrics[] = {
    {"fraud_alert_latency_p99", "Alert p99", true},
    {"alerts_lost", "Alerts lost", false},
    {"balance_answered", "Balances answered", false},
    {"api_requests", "API requests", false},
};

// How many violations the run found: the "violations" metric when reported (the
// harness may keep only the first violations in `violations`), else the list size.
std::uint64_t ViolationCount(const ScenarioResult& s);

// The metric's value as a table cell, or "-" if the run did not report it.
std::string FormatKeyMetric(const ScenarioResult& s, const KeyMetric& metric);

}  // namespace bpsim::reports
