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

std::string Percent(double fraction) {
  if (std::isinf(fraction)) return "from zero";
  // Built with append: GCC 12 at -O3 warns falsely (-Wrestrict) on "lit" + string&&.
  std::string out = fraction >= 0 ? "+" : "";
  out += FormatFixed(fraction * 100, 1);
  out += '%';
  return out;
}

}  // namespace

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

Result<std::vector<Regression>> CompareWithBaseline(const RunReport& current,
                                                    const RunReport& baseline,
                                                    double tolerance_fraction) {
  if (!std::isfinite(tolerance_fraction) || tolerance_fraction < 0) {
    return Error{"tolerance must be a non-negative fraction, got " +
                 FormatMetricValue(tolerance_fraction)};
  }
  std::vector<Regression> out;
  for (const ScenarioResult& now : current.scenarios) {
    const ScenarioResult* before = FindScenario(baseline, now.id);
    if (before == nullptr) continue;
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
  return out;
}

std::string DescribeRegressions(const std::vector<Regression>& regressions,
                                double tolerance_fraction) {
  std::string out;
  for (const Regression& r : regressions) {
    out += r.scenario + ": " + r.metric + (r.current > r.baseline ? " rose from " : " fell from ") +
           FormatMetricValue(r.baseline) + " to " + FormatMetricValue(r.current) + " (" +
           Percent(r.change_fraction) + ", tolerance " + FormatFixed(tolerance_fraction * 100, 1) +
           "%)\n";
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
  return percent ? value / 100 : value;
}

}  // namespace bpsim::reports
