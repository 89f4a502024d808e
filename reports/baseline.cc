#include "reports/baseline.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "reports/text.h"

namespace bpsim::reports {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

const ScenarioResult* FindScenario(const RunReport& report, const std::string& id) {
  for (const ScenarioResult& s : report.scenarios) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace

std::string FormatChange(double fraction) {
  if (std::isinf(fraction)) return "from zero";
  // Built with append: GCC 12 at -O3 warns falsely (-Wrestrict) on "lit" + string&&.
  std::string out = fraction >= 0 ? "+" : "";
  out += FormatFixed(fraction * 100, 1);
  out += '%';
  return out;
}

MetricDirection DirectionOf(std::string_view metric) {
  static constexpr std::string_view kHigherIsWorse[] = {
      "violations",     "alerts_lost",         "alerts_duplicated", "api_throttled_429",
      "api_errors_500", "api_unavailable_503", "api_timeouts",      "cache_items_max"};
  for (std::string_view name : kHigherIsWorse) {
    if (metric == name) return MetricDirection::kHigherIsWorse;
  }
  if (StartsWith(metric, "fraud_alert_latency_") || StartsWith(metric, "api_denied_") ||
      StartsWith(metric, "revocation_latency_")) {
    return MetricDirection::kHigherIsWorse;
  }
  if (metric == "balance_answered" || metric == "fraud_alerts_displayed") {
    return MetricDirection::kLowerIsWorse;
  }
  return MetricDirection::kNotGated;
}

Result<BaselineGate> CompareWithBaseline(const RunReport& current, const RunReport& baseline,
                                         double tolerance_fraction, bool strict) {
  if (!std::isfinite(tolerance_fraction) || tolerance_fraction < 0) {
    return Error{"tolerance must be a non-negative fraction, got " +
                 FormatMetricValue(tolerance_fraction)};
  }
  BaselineGate gate;
  gate.tolerance = tolerance_fraction;
  gate.strict = strict;
  std::vector<Regression>& out = gate.regressions;
  for (const ScenarioResult& old : baseline.scenarios) {
    if (FindScenario(current, old.id) == nullptr) gate.not_in_run.push_back(old.id);
  }
  for (const ScenarioResult& now : current.scenarios) {
    if (CouldNotRun(now)) continue;  // nothing measured to compare
    const ScenarioResult* before = FindScenario(baseline, now.id);
    if (before == nullptr) {
      gate.not_in_baseline.push_back(now.id);
      continue;
    }
    ++gate.compared;
    for (const auto& [name, value] : now.metrics) {
      const MetricDirection direction = DirectionOf(name);
      if (direction == MetricDirection::kNotGated) continue;
      const double* old_value = before->FindMetric(name);
      if (old_value == nullptr) continue;
      const double delta = value - *old_value;
      const double worse_by = direction == MetricDirection::kHigherIsWorse ? delta : -delta;
      if (worse_by <= 0) continue;
      const double base = *old_value;
      const double change =
          base == 0 ? std::numeric_limits<double>::infinity() : delta / std::fabs(base);
      const bool from_zero = direction == MetricDirection::kHigherIsWorse && base == 0;
      if (from_zero || worse_by > tolerance_fraction * std::fabs(base)) {
        out.push_back({now.id, name, base, value, change});
      }
    }
  }
  return gate;
}

std::string DescribeRegression(const Regression& r, double tolerance_fraction) {
  return r.metric + (r.current > r.baseline ? " rose from " : " fell from ") +
         DescribeMetric(r.metric, r.baseline) + " to " + DescribeMetric(r.metric, r.current) + " (" +
         FormatChange(r.change_fraction) + ", tolerance " +
         FormatFixed(tolerance_fraction * 100, 1) + "%)";
}

std::vector<RegressionRow> RegressionRows(const BaselineGate& gate) {
  std::vector<RegressionRow> rows;
  for (const Regression& r : gate.regressions) {
    rows.push_back({r.scenario, r.metric, DescribeMetric(r.metric, r.baseline),
                    DescribeMetric(r.metric, r.current), FormatChange(r.change_fraction),
                    FormatFixed(gate.tolerance * 100, 1) + "%"});
  }
  return rows;
}

std::string DescribeGate(const BaselineGate& gate) {
  if (gate.compared == 0) {
    return "No scenario of this run is in " + gate.file + ": nothing was compared" +
           (gate.strict ? " (a failure with --baseline-strict)." : ".");
  }
  const std::size_t n = gate.regressions.size();
  std::string out = std::to_string(gate.compared) + " scenario" + (gate.compared == 1 ? "" : "s") +
                    " compared against " + gate.file + " (tolerance " +
                    FormatFixed(gate.tolerance * 100, 1) + "%): ";
  out += n == 0 ? "no metric regressed." : std::to_string(n) + " metric" + (n == 1 ? "" : "s") + " regressed.";
  return out;
}

std::string DescribeRegressions(const std::vector<Regression>& regressions,
                                double tolerance_fraction) {
  std::string out;
  for (const Regression& r : regressions) {
    out += r.scenario + ": " + DescribeRegression(r, tolerance_fraction) + "\n";
  }
  return out;
}

Result<double> ParseTolerance(std::string_view text) {
  const Error invalid{"invalid tolerance \"" + std::string(text) +
                      "\": expected a fraction such as 0.1 or a percentage such as 10%"};
  std::string_view number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.remove_suffix(1);
  if (number.empty() || number.front() == '+' || number.front() == '-') return invalid;
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value,
                                         std::chars_format::fixed);
  if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(value)) {
    return invalid;
  }
  if (!percent && value > 1) {
    const std::string n(number);
    return Error{"ambiguous tolerance \"" + n + "\": a bare number is a fraction, so " + n +
                 " means " + FormatMetricValue(value * 100) + "%; write " + n + "% for " + n +
                 " percent, or " + FormatMetricValue(value * 100) + "% if that is meant"};
  }
  return percent ? value / 100 : value;
}

}  // namespace bpsim::reports
