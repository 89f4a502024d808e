#pragma once
// Seeded randomness (docs/architecture.md, convention 3). One root seed; every entity draws from
// its own stream derived from (seed, stream key), so an entity's draws do not change
// when unrelated entities are added or removed. Streams are xoshiro256** generators
// seeded through SplitMix64, as their authors recommend.
//
// The draws' transcendental functions are the project's own (sim/math.h), not the C
// library's, so a draw gives the same bits on every machine (docs/cluster.md).
//
// Thread safety: an Rng is a value; use one per thread of control.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/math.h"

namespace bpsim {

// z-score of the 99th percentile of the standard normal distribution.
inline constexpr double kZ99 = 2.3263478740408408;

// The constants of Rng::Poisson for one mean, computed once for loops that draw many
// times with the same mean (a population's daily counts). Draws through these give
// exactly the values of Rng::Poisson(mean).
struct PoissonParams {
  double mean = 0;
  // mean < 30 (Knuth): exp(-mean). mean >= 30 (PTRS): the method's constants.
  double limit = 1;
  double loglam = 0, b = 0, a = 0, log_invalpha = 0, vr = 0;

  // REQUIRES: mean finite and below 2^62; mean <= 0 draws 0.
  static PoissonParams Of(double mean);
};

// The constants of Rng::LogNormal(median, p99): draws through these give exactly the
// values of Rng::LogNormal(median, p99).
struct LogNormalParams {
  double median = 1;
  double sigma = 0;  // log(p99 / median) / kZ99

  // REQUIRES: 0 < median <= p99.
  static LogNormalParams Of(double median, double p99);
};

inline std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A well-mixed 64-bit function of its inputs, for building stream keys.
inline std::uint64_t MixKey(std::uint64_t a, std::uint64_t b) {
  std::uint64_t s = a ^ (b * 0xd1b54a32d192ed03ULL);
  std::uint64_t x = SplitMix64(s);
  return x ^ SplitMix64(s);
}

// FNV-1a of a name, so stream keys can be spelled ("customer.consent", id).
constexpr std::uint64_t HashName(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A process's name hashed by the compiler: built only from a string literal, so a
// stream keyed in a loop (a customer-day's) does not hash its name each time (a chain
// of a multiply per character: a fifth of drawing a day, before this existed).
struct StreamName {
  std::uint64_t hash;
  template <std::size_t N>
  consteval StreamName(const char (&name)[N])  // NOLINT: implicit, for literals
      : hash(HashName(std::string_view(name, N - 1))) {}
};

// The key of one stream: a named process of one entity, optionally one epoch of it
// (e.g. a day). Equal keys give equal streams.
constexpr std::uint64_t StreamKeyOf(std::uint64_t process_hash, std::uint64_t entity,
                                    std::uint64_t epoch) {
  std::uint64_t h = process_hash;
  h = (h ^ entity) * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  h = (h ^ (h >> 29)) ^ (epoch * 0xbf58476d1ce4e5b9ULL);
  return h;
}
constexpr std::uint64_t StreamKey(std::string_view process, std::uint64_t entity = 0,
                                  std::uint64_t epoch = 0) {
  return StreamKeyOf(HashName(process), entity, epoch);
}

class Rng {
 public:
  // The stream for (seed, key).
  Rng(std::uint64_t seed, std::uint64_t key) {
    std::uint64_t s = MixKey(seed, key);
    for (auto& word : s_) word = SplitMix64(s);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1], never zero: safe under log().
  double UniformPositive() { return static_cast<double>((Next() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, n), unbiased (Lemire). REQUIRES: n > 0.
  std::uint64_t Below(std::uint64_t n);
  bool Bernoulli(double p) { return Uniform() < p; }
  double Exponential(double mean) { return -mean * math::Log(UniformPositive()); }
  // Standard normal: Marsaglia and Tsang's ziggurat of 256 layers (sim/math.h). One
  // 64-bit draw gives the layer (its low 8 bits) and a signed uniform (its top 53);
  // 98.5 % of values need nothing more, the wedges draw once more and the tail
  // (beyond 3.65, 0.03 %) by Marsaglia's method. Until 2026-12-07 this was Marsaglia's
  // polar method, at three times the cost per log-normal draw (bench/README.md).
  double Normal() {
    const double* x = math::internal::kTables.ziggurat_x;
    const double* f = math::internal::kTables.ziggurat_f;
    while (true) {
      const std::uint64_t bits = Next();
      const unsigned i = static_cast<unsigned>(bits & 0xff);
      // In [-1, 1): the top 53 bits as a signed integer, over 2^52.
      const double u = static_cast<double>(static_cast<std::int64_t>(bits) >> 11) * 0x1.0p-52;
      const double v = u * x[i];
      if (std::fabs(v) < x[i + 1]) return v;
      if (i == 0) return NormalTail(u < 0);
      if (f[i + 1] + (f[i] - f[i + 1]) * Uniform() < math::Exp(-0.5 * v * v)) return v;
    }
  }
  // Poisson with the given mean: Knuth's product method below 30, Hörmann's PTRS
  // from 30 on. REQUIRES: mean finite and below 2^62; mean <= 0 gives 0.
  std::uint64_t Poisson(double mean) { return Poisson(PoissonParams::Of(mean)); }
  std::uint64_t Poisson(const PoissonParams& p);
  // Log-normal with the given median and 99th percentile. REQUIRES: 0 < median <= p99.
  double LogNormal(double median, double p99) {
    return LogNormal(LogNormalParams::Of(median, p99));
  }
  double LogNormal(const LogNormalParams& p) { return p.median * math::Exp(p.sigma * Normal()); }
  // Index drawn with probability proportional to weights[i]; never an index whose
  // weight is zero unless all are. REQUIRES: non-empty, weights >= 0.
  template <typename Weights>
  std::size_t Pick(const Weights& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    std::size_t i = 0, last_positive = 0;
    for (double w : weights) {
      if (x < w) return i;
      x -= w;
      if (w > 0) last_positive = i;
      ++i;
    }
    // Rounding in the subtractions can leave x >= the remaining weight; fall back
    // to the last index that can be drawn at all.
    return last_positive;
  }

 private:
  // A standard normal value beyond kZigguratR (below -kZigguratR if `negative`).
  double NormalTail(bool negative);
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace bpsim
