#include "sim/rng.h"

#include <cassert>

namespace bpsim {

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

double Rng::Normal() {
  // Marsaglia polar method; the second value is dropped so that the stream's
  // position depends only on the number of calls.
  double u, v, s;
  do {
    u = 2 * Uniform() - 1;
    v = 2 * Uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  return u * std::sqrt(-2 * std::log(s) / s);
}

std::uint64_t Rng::Poisson(double mean) {
  // NaN would loop forever in PTRS, and means near 2^64 overflow the result.
  assert(std::isfinite(mean) && mean < 0x1.0p62);
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    // Knuth's multiplication method.
    double limit = std::exp(-mean), p = 1;
    std::uint64_t k = 0;
    while (true) {
      p *= Uniform();
      if (p <= limit) return k;
      ++k;
    }
  }
  // Hörmann's PTRS (transformed rejection with squeeze), exact for mean >= 10.
  double slam = std::sqrt(mean), loglam = std::log(mean);
  double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    double u = Uniform() - 0.5, v = Uniform(), us = 0.5 - std::fabs(u);
    double k = std::floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - std::lgamma(k + 1)) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

double Rng::LogNormal(double median, double p99) {
  assert(median > 0 && p99 >= median);
  double sigma = std::log(p99 / median) / kZ99;
  return median * std::exp(sigma * Normal());
}

}  // namespace bpsim
