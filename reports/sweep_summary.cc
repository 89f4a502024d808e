#include "reports/sweep_summary.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace bpsim::reports {

double NearestRankPercentile(const std::vector<double>& sorted, double q) {
  const double n = static_cast<double>(sorted.size());
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * n));
  if (rank < 1) rank = 1;
  if (rank > sorted.size()) rank = sorted.size();
  return sorted[rank - 1];
}

SweepSummary SummarizeSweep(const std::vector<ScenarioResult>& results) {
  SweepSummary summary;
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> values;
  for (const ScenarioResult& r : results) {
    ++summary.runs;
    if (r.passed) {
      ++summary.passed;
    } else {
      ++summary.failed;
      if (summary.first_failures.size() < kSweepMaxFailuresListed) {
        summary.first_failures.push_back({r.seed, r.repro});
      }
    }
    if (!r.error.empty()) ++summary.errors;
    if (r.incomplete) ++summary.incomplete;
    for (const auto& [name, value] : r.metrics) {
      if (name == "wall_seconds") continue;  // the one wall-clock figure: not comparable
      auto [it, inserted] = values.try_emplace(name);
      if (inserted) order.push_back(name);
      it->second.push_back(value);
    }
  }
  for (const std::string& name : order) {
    std::vector<double>& v = values[name];
    std::sort(v.begin(), v.end());
    MetricSpread m;
    m.name = name;
    m.runs = v.size();
    m.min = v.front();
    m.p50 = NearestRankPercentile(v, 0.50);
    m.p90 = NearestRankPercentile(v, 0.90);
    m.p99 = NearestRankPercentile(v, 0.99);
    m.max = v.back();
    summary.metrics.push_back(std::move(m));
  }
  return summary;
}

}  // namespace bpsim::reports
