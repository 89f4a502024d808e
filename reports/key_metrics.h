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
};

inline constexpr KeyMetric kKeyMetrics[] = {
    {"fraud_alert_latency_p99", "Alert p99"},
    {"alerts_lost", "Alerts lost"},
    {"balance_answered", "Balances answered"},
    {"api_requests", "API requests"},
};

// How many violations the run found: the "violations" metric when reported (the
// harness may keep only the first violations in `violations`), else the list size.
std::uint64_t ViolationCount(const ScenarioResult& s);

// Whether `metric` is a percentile (or maximum) of latencies of which the run had
// none: fraud_alert_latency_* with no alert displayed, revocation_latency_* with no
// consent revoked; a per-bank one ("NAME@BANK") when its bank's count
// (fraud_alerts_displayed@BANK) is 0. Such a value is 0 in report.json and never
// shown to people.
bool WithoutSamples(const ScenarioResult& s, std::string_view metric);

// A metric's value for people (DescribeMetric), or "-" if the run did not report it
// or it is a latency of zero samples.
std::string DescribeScenarioMetric(const ScenarioResult& s, std::string_view metric);


}  // namespace bpsim::reports
