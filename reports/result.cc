#include "reports/result.h"

namespace bpsim::reports {

bool IsDurationMetric(std::string_view name) {
  name = name.substr(0, name.find('@'));
  return name == "fraud_alert_latency_p50" || name == "fraud_alert_latency_p99" ||
         name == "fraud_alert_latency_max" || name == "revocation_latency_p50" ||
         name == "revocation_latency_p99" || name == "wall_seconds";
}

bool CouldNotRun(const ScenarioResult& s) { return !s.error.empty() && s.checks.empty(); }

RunVerdict VerdictOf(const RunReport& report) {
  bool failed = report.incomplete || (report.baseline && !report.baseline->passed());
  for (const ScenarioResult& s : report.scenarios) {
    if (CouldNotRun(s)) return RunVerdict::kError;
    failed = failed || !s.passed;
  }
  return failed ? RunVerdict::kFail : RunVerdict::kPass;
}

const char* RunVerdictName(RunVerdict verdict) {
  switch (verdict) {
    case RunVerdict::kPass: return "pass";
    case RunVerdict::kFail: return "fail";
    case RunVerdict::kError: return "error";
  }
  return "?";
}

const double* ScenarioResult::FindMetric(std::string_view name) const {
  for (const auto& [key, value] : metrics) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace bpsim::reports
