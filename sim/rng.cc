#include "sim/rng.h"

#include <cassert>

namespace bpsim {

double Rng::NormalTail(bool negative) {
  // Marsaglia (1964): r + a with a exponential of rate r, kept with probability
  // exp(-a^2 / 2).
  const double r = math::internal::kZigguratR;
  double a, b;
  do {
    a = -math::Log(UniformPositive()) / r;
    b = -math::Log(UniformPositive());
  } while (b + b < a * a);
  return negative ? -(r + a) : r + a;
}

std::uint64_t Rng::Below(std::uint64_t n) {
  assert(n > 0);
  unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

PoissonParams PoissonParams::Of(double mean) {
  // NaN would loop forever in PTRS, and means near 2^64 overflow the result.
  assert(std::isfinite(mean) && mean < 0x1.0p62);
  PoissonParams p;
  p.mean = mean;
  if (!(mean > 0)) return p;
  if (mean < 30) {
    p.limit = math::Exp(-mean);
    return p;
  }
  double slam = std::sqrt(mean);
  p.loglam = math::Log(mean);
  p.b = 0.931 + 2.53 * slam;
  p.a = -0.059 + 0.02483 * p.b;
  p.log_invalpha = math::Log(1.1239 + 1.1328 / (p.b - 3.4));
  p.vr = 0.9277 - 3.6224 / (p.b - 2);
  return p;
}

std::uint64_t Rng::Poisson(const PoissonParams& p) {
  const double mean = p.mean;
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    // Knuth's multiplication method.
    double prod = 1;
    std::uint64_t k = 0;
    while (true) {
      prod *= Uniform();
      if (prod <= p.limit) return k;
      ++k;
    }
  }
  // Hörmann's PTRS (transformed rejection with squeeze), exact for mean >= 10.
  const double a = p.a, b = p.b;
  while (true) {
    double u = Uniform() - 0.5, v = Uniform(), us = 0.5 - std::fabs(u);
    double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= p.vr) return static_cast<std::uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    // k >= 0 here, an integer below 2^62.
    if (math::Log(v) + p.log_invalpha - math::Log(a / (us * us) + b) <=
        -mean + k * p.loglam - math::LogFactorial(static_cast<std::uint64_t>(k))) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

LogNormalParams LogNormalParams::Of(double median, double p99) {
  assert(median > 0 && p99 >= median);
  return {median, math::Log(p99 / median) / kZ99};
}

}  // namespace bpsim
