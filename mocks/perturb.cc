#include "mocks/perturb.h"

#include <algorithm>
#include <cstdio>

#include "mocks/trace.h"
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

std::string PerturbCrashes(WorldSpec* spec, std::uint64_t seed) {
  Rng rng(seed, StreamKey("perturb.crashes"));
  std::vector<std::string> targets = {"platform"};
  for (const BankConfig& bank : spec->world.banks) targets.push_back(bank.id);
  targets.push_back("messenger");
  std::string text = "crashes:";
  for (const std::string& target : targets) {
    const bool on = rng.Bernoulli(0.5);
    const auto at = static_cast<SimTime>((0.05 + 0.9 * rng.Uniform()) * double(spec->duration));
    const SimTime down = kMinute + static_cast<SimTime>(rng.Below(std::uint64_t(14 * kMinute)));
    if (!on) continue;
    spec->timeline.push_back(TimelineEntry{at, Crash{target, down}, 0});
    text += (text.back() == ':' ? " " : "; ") + target + " at " + FormatInstant(at) + " for " +
            FormatDuration(down);
  }
  std::stable_sort(spec->timeline.begin(), spec->timeline.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) { return a.at < b.at; });
  return text.back() == ':' ? text + " none" : text;
}

}  // namespace bpsim::mocks
