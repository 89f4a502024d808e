#pragma once
// `bpsim serve` (docs/live-mode.md): a scenario's banks as HTTP servers on a scaled
// wall clock (harness/live/serve.h), judged and reported like `bpsim run`.

#include <string>
#include <vector>

#include "harness/scenario/scenario.h"
#include "sim/time.h"

namespace bpsim::harness {

// The wall time `bpsim serve` aims a run at when --time-scale is not given.
inline constexpr double kDefaultServeWallSeconds = 60;
// The default time scale of a run of `simulated` time (duration + drain): the scale
// at which it takes about kDefaultServeWallSeconds, rounded to a whole number and
// never below 1 (a live run never goes slower than the wall clock).
double DefaultTimeScale(SimTime simulated);

// Simulated time of `wall_seconds` at `time_scale`.
SimTime ScaledGrace(double wall_seconds, double time_scale);
// Adds `grace` to every deadline the scenario judges: revocation-honoured's grace and
// purge_within, retention-limit's slack, fraud-alert-delivery's p99, every rule's
// `within` max and every duration metric's `max` bound (not wall_seconds).
void AllowGrace(Scenario& scenario, SimTime grace);

// `bpsim serve SCENARIO [--listen HOST:PORT] [--time-scale N] [--out DIR]`; returns the
// exit code (0 every expectation met, 1 failed or interrupted, 2 usage, 3 internal).
int CmdServe(const std::vector<std::string>& args);

}  // namespace bpsim::harness
