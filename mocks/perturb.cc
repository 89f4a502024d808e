#include "mocks/perturb.h"

#include <algorithm>
#include <cstdio>

#include "sim/rng.h"

namespace bpsim::mocks {
namespace {

// Scales `value` by `factor` (0 < factor <= 1), keeping it at least one nanosecond.
SimTime Scaled(SimTime value, double factor) {
  return std::max<SimTime>(1, static_cast<SimTime>(static_cast<double>(value) * factor));
}

std::string Factor(double f) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "x%.2f", f);
  return buf;
}

// Draws a back-off's initial x U(1/4, 1) and max x U(1/2, 1), max >= initial.
std::string PerturbRetry(RetryConfig* retry, Rng& rng) {
  const double initial = 0.25 + 0.75 * rng.Uniform();
  const double max = 0.5 + 0.5 * rng.Uniform();
  retry->initial = Scaled(retry->initial, initial);
  retry->max = std::max(retry->initial, Scaled(retry->max, max));
  return Factor(initial) + "/" + Factor(max);
}

}  // namespace

std::uint64_t SameInstantKey(std::uint64_t seed) {
  return MixKey(seed, StreamKey("perturb.same_instant"));
}

std::string PerturbKnobs(WorldConfig* world, std::uint64_t seed) {
  Rng rng(seed, StreamKey("perturb.knobs"));
  std::string text = "knobs:";
  for (BankConfig& bank : world->banks) {
    const double latency = 0.25 + 0.75 * rng.Uniform();
    const double delay = 0.25 + 0.75 * rng.Uniform();
    bank.api.latency.median = Scaled(bank.api.latency.median, latency);
    bank.webhook_faults.delay.median = Scaled(bank.webhook_faults.delay.median, delay);
    const std::string retry = PerturbRetry(&bank.webhook_retry, rng);
    text += (text.back() == ':' ? " " : "; ") + bank.id + " latency median " + Factor(latency) +
            ", webhook delay median " + Factor(delay) + ", retry " + retry;
  }
  PlatformConfig& platform = world->platform;
  const double sweep = 0.25 + 0.75 * rng.Uniform();
  platform.cache_sweep_every = Scaled(platform.cache_sweep_every, sweep);
  const std::string alert_retry = PerturbRetry(&platform.alert_retry, rng);
  text += "; platform sweep " + Factor(sweep) + ", alert retry " + alert_retry;
  return text;
}

}  // namespace bpsim::mocks
