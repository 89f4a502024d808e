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

bool WithoutSamples(const ScenarioResult& s, std::string_view metric) {
  const std::string_view base = metric.substr(0, metric.find('@'));
  const char* count = base.rfind("fraud_alert_latency_", 0) == 0  ? "fraud_alerts_displayed"
                      : base.rfind("revocation_latency_", 0) == 0 ? "consents_revoked"
                                                                  : nullptr;
  if (count == nullptr) return false;
  const double* n = s.FindMetric(count);
  return n != nullptr && *n == 0;
}

std::string DescribeScenarioMetric(const ScenarioResult& s, std::string_view metric) {
  const double* value = s.FindMetric(metric);
  if (value == nullptr || WithoutSamples(s, metric)) return "-";
  return DescribeMetric(std::string(metric), *value);
}

}  // namespace bpsim::reports
