#include "reports/key_metrics.h"

#include <algorithm>

#include "reports/text.h"

namespace bpsim::reports {

std::uint64_t ViolationCount(const ScenarioResult& s) {
  const double* metric = s.FindMetric("violations");
  const auto listed = static_cast<std::uint64_t>(s.violations.size());
  if (metric == nullptr || !(*metric > 0)) return listed;
  return std::max(listed, static_cast<std::uint64_t>(*metric));
}

std::string FormatKeyMetric(const ScenarioResult& s, const KeyMetric& metric) {
  const double* value = s.FindMetric(metric.name);
  if (value == nullptr) return "-";
  if (metric.is_seconds) return FormatFixed(*value, 2) + " s";
  return FormatMetricValue(*value);
}

}  // namespace bpsim::reports
