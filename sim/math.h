#pragma once
// The transcendental functions of the simulation's random draws (sim/rng.h), written
// with IEEE 754 basic operations only (+ - * /, conversions and bit moves), so that a
// draw - and with it the trace - does not depend on the C library's version, whose
// log, exp and lgamma may differ in the last bit between releases and machines
// (docs/cluster.md, "Determinism"). sqrt, floor and fabs stay the standard ones: IEEE
// 754 requires sqrt to be correctly rounded and the others are exact, so every
// conforming implementation gives the same bits.
//
// Log and Exp are table-driven, like the C library's own: a small table (built at
// compile time, in double-double precision, from the same basic operations) and a
// short polynomial, so a draw costs about what it did with libm (bench/rng_bench.cc
// compares them).
// Accuracy: within one ulp of the true value (tests/sim/math_test.cc checks them
// against the C library's over millions of arguments); LogFactorial within a few.
// They are not correctly rounded, only the same everywhere. The build keeps the
// compiler from fusing a * b + c (-ffp-contract=off in CMakeLists.txt), which would
// change the last bit on machines with FMA.

#include <cstdint>
#include <cstring>
#include <limits>

namespace bpsim::math {
namespace internal {

inline std::uint64_t Bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline double FromBits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// ln 2 = kLn2Hi + kLn2Lo; kLn2Hi's low 21 bits are zero, so k * kLn2Hi is exact for
// |k| < 2^21.
inline constexpr double kLn2Hi = 0x1.62e42fee00000p-1;
inline constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;

// A double-double value hi + lo, |lo| <= ulp(hi) / 2.
struct Pair {
  double hi, lo;
};

// Log's table: for m in [1, 2], the center c_j = 1 + j/64 nearest to it (j = 0..64),
// 1 / c_j rounded, and log(c_j) in double-double.
inline constexpr int kLogTableBits = 6;
struct LogEntry {
  double c, inv_c;
  Pair log_c;
};
inline constexpr int kLogTableSize = (1 << kLogTableBits) + 1;

// Exp's table: 2^(j/32) in double-double, j = 0..31.
inline constexpr int kExpTableBits = 5;

// log(k!) for k < kLogFactorialTable.
inline constexpr int kLogFactorialTable = 256;

// The standard normal's ziggurat (Marsaglia and Tsang, 2000) of 256 layers of equal
// area kZigguratArea: the tail starts at kZigguratR; the layers' edges x[0..256]
// (x[0] = area / f(r), the base's width; x[1] = r; x[256] = 0) and f[i] =
// exp(-x[i]^2 / 2). Rng::Normal reads them.
inline constexpr int kZigguratLayers = 256;
inline constexpr double kZigguratR = 3.6541528853610088;
inline constexpr double kZigguratArea = 0.00492867323399;

// The four tables, computed at compile time (sim/math_tables.h; constinit in
// math.cc): a draw reads them at a fixed address, where functions returning lazily
// built tables cost a call and an initialisation check per Log or Exp (a card
// amount's draw 0.85x the time without them; bench/README.md, 2026-12-07).
// tests/sim/math_test.cc builds them again at run time and checks that both give
// the same bits.
struct Tables {
  LogEntry log[kLogTableSize];
  Pair exp[1 << kExpTableBits];
  double log_factorial[kLogFactorialTable];
  double ziggurat_x[kZigguratLayers + 1];
  double ziggurat_f[kZigguratLayers + 1];
};
extern const Tables kTables;

// x * 2^e for e in [-1075, 1024] and x in [1/2, 2] (in two factors when 2^e leaves
// the normal range: the result is subnormal or near the top).
inline double Scale(double x, int e) {
  if (e >= -1022 && e <= 1023) return x * FromBits(std::uint64_t(e + 1023) << 52);
  const int half = e / 2;
  return x * FromBits(std::uint64_t(half + 1023) << 52) *
         FromBits(std::uint64_t(e - half + 1023) << 52);
}

}  // namespace internal

// Natural logarithm. Log(0) = -inf, Log(negative or NaN) = NaN, Log(inf) = inf.
//
// x = 2^k m with m in [1, 2); c the table's center nearest m (|m - c| <= 1/128, and
// m - c is exact); r = (m - c) / c (one multiplication by the rounded 1/c: r's error
// is far below the result's last bit); log x = k ln 2 + log c + log1p(r), log1p by
// its Taylor polynomial of degree 8 (the first omitted term is below 2^-59 of r). For
// m near 1 the center is 1 itself (log c = 0, r = m - 1 exactly), so results near 0
// keep their relative accuracy; near 2, c = 2 and k ln 2 + log 2 cancel exactly.
inline double Log(double x) {
  using namespace internal;
  std::uint64_t bits = Bits(x);
  int k = 0;
  if (bits >= 0x7ff0000000000000ULL || bits < 0x0010000000000000ULL) {
    // Negative (sign bit set), inf, NaN, zero or subnormal.
    if (x != x || x < 0) return std::numeric_limits<double>::quiet_NaN();
    if (x == 0) return -std::numeric_limits<double>::infinity();
    if (bits == 0x7ff0000000000000ULL) return x;
    x *= 0x1p54;  // subnormal: scale into the normal range
    bits = Bits(x);
    k = -54;
  }
  k += static_cast<int>(bits >> 52) - 1023;
  const double m = FromBits((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  // The nearest center: the mantissa's top 7 bits, rounded to 6.
  const auto j = static_cast<int>(((bits >> (51 - kLogTableBits)) & ((1u << (kLogTableBits + 1)) - 1)) + 1) >> 1;
  const LogEntry& t = kTables.log[j];
  const double r = (m - t.c) * t.inv_c;
  const double r2 = r * r;
  const double r4 = r2 * r2;
  constexpr double k3 = 0x1.5555555555555p-2, k5 = 0x1.999999999999ap-3,
                   k6 = 0x1.5555555555555p-3, k7 = 0x1.2492492492492p-3;
  // log1p(r) - r = r^2 (-1/2 + r/3 - r^2/4 + r^3/5 - r^4/6 + r^5/7 - r^6/8)
  const double q = (-0.5 + r * k3) + r2 * (-0.25 + r * k5) + r4 * ((-k6 + r * k7) + r2 * -0.125);
  const double dk = static_cast<double>(k);
  const double hi = dk * kLn2Hi + t.log_c.hi;
  const double lo = dk * kLn2Lo + t.log_c.lo;
  return hi + (r + (lo + r2 * q));
}

// e^x. Exp(x) = inf above log(DBL_MAX), 0 below the smallest subnormal's log.
//
// x = (32 k + j) ln2/32 + r with |r| <= ln2/64 (the two-part ln 2 keeps r exact to
// about 2^-60); e^x = 2^k 2^(j/32) e^r, 2^(j/32) from the table in double-double and
// e^r - 1 by its Taylor polynomial of degree 6 (the first omitted term is below
// 2^-58).
inline double Exp(double x) {
  using namespace internal;
  if (!(x < 0x1.62e42fefa39efp+9)) {  // >= log(DBL_MAX), or NaN
    return x != x ? x : std::numeric_limits<double>::infinity();
  }
  if (x < -0x1.74910d52d3052p+9) return 0;  // below log(the smallest subnormal / 2)
  constexpr double kN = 1 << kExpTableBits;
  constexpr double kInvLn2N = 0x1.71547652b82fep+0 * kN;
  constexpr double kLn2NHi = kLn2Hi / kN, kLn2NLo = kLn2Lo / kN;  // exact: powers of 2
  constexpr double kRound = 0x1.8p52;  // adding and subtracting it rounds to an integer
  const double kd = (x * kInvLn2N + kRound) - kRound;
  const double r = (x - kd * kLn2NHi) - kd * kLn2NLo;
  const int n = static_cast<int>(kd);
  const int j = n & ((1 << kExpTableBits) - 1);
  const int e = n >> kExpTableBits;  // floor division (C++20 shifts are arithmetic)
  constexpr double k3 = 0x1.5555555555555p-3, k4 = 0x1.5555555555555p-5,
                   k5 = 0x1.1111111111111p-7, k6 = 0x1.6c16c16c16c17p-10;
  const double r2 = r * r;
  const double p = r + r2 * ((0.5 + r * k3) + r2 * ((k4 + r * k5) + r2 * k6));  // e^r - 1
  const Pair& t = kTables.exp[j];
  return Scale(t.hi + (t.hi * p + t.lo), e);
}

// log(k!), the lgamma(k + 1) of Poisson draws: a table for k < 256 (built by
// summing Log(i) in double-double), Stirling's series with three correction terms
// beyond (the next term is below 2^-60 there).
inline double LogFactorial(std::uint64_t k) {
  using namespace internal;
  if (k < static_cast<std::uint64_t>(kLogFactorialTable)) return kTables.log_factorial[k];
  const double n = static_cast<double>(k) + 1.0;  // lgamma(n)
  const double inv = 1.0 / n;
  const double inv2 = inv * inv;
  constexpr double kHalfLog2Pi = 0x1.d67f1c864beb5p-1;
  const double series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260)));
  return ((n - 0.5) * Log(n) - n) + (kHalfLog2Pi + series);
}

}  // namespace bpsim::math
