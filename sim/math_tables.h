#pragma once
// How the tables of sim/math.h are built: double-double arithmetic (Dekker, Knuth)
// from IEEE 754 basic operations alone, so each table value is right to far more
// than 53 bits before it is rounded. Everything here is constexpr: math.cc evaluates
// BuildTables() at compile time (constinit), and tests/sim/math_test.cc runs it at
// run time to check that compile-time evaluation gave the same bits. Included by
// those two files only.

#include "sim/math.h"

namespace bpsim::math::internal::build {

constexpr Pair TwoSum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}
constexpr Pair Split(double a) {
  const double c = 0x1.0000002p+27 * a;  // 2^27 + 1
  const double hi = c - (c - a);
  return {hi, a - hi};
}
constexpr Pair TwoProd(double a, double b) {
  const double p = a * b;
  const Pair x = Split(a), y = Split(b);
  return {p, ((x.hi * y.hi - p) + x.hi * y.lo + x.lo * y.hi) + x.lo * y.lo};
}
constexpr Pair Normalize(double hi, double lo) { return TwoSum(hi, lo); }
constexpr Pair Add(Pair a, Pair b) {
  const Pair s = TwoSum(a.hi, b.hi);
  return Normalize(s.hi, s.lo + a.lo + b.lo);
}
constexpr Pair Mul(Pair a, Pair b) {
  const Pair p = TwoProd(a.hi, b.hi);
  return Normalize(p.hi, p.lo + a.hi * b.lo + a.lo * b.hi);
}
constexpr Pair DivBy(Pair a, double d) {
  const double q1 = a.hi / d;
  const Pair p = TwoProd(q1, d);
  const double rest = ((a.hi - p.hi) - p.lo) + a.lo;
  return Normalize(q1, rest / d);
}

// e^y for |y| < 1 by its Taylor series, in double-double.
constexpr Pair ExpDD(Pair y) {
  Pair sum{1, 0}, term{1, 0};
  for (int n = 1; n < 40; ++n) {
    term = DivBy(Mul(term, y), n);
    sum = Add(sum, term);
  }
  return sum;
}

inline constexpr Pair kLn2 = {0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56};

// log(c) for c in [1, 2], in double-double: Newton's method on e^y = c from the
// series 2 atanh(s), s = (c - 1) / (c + 1), summed in double.
constexpr Pair LogDD(double c) {
  const double s = (c - 1) / (c + 1);
  double y = 0, power = s;
  for (int n = 1; n < 80; n += 2) {
    y += power / n;
    power *= s * s;
  }
  Pair estimate{2 * y, 0};
  for (int step = 0; step < 3; ++step) {
    // y <- y + c e^-y - 1
    const Pair correction = Add(Mul({c, 0}, ExpDD({-estimate.hi, -estimate.lo})), {-1, 0});
    estimate = Add(estimate, correction);
  }
  return estimate;
}

// e^y for y in [-16, 0], in double-double: the series of e^(y/16), squared four times.
constexpr Pair ExpNegativeDD(Pair y) {
  Pair e = ExpDD({y.hi / 16, y.lo / 16});
  for (int i = 0; i < 4; ++i) e = Mul(e, e);
  return e;
}

// log(z) for z > 0, in double-double: k ln 2 + log(z / 2^k), z / 2^k in [1, 2).
constexpr Pair LogPositiveDD(double z) {
  int k = 0;
  while (z < 1) z *= 2, --k;
  while (z >= 2) z /= 2, ++k;
  return Add(Mul(kLn2, {static_cast<double>(k), 0}), LogDD(z));
}

// The square root of w > 0: Newton's method in double from above (it decreases until
// it can no more), then one step in double-double.
constexpr Pair SqrtDD(Pair w) {
  double y = w.hi > 1 ? w.hi : 1;
  while (true) {
    const double next = 0.5 * (y + w.hi / y);
    if (!(next < y)) break;
    y = next;
  }
  // y + (w - y^2) / 2y
  const Pair square = TwoProd(y, y);
  const Pair rest = Add(w, {-square.hi, -square.lo});
  return Add({y, 0}, DivBy(rest, 2 * y));
}

// exp(-x^2 / 2), rounded to double.
constexpr double NormalDensityShape(double x) {
  const Pair square = TwoProd(x, x);
  const Pair e = ExpNegativeDD({-square.hi / 2, -square.lo / 2});
  return e.hi + e.lo;
}

constexpr Tables BuildTables() {
  Tables t{};
  for (int j = 0; j < kLogTableSize; ++j) {
    const double c = 1 + static_cast<double>(j) / (1 << kLogTableBits);
    t.log[j] = {c, 1 / c, j == 0 ? Pair{0, 0} : j == (1 << kLogTableBits) ? kLn2 : LogDD(c)};
  }
  for (int j = 0; j < (1 << kExpTableBits); ++j) {
    t.exp[j] = ExpDD(DivBy(Mul(kLn2, {static_cast<double>(j), 0}), 1 << kExpTableBits));
  }
  // log(k!) = sum of log(i) for i <= k, accumulated in double-double, so the table
  // is as accurate as the logarithms it sums.
  Pair sum{0, 0};
  t.log_factorial[0] = 0;
  for (int i = 1; i < kLogFactorialTable; ++i) {
    sum = Add(sum, LogPositiveDD(static_cast<double>(i)));
    t.log_factorial[i] = sum.hi + sum.lo;
  }
  // The ziggurat: x[i+1] = sqrt(-2 log(area / x[i] + f(x[i]))), so that each layer
  // between x[i+1] and x[i] has the same area.
  double* x = t.ziggurat_x;
  x[0] = kZigguratArea / NormalDensityShape(kZigguratR);
  x[1] = kZigguratR;
  for (int i = 1; i < kZigguratLayers - 1; ++i) {
    const Pair z = Add(Pair{kZigguratArea / x[i], 0}, {NormalDensityShape(x[i]), 0});
    const Pair log_z = LogPositiveDD(z.hi + z.lo);
    const Pair root = SqrtDD({-2 * log_z.hi, -2 * log_z.lo});
    x[i + 1] = root.hi + root.lo;
  }
  x[kZigguratLayers] = 0;
  for (int i = 0; i <= kZigguratLayers; ++i) t.ziggurat_f[i] = NormalDensityShape(x[i]);
  return t;
}

}  // namespace bpsim::math::internal::build
