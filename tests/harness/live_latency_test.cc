// LatencyRecorder (harness/live/latency.h): exact nearest-rank percentiles while a
// route has few answers, and past that a histogram's, never below the exact value
// and less than 1 % above it, in memory that stops growing.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "harness/live/latency.h"
#include "sim/percentile.h"

namespace bpsim::harness::live {
namespace {

TEST_CASE("latency recorder is exact while it holds every sample", "[live][latency]") {
  LatencyRecorder r;
  CHECK(r.count() == 0);
  CHECK(r.Percentile(99) == 0);
  std::vector<double> values;
  std::mt19937_64 gen(7);
  std::lognormal_distribution<double> draw(std::log(0.0007), 0.4);
  for (std::size_t i = 0; i < LatencyRecorder::kExactSamples; ++i) {
    values.push_back(draw(gen));
    r.Add(values.back());
  }
  std::sort(values.begin(), values.end());
  CHECK(r.count() == LatencyRecorder::kExactSamples);
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    INFO("p" << p);
    CHECK(r.Percentile(p) == NearestRank(values, p));
  }
}

TEST_CASE("latency recorder past its exact samples is within 1 % above the exact value",
          "[live][latency]") {
  LatencyRecorder r;
  std::vector<double> values;
  std::mt19937_64 gen(11);
  // A load test's shape: most answers near 0.7 ms, a tail to tens of ms, a few zeros
  // (a clock that did not move) and one stall of two minutes.
  std::lognormal_distribution<double> draw(std::log(0.0007), 0.5);
  for (std::size_t i = 0; i < 5 * LatencyRecorder::kExactSamples; ++i) {
    double v = i % 10007 == 0 ? 0.0 : draw(gen);
    if (i == 12345) v = 120.0;
    values.push_back(v);
    r.Add(v);
  }
  std::sort(values.begin(), values.end());
  REQUIRE(r.count() == values.size());
  for (double p : {0.001, 1.0, 50.0, 90.0, 99.0, 99.9, 99.999, 100.0}) {
    INFO("p" << p);
    const double exact = NearestRank(values, p);
    const double got = r.Percentile(p);
    CHECK(got >= exact);
    CHECK(got <= std::max(exact * 1.0097, LatencyRecorder::kLowestSeconds));
  }
  CHECK(r.Percentile(100) == 120.0);  // the largest, exactly
}

TEST_CASE("latency recorder counts a negative or NaN latency as zero", "[live][latency]") {
  LatencyRecorder r;
  r.Add(-1e-6);
  r.Add(std::nan(""));
  r.Add(0.002);
  CHECK(r.count() == 3);
  CHECK(r.Percentile(50) == 0);
  CHECK(r.Percentile(100) == 0.002);
}

}  // namespace
}  // namespace bpsim::harness::live
