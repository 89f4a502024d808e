#pragma once
// The baseline gate (`--baseline OLD/report.json`, README.md): compares the metrics
// of a run with an earlier report and names the ones that got worse.
//
// Direction table (docs/report-format.md):
//   higher is worse: violations, alerts_lost, alerts_duplicated, fraud_alert_latency_*
//                    (per bank too), revocation_latency_*, api_denied_*,
//                    api_throttled_429, api_errors_500, api_unavailable_503,
//                    api_timeouts, cache_items_max
//   lower is worse:  balance_answered, fraud_alerts_displayed
//   not gated:       everything else (informational), and wall_seconds (wall clock).
// A gated metric regresses when it moves in its worse direction by more than
// tolerance_fraction of the baseline value; a higher-is-worse metric that goes from
// 0 to more than 0 regresses whatever the tolerance.

#include <string>
#include <string_view>
#include <vector>

#include "reports/result.h"
#include "sim/status.h"

namespace bpsim::reports {

enum class MetricDirection { kHigherIsWorse, kLowerIsWorse, kNotGated };

MetricDirection DirectionOf(std::string_view metric);

// Scenarios are matched by id (the scenario's `scenario:` name) and metrics by name.
// A scenario on one side only is listed in the gate (not_in_baseline / not_in_run;
// with `strict` that fails the gate); a metric missing on either side is skipped.
// Regressions: scenarios in the order of `current`, metrics in the order of that
// scenario's metrics. The gate's `file` is left empty for the caller.
// Fails if tolerance_fraction is negative or not finite.
Result<BaselineGate> CompareWithBaseline(const RunReport& current, const RunReport& baseline,
                                         double tolerance_fraction, bool strict = false);

// "fraud_alert_latency_p99 rose from 2.5 to 4 (+60.0%, tolerance 10.0%)".
std::string DescribeRegression(const Regression& r, double tolerance_fraction);
// One line per regression, each "SCENARIO: " and DescribeRegression, e.g.
// "fraud/wave: fraud_alert_latency_p99 rose from 2.5 to 4 (+60.0%, tolerance 10.0%)".
// Empty string for no regressions.
std::string DescribeRegressions(const std::vector<Regression>& regressions,
                                double tolerance_fraction);
// "+60.0%", "-12.5%", or "from zero" for a change from a baseline of 0.
std::string FormatChange(double change_fraction);

// The gate's regressions as table cells for the text reports: scenario, metric, old,
// new, change, tolerance ("10.0%").
struct RegressionRow {
  std::string scenario, metric, old_value, new_value, change, tolerance;
};
std::vector<RegressionRow> RegressionRows(const BaselineGate& gate);
// One sentence on what the gate compared and found, e.g. "3 scenarios compared
// against old/report.json (tolerance 10.0%): 1 metric regressed." or "No scenario of
// this run is in old/report.json: nothing was compared."
std::string DescribeGate(const BaselineGate& gate);

// "10%" -> 0.1, "0.1" -> 0.1, "0" -> 0, "150%" -> 1.5. A bare number above 1 is
// refused as ambiguous, naming both readings ("5": 500% as a fraction, or did you
// mean 5%?). Fails on anything else, e.g.
// "invalid tolerance \"ten\": expected a fraction such as 0.1 or a percentage such as 10%".
Result<double> ParseTolerance(std::string_view text);

}  // namespace bpsim::reports
