#include "sim/rng.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

using namespace bpsim;

// Every statistical check below uses 10^5 draws from a fixed seed, so the outcome is
// deterministic; the tolerances are nevertheless set at about 5 standard errors of
// the estimated quantity, so that a correct generator would also pass for (nearly)
// any other seed and a changed seed never produces a spurious failure.

namespace {

constexpr int kDraws = 100'000;

struct Moments {
  double mean = 0;
  double variance = 0;
};

template <typename Draw>
Moments Sample(Draw draw) {
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < kDraws; ++i) {
    double x = draw();
    sum += x;
    sum_sq += x * x;
  }
  Moments m;
  m.mean = sum / kDraws;
  m.variance = (sum_sq - sum * m.mean) / (kDraws - 1);
  return m;
}

// The q-quantile of v (reorders v).
double Quantile(std::vector<double>& v, double q) {
  auto k = static_cast<std::size_t>(q * static_cast<double>(v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

TEST_CASE("Rng produces pinned values for seed 1", "[sim][rng]") {
  // Pinned so that an accidental change to the generator, the seeding or the key
  // derivation (which would change every recorded trace hash) fails loudly.
  CHECK(StreamKey("customer.consent", 42, 3) == 0x67b3def675d685b8ULL);
  Rng rng(1, StreamKey("pinned"));
  CHECK(rng.Next() == 0x84350913bc23cc89ULL);
  CHECK(rng.Next() == 0x25e8eaa0a41f2d8cULL);
  CHECK(rng.Next() == 0x42139609e080846eULL);
  CHECK(rng.Below(1000) == 979);
  CHECK(rng.Poisson(4) == 6);
  CHECK(rng.Poisson(1000) == 979);
}

TEST_CASE("SplitMix64 matches its reference output for state 0", "[sim][rng]") {
  std::uint64_t state = 0;
  CHECK(SplitMix64(state) == 0xe220a8397b1dcdafULL);
  CHECK(SplitMix64(state) == 0x6e789e6aa1b965f4ULL);
  CHECK(SplitMix64(state) == 0x06c45d188009454fULL);
}

TEST_CASE("A stream's draws do not depend on other streams created or used in between",
          "[sim][rng]") {
  std::vector<std::uint64_t> alone;
  {
    Rng a(7, StreamKey("customer.login", 12));
    for (int i = 0; i < 100; ++i) alone.push_back(a.Next());
  }
  Rng a(7, StreamKey("customer.login", 12));
  std::vector<Rng> others;
  std::vector<std::uint64_t> interleaved;
  for (int i = 0; i < 100; ++i) {
    others.emplace_back(7, StreamKey("customer.login", 100 + static_cast<std::uint64_t>(i)));
    for (Rng& o : others) o.Next();
    interleaved.push_back(a.Next());
  }
  CHECK(interleaved == alone);
}

TEST_CASE("StreamKey distinguishes process, entity and epoch", "[sim][rng]") {
  std::set<std::uint64_t> keys;
  std::set<std::uint64_t> first_draws;
  int count = 0;
  for (const char* process : {"customer.login", "customer.consent", "bank.fraud"}) {
    for (std::uint64_t entity = 0; entity < 100; ++entity) {
      for (std::uint64_t epoch = 0; epoch < 10; ++epoch) {
        std::uint64_t key = StreamKey(process, entity, epoch);
        keys.insert(key);
        first_draws.insert(Rng(1, key).Next());
        ++count;
      }
    }
  }
  CHECK(keys.size() == static_cast<std::size_t>(count));
  CHECK(first_draws.size() == static_cast<std::size_t>(count));
  CHECK(StreamKey("a") == StreamKey("a", 0, 0));
  CHECK(StreamKey("a", 1) != StreamKey("b", 1));
  CHECK(StreamKey("a", 1, 0) != StreamKey("a", 0, 1));
}

TEST_CASE("Different seeds and keys give different sequences", "[sim][rng]") {
  Rng a(1, StreamKey("x")), b(2, StreamKey("x")), c(1, StreamKey("y"));
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 1'000; ++i) {
    std::uint64_t va = a.Next();
    same_ab += va == b.Next();
    same_ac += va == c.Next();
  }
  CHECK(same_ab == 0);
  CHECK(same_ac == 0);
}

TEST_CASE("Uniform has mean 1/2 and variance 1/12", "[sim][rng]") {
  Rng rng(1, StreamKey("test.uniform"));
  Moments m = Sample([&] { return rng.Uniform(); });
  // SE(mean) = sqrt(1/12 / n) = 0.00091; SE(var) = sqrt((1/80 - 1/144) / n) = 0.00024.
  CHECK(m.mean == Approx(0.5).margin(0.0046));
  CHECK(m.variance == Approx(1.0 / 12).margin(0.0012));
  Rng positive(1, StreamKey("test.uniform_positive"));
  for (int i = 0; i < kDraws; ++i) {
    double u = positive.UniformPositive();
    REQUIRE(u > 0);
    REQUIRE(u <= 1);
  }
}

TEST_CASE("Below draws every value with equal frequency", "[sim][rng]") {
  Rng rng(1, StreamKey("test.below"));
  constexpr int kBuckets = 100;
  std::vector<int> counts(kBuckets, 0);
  for (int i = 0; i < kDraws; ++i) {
    std::uint64_t v = rng.Below(kBuckets);
    REQUIRE(v < kBuckets);
    ++counts[v];
  }
  double expected = static_cast<double>(kDraws) / kBuckets, chi2 = 0;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  // Chi-square with 99 degrees of freedom: mean 99, sd sqrt(198) = 14.1; 170 is 5 sd
  // above the mean (p < 1e-6). A generator skewed by modulo bias or a broken
  // threshold pushes it far beyond.
  CHECK(chi2 < 170);
  CHECK(chi2 > 40);  // suspiciously perfect counts would mean the draws are not random
  // Sizes near 2^64, where a biased reduction would matter most, stay in range.
  const std::uint64_t huge = (1ULL << 63) + 12345;
  for (int i = 0; i < 1'000; ++i) REQUIRE(rng.Below(huge) < huge);
  CHECK(rng.Below(1) == 0);
}

TEST_CASE("Bernoulli fires at its rate", "[sim][rng]") {
  Rng rng(1, StreamKey("test.bernoulli"));
  int hits = 0;
  for (int i = 0; i < kDraws; ++i) hits += rng.Bernoulli(0.3);
  // SE = sqrt(0.3 * 0.7 / n) = 0.00145.
  CHECK(static_cast<double>(hits) / kDraws == Approx(0.3).margin(0.0073));
  CHECK_FALSE(rng.Bernoulli(0.0));
  CHECK(rng.Bernoulli(1.0));
}

TEST_CASE("Exponential has the requested mean and median mean*ln2", "[sim][rng]") {
  Rng rng(1, StreamKey("test.exponential"));
  const double mean = 2.0;
  std::vector<double> v;
  v.reserve(kDraws);
  for (int i = 0; i < kDraws; ++i) v.push_back(rng.Exponential(mean));
  double sum = 0;
  for (double x : v) {
    REQUIRE(x >= 0);
    sum += x;
  }
  // SE(mean) = mean / sqrt(n) = 0.0063; SE(median) = 1 / (2 f(median) sqrt(n)) with
  // f(median) = 1 / (2 mean), also 0.0063.
  CHECK(sum / kDraws == Approx(mean).margin(0.032));
  CHECK(Quantile(v, 0.5) == Approx(mean * std::log(2.0)).margin(0.032));
}

TEST_CASE("Normal has mean 0 and variance 1", "[sim][rng]") {
  Rng rng(1, StreamKey("test.normal"));
  Moments m = Sample([&] { return rng.Normal(); });
  // SE(mean) = 1/sqrt(n) = 0.0032; SE(var) = sqrt(2/n) = 0.0045.
  CHECK(m.mean == Approx(0).margin(0.016));
  CHECK(m.variance == Approx(1).margin(0.023));
}

TEST_CASE("Normal gives each interval the standard normal's probability, wedges and tails too",
          "[sim][rng]") {
  // The ziggurat's three paths: layer interiors (most draws), the wedges between
  // layers (a second draw and an exp) and the tails beyond its base, |x| > r = 3.654
  // (0.026 % of draws). A wrong table or a wrong wedge test skews the frequencies of
  // the intervals below; the outermost two are the tails alone.
  const double r = math::internal::kZigguratR;
  const std::vector<double> cuts = {-r, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, r};
  std::vector<int> counts(cuts.size() + 1, 0);
  constexpr int kMany = 4'000'000;
  Rng rng(1, StreamKey("test.normal.intervals"));
  for (int i = 0; i < kMany; ++i) {
    const double x = rng.Normal();
    ++counts[static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), x) - cuts.begin())];
  }
  auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const double lo = k == 0 ? 0 : cdf(cuts[k - 1]);
    const double hi = k == cuts.size() ? 1 : cdf(cuts[k]);
    const double p = hi - lo;
    // Binomial SE of a frequency: sqrt(p (1 - p) / n); the tails' p = 1.29e-4 gives
    // about 516 draws each, SE 23.
    const double se = std::sqrt(p * (1 - p) / kMany);
    INFO("interval " << k << " expected " << p * kMany << " got " << counts[k]);
    CHECK(static_cast<double>(counts[k]) / kMany == Approx(p).margin(5 * se));
  }
}

TEST_CASE("Poisson has mean and variance equal to its mean on both algorithm branches",
          "[sim][rng]") {
  // 0.3 and 4 use the product method, 50 and 1000 use PTRS.
  for (double lambda : {0.3, 4.0, 50.0, 1000.0}) {
    Rng rng(1, StreamKey("test.poisson", static_cast<std::uint64_t>(lambda * 10)));
    Moments m = Sample([&] { return static_cast<double>(rng.Poisson(lambda)); });
    // SE(mean) = sqrt(lambda / n); SE(var) = sqrt((lambda + 2 lambda^2) / n), from the
    // Poisson fourth central moment lambda (1 + 3 lambda).
    double se_mean = std::sqrt(lambda / kDraws);
    double se_var = std::sqrt((lambda + 2 * lambda * lambda) / kDraws);
    INFO("lambda " << lambda << " mean " << m.mean << " variance " << m.variance);
    CHECK(m.mean == Approx(lambda).margin(5 * se_mean));
    CHECK(m.variance == Approx(lambda).margin(5 * se_var));
  }
  Rng rng(1, StreamKey("test.poisson.zero"));
  CHECK(rng.Poisson(0) == 0);
  CHECK(rng.Poisson(-1) == 0);
}

TEST_CASE("Poisson with mean 4 matches the probability of each small count", "[sim][rng]") {
  Rng rng(1, StreamKey("test.poisson.pmf"));
  std::vector<int> counts(30, 0);
  for (int i = 0; i < kDraws; ++i) {
    std::uint64_t k = rng.Poisson(4);
    if (k < counts.size()) ++counts[k];
  }
  double p = std::exp(-4.0);
  for (int k = 0; k <= 10; ++k) {
    // Binomial SE of a frequency: sqrt(p (1 - p) / n).
    double se = std::sqrt(p * (1 - p) / kDraws);
    INFO("k " << k);
    CHECK(static_cast<double>(counts[static_cast<std::size_t>(k)]) / kDraws ==
          Approx(p).margin(5 * se));
    p *= 4.0 / (k + 1);
  }
}

TEST_CASE("LogNormal has the requested median and 99th percentile", "[sim][rng]") {
  Rng rng(1, StreamKey("test.lognormal"));
  const double median = 100, p99 = 1000;
  std::vector<double> v;
  v.reserve(kDraws);
  for (int i = 0; i < kDraws; ++i) v.push_back(rng.LogNormal(median, p99));
  // sigma = ln(10) / 2.326 = 0.99. SE(q) = sqrt(q (1 - q) / n) / f(x_q):
  // median: f = 1 / (100 * 0.99 * sqrt(2 pi)) = 0.0040, SE = 0.39 (0.4%);
  // p99: f = phi(2.326) / (1000 * 0.99) = 2.7e-5, SE = 11.7 (1.2%).
  CHECK(Quantile(v, 0.5) == Approx(median).epsilon(0.02));
  CHECK(Quantile(v, 0.99) == Approx(p99).epsilon(0.06));
  CHECK(rng.LogNormal(5, 5) == Approx(5));  // p99 == median: no spread
}

TEST_CASE("Pick draws in proportion to weights and never a zero weight", "[sim][rng]") {
  Rng rng(1, StreamKey("test.pick"));
  const std::vector<double> weights = {1, 0, 3, 0};
  std::vector<int> counts(weights.size(), 0);
  for (int i = 0; i < kDraws; ++i) ++counts[rng.Pick(weights)];
  CHECK(counts[1] == 0);
  CHECK(counts[3] == 0);
  // SE of the 0.25 share = sqrt(0.25 * 0.75 / n) = 0.0014.
  CHECK(static_cast<double>(counts[0]) / kDraws == Approx(0.25).margin(0.007));
}

TEST_CASE("Draws through precomputed parameters equal the plain draws bit for bit",
          "[sim][rng]") {
  // The population draws with PoissonParams / LogNormalParams; recorded traces
  // depend on these being exactly the values of Poisson(mean) / LogNormal(m, p99).
  for (double mean : {-1.0, 0.0, 0.3, 2.5, 4.0, 29.99, 30.0, 50.0, 1000.0}) {
    INFO("mean " << mean);
    const PoissonParams params = PoissonParams::Of(mean);
    Rng a(7, StreamKey("params.poisson")), b(7, StreamKey("params.poisson"));
    for (int i = 0; i < 10'000; ++i) REQUIRE(a.Poisson(mean) == b.Poisson(params));
    CHECK(a.Next() == b.Next());  // and the streams stay in step
  }
  for (auto [median, p99] : {std::pair{1.0, 1.0}, {100.0, 1000.0}, {4'000.0, 60'000.0}}) {
    INFO("median " << median << ", p99 " << p99);
    const LogNormalParams params = LogNormalParams::Of(median, p99);
    Rng a(7, StreamKey("params.lognormal")), b(7, StreamKey("params.lognormal"));
    for (int i = 0; i < 10'000; ++i) {
      const double x = a.LogNormal(median, p99), y = b.LogNormal(params);
      REQUIRE(std::memcmp(&x, &y, sizeof x) == 0);
    }
  }
}
