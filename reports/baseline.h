#pragma once
// The baseline gate (`--baseline OLD/report.json`, DESIGN §7): compares the metrics
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

struct Regression {
  std::string scenario;
  std::string metric;
  double baseline = 0;
  double current = 0;
  // (current - baseline) / baseline, signed; +infinity when the baseline was 0.
  double change_fraction = 0;
};

// Scenarios are matched by id and metrics by name; a scenario or metric missing from
// either side is skipped (not a regression). Result order: scenarios in the order of
// `current`, metrics in the order of that scenario's metrics.
// Fails if tolerance_fraction is negative or not finite.
Result<std::vector<Regression>> CompareWithBaseline(const RunReport& current,
                                                    const RunReport& baseline,
                                                    double tolerance_fraction);

// One line per regression, e.g.
// "fraud/wave: fraud_alert_latency_p99 rose from 2.5 to 4 (+60.0%, tolerance 10.0%)".
// Empty string for no regressions.
std::string DescribeRegressions(const std::vector<Regression>& regressions,
                                double tolerance_fraction);

// "10%" -> 0.1, "0.1" -> 0.1, "0" -> 0. Fails on anything else, e.g.
// "invalid tolerance \"ten\": expected a fraction such as 0.1 or a percentage such as 10%".
Result<double> ParseTolerance(std::string_view text);

}  // namespace bpsim::reports
