// RNG micro-benchmarks: the cost of one draw from each distribution the models use.
// Each result is kept alive with DoNotOptimize so the draw is not elided.

#include <benchmark/benchmark.h>

#include <cmath>

#include "sim/math.h"
#include "sim/rng.h"

namespace {

bpsim::Rng MakeRng() { return bpsim::Rng(1, bpsim::StreamKey("bench.rng")); }

void BM_RngNext(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  for (auto _ : state) benchmark::DoNotOptimize(rng.Next());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngNext);

void BM_RngUniform(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  for (auto _ : state) benchmark::DoNotOptimize(rng.Uniform());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngUniform);

void BM_RngBelow(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  for (auto _ : state) benchmark::DoNotOptimize(rng.Below(10'000));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngBelow);

void BM_RngExponential(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  for (auto _ : state) benchmark::DoNotOptimize(rng.Exponential(1.0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngExponential);

// The argument is the mean: 4 uses the product method (cost grows with the mean),
// 50 and 1000 use PTRS (roughly constant cost).
void BM_RngPoisson(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  const auto mean = static_cast<double>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(rng.Poisson(mean));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngPoisson)->Arg(4)->Arg(50)->Arg(1000);

void BM_RngLogNormal(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  for (auto _ : state) benchmark::DoNotOptimize(rng.LogNormal(100.0, 1000.0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngLogNormal);

// The same draws through constants computed once (PoissonParams, LogNormalParams),
// as the population's daily draws make them: exp(-mean), resp. log(p99 / median),
// leave the loop. The values are the same as the plain draws'.
void BM_RngPoissonPrecomputed(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  const auto params = bpsim::PoissonParams::Of(static_cast<double>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(rng.Poisson(params));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngPoissonPrecomputed)->Arg(4)->Arg(50)->Arg(1000);

void BM_RngLogNormalPrecomputed(benchmark::State& state) {
  bpsim::Rng rng = MakeRng();
  const auto params = bpsim::LogNormalParams::Of(100.0, 1000.0);
  for (auto _ : state) benchmark::DoNotOptimize(rng.LogNormal(params));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngLogNormalPrecomputed);

}  // namespace

namespace {

// The draws' transcendental functions (sim/math.h) against the C library's, on the
// arguments the draws give them; each pair in one run, so their ratio is the cost of
// not depending on libm's version.
template <double (*F)(double)>
void Transcendental(benchmark::State& state, double lo, double hi) {
  bpsim::Rng rng = MakeRng();
  double args[1024];
  for (double& a : args) a = lo + (hi - lo) * rng.UniformPositive();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(F(args[i]));
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(state.iterations());
}
double LibmLog(double x) { return std::log(x); }
double LibmExp(double x) { return std::exp(x); }
double LibmLgamma(double x) { return std::lgamma(x + 1); }
double BpsimLogFactorial(double x) { return bpsim::math::LogFactorial(static_cast<std::uint64_t>(x)); }

void BM_LibmLog(benchmark::State& s) { Transcendental<LibmLog>(s, 0.0, 1.0); }
void BM_BpsimLog(benchmark::State& s) { Transcendental<bpsim::math::Log>(s, 0.0, 1.0); }
void BM_LibmExp(benchmark::State& s) { Transcendental<LibmExp>(s, -3.0, 3.0); }
void BM_BpsimExp(benchmark::State& s) { Transcendental<bpsim::math::Exp>(s, -3.0, 3.0); }
void BM_LibmLgamma(benchmark::State& s) { Transcendental<LibmLgamma>(s, 30.0, 2000.0); }
void BM_BpsimLogFactorial(benchmark::State& s) { Transcendental<BpsimLogFactorial>(s, 30.0, 2000.0); }
BENCHMARK(BM_LibmLog);
BENCHMARK(BM_BpsimLog);
BENCHMARK(BM_LibmExp);
BENCHMARK(BM_BpsimExp);
BENCHMARK(BM_LibmLgamma);
BENCHMARK(BM_BpsimLogFactorial);

}  // namespace
