#include "reports/key_metrics.h"

#include "reports/text.h"

namespace bpsim::reports {

std::string FormatKeyMetric(const ScenarioResult& s, const KeyMetric& metric) {
  const double* value = s.FindMetric(metric.name);
  if (value == nullptr) return "-";
  if (metric.is_seconds) return FormatFixed(*value, 2) + " s";
  return FormatMetricValue(*value);
}

}  // namespace bpsim::reports
