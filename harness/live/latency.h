#pragma once
// Wall-clock latencies of one live route (a listener's answers, or bpsim's calls to
// an external platform), for the report's nearest-rank percentiles, in memory that
// does not grow with the length of a load test: a server answering 70,000 requests
// a second for an hour would otherwise keep 250 M samples (2 GB).
//
// The first kExactSamples latencies are kept, and while a route has no more, its
// percentiles are exact (sim/percentile.h's nearest rank, as everywhere in bpsim).
// Every latency also goes to a Boost.Histogram with logarithmic bins from 100 ns to
// 1000 s, each 0.97 % wider than the last; past kExactSamples the percentile is the
// upper edge of the bin that holds the nearest-rank sample, clamped to the largest
// latency seen: at or above the exact value and less than 1 % above it (a
// percentile under 100 ns reads 100 ns, one over 1000 s the largest latency;
// docs/live-mode.md, "Latency percentiles").
//
// Not thread-safe: the caller locks (LiveService::metrics_mu_).

#include <boost/histogram.hpp>

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <vector>

namespace bpsim::harness::live {

class LatencyRecorder {
 public:
  static constexpr std::size_t kExactSamples = 1 << 16;
  static constexpr double kLowestSeconds = 1e-7;
  static constexpr double kHighestSeconds = 1e3;
  static constexpr unsigned kBins = 2400;  // 10 decades: 10^(10/2400) = 1.0096 per bin

  LatencyRecorder();

  void Add(double seconds);
  std::uint64_t count() const { return count_; }
  // The nearest-rank `percent` percentile (0-100); 0 with no samples.
  double Percentile(double percent) const;

 private:
  using Axis = boost::histogram::axis::regular<double, boost::histogram::axis::transform::log>;
  using Histogram =
      boost::histogram::histogram<std::tuple<Axis>, boost::histogram::dense_storage<std::uint64_t>>;

  std::vector<double> exact_;  // the first kExactSamples, unsorted
  Histogram histogram_;
  std::uint64_t count_ = 0;
  double max_ = 0;
};

}  // namespace bpsim::harness::live
