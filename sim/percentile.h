#pragma once
// The one percentile bpsim computes, wherever it reports one (invariants and metrics,
// sweep spreads, live endpoints' latencies): nearest rank.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace bpsim {

// The nearest-rank `percent` percentile (0-100) of values sorted ascending: the value
// at rank ceil(percent / 100 x n), at least 1, so that at least `percent` % of the
// values are at or below it, and it is always one of them. T{} when there are no
// values: a percentile of nothing is no number, so callers that show one to people
// check for samples first (docs/report-format.md).
template <typename T>
T NearestRank(const std::vector<T>& sorted, double percent) {
  if (sorted.empty()) return T{};
  auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * double(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace bpsim
