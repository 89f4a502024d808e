#pragma once
// The transcendental functions of the simulation's random draws (sim/rng.h), written
// with IEEE 754 basic operations only (+ - * /, conversions and bit moves), so that a
// draw - and with it the trace - does not depend on the C library's version, whose
// log, exp and lgamma may differ in the last bit between releases and machines
// (docs/cluster.md, "Determinism across machines"). sqrt, floor and fabs stay the
// standard ones: IEEE 754 requires sqrt to be correctly rounded and the others are
// exact, so every conforming implementation gives the same bits.
//
// Accuracy: Log and Exp are within 1 ulp of the true value (tests/sim/math_test.cc
// compares them with the C library's over millions of arguments); LogFactorial is
// within a few ulps. They are not correctly rounded, only the same everywhere. The
// build keeps the compiler from fusing a * b + c (-ffp-contract=off in
// CMakeLists.txt), which would change the last bit on machines with FMA.

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

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^11 (its low 21 bits are zero).
inline constexpr double kLn2Hi = 0x1.62e42fee00000p-1;
inline constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;

// log(k!) for k < kLogFactorialTable (math.cc).
inline constexpr int kLogFactorialTable = 256;
const double* LogFactorialTable();

}  // namespace internal

// Natural logarithm. Log(0) = -inf, Log(negative or NaN) = NaN, Log(inf) = inf.
//
// The method of fdlibm's e_log.c (Sun Microsystems, 1993): x = 2^k * (1 + f) with
// 1 + f in [sqrt(2)/2, sqrt(2)), s = f / (2 + f), and log(1 + f) = 2 atanh(s) =
// f - s * (f - R(s^2)), R a degree-7 minimax polynomial with fdlibm's coefficients.
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
  // Mantissa m in [1, 2) and exponent; fold m into [sqrt(2)/2, sqrt(2)).
  k += static_cast<int>(bits >> 52) - 1023;
  std::uint64_t mantissa = bits & 0x000fffffffffffffULL;
  constexpr std::uint64_t kSqrt2Mantissa = 0x6a09e667f3bcdULL;  // sqrt(2) = 0x1.6a09e667f3bcdp+0
  if (mantissa > kSqrt2Mantissa) {
    mantissa |= 0x3fe0000000000000ULL;  // m / 2
    ++k;
  } else {
    mantissa |= 0x3ff0000000000000ULL;
  }
  const double f = FromBits(mantissa) - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  constexpr double kLg1 = 0x1.5555555555593p-1, kLg2 = 0x1.999999997fa04p-2,
                   kLg3 = 0x1.2492494229359p-2, kLg4 = 0x1.c71c51d8e78afp-3,
                   kLg5 = 0x1.7466496cb03dep-3, kLg6 = 0x1.39a09d078c69fp-3,
                   kLg7 = 0x1.2f112df3e5244p-3;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const double r = t2 + t1;
  const double hfsq = 0.5 * f * f;
  const double dk = static_cast<double>(k);
  return dk * kLn2Hi - ((hfsq - (s * (hfsq + r) + dk * kLn2Lo)) - f);
}

// e^x. Exp(x) = inf above log(DBL_MAX), 0 below the smallest subnormal's log.
//
// x = k ln2 + r with |r| <= ln2 / 2 (Cody and Waite's two-part ln 2, so r is exact to
// about 2^-60), e^r by its Taylor polynomial of degree 13 (the first omitted term is
// below 2^-57 there) evaluated by Estrin's scheme, and 2^k put into the exponent.
inline double Exp(double x) {
  using namespace internal;
  if (!(x < 0x1.62e42fefa39efp+9)) {  // >= log(DBL_MAX), or NaN
    return x != x ? x : std::numeric_limits<double>::infinity();
  }
  if (x < -0x1.74910d52d3052p+9) return 0;  // below log(the smallest subnormal / 2)
  constexpr double kInvLn2 = 0x1.71547652b82fep+0;
  constexpr double kRound = 0x1.8p52;  // adding and subtracting it rounds to an integer
  const double kd = (x * kInvLn2 + kRound) - kRound;
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  // e^r = 1 + (r + r^2 Q(r)), Q(r) = c2 + c3 r + ... + c13 r^11 = 1/2! + r/3! + ...
  constexpr double c2 = 0x1.0000000000000p-1, c3 = 0x1.5555555555555p-3,
                   c4 = 0x1.5555555555555p-5, c5 = 0x1.1111111111111p-7,
                   c6 = 0x1.6c16c16c16c17p-10, c7 = 0x1.a01a01a01a01ap-13,
                   c8 = 0x1.a01a01a01a01ap-16, c9 = 0x1.71de3a556c734p-19,
                   c10 = 0x1.27e4fb7789f5cp-22, c11 = 0x1.ae64567f544e4p-26,
                   c12 = 0x1.1eed8eff8d898p-29, c13 = 0x1.6124613a86d09p-33;
  const double r2 = r * r;
  const double r4 = r2 * r2;
  const double r8 = r4 * r4;
  const double q = ((c2 + c3 * r) + (c4 + c5 * r) * r2) +
                   ((c6 + c7 * r) + (c8 + c9 * r) * r2) * r4 +
                   ((c10 + c11 * r) + (c12 + c13 * r) * r2) * r8;
  const double er = 1.0 + (r + r2 * q);
  int k = static_cast<int>(kd);
  // 2^k as a double, in two factors when it leaves the normal range (the result
  // is subnormal or near the top).
  if (k >= -1021 && k <= 1023) return er * FromBits(std::uint64_t(k + 1023) << 52);
  const int half = k / 2;
  return er * FromBits(std::uint64_t(half + 1023) << 52) *
         FromBits(std::uint64_t(k - half + 1023) << 52);
}

// log(k!), the lgamma(k + 1) of Poisson draws: a table for k < 256 (built by
// summing Log(i) in double-double), Stirling's series with three correction terms
// beyond (the next term is below 2^-60 there).
inline double LogFactorial(std::uint64_t k) {
  using namespace internal;
  if (k < static_cast<std::uint64_t>(kLogFactorialTable)) return LogFactorialTable()[k];
  const double n = static_cast<double>(k) + 1.0;  // lgamma(n)
  const double inv = 1.0 / n;
  const double inv2 = inv * inv;
  constexpr double kHalfLog2Pi = 0x1.d67f1c864beb5p-1;
  const double series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260)));
  return ((n - 0.5) * Log(n) - n) + (kHalfLog2Pi + series);
}

}  // namespace bpsim::math
