#include "sim/math.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "sim/math_tables.h"
#include "sim/rng.h"

using namespace bpsim;

// The C library is the judge of accuracy here (glibc's log and exp are within one ulp
// of the true value); sim/math.h is what the simulation uses, so that the draws do
// not change with the C library's version.

namespace {

std::int64_t OrderedBits(double x) {
  std::int64_t i;
  std::memcpy(&i, &x, sizeof i);
  return i < 0 ? std::numeric_limits<std::int64_t>::min() - i : i;
}

// Distance in units in the last place between two finite doubles.
std::int64_t UlpDistance(double a, double b) {
  const std::int64_t d = OrderedBits(a) - OrderedBits(b);
  return d < 0 ? -d : d;
}

std::uint64_t BitsOf(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

// The largest distance in ulps between ours and the C library's over `args`, and
// where it is.
template <typename Ours, typename Libm>
std::pair<std::int64_t, double> WorstUlp(Ours ours, Libm libm, const std::vector<double>& args) {
  std::pair<std::int64_t, double> worst{0, 0};
  for (double x : args) {
    const std::int64_t d = UlpDistance(ours(x), libm(x));
    if (d > worst.first) worst = {d, x};
  }
  return worst;
}

}  // namespace

TEST_CASE("math::Log is within one ulp of the C library's log", "[sim][math]") {
  Rng rng(1, StreamKey("test.math.log"));
  // Uniform draws (what Exponential and Normal take the log of), values near 1 (where
  // the result is tiny), and arguments spread over the whole exponent range.
  std::vector<double> args = {1.0, 2.0, 0.5, 10.0, 1e-300, 1e300, 4.9e-324,
                              2.2250738585072014e-308, 1.7976931348623157e308, std::sqrt(2.0),
                              std::nextafter(std::sqrt(2.0), 2.0)};
  for (int i = 0; i < 1'000'000; ++i) {
    args.push_back(rng.UniformPositive());
    args.push_back(1 + (rng.Uniform() - 0.5) * 0x1p-10);
    args.push_back(std::ldexp(1 + rng.Uniform(), static_cast<int>(rng.Below(2046)) - 1022));
  }
  const auto [worst, at] = WorstUlp(math::Log, [](double x) { return std::log(x); }, args);
  INFO("worst at " << at);
  CHECK(worst <= 1);
  CHECK(math::Log(1.0) == 0);
  CHECK(math::Log(0.0) == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(math::Log(-1.0)));
  CHECK(std::isnan(math::Log(std::numeric_limits<double>::quiet_NaN())));
  CHECK(math::Log(std::numeric_limits<double>::infinity()) ==
        std::numeric_limits<double>::infinity());
}

TEST_CASE("math::Exp is within one ulp of the C library's exp", "[sim][math]") {
  Rng rng(1, StreamKey("test.math.exp"));
  // sigma * Normal() of log-normal draws, -mean of Poisson limits, and the whole range
  // down into the subnormal results.
  std::vector<double> args = {0.0, 1.0, -1.0, 1e-20, -1e-20, 709.0, 709.78, -708.0, -720.0,
                              -745.0, 0.5, 0.34657359027997264, -0.34657359027997264};
  for (int i = 0; i < 1'000'000; ++i) {
    args.push_back(3 * rng.Normal());
    args.push_back(-30 * rng.Uniform());
    args.push_back(1418 * rng.Uniform() - 708);
  }
  const auto [worst, at] = WorstUlp(math::Exp, [](double x) { return std::exp(x); }, args);
  INFO("worst at " << at);
  CHECK(worst <= 1);
  CHECK(math::Exp(0.0) == 1);
  CHECK(math::Exp(710.0) == std::numeric_limits<double>::infinity());
  CHECK(math::Exp(-746.0) == 0);
  CHECK(math::Exp(-std::numeric_limits<double>::infinity()) == 0);
  CHECK(std::isnan(math::Exp(std::numeric_limits<double>::quiet_NaN())));
}

TEST_CASE("math::LogFactorial matches lgamma(k + 1) to 14 significant digits", "[sim][math]") {
  for (std::uint64_t k = 0; k < 5'000; ++k) {
    const double want = std::lgamma(static_cast<double>(k) + 1);
    INFO("k " << k);
    CHECK(math::LogFactorial(k) == Approx(want).epsilon(1e-14).margin(1e-15));
  }
  for (std::uint64_t k : {10'000ULL, 123'456ULL, 1ULL << 40, 1ULL << 61}) {
    INFO("k " << k);
    CHECK(math::LogFactorial(k) == Approx(std::lgamma(static_cast<double>(k) + 1)).epsilon(1e-14));
  }
  CHECK(math::LogFactorial(0) == 0);
  CHECK(math::LogFactorial(1) == 0);
}

TEST_CASE("math functions give pinned bits", "[sim][math]") {
  // The values every machine must compute (docs/cluster.md): a change to the
  // implementation changes these, and with them every trace.
  CHECK(BitsOf(math::Log(0.1)) == 0xc0026bb1bbb55516ULL);
  CHECK(BitsOf(math::Log(12345.678)) == 0x4022d79559791e31ULL);
  CHECK(BitsOf(math::Exp(0.1)) == 0x3ff1aec7b35a00d4ULL);
  CHECK(BitsOf(math::Exp(-12.345)) == 0x3ed240572f47cb82ULL);
  CHECK(BitsOf(math::LogFactorial(300)) == 0x40961b9f9720c499ULL);
}

TEST_CASE("math tables evaluated by the compiler equal the same builders run at run time",
          "[sim][math]") {
  // sim/math.cc has the compiler evaluate the tables (constinit). Called through a
  // pointer the compiler cannot see through, the same builders run as machine code
  // here: the two must give the same bits, or the draws would depend on where the
  // tables were computed.
  math::internal::Tables (*volatile build)() = &math::internal::build::BuildTables;
  const math::internal::Tables at_run_time = build();
  CHECK(std::memcmp(&at_run_time.log, &math::internal::kTables.log, sizeof at_run_time.log) == 0);
  CHECK(std::memcmp(&at_run_time.exp, &math::internal::kTables.exp, sizeof at_run_time.exp) == 0);
  CHECK(std::memcmp(&at_run_time.log_factorial, &math::internal::kTables.log_factorial,
                    sizeof at_run_time.log_factorial) == 0);
  CHECK(std::memcmp(&at_run_time.ziggurat_x, &math::internal::kTables.ziggurat_x,
                    sizeof at_run_time.ziggurat_x) == 0);
  CHECK(std::memcmp(&at_run_time.ziggurat_f, &math::internal::kTables.ziggurat_f,
                    sizeof at_run_time.ziggurat_f) == 0);
  // Spot values, so that a table of zeros on both sides cannot pass.
  CHECK(math::internal::kTables.log[64].log_c.hi == 0x1.62e42fefa39efp-1);
  CHECK(math::internal::kTables.exp[0].hi == 1.0);
  CHECK(math::internal::kTables.log_factorial[3] == Approx(std::log(6.0)).epsilon(1e-15));
}

TEST_CASE("the normal's ziggurat has layers of equal area down to zero", "[sim][math]") {
  // Marsaglia and Tsang's published edges for 256 layers (x[0] = v / f(r), x[1] = r,
  // ...), and what makes them a ziggurat: every layer i (between x[i+1] and x[i]) has
  // the area v, and the recursion lands on 0 after the last.
  const double* x = math::internal::kTables.ziggurat_x;
  const double* f = math::internal::kTables.ziggurat_f;
  const double v = math::internal::kZigguratArea;
  CHECK(x[0] == Approx(3.910757959537090045).epsilon(1e-12));
  CHECK(x[1] == math::internal::kZigguratR);
  CHECK(x[2] == Approx(3.449278298560964462).epsilon(1e-12));
  CHECK(x[255] == Approx(0.215241895984875).epsilon(1e-9));
  CHECK(x[256] == 0);
  CHECK(f[256] == 1);
  for (int i = 0; i <= 256; ++i) {
    INFO("layer " << i);
    CHECK(f[i] == Approx(std::exp(-0.5 * x[i] * x[i])).epsilon(1e-14));
    if (i < 256) CHECK(x[i] > x[i + 1]);
    // The layer above edge i: a rectangle of width x[i] from f[i] to f[i+1].
    if (i >= 1 && i < 256) CHECK(x[i] * (f[i + 1] - f[i]) == Approx(v).epsilon(1e-8));
  }
  // The base: the rectangle under f(r) plus the tail beyond r.
  const double r = math::internal::kZigguratR;
  CHECK(r * f[1] + std::sqrt(std::acos(-1.0) / 2) * std::erfc(r / std::sqrt(2.0)) ==
        Approx(v).epsilon(1e-10));
}
