#pragma once
// A party's own clock (docs/world.md, "Clocks"): the true simulated time as that
// party reads it, with the offset and drift of its ClockConfig. The parties decide
// with it (consent expiry, cache TTL); the trace and the invariants use the true
// time, which is what the simulator's Clock gives.

#include <cmath>

#include "mocks/config.h"
#include "sim/clock.h"

namespace bpsim::mocks {

class LocalClock final : public Clock {
 public:
  LocalClock(const Clock* truth, const ClockConfig& config)
      : truth_(truth), offset_(config.offset), drift_(config.drift_ppm * 1e-6) {}

  SimTime Now() const override { return Local(truth_->Now()); }

  // What this clock reads at the true instant `t`.
  SimTime Local(SimTime t) const {
    if (drift_ == 0) return t + offset_;
    return t + offset_ + static_cast<SimTime>(std::llround(drift_ * static_cast<double>(t)));
  }

  // The first true instant at which this clock reads `local` or later (the clock is
  // increasing: drift_ppm > -1e6).
  SimTime TrueTimeOf(SimTime local) const {
    if (drift_ == 0) return local - offset_;
    auto t = static_cast<SimTime>(std::llround(static_cast<double>(local - offset_) / (1 + drift_)));
    while (Local(t) < local) ++t;
    while (Local(t - 1) >= local) --t;
    return t;
  }

 private:
  const Clock* truth_;
  SimTime offset_;
  double drift_;
};

}  // namespace bpsim::mocks
