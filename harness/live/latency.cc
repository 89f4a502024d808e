#include "harness/live/latency.h"

#include <algorithm>
#include <cmath>

#include "sim/percentile.h"

namespace bpsim::harness::live {

LatencyRecorder::LatencyRecorder()
    : histogram_(boost::histogram::make_histogram_with(
          boost::histogram::dense_storage<std::uint64_t>(),
          Axis(kBins, kLowestSeconds, kHighestSeconds))) {}

void LatencyRecorder::Add(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // NaN or a clock step backwards: count it as 0
  ++count_;
  max_ = std::max(max_, seconds);
  if (exact_.size() < kExactSamples) exact_.push_back(seconds);
  histogram_(seconds);
}

double LatencyRecorder::Percentile(double percent) const {
  if (count_ <= exact_.size()) {
    std::vector<double> sorted = exact_;
    std::sort(sorted.begin(), sorted.end());
    return NearestRank(sorted, percent);
  }
  auto rank = static_cast<std::uint64_t>(std::ceil(percent / 100.0 * double(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  // Bins in order, the underflow (below kLowestSeconds) first, the overflow last.
  for (auto&& bin : boost::histogram::indexed(histogram_, boost::histogram::coverage::all)) {
    seen += *bin;
    if (seen >= rank) return std::min(bin.bin().upper(), max_);
  }
  return max_;
}

}  // namespace bpsim::harness::live
