#include "reports/result.h"

namespace bpsim::reports {

const double* ScenarioResult::FindMetric(std::string_view name) const {
  for (const auto& [key, value] : metrics) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace bpsim::reports
