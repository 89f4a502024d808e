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
  const std::size_t at = metric.find('@');
  const std::string_view base = metric.substr(0, at);
  const char* count = base.rfind("fraud_alert_latency_", 0) == 0  ? "fraud_alerts_displayed"
                      : base.rfind("revocation_latency_", 0) == 0 ? "consents_revoked"
                                                                  : nullptr;
  if (count == nullptr) return false;
  // A per-bank percentile ("NAME@BANK") has the samples of its bank's count.
  const std::string counted =
      at == std::string_view::npos ? std::string(count) : count + std::string(metric.substr(at));
  const double* n = s.FindMetric(counted);
  // A result without per-bank counts (an older report.json): none in all is none in each.
  if (n == nullptr && at != std::string_view::npos) n = s.FindMetric(count);
  return n != nullptr && *n == 0;
}

std::string DescribeScenarioMetric(const ScenarioResult& s, std::string_view metric) {
  const double* value = s.FindMetric(metric);
  if (value == nullptr || WithoutSamples(s, metric)) return "-";
  return DescribeMetric(std::string(metric), *value);
}

}  // namespace bpsim::reports
