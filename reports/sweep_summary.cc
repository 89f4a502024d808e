#include "reports/sweep_summary.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "reports/key_metrics.h"
#include "sim/percentile.h"

namespace bpsim::reports {

std::string ShrinkCommand(const std::string& repro) {
  const std::string replay = "bpsim replay ";
  if (repro.rfind(replay, 0) != 0) return "";
  return "bpsim shrink " + repro.substr(replay.size());
}

std::string FailedCheckNames(const ScenarioResult& result) {
  std::string out = result.error.empty() ? "" : "error";
  for (const Check& c : result.checks) {
    if (c.passed) continue;
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
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
      auto count = [&](const std::string& name) {
        auto it = std::find_if(summary.failed_checks.begin(), summary.failed_checks.end(),
                               [&](const FailedCheck& f) { return f.name == name; });
        if (it == summary.failed_checks.end()) {
          summary.failed_checks.push_back({name, 1});
        } else {
          ++it->seeds;
        }
      };
      if (!r.error.empty()) count("error");
      for (const Check& c : r.checks) {
        if (!c.passed) count(c.name);
      }
    }
    if (!r.error.empty()) ++summary.errors;
    if (r.incomplete) ++summary.incomplete;
    for (const auto& [name, value] : r.metrics) {
      if (name == "wall_seconds") continue;  // the one wall-clock figure: not comparable
      if (WithoutSamples(r, name)) continue;  // a latency of no alerts is no value
      auto [it, inserted] = values.try_emplace(name);
      if (inserted) order.push_back(name);
      it->second.push_back(value);
    }
  }
  std::stable_sort(summary.failed_checks.begin(), summary.failed_checks.end(),
                   [](const FailedCheck& a, const FailedCheck& b) { return a.seeds > b.seeds; });
  for (const std::string& name : order) {
    std::vector<double>& v = values[name];
    std::sort(v.begin(), v.end());
    MetricSpread m;
    m.name = name;
    m.runs = v.size();
    m.min = v.front();
    m.p50 = NearestRank(v, 50);
    m.p90 = NearestRank(v, 90);
    m.p99 = NearestRank(v, 99);
    m.max = v.back();
    summary.metrics.push_back(std::move(m));
  }
  return summary;
}

}  // namespace bpsim::reports
