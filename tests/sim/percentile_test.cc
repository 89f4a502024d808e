// The one nearest-rank percentile (sim/percentile.h) that invariants, metrics, sweep
// spreads and live endpoint latencies all use.

#include "sim/percentile.h"

#include <catch2/catch.hpp>
#include <vector>

#include "sim/time.h"

using bpsim::NearestRank;

TEST_CASE("Nearest-rank percentiles pick values that occurred", "[sim][percentile]") {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(NearestRank(v, 50) == 5);
  CHECK(NearestRank(v, 90) == 9);
  CHECK(NearestRank(v, 99) == 10);
  CHECK(NearestRank(v, 0) == 1);  // rank at least 1
  CHECK(NearestRank(v, 100) == 10);
  CHECK(NearestRank(std::vector<double>{4}, 99) == 4);
  // 100 values: p99 is the 99th, not the largest.
  std::vector<bpsim::SimTime> hundred;
  for (bpsim::SimTime t = 1; t <= 100; ++t) hundred.push_back(t * bpsim::kSecond);
  CHECK(NearestRank(hundred, 99) == 99 * bpsim::kSecond);
  CHECK(NearestRank(hundred, 50) == 50 * bpsim::kSecond);
}

TEST_CASE("A percentile of no values is the zero of its type", "[sim][percentile]") {
  CHECK(NearestRank(std::vector<double>{}, 99) == 0.0);
  CHECK(NearestRank(std::vector<bpsim::SimTime>{}, 50) == 0);
}
